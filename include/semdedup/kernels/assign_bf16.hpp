#pragma once
/// \file Nearest-centroid assignment with bfloat16 dot products as a filter and float64 as the
/// judge (CpuKernel::kAvx512Bf16).
///
/// Rows and centroids are rounded to bfloat16 (relative error u = 2^-8 per value) and
/// multiplied with AVX512-BF16 (exact products, float32 sums). For each (row, centroid) pair a
/// rigorous bound B on |approximate - exact| squared distance is
///   B = 1.001 (a |x| |c| + b (|x|² + |c|²)) + 1e-30,
///   a = 2 (2u + u² + γ (1+u)²) + 16 ε,  b = γ + 4 ε,  γ = dim ε / (1 - dim ε),  ε = 2^-24,
/// from Cauchy-Schwarz on the rounding of each value, the float32 accumulation along dim and
/// the float32 rounding of the distance itself. Every centroid whose lower bound is within
/// the smallest upper bound of the row stays a candidate; the running argmin is fused into the
/// tile loop (the row x centroid product never goes to memory), and the candidates are then
/// rescored in float64. So a label is the nearest centroid by float64 distance (ties to the
/// lowest index), whatever the rounding of the filter, and sq_dist is that float64 distance
/// rounded to float. Each pair is computed by the same instruction sequence wherever it sits,
/// and rows are independent, so results do not depend on threads or batch sizes.

#include <cstdint>

#include "semdedup/core/matrix.hpp"

namespace semdedup::kernels {

/// Floats of workspace assign_nearest_bf16 needs for k centroids of `dim` columns and
/// `threads` threads.
int64_t assign_bf16_workspace_floats(int64_t k, int64_t dim, int threads);

/// labels[r] = argmin_c ||x_r - c||² in float64 (ties to the lowest index), sq_dist[r] that
/// minimum rounded to float. Requires a CPU with AVX512-BF16 (kernels/isa.hpp).
/// \param x          [n x dim] rows, finite
/// \param x_norms    [n] squared_row_norms of x
/// \param centroids  [k x dim], k >= 1, finite
/// \param c_norms    [k] squared_row_norms of centroids
/// \param labels     [n] output
/// \param sq_dist    [n] output, may be null
/// \param workspace  assign_bf16_workspace_floats(k, dim, threads) floats, 64-byte aligned
/// \param second     [n] output, may be null: a lower bound on the float64 distance from row r
///                   to every centroid but labels[r] (+inf when k == 1), for bounds that let
///                   later passes skip rows (kmeans/bounded_assign)
void assign_nearest_bf16(MatrixView x, const float* x_norms, MatrixView centroids,
                         const float* c_norms, int32_t* labels, float* sq_dist, float* workspace,
                         int threads, double* second = nullptr);

/// The float64 squared distance assign_nearest_bf16 decides by, bit for bit (the same
/// function), for one row and one centroid. Requires AVX512-BF16.
double assign_bf16_distance(const float* a, const float* b, int64_t dim);

}  // namespace semdedup::kernels
