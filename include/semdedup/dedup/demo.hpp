#pragma once
/// \file `semdedup demo`: generate a dataset with planted duplicates, deduplicate it end to end
/// (run, report, remove) and measure how well the planted duplicates were found.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/dedup/evaluate.hpp"
#include "semdedup/dedup/generate.hpp"
#include "semdedup/dedup/remove.hpp"
#include "semdedup/dedup/report.hpp"
#include "semdedup/dedup/workflow.hpp"

namespace semdedup::dedup {

struct DemoParams {
  /// Working directory: input/ (generated), output/ (run, report.html, deduplicated/).
  std::string output_path;
  int64_t rows = 100000;
  int64_t dim = 384;
  /// Cluster centres of the generator and k of the k-means fit.
  int64_t n_clusters = 100;
  /// Planted share of duplicates.
  double duplicate_fraction = 0.1;
  /// eps of the identify step (the report and the scores also cover 0.001, 0.01, 0.05, 0.1).
  double eps = 0.01;
  uint64_t seed = 42;
  /// (name, value) pairs recorded under "versions" in output/summary.json.
  std::vector<std::pair<std::string, std::string>> versions;

  Status validate() const;
};

struct DemoResult {
  GenerateResult generated;
  WorkflowResult run;
  Report report;
  RemoveResult removed;
  std::vector<PlantedScore> planted;  ///< at eps 0.01 and 0.05
  std::string report_html;
  double seconds = 0;
};

Result<DemoResult> run_demo(const Context& ctx, const DemoParams& params);

}  // namespace semdedup::dedup
