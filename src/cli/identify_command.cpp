// `semdedup identify`: flags onto dedup::IdentifyParams, then the step.
#include <fmt/format.h>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/dedup/identify.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

namespace {

struct IdentifyOptions {
  dedup::IdentifyParams params;
  bool has_eps = false;  ///< --eps was given (it has no default: --exact may stand instead)
};

void setup_identify(CLI::App& app, IdentifyOptions& options) {
  dedup::IdentifyParams& params = options.params;
  add_input_flag(app, params.input_path,
                 fmt::format("pairwise output directory ({})", io::cluster_file_pattern()));
  add_output_flag(app, params.output_path,
                  fmt::format("output directory; ids go to <output>/{}/", io::kDuplicatesDir));
  auto* eps = app.add_option(
                     "--eps", params.eps,
                     fmt::format("rows with {} >= 1 - eps are duplicates; eps in [0, 1). eps = "
                                 "0 takes only scores >= 1.0, which misses many exact copies "
                                 "(identical vectors score anywhere from about 0.9999995 to "
                                 "1.0000003): use --exact for those",
                                 io::kCosineSimScoreColumn))
                  ->each([&options](const std::string&) { options.has_eps = true; });
  app.add_flag("--exact", params.exact,
               "instead of --eps: the duplicates are the exact copies, rows whose embedding "
               "equals value for value that of an earlier-ranked row of their cluster (the first "
               "of each group is kept), compared in the KMeans output's embeddings, not by score")
      ->excludes(eps);
  app.add_option("--kmeans-results", params.kmeans_path,
                 fmt::format("with --exact: the KMeans output ({}/) the pairwise files came from "
                             "(default: {} beside --input)",
                             io::centroid_partition_pattern(), io::kKMeansResultsDir));
  add_id_field_flag(app, params.id_field, "with --exact: id column of the KMeans output");
  add_embedding_field_flag(app, params.embedding_field,
                           "with --exact: embedding column of the KMeans output");
  add_output_mode_flags(app, "replace what an earlier semdedup run wrote there",
                        fmt::format("finish an interrupted run ({}/ is written again)",
                                    io::kDuplicatesDir));
}

Status run_identify(const Context& ctx, io::OutputMode mode, IdentifyOptions& options) {
  dedup::IdentifyParams& params = options.params;
  if (!params.exact && !options.has_eps) {
    return Status::invalid_argument("--eps or --exact is required");
  }
  params.output_mode = mode;
  SD_ASSIGN_OR_RETURN(auto result, dedup::identify(ctx, params));
  const std::string rule =
      params.exact ? std::string("exact copies")
                   : fmt::format("{} >= {:.6g}", io::kCosineSimScoreColumn, 1.0 - params.eps);
  fmt::print("identify: {} duplicates ({}) from {} clusters -> {}\n", result.duplicates, rule,
             result.clusters, dedup::duplicates_dir(params.output_path));
  return Status::OK();
}

}  // namespace

Command add_identify_command(CLI::App& parent) {
  return make_command<IdentifyOptions>(
      parent, "identify",
      fmt::format("write the ids whose {} >= 1 - eps (or, with --exact, the exact copies) to "
                  "<output>/{}/",
                  io::kCosineSimScoreColumn, io::kDuplicatesDir),
      setup_identify, run_identify);
}

}  // namespace semdedup::cli
