#pragma once
/// \file Parameters of the identify and remove steps and of the whole workflow.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::dedup {

struct IdentifyParams {
  /// Pairwise output directory holding cluster_K.parquet files.
  std::string input_path;
  /// Output directory: <output>/duplicates/part-NNNNN.parquet, one file per 10 cluster files.
  std::string output_path;
  /// Cluster files per output file (NeMo processes them in batches of 10), >= 1.
  int64_t clusters_per_file = 10;
  /// Row groups per output file (about; NeMo's _num_row_groups_hint), >= 1.
  int64_t row_groups_per_file = 10;
  /// Rows with cosine_sim_score >= 1 - eps are duplicates; eps in [0, 1).
  double eps = 0.01;
  /// Instead of eps: the duplicates are the exact copies, rows whose embedding equals that of
  /// an earlier-ranked row of their cluster (exact.hpp), read from the KMeans output.
  bool exact = false;
  /// With exact: the KMeans output the pairwise files came from; empty = the kmeans_results
  /// directory beside input_path.
  std::string kmeans_path;
  /// With exact: the id and embedding columns of the KMeans output.
  std::string id_field = io::kDefaultIdField;
  std::string embedding_field = io::kDefaultEmbeddingField;
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

}  // namespace semdedup::dedup
