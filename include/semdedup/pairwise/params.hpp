#pragma once
/// \file Parameters of the Pairwise stage, named and defaulted as NeMo Curator's PairwiseStage.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::pairwise {

/// Which row of a near-duplicate group survives (the one ranked first).
enum class WhichToKeep {
  kHard,    ///< farthest from the centroid first (distance, id descending) — NeMo's default
  kEasy,    ///< closest to the centroid first (distance, id ascending)
  kRandom,  ///< a seeded shuffle
};

enum class SimMetric { kCosine, kL2 };

struct Params {
  /// KMeans output directory holding centroid=K/ partitions (semdedup's or NeMo's).
  std::string input_path;
  /// Output directory: <output>/cluster_K.parquet.
  std::string output_path;
  std::string id_field = "id";
  std::string embedding_field = "embeddings";
  WhichToKeep which_to_keep = WhichToKeep::kHard;
  /// Distance column of the default ranking: cosine_dist_to_cent or l2_dist_to_cent.
  SimMetric sim_metric = SimMetric::kCosine;
  /// Seed of the `random` ranking (the same for every cluster).
  uint64_t random_seed = 42;
  /// Custom ranking: sort by these columns in priority order; overrides which_to_keep.
  std::vector<std::string> ranking_columns;
  /// One direction for all ranking columns, or one per column; empty = all ascending.
  std::vector<bool> ranking_ascending;
  /// Columns per similarity tile B: memory O(N x B), never results. >= 1.
  int64_t pairwise_batch_size = 1024;
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

}  // namespace semdedup::pairwise
