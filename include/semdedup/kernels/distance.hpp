#pragma once
/// \file CPU distance kernels of k-means: squared norms, nearest-centroid assignment by tiled
/// GEMM with the argmin fused per tile, and single-pair distances.
///
/// Determinism: the GEMM only proposes. Every centroid whose float GEMM distance lies within
/// twice a rigorous error bound of the best is rescored with a fixed-order double sum
/// (src/kernels/cpu/exact_rescore.hpp), and the label and the distance come from the rescored
/// values alone. So they are a function of the row and the centroids: never of the thread
/// count, of how many rows a call gets, of where the row sits inside its tile, or of which
/// BLAS kernel ran the GEMM. GEMMs still have one shape per call ([kTileRows x B x dim], B =
/// centroid_block(k), partial tiles and blocks zero-padded) so that the BLAS takes one path.

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

/// For every row r of x: labels[r] = argmin_c d(r, c) and sq_dist[r] = min_c d(r, c) rounded
/// to float, with d(r, c) = max(0, Σ x² + Σ c² - 2 Σ x·c) summed in double in a fixed order
/// (fixed_order_squared_distance); ties go to the lowest centroid index. Only the candidates
/// the float GEMM cannot rule out are computed that way. Never materialises more than one
/// [kTileRows x kCentroidBlock] tile per thread.
/// \param x          [n x dim] rows to assign
/// \param x_norms    [n] squared_row_norms of x
/// \param centroids  [k x dim], k >= 1
/// \param c_norms    [k] squared_row_norms of centroids
/// \param labels     [n] output, in [0, k)
/// \param sq_dist    [n] output, may be null when not wanted
/// \param workspace  assign_workspace_floats(dim, threads) floats, 64-byte aligned
/// \param threads    OpenMP threads, each running a single-threaded GEMM on its own tiles
/// \param second     [n] output, may be null: a lower bound on d(r, c) for every centroid c but
///                   labels[r] (+inf when k == 1), for bounds that let later passes skip rows
///                   (kmeans/bounded_assign)
void assign_nearest(MatrixView x, const float* x_norms, MatrixView centroids, const float* c_norms,
                    int32_t* labels, float* sq_dist, float* workspace, int threads,
                    double* second = nullptr);

/// Σ_j (a[j] - b[j])² accumulated in double in a fixed order.
double squared_distance(const float* a, const float* b, int64_t dim);

/// Σ_j a[j] b[j] accumulated in double in a fixed order.
double dot(const float* a, const float* b, int64_t dim);

/// Squared L2 distance in float with 16 fixed partial sums (vectorisable, same bits for the
/// same pair everywhere). For the small sequential parts of k-means (k-means++ reduction).
float squared_distance_fast(const float* a, const float* b, int64_t dim);

}  // namespace semdedup::kernels
