#pragma once
/// \file CPU kernels of the k-means update step, exact by construction: sums are fixed-point
/// integers, so any split of the rows over threads or ranks adds up to the same bits.

#include <cstdint>

#include "semdedup/core/matrix.hpp"

namespace semdedup::kernels {

/// Centroid sums hold round(value × 2^29). For L2-normalised rows |value| <= 1 (the fit accepts
/// up to 2), so one term is at most 2^30 in magnitude and a centroid's sum stays exact below
/// 2^63 for up to 2^33 rows per centroid. The rounding error of a mean, <= 2^-30, is below
/// float resolution for every component larger than about 1e-2.
inline constexpr double kSumScale = 0x1p29;

/// Squared distances are summed as round(d × 2^32) in 128 bits. One term saturates at 2^62
/// (d >= 2^30, far beyond any distance between unit vectors and their means).
inline constexpr double kDistScale = 0x1p32;

/// int64 workspace `accumulate_centroid_sums` needs for n rows of `dim` columns, k centroids
/// and `threads` threads.
int64_t accumulate_workspace_size(int64_t n, int64_t k, int64_t dim, int threads);

/// Adds every row of x to its centroid: sums[label][j] += round(x[row][j] × kSumScale) and
/// counts[label] += 1. Accumulates into what is there (so batches can be added in turn).
/// Parallel over fixed chunks of the rows sorted by label; exact, so the thread count never
/// changes the result.
/// \param x          [n x dim] rows, |value| <= 2
/// \param labels     [n] in [0, k)
/// \param sums       [k x dim] in/out
/// \param counts     [k] in/out
/// \param workspace  accumulate_workspace_size(n, k, dim, threads) int64
void accumulate_centroid_sums(MatrixView x, const int32_t* labels, int64_t k, int64_t* sums,
                              int64_t* counts, int64_t* workspace, int threads);

/// Replaces each centroid that has rows by its mean sums / (counts × kSumScale), computed in
/// double and rounded to float; a centroid with count 0 keeps its value. Returns the total
/// squared shift Σ_c Σ_j (new - old)², summed in double in centroid order.
/// \param sums       [k x dim] from accumulate_centroid_sums (after any cross-rank reduction)
/// \param counts     [k]
/// \param centroids  [k x dim] in/out
double update_centroids(const int64_t* sums, const int64_t* counts, MutableMatrixView centroids);

/// A 128-bit fixed-point sum of non-negative distances split into two int64 limbs that can be
/// summed across ranks with an integer allreduce: value = (hi × 2^32 + lo) / kDistScale.
struct FixedSum {
  int64_t hi = 0;
  int64_t lo = 0;

  /// The sum as a double.
  double value() const;
};

/// Σ round(values[i] × kDistScale) over [0, n), exact and order-free.
FixedSum fixed_point_sum(const float* values, int64_t n, int threads);

}  // namespace semdedup::kernels
