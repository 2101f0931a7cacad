// `semdedup identify`: flags onto dedup::IdentifyParams, then the step.
#include <fmt/format.h>

#include <cstdio>

#include "cli/common.hpp"
#include "semdedup/dedup/identify.hpp"

namespace semdedup::cli {

Command setup_identify(CLI::App& parent) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  auto params = std::make_shared<dedup::IdentifyParams>();
  auto overwrite = std::make_shared<bool>(false);
  auto resume = std::make_shared<bool>(false);
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
  auto* ow = app->add_flag("--overwrite", *overwrite, "replace an existing duplicates/ directory");
  app->add_flag("--resume", *resume, "rewrite into an existing duplicates/ directory")->excludes(ow);
  add_common_flags(*app, *cmd.common);
  cmd.app = app;
  cmd.run = [params, overwrite, resume](const Context& ctx) -> Status {
    params->output_mode = *overwrite ? io::OutputMode::kOverwrite
                          : *resume  ? io::OutputMode::kResume
                                     : io::OutputMode::kFresh;
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
