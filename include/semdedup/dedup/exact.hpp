#pragma once
/// \file Exact duplicates: rows whose embedding equals, value for value, the embedding of a row
/// ranked before them in their cluster. Found by comparing the stored (L2-normalised float32)
/// embeddings of the KMeans output, not the rounded scores: two identical vectors can score
/// anywhere from about 0.9999995 to 1.0000003, so no threshold on cosine_sim_score separates
/// them from near duplicates. Identical vectors always fall in the same cluster, so comparing
/// within clusters finds them all.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/pairwise_results.hpp"

namespace semdedup::dedup {

/// <parent of pairwise_dir>/kmeans_results: where `run` and NeMo put the KMeans output.
std::string kmeans_dir_beside(const std::string& pairwise_dir);

class ExactCopies {
 public:
  /// The centroid=K/ partitions of `kmeans_dir` with `id_field` and `embedding_field`.
  static Result<ExactCopies> open(const std::string& kmeans_dir, const std::string& id_field,
                                  const std::string& embedding_field);

  /// For each row of `rows` (cluster `cluster`'s pairwise file, in ranked order), 1 when its
  /// embedding equals that of an earlier row of the file (0.0 and -0.0 count as equal). The
  /// first of a group of identical rows is 0: it is the one kept. data_error when the cluster
  /// has no partition or a pairwise id is not in it.
  Result<std::vector<uint8_t>> flags(int64_t cluster, const io::PairwiseRows& rows) const;

 private:
  std::map<int64_t, std::vector<std::string>> files_;  // centroid -> its Parquet files
  std::string dir_, id_field_, embedding_field_;
};

}  // namespace semdedup::dedup
