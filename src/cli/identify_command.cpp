// `semdedup identify`: flags onto dedup::IdentifyParams, then the step.
#include <fmt/format.h>

#include "cli/common.hpp"
#include "cli/outputs.hpp"
#include "semdedup/dedup/identify.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

Command setup_identify(CLI::App& parent) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  auto params = std::make_shared<dedup::IdentifyParams>();
  CLI::App* app = parent.add_subcommand(
      "identify",
      "write the ids whose cosine_sim_score >= 1 - eps (or, with --exact, the exact copies) to "
      "<output>/duplicates/");
  app->add_option("--input", params->input_path, "pairwise output directory (cluster_K.parquet)")
      ->required();
  app->add_option("--output", params->output_path, "output directory; ids go to <output>/duplicates/")
      ->required();
  auto* eps = app->add_option(
      "--eps", params->eps,
      "rows with cosine_sim_score >= 1 - eps are duplicates; eps in [0, 1). eps = 0 takes only "
      "scores >= 1.0, which misses many exact copies (identical vectors score anywhere from "
      "about 0.9999995 to 1.0000003): use --exact for those");
  auto* exact = app->add_flag(
      "--exact", params->exact,
      "instead of --eps: the duplicates are the exact copies, rows whose embedding equals value "
      "for value that of an earlier-ranked row of their cluster (the first of each group is "
      "kept), compared in the KMeans output's embeddings, not by score");
  exact->excludes(eps);
  app->add_option("--kmeans-results", params->kmeans_path,
                  "with --exact: the KMeans output (centroid=K/) the pairwise files came from "
                  "(default: kmeans_results beside --input)");
  app->add_option("--id-field", params->id_field, "with --exact: id column of the KMeans output")
      ->capture_default_str();
  app->add_option("--embedding-field", params->embedding_field,
                  "with --exact: embedding column of the KMeans output")
      ->capture_default_str();
  add_output_mode_flags(*app, "replace what an earlier semdedup run wrote there",
                        "finish an interrupted run (duplicates/ is written again)");
  add_common_flags(*app, *cmd.common);
  cmd.app = app;
  cmd.run = [params, eps](const Context& ctx, io::OutputMode mode) -> Status {
    if (!params->exact && eps->count() == 0) {
      return Status::invalid_argument("--eps or --exact is required");
    }
    params->output_mode = mode;
    SD_ASSIGN_OR_RETURN(auto result, dedup::identify(ctx, *params));
    const std::string rule = params->exact
                                 ? std::string("exact copies")
                                 : fmt::format("{} >= {:.6g}", io::kCosineSimScoreColumn,
                                               1.0 - params->eps);
    fmt::print("identify: {} duplicates ({}) from {} clusters -> {}\n", result.duplicates, rule,
               result.clusters, dedup::duplicates_dir(params->output_path));
    return Status::OK();
  };
  return cmd;
}

}  // namespace semdedup::cli
