// `semdedup report`: what the pairwise scores say about eps and n_clusters.
#include <cstdio>

#include "cli/common.hpp"
#include "semdedup/dedup/report.hpp"

namespace semdedup::cli {

namespace {

struct ReportOptions {
  std::string eps = "0.001,0.01,0.05,0.1";
  std::string text_fields = "text";
  std::string input_filetype;
  std::string id_field;
  std::string embedding_field;
};

}  // namespace

Command setup_report(CLI::App& parent) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  auto params = std::make_shared<dedup::ReportParams>();
  auto options = std::make_shared<ReportOptions>();
  CLI::App* app = parent.add_subcommand(
      "report",
      "eps sweep (removed, added, chained, exact vs near per eps), similarity histograms that "
      "resolve the decision range, example pairs with their texts, cluster balance");
  app->add_option("--input", params->input_path,
                  "pairwise output directory (cluster_K.parquet), or a run's output directory "
                  "(its summary.json names the pairwise and KMeans directories and the input)")
      ->required();
  app->add_option("--eps", options->eps, "comma-separated eps values to sweep, each in [0, 1)")
      ->capture_default_str();
  app->add_option("--html", params->html_path, "also write a self-contained HTML page here");
  app->add_option("--input-data", params->input_data,
                  "input files or directories holding the example rows' texts (default: the "
                  "run's input, from summary.json)")
      ->expected(1, -1);
  app->add_option("--input-filetype", options->input_filetype,
                  "parquet|jsonl, of --input-data (default: the run's, else parquet)")
      ->check(CLI::IsMember({"parquet", "jsonl"}));
  app->add_option("--text-field", options->text_fields,
                  "comma-separated columns of the input data shown side by side for each pair")
      ->capture_default_str();
  app->add_option("--id-field", options->id_field,
                  "id column of the input data (default: the run's, else id)");
  app->add_option("--embedding-field", options->embedding_field,
                  "embedding column of the KMeans output (default: the run's, else embeddings)");
  app->add_option("--kmeans-results", params->kmeans_path,
                  "KMeans output (centroid=K/) to find exact copies in (default: the run's, else "
                  "kmeans_results beside the pairwise directory; none: exact copies unknown)");
  app->add_option("--examples", params->examples_per_eps,
                  "example pairs shown on each side of every threshold")
      ->capture_default_str();
  app->add_option("--text-chars", params->text_chars, "characters kept of each example text")
      ->capture_default_str();
  add_common_flags(*app, *cmd.common);
  cmd.app = app;
  cmd.run = [params, options](const Context& ctx, io::OutputMode) -> Status {
    params->eps.clear();
    for (const auto& item : split_list(options->eps)) {
      try {
        size_t used = 0;
        params->eps.push_back(std::stod(item, &used));
        if (used != item.size()) throw std::invalid_argument(item);
      } catch (const std::exception&) {
        return Status::invalid_argument("--eps: '{}' is not a number", item);
      }
    }
    params->text_fields = split_list(options->text_fields);
    if (!options->input_filetype.empty()) {
      SD_ASSIGN_OR_RETURN(params->input_filetype, io::parse_file_type(options->input_filetype));
    }
    if (!options->id_field.empty()) params->id_field = options->id_field;
    if (!options->embedding_field.empty()) params->embedding_field = options->embedding_field;
    SD_ASSIGN_OR_RETURN(auto report, dedup::build_report(ctx, *params));
    std::fputs(report.to_text().c_str(), stdout);
    if (!params->html_path.empty()) std::printf("\nHTML report: %s\n", params->html_path.c_str());
    return Status::OK();
  };
  return cmd;
}

}  // namespace semdedup::cli
