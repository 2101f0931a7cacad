// `semdedup identify`: flags onto dedup::IdentifyParams, then the step.
#include <fmt/format.h>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/outputs.hpp"
#include "semdedup/dedup/identify.hpp"

namespace semdedup::cli {

Command setup_identify(CLI::App& parent) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  auto params = std::make_shared<dedup::IdentifyParams>();
  CLI::App* app = parent.add_subcommand(
      "identify", "write the ids whose cosine_sim_score >= 1 - eps to <output>/duplicates/");
  app->add_option("--input", params->input_path, "pairwise output directory (cluster_K.parquet)")
      ->required();
  app->add_option("--output", params->output_path, "output directory; ids go to <output>/duplicates/")
      ->required();
  app->add_option("--eps", params->eps,
                  "rows with cosine_sim_score >= 1 - eps are duplicates; eps in [0, 1). eps = 0 "
                  "takes only scores >= 1.0 (identical vectors often score 0.99999994)")
      ->required();
  add_output_mode_flags(*app, "replace what an earlier semdedup run wrote there",
                        "finish an interrupted run (duplicates/ is written again)");
  add_common_flags(*app, *cmd.common);
  cmd.app = app;
  cmd.run = [params](const Context& ctx, io::OutputMode mode) -> Status {
    params->output_mode = mode;
    SD_ASSIGN_OR_RETURN(auto result, dedup::identify(ctx, *params));
    std::printf("identify: %lld duplicates (cosine_sim_score >= %.6g) from %lld clusters -> %s\n",
                static_cast<long long>(result.duplicates), 1.0 - params->eps,
                static_cast<long long>(result.clusters),
                dedup::duplicates_dir(params->output_path).c_str());
    return Status::OK();
  };
  return cmd;
}

}  // namespace semdedup::cli
