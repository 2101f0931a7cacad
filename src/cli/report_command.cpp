// `semdedup report`: what the pairwise scores say about eps and n_clusters.
#include <cstdio>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/dedup/report.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

namespace {

struct ReportOptions {
  dedup::ReportParams params;
  std::string eps = "0.001,0.01,0.05,0.1";
  std::string text_fields = "text";
  std::string input_filetype;
  std::string id_field;
  std::string embedding_field;
};

void setup_report(CLI::App& app, ReportOptions& options) {
  dedup::ReportParams& params = options.params;
  add_input_flag(app, params.input_path,
                 fmt::format("pairwise output directory ({}), or a run's output directory (its "
                             "{} names the pairwise and KMeans directories and the input)",
                             io::cluster_file_pattern(), io::kSummaryFile));
  app.add_option("--eps", options.eps, "comma-separated eps values to sweep, each in [0, 1)")
      ->capture_default_str();
  app.add_option("--html", params.html_path, "also write a self-contained HTML page here");
  app.add_option("--input-data", params.input_data,
                 "input files or directories holding the example rows' texts (default: the "
                 "run's input, from summary.json)")
      ->expected(1, -1);
  add_input_filetype_flag(app, options.input_filetype,
                          "parquet|jsonl, of --input-data (default: the run's, else parquet)",
                          false)
      ->check(CLI::IsMember(enum_names(io::kFileTypeNames)));
  app.add_option("--text-field", options.text_fields,
                 "comma-separated columns of the input data shown side by side for each pair")
      ->capture_default_str();
  add_id_field_flag(app, options.id_field,
                    "id column of the input data (default: the run's, else id)", false);
  add_embedding_field_flag(
      app, options.embedding_field,
      "embedding column of the KMeans output (default: the run's, else embeddings)", false);
  app.add_option("--kmeans-results", params.kmeans_path,
                 fmt::format("KMeans output ({}/) to find exact copies in (default: the run's, "
                             "else {} beside the pairwise directory; none: exact copies unknown)",
                             io::centroid_partition_pattern(), io::kKMeansResultsDir));
  app.add_option("--examples", params.examples_per_eps,
                 "example pairs shown on each side of every threshold")
      ->capture_default_str();
  app.add_option("--text-chars", params.text_chars, "characters kept of each example text")
      ->capture_default_str();
}

Status run_report(const Context& ctx, io::OutputMode, ReportOptions& options) {
  dedup::ReportParams& params = options.params;
  params.eps.clear();
  for (const auto& item : split_list(options.eps)) {
    try {
      size_t used = 0;
      params.eps.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      return Status::invalid_argument("--eps: '{}' is not a number", item);
    }
  }
  params.text_fields = split_list(options.text_fields);
  if (!options.input_filetype.empty()) {
    SD_ASSIGN_OR_RETURN(params.input_filetype, io::parse_file_type(options.input_filetype));
  }
  if (!options.id_field.empty()) params.id_field = options.id_field;
  if (!options.embedding_field.empty()) params.embedding_field = options.embedding_field;
  SD_ASSIGN_OR_RETURN(auto report, dedup::build_report(ctx, params));
  std::fputs(report.to_text().c_str(), stdout);
  if (!params.html_path.empty()) std::printf("\nHTML report: %s\n", params.html_path.c_str());
  return Status::OK();
}

}  // namespace

Command add_report_command(CLI::App& parent) {
  return make_command<ReportOptions>(
      parent, "report",
      "eps sweep (removed, added, chained, exact vs near per eps), similarity histograms that "
      "resolve the decision range, example pairs with their texts, cluster balance",
      setup_report, run_report);
}

}  // namespace semdedup::cli
