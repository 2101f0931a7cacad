#pragma once
/// \file The Pairwise stage: KMeans output (`centroid=K/`, semdedup's or NeMo's) in,
/// `<output>/cluster_K.parquet` out (spec sections 9-11).

#include <cstdint>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/pairwise/params.hpp"

namespace semdedup::pairwise {

/// What a run of the stage did.
struct StageResult {
  int64_t clusters = 0;          ///< centroid=K directories found
  int64_t clusters_written = 0;  ///< cluster_K.parquet files written by this run
  int64_t clusters_resumed = 0;  ///< kResume: clusters whose file already existed
  int64_t clusters_empty = 0;    ///< centroid directories without rows (skipped with a warning)
  int64_t rows = 0;              ///< rows written by this run
  double seconds = 0.0;          ///< wall time of the run
};

/// Runs the stage. For each `centroid=K` entry at the top level of params.input_path (other
/// entries ignored), reads the entry's Parquet files (recursively, sorted) with the columns
/// [id, ranking columns, embedding], ranks the rows (ranking_for(params)), computes each row's
/// max similarity to the rows ranked before it and writes `cluster_K.parquet` (id, max_id,
/// cosine_sim_score float32; ranked order) atomically.
///
/// Every file's schema is checked before any output is written; a failure later (a bad row)
/// removes the files this run wrote. Big clusters are computed one at a time across all
/// ctx.threads, the others concurrently one per thread, largest first; the bytes written never
/// depend on ctx.threads or params.pairwise_batch_size. Output modes: kFresh refuses a
/// non-empty output directory, kResume keeps existing cluster_K.parquet files, kOverwrite
/// clears the directory first.
Result<StageResult> run_stage(const Context& ctx, const Params& params);

}  // namespace semdedup::pairwise
