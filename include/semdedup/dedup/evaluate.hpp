#pragma once
/// \file How well a run found the duplicates planted by `generate`: precision and recall at an
/// eps, from the pairwise scores and the ground truth.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::dedup {

struct PlantedScore {
  double eps = 0;
  int64_t identified = 0;       ///< rows with score >= 1 - eps
  int64_t expected = 0;         ///< rows that should go: per planted group, its size - 1
  int64_t true_positives = 0;   ///< identified rows of planted groups, at most size - 1 each
  double precision = 0;         ///< true_positives / identified (1 when nothing identified)
  double recall = 0;            ///< true_positives / expected (1 when nothing expected)
};

/// A planted group is a source row and the planted copies of it whose true cosine to it is
/// >= 1 - eps (ground truth `cosine`); kinds further away do not count at that eps. The ids
/// are int64 as `generate` writes them.
/// \param ground_truth  generate's ground_truth.parquet (id, duplicate_of, kind, cosine)
/// \param pairwise_dir  the pairwise stage's output (cluster_K.parquet)
Result<std::vector<PlantedScore>> score_planted(const std::string& ground_truth,
                                                const std::string& pairwise_dir,
                                                const std::vector<double>& eps);

}  // namespace semdedup::dedup
