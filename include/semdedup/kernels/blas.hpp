#pragma once
/// \file The BLAS the CPU kernels run on, described once for logs and --version.

#include <string>

namespace semdedup::kernels {

/// e.g. "OpenBLAS 0.3.21 (OpenMP, Haswell)".
std::string blas_description();

}  // namespace semdedup::kernels
