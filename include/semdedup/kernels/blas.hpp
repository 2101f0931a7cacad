#pragma once
/// \file The BLAS the CPU kernels run on, described once for logs and --version.

#include <string>

#include "semdedup/core/status.hpp"

namespace semdedup::kernels {

/// A BLAS library other than the build's OpenBLAS (SEMDEDUP_OPENBLAS_PATH), e.g. the one a
/// Python wheel brings.
struct BlasLibrary {
  /// File to dlopen(), e.g. .../scipy_openblas32/lib/libscipy_openblas.so.
  std::string path;
  /// Put in front of every symbol name: "scipy_" gives scipy_cblas_sgemm.
  std::string symbol_prefix;
  /// A pthreads build: it is told to use one thread, since the kernels issue their GEMMs
  /// from inside OpenMP regions.
  bool pthreads = false;
};

/// Makes the kernels load `library` instead of the build's OpenBLAS. Only before the first
/// GEMM: invalid_argument once a BLAS was loaded.
Status use_blas_library(BlasLibrary library);

/// e.g. "OpenBLAS 0.3.21 (OpenMP, Haswell)".
std::string blas_description();

}  // namespace semdedup::kernels
