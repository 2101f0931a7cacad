// `semdedup report`: what the pairwise scores say about eps.
#include <cstdio>

#include "cli/common.hpp"
#include "semdedup/dedup/report.hpp"

namespace semdedup::cli {

Command setup_report(CLI::App& parent) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  auto params = std::make_shared<dedup::ReportParams>();
  auto eps_text = std::make_shared<std::string>("0.001,0.01,0.05,0.1");
  CLI::App* app = parent.add_subcommand(
      "report", "eps sweep (rows removed per eps), similarity histogram / ECDF and example pairs");
  app->add_option("--input", params->input_path, "pairwise output directory (cluster_K.parquet)")
      ->required();
  app->add_option("--eps", *eps_text, "comma-separated eps values to sweep, each in [0, 1)")
      ->capture_default_str();
  app->add_option("--html", params->html_path, "also write a self-contained HTML page here");
  app->add_option("--bins", params->bins, "histogram bins over [0, 1.01]")->capture_default_str();
  app->add_option("--examples", params->examples_per_eps,
                  "example pairs shown on each side of every threshold")
      ->capture_default_str();
  add_common_flags(*app, *cmd.common);
  cmd.app = app;
  cmd.run = [params, eps_text](const Context& ctx, io::OutputMode) -> Status {
    params->eps.clear();
    for (const auto& item : split_list(*eps_text)) {
      try {
        size_t used = 0;
        params->eps.push_back(std::stod(item, &used));
        if (used != item.size()) throw std::invalid_argument(item);
      } catch (const std::exception&) {
        return Status::invalid_argument("--eps: '{}' is not a number", item);
      }
    }
    SD_ASSIGN_OR_RETURN(auto report, dedup::build_report(ctx, *params));
    std::fputs(report.to_text().c_str(), stdout);
    if (!params->html_path.empty()) std::printf("\nHTML report: %s\n", params->html_path.c_str());
    return Status::OK();
  };
  return cmd;
}

}  // namespace semdedup::cli
