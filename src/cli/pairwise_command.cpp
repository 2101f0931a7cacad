// `semdedup pairwise`: flags onto pairwise::Params, then the stage.
#include "cli/pairwise_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/pairwise/stage.hpp"

namespace semdedup::cli {

namespace {

Result<std::vector<bool>> parse_directions(const std::string& text) {
  std::vector<bool> directions;
  for (std::string item : split_list(text)) {
    std::transform(item.begin(), item.end(), item.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (item == "true" || item == "1" || item == "asc" || item == "ascending") {
      directions.push_back(true);
    } else if (item == "false" || item == "0" || item == "desc" || item == "descending") {
      directions.push_back(false);
    } else {
      return Status::invalid_argument(
          "--ranking-ascending: '{}' is not a direction (true|false, one per column or one for "
          "all)",
          item);
    }
  }
  return directions;
}

}  // namespace

Result<pairwise::Params> make_pairwise_params(const PairwiseOptions& options,
                                              io::OutputMode mode) {
  pairwise::Params params;
  params.input_path = options.input;
  params.output_path = options.output;
  params.id_field = options.id_field;
  params.embedding_field = options.embedding_field;
  SD_ASSIGN_OR_RETURN(params.which_to_keep,
                      with_flag("--which-to-keep",
                                pairwise::parse_which_to_keep(options.which_to_keep)));
  SD_ASSIGN_OR_RETURN(params.sim_metric,
                      with_flag("--sim-metric", pairwise::parse_sim_metric(options.sim_metric)));
  params.random_seed = options.random_seed;
  params.ranking_columns = split_list(options.ranking_columns);
  SD_ASSIGN_OR_RETURN(params.ranking_ascending, parse_directions(options.ranking_ascending));
  if (params.ranking_columns.empty() && !params.ranking_ascending.empty()) {
    return Status::invalid_argument("--ranking-ascending needs --ranking-columns");
  }
  if (options.pairwise_batch_size == "auto") {
    params.pairwise_batch_size = pairwise::kPairwiseBatchAuto;
  } else {
    const std::string& text = options.pairwise_batch_size;
    int64_t value = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (err != std::errc() || end != text.data() + text.size() || value < 1) {
      return Status::invalid_argument(
          "--pairwise-batch-size: '{}' is not a positive integer or auto", text);
    }
    params.pairwise_batch_size = value;
  }
  SD_ASSIGN_OR_RETURN(params.compute_dtype,
                      with_flag("--pairwise-compute-dtype",
                                pairwise::parse_compute_dtype(options.compute_dtype)));
  SD_ASSIGN_OR_RETURN(params.input_embedding_dtype,
                      with_flag("--input-embedding-dtype",
                                io::parse_input_embedding_dtype(options.input_embedding_dtype)));
  params.output_mode = mode;
  SD_RETURN_IF_ERROR(params.validate());
  return params;
}

void add_pairwise_flags(CLI::App& app, PairwiseOptions& options) {
  app.add_option("--which-to-keep", options.which_to_keep,
                 "hard: keep the row farthest from the centroid; easy: the closest; random")
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(pairwise::kWhichToKeepNames)));
  app.add_option("--sim-metric", options.sim_metric,
                 fmt::format("distance column ranked by hard/easy: cosine ({}) or l2 ({})",
                             io::kCosineDistColumn, io::kL2DistColumn))
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(pairwise::kSimMetricNames)));
  app.add_option("--random-seed", options.random_seed, "seed of the random ranking")
      ->capture_default_str()
      ->check(seed_validator());
  app.add_option("--ranking-columns", options.ranking_columns,
                 "rank by these columns instead (c1,c2: priority order)");
  app.add_option("--ranking-ascending", options.ranking_ascending,
                 "direction of the ranking columns: one for all or one per column (true,false)");
  app.add_option("--pairwise-batch-size", options.pairwise_batch_size,
                 "NeMo's column batch (a positive integer or auto), accepted for compatibility: "
                 "it does nothing here, the kernel uses fixed tiles of at most 256 columns and "
                 "results never depend on it")
      ->capture_default_str();
  app.add_option("--pairwise-compute-dtype", options.compute_dtype,
                 "NeMo's compute_dtype (auto|float16|float32). semdedup always computes float32 "
                 "dot products of the stored embeddings (fp16 storage widened exactly), so "
                 "decisions are exact; the value is logged")
      ->capture_default_str();
}

namespace {

void setup_pairwise(CLI::App& app, PairwiseOptions& options) {
  add_input_flag(app, options.input,
                 fmt::format("KMeans output directory holding {}/",
                             io::centroid_partition_pattern()));
  add_output_flag(app, options.output,
                  fmt::format("directory for {}", io::cluster_file_pattern()));
  add_id_field_flag(app, options.id_field, "id column");
  add_embedding_field_flag(app, options.embedding_field, "embedding column");
  add_pairwise_flags(app, options);
  add_input_embedding_dtype_flag(app, options.input_embedding_dtype,
                                 "auto: list<uint16> and list<halffloat> are fp16 (NeMo 1.4's "
                                 "storage); float16: require fp16 storage; float32: refuse "
                                 "list<uint16>");
  add_output_mode_flags(app, "replace what an earlier semdedup run wrote there",
                        "keep the cluster files an earlier run finished; compute the rest");
}

Status run_pairwise(const Context& ctx, io::OutputMode mode, PairwiseOptions& options) {
  SD_ASSIGN_OR_RETURN(const pairwise::Params params, make_pairwise_params(options, mode));
  SD_ASSIGN_OR_RETURN(const pairwise::StageResult result, pairwise::run_stage(ctx, params));
  fmt::print("pairwise: {} of {} clusters written ({} rows) to {} in {:.2f} s; {} resumed, {} "
             "empty\n",
             result.clusters_written, result.clusters, result.rows, params.output_path,
             result.seconds, result.clusters_resumed, result.clusters_empty);
  return Status::OK();
}

}  // namespace

Command add_pairwise_command(CLI::App& parent) {
  return make_command<PairwiseOptions>(
      parent, "pairwise", "per cluster, each row's max similarity to earlier-ranked rows",
      setup_pairwise, run_pairwise);
}

}  // namespace semdedup::cli
