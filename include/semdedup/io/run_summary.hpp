#pragma once
/// \file Reading back the summary.json a `semdedup run` writes: where its input and its
/// intermediate directories are, and the parameters a report needs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::io {

/// What a report takes from a run's summary.json.
struct RunSummary {
  std::vector<std::string> input_paths;  ///< paths.input, as the run was given them
  FileType input_filetype = FileType::kParquet;
  std::string id_field = io::kDefaultIdField;
  std::string embedding_field = io::kDefaultEmbeddingField;
  std::string kmeans_results;    ///< paths.kmeans_results
  std::string pairwise_results;  ///< paths.pairwise_results
  int64_t num_rows = 0;
  int64_t n_clusters = 0;
  std::optional<int64_t> kmeans_iterations;  ///< null when a resumed run did not see the fit
};

/// Parses `path` (a summary.json) with Arrow's JSON reader. data_error naming the file when it
/// is not one object with the fields above.
Result<RunSummary> read_run_summary(const std::string& path);

}  // namespace semdedup::io
