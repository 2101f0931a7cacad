// `semdedup run`: KMeans, Pairwise and (with --eps) identify in one go, NeMo's layout.
#include <fmt/format.h>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "cli/kmeans_command.hpp"
#include "cli/pairwise_command.hpp"
#include "semdedup/dedup/workflow.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

namespace {

struct RunOptions {
  KMeansOptions kmeans;
  PairwiseOptions pairwise;
  std::string cache_path;
  double eps = 0;
  bool has_eps = false;
  bool exact = false;
};

void setup_run(CLI::App& app, RunOptions& options) {
  add_input_flag(app, options.kmeans.input, "input files, directories or glob patterns");
  add_output_flag(app, options.kmeans.output, "output directory");
  add_kmeans_flags(app, options.kmeans);
  // In the workflow, --cache-path is NeMo's workflow cache_path: where the two intermediate
  // directories go (the KMeans stage's own .npy copy has no use here).
  app.remove_option(app.get_option(kCachePathFlag));
  app.add_option(kCachePathFlag, options.cache_path,
                 fmt::format("where {}/ and {}/ go (default: --output)", io::kKMeansResultsDir,
                             io::kPairwiseResultsDir));
  add_pairwise_flags(app, options.pairwise);
  app.add_option("--eps", options.eps,
                 fmt::format("identify rows with {} >= 1 - eps, eps in [0, 1); without it the "
                             "run stops after the pairwise stage",
                             io::kCosineSimScoreColumn))
      ->each([&options](const std::string&) { options.has_eps = true; });
  app.add_flag("--exact", options.exact,
               "instead of --eps: identify the exact copies, rows whose embedding equals value for "
               "value that of an earlier-ranked row of their cluster (the first of each group is "
               "kept). Identical vectors score anywhere from about 0.9999995 to 1.0000003, so "
               "--eps 0 misses many of them")
      ->excludes("--eps");
  add_output_mode_flags(app,
                        "start over: delete what an earlier semdedup run wrote in the output "
                        "(and cache) directories",
                        "finish an interrupted run: keep finished steps and clusters, redo the "
                        "rest; gives the same bytes as an uninterrupted run");
}

Status run_run(const Context& ctx, io::OutputMode mode, RunOptions& options) {
  dedup::WorkflowParams params;
  params.output_path = options.kmeans.output;
  params.cache_path = options.cache_path;
  // The stages' own output paths are set by the workflow; give them placeholders that pass
  // their validation here.
  options.pairwise.input = options.pairwise.output = options.kmeans.output;
  options.pairwise.id_field = options.kmeans.id_field;
  options.pairwise.embedding_field = options.kmeans.embedding_field;
  SD_ASSIGN_OR_RETURN(params.kmeans, make_kmeans_params(options.kmeans, mode));
  SD_ASSIGN_OR_RETURN(params.pairwise, make_pairwise_params(options.pairwise, mode));
  warn_deprecated_kmeans_flags(ctx, options.kmeans);
  if (options.has_eps) params.eps = options.eps;
  params.exact = options.exact;
  params.output_mode = mode;
  params.versions = version_pairs();
  if (params.kmeans.fit.n_clusters < 1000) {
    ctx.logger->debug("n_clusters = {} < 1000: every cluster must fit in memory",
                      params.kmeans.fit.n_clusters);
  }
  SD_ASSIGN_OR_RETURN(const auto result, dedup::run_workflow(ctx, params));
  fmt::print(
      "run: {} rows, {} clusters, {} duplicates{} in {:.2f} s (kmeans {:.2f} s, pairwise "
      "{:.2f} s) -> {}\n",
      result.kmeans.num_rows, result.kmeans.num_clusters_written,
      result.identify ? fmt::format("{}", result.identify->duplicates) : "n/a",
      params.exact ? " (exact copies)"
      : params.eps ? fmt::format(" (eps={})", *params.eps)
                   : "",
      result.total_seconds, result.kmeans_seconds, result.pairwise_seconds, result.summary_path);
  return Status::OK();
}

}  // namespace

Command add_run_command(CLI::App& parent) {
  return make_command<RunOptions>(
      parent, "run",
      fmt::format("kmeans, pairwise and (with --eps) identify in one go: <cache>/{}, <cache>/{}, "
                  "<output>/{}, <output>/{}",
                  io::kKMeansResultsDir, io::kPairwiseResultsDir, io::kDuplicatesDir,
                  io::kSummaryFile),
      setup_run, run_run);
}

}  // namespace semdedup::cli
