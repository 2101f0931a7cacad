#pragma once
/// \file k-means over an in-memory matrix: fit (k-means|| / random / given init in
/// kmeans/init, then Lloyd),
/// predict, and the two distances the KMeans stage writes.
///
/// Results are bit-identical for a given seed whatever the thread count and
/// max_samples_per_batch: GEMM tiles are fixed ranges of row index, random draws are
/// counter-based on the global row index, and every sum that crosses rows (centroid sums,
/// inertia, k-means|| cost) is an exact fixed-point integer reduced through the communicator.

#include <cstdint>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

/// One Lloyd iteration of a fit.
struct IterationStats {
  int64_t iteration = 0;  ///< 1-based
  double inertia = 0.0;   ///< Σ squared distances to the centroids the iteration started from
  double shift = 0.0;     ///< Σ_c ||c_new - c_old||² of the update
  double seconds = 0.0;   ///< wall time of the iteration
  /// This rank's rows the iteration's pass compared with every centroid; the others kept their
  /// label by the bound of kmeans/bounded_assign (the same result either way).
  int64_t assigned_rows = 0;
};

/// What fit returns.
struct FitResult {
  /// [k x dim] fitted centroids, un-normalised (means of unit vectors, norm <= 1).
  Matrix centroids;
  /// Σ over rows of the squared distance to the nearest final centroid.
  double inertia = 0.0;
  /// Lloyd iterations run by the kept run.
  int64_t n_iter = 0;
  /// Which of the n_init runs was kept (0-based; lowest inertia, ties to the first).
  int64_t best_run = 0;
  /// Runs made (n_init after resolving "auto").
  int64_t n_runs = 0;
  /// Per-iteration statistics of the kept run.
  std::vector<IterationStats> history;
  /// [n] nearest final centroid of each row of x (this rank's rows).
  std::vector<int32_t> labels;
  /// Seconds spent in initialisation and in Lloyd iterations, over all runs.
  double init_seconds = 0.0;
  double lloyd_seconds = 0.0;
};

/// Fits k-means to the rows of `x`.
/// \param ctx     threads, communicator (rows may be spread over ranks: each rank passes its
///                own rows, in global row order by rank), logger, progress, cancellation
/// \param x       [n x dim] this rank's rows, L2-normalised (finite, |value| <= 2)
/// \param params  validated here; n_clusters must not exceed the total row count
/// \return invalid_argument for bad parameters, data that is not normalised, or initial
///   centroids of the wrong shape (or, with init kFile, not read by read_init_file); cancelled.
/// fit reads no file: given centroids come in params.init_centroids.
Result<FitResult> fit(const Context& ctx, MatrixView x, const FitParams& params);

/// `params` ready for fit: with init kFile, the .npy file params.init_file (shape (k, dim),
/// float32 or float64) read into params.init_centroids; otherwise unchanged. io_error for an
/// unreadable file, data_error for one that is not such an array.
Result<FitParams> read_init_file(FitParams params);

/// Assigns every row of x to its nearest centroid by squared L2 distance (ties to the lowest
/// index), via fixed GEMM tiles with the argmin fused.
/// \param x          [n x dim]
/// \param centroids  [k x dim], k >= 1, same dim
/// \param labels     [n] output
/// \param sq_dist    [n] output squared distances, may be null
/// \return invalid_argument on mismatched shapes or an empty centroid matrix.
Status predict(const Context& ctx, MatrixView x, MatrixView centroids, int32_t* labels,
               float* sq_dist);

/// The distance columns of the KMeans output (spec section 8), computed in double and rounded
/// to float: l2[r] = ||e_r - c|| with the un-normalised centroid c = centroids[labels[r]], and
/// cosine[r] = 1 - e_r · c / ||c|| (1 when c is the zero vector).
/// \param embeddings  [n x dim] normalised rows
/// \param centroids   [k x dim]
/// \param labels      [n] in [0, k)
/// \param l2, cosine  [n] outputs
void centroid_distances(const Context& ctx, MatrixView embeddings, MatrixView centroids,
                        const int32_t* labels, float* l2, float* cosine);

}  // namespace semdedup::kmeans
