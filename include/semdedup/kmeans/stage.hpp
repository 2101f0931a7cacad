#pragma once
/// \file The KMeans stage: input files in, `<output>/centroid=K/part-NNNNNN.parquet` and
/// `<output>/_kmeans_centroids.npy` out (spec sections 6-8).

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

/// What a run of the stage did (NeMo's metrics plus counts).
struct StageResult {
  int64_t num_files = 0;     ///< input files discovered
  int64_t num_rows = 0;      ///< rows written (every valid input row)
  int64_t num_rejected = 0;  ///< invalid rows written to <output>/rejected/ (--invalid-rows skip)
  int64_t fit_files = 0;     ///< files the fit read (all, the sample, or those within memory)
  int64_t fit_rows = 0;      ///< rows the fit saw
  int64_t dim = 0;           ///< embedding width
  int64_t num_parts = 0;     ///< parts that held rows
  int64_t num_clusters_written = 0;  ///< centroid=K directories with at least one row
  int64_t n_iter = 0;    ///< Lloyd iterations of the kept run (0 when centroids were reused)
  double inertia = 0.0;  ///< of the fit rows to the final centroids
  bool reused_centroids = false;  ///< --resume found io::kKMeansCentroidsFile and skipped the fit
  double read_seconds = 0.0;      ///< kmeans_read_time: both passes
  double fit_seconds = 0.0;       ///< kmeans_fit_time (fit only)
  double write_seconds = 0.0;     ///< predict, distances and writing
  double total_seconds = 0.0;
  std::string centroids_path;  ///< <output>/_kmeans_centroids.npy
};

/// Runs the stage: discovers the input files, validates every row, fits k-means on all rows
/// (or, with fit_data_fraction, on a seeded sample of the files read embedding-only; or, with
/// it unset and the embeddings larger than memory_limit, on the first files that fit it), then
/// writes every row, part by part, with its L2-normalised embedding, metadata and distances to
/// its centroid. Part p holds global input rows [p × rows_per_part, (p + 1) × rows_per_part) and
/// is written as part-<p>.parquet in each centroid directory that receives rows from it, so
/// file names and bytes depend neither on threads nor on batch sizes. Nothing is written before
/// the fit succeeded; on a later failure the files this run wrote are removed again.
Result<StageResult> run_stage(const Context& ctx, const Params& params);

/// Files the fit pass reads: max(1, round-half-even(fraction × num_files)), as NeMo's
/// `max(1, round(f × n))`; `rounded_to_zero` (optional) tells whether the bump to 1 happened.
int64_t fit_file_count(int64_t num_files, double fraction, bool* rounded_to_zero = nullptr);

/// How many of the files, taken in order, fit `budget` bytes: the longest prefix whose sizes
/// sum to at most `budget`, and at least 1 (when there is a file).
int64_t files_within_budget(const std::vector<int64_t>& file_bytes, int64_t budget);

/// Exactly Python's `random.Random(seed).sample(range(num_files), count)`: MT19937 seeded by
/// init_by_array with the 32-bit words of `seed`, `_randbelow` by rejection on getrandbits,
/// and sample's pool or set algorithm chosen by the same size rule. 0 <= count <= num_files.
std::vector<int64_t> python_sample(int64_t num_files, int64_t count, uint64_t seed);

}  // namespace semdedup::kmeans
