#include "semdedup/dedup/evaluate.hpp"

#include <unordered_map>

#include "semdedup/io/columns.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/pairwise_results.hpp"

namespace semdedup::dedup {

Result<std::vector<PlantedScore>> score_planted(const std::string& ground_truth,
                                                const std::string& pairwise_dir,
                                                const std::vector<double>& eps) {
  SD_ASSIGN_OR_RETURN(auto planted_ids, io::read_int64_column(ground_truth, io::kDefaultIdField));
  SD_ASSIGN_OR_RETURN(auto sources, io::read_int64_column(ground_truth, "duplicate_of"));
  SD_ASSIGN_OR_RETURN(auto cosines, io::read_float_column(ground_truth, "cosine"));

  // Every row's score, by id.
  std::unordered_map<int64_t, float> score_of;
  SD_ASSIGN_OR_RETURN(auto files, io::list_cluster_files(pairwise_dir));
  for (const auto& file : files) {
    SD_ASSIGN_OR_RETURN(auto ids, io::read_int64_column(file.path, io::kIdColumn));
    SD_ASSIGN_OR_RETURN(auto scores, io::read_float_column(file.path, io::kCosineSimScoreColumn));
    for (size_t i = 0; i < ids.size(); ++i) score_of[ids[i]] = scores[i];
  }

  std::vector<PlantedScore> out;
  for (double e : eps) {
    const double threshold = 1.0 - e;
    PlantedScore score;
    score.eps = e;
    for (const auto& [id, s] : score_of) {
      if (static_cast<double>(s) >= threshold) ++score.identified;
    }
    // Group the qualifying copies by source: group = {source} + copies.
    std::unordered_map<int64_t, std::vector<int64_t>> groups;
    for (size_t i = 0; i < planted_ids.size(); ++i) {
      if (static_cast<double>(cosines[i]) >= threshold) groups[sources[i]].push_back(planted_ids[i]);
    }
    for (auto& [source, copies] : groups) {
      const auto size = static_cast<int64_t>(copies.size()) + 1;
      score.expected += size - 1;
      int64_t hits = 0;
      copies.push_back(source);
      for (int64_t member : copies) {
        auto it = score_of.find(member);
        if (it != score_of.end() && static_cast<double>(it->second) >= threshold) ++hits;
      }
      score.true_positives += std::min(hits, size - 1);
    }
    score.precision = score.identified ? static_cast<double>(score.true_positives) /
                                             static_cast<double>(score.identified)
                                       : 1.0;
    score.recall = score.expected ? static_cast<double>(score.true_positives) /
                                        static_cast<double>(score.expected)
                                  : 1.0;
    out.push_back(score);
  }
  return out;
}

}  // namespace semdedup::dedup
