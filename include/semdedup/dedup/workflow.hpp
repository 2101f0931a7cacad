#pragma once
/// \file `semdedup run`: the KMeans, Pairwise and (with eps) identify steps in one go, with
/// NeMo Curator's directory layout, a summary.json, and --resume after an interruption.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/dedup/identify.hpp"
#include "semdedup/kmeans/params.hpp"
#include "semdedup/kmeans/stage.hpp"
#include "semdedup/pairwise/params.hpp"
#include "semdedup/pairwise/stage.hpp"

namespace semdedup::dedup {

struct WorkflowParams {
  /// KMeans stage parameters; its output_path is set to <cache>/kmeans_results and its
  /// cache_path to <cache> (kmeans_centroids.npy beside kmeans_results/).
  kmeans::Params kmeans;
  /// Pairwise stage parameters; input/output paths are set to the cache directories, and the
  /// id/embedding fields to the KMeans stage's.
  pairwise::Params pairwise;
  /// Identify duplicates with this eps in [0, 1); unset = stop after the pairwise stage.
  std::optional<double> eps;
  /// Instead of eps: identify the exact copies (IdentifyParams::exact).
  bool exact = false;
  /// Output directory: duplicates/ and summary.json.
  std::string output_path;
  /// Where kmeans_results/ and pairwise_results/ go; empty = output_path.
  std::string cache_path;
  /// kFresh refuses non-empty outputs; kResume finishes an interrupted run (finished steps and
  /// clusters are kept); kOverwrite starts over.
  io::OutputMode output_mode = io::OutputMode::kFresh;
  /// (name, value) pairs recorded under "versions" in summary.json (semdedup, Arrow, BLAS).
  std::vector<std::pair<std::string, std::string>> versions;

  Status validate() const;
};

struct WorkflowResult {
  kmeans::StageResult kmeans;
  pairwise::StageResult pairwise;
  std::optional<IdentifyResult> identify;
  bool kmeans_resumed = false;    ///< kResume: the KMeans results were complete and kept
  bool pairwise_resumed = false;  ///< kResume: the pairwise results were complete and kept
  double kmeans_seconds = 0;
  double pairwise_seconds = 0;
  double identify_seconds = 0;
  double total_seconds = 0;
  std::string summary_path;
};

/// <cache>/kmeans_results and <cache>/pairwise_results.
std::string kmeans_results_dir(const WorkflowParams& params);
std::string pairwise_results_dir(const WorkflowParams& params);

/// Runs the steps. A step's directory gets a `_SUCCESS` marker when the step has finished;
/// with kResume a marked step is skipped, an unmarked KMeans step is redone from scratch (it is
/// deterministic, so it writes the same bytes) and an unmarked pairwise step keeps the cluster
/// files already written. summary.json is written last.
Result<WorkflowResult> run_workflow(const Context& ctx, WorkflowParams params);

}  // namespace semdedup::dedup
