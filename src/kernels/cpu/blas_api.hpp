#pragma once
// The BLAS entry points the CPU kernels call. OpenBLAS is loaded at first use rather than
// linked: Debian's OpenBLAS picks its kernels in a load-time constructor from the CPU model,
// and falls back to SSE3 ("Prescott") on CPUs newer than it knows. Loading it ourselves lets
// us name the core type from CPUID features first (OPENBLAS_CORETYPE, unless the user set it).

#include <cblas.h>

namespace semdedup::kernels {

struct BlasApi {
  using Sgemm = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         float, const float*, blasint, const float*, blasint, float, float*,
                         blasint);
  Sgemm sgemm = nullptr;
  char* (*get_config)() = nullptr;
  char* (*get_corename)() = nullptr;
  void (*set_num_threads)(int) = nullptr;
};

/// The loaded BLAS; aborts with a message if the library cannot be loaded (a broken install).
const BlasApi& blas();

/// C[m x n] = A[m x k] * B[n x k]^T, all row-major, single-threaded BLAS on the calling thread
/// when called inside an OpenMP region (the OpenMP build of OpenBLAS does that by itself).
inline void gemm_abt(int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                     float* c, int ldc) {
  blas().sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

}  // namespace semdedup::kernels
