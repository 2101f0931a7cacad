#pragma once
/// \file Parameters of the identify and remove steps and of the whole workflow.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::dedup {

struct IdentifyParams {
  /// Pairwise output directory holding cluster_K.parquet files.
  std::string input_path;
  /// Output directory: <output>/duplicates/*.parquet.
  std::string output_path;
  /// Rows with cosine_sim_score >= 1 - eps are duplicates; eps in [0, 1).
  double eps = 0.01;
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

}  // namespace semdedup::dedup
