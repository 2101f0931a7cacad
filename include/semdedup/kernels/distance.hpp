#pragma once
/// \file CPU distance kernels of k-means: squared norms, nearest-centroid assignment by tiled
/// GEMM with the argmin fused per tile, and single-pair distances.
///
/// Determinism: every GEMM of a call is issued with the same shape [kTileRows x B x dim], where
/// the column block B = centroid_block(k) depends on the number of centroids alone (partial
/// tiles and blocks are zero-padded in the workspace); tiles are fixed ranges of row index, and
/// each tile is processed by one thread with a single-threaded BLAS. So the bits of a
/// (row, centroid) distance never depend on the thread count, on how many rows a call gets, or
/// on where the row sits inside its tile.

#include <cstdint>

#include "semdedup/core/matrix.hpp"

namespace semdedup::kernels {

/// Rows of x per GEMM tile.
inline constexpr int64_t kTileRows = 1024;
/// Most centroids per GEMM column block.
inline constexpr int64_t kCentroidBlock = 1024;
/// Column blocks of fewer than kCentroidBlock centroids are padded to a multiple of this.
inline constexpr int64_t kCentroidAlign = 16;

/// Column block width for k centroids: kCentroidBlock, or k rounded up to kCentroidAlign when
/// that is smaller (so a handful of centroids does not pay for a full block).
int64_t centroid_block(int64_t k);

/// out[r] = Σ_j x[r][j]², summed in float in a fixed order (the same bits for the same row
/// wherever it is). Parallel over fixed row chunks with `threads` OpenMP threads.
/// \param x    [n x dim] row-major
/// \param out  [n] output
void squared_row_norms(MatrixView x, float* out, int threads);

/// Floats of workspace `assign_nearest` needs for `dim` columns and `threads` threads.
int64_t assign_workspace_floats(int64_t dim, int threads);

/// For every row r of x: labels[r] = argmin_c d(r, c) and sq_dist[r] = min_c d(r, c) with
/// d(r, c) = max(0, x_norms[r] + c_norms[c] - 2 x[r]·c[c]) in float; ties go to the lowest
/// centroid index. Never materialises more than one [kTileRows x kCentroidBlock] tile per thread.
/// \param x          [n x dim] rows to assign
/// \param x_norms    [n] squared_row_norms of x
/// \param centroids  [k x dim], k >= 1
/// \param c_norms    [k] squared_row_norms of centroids
/// \param labels     [n] output, in [0, k)
/// \param sq_dist    [n] output, may be null when not wanted
/// \param workspace  assign_workspace_floats(dim, threads) floats, 64-byte aligned
/// \param threads    OpenMP threads, each running a single-threaded GEMM on its own tiles
void assign_nearest(MatrixView x, const float* x_norms, MatrixView centroids, const float* c_norms,
                    int32_t* labels, float* sq_dist, float* workspace, int threads);

/// Σ_j (a[j] - b[j])² accumulated in double in a fixed order.
double squared_distance(const float* a, const float* b, int64_t dim);

/// Σ_j a[j] b[j] accumulated in double in a fixed order.
double dot(const float* a, const float* b, int64_t dim);

/// Squared L2 distance in float with 16 fixed partial sums (vectorisable, same bits for the
/// same pair everywhere). For the small sequential parts of k-means (k-means++ reduction).
float squared_distance_fast(const float* a, const float* b, int64_t dim);

}  // namespace semdedup::kernels
