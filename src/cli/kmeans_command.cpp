// `semdedup kmeans`: flags onto kmeans::Params, then the stage, then one summary line.
#include "cli/kmeans_command.hpp"

#include <fmt/format.h>


#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/io/footprint.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/kmeans/stage.hpp"

namespace semdedup::cli {

void add_kmeans_flags(CLI::App& app, KMeansOptions& options) {
  app.add_option("--n-clusters", options.n_clusters, "number of centroids k (1 <= k <= rows)")
      ->required();
  add_id_field_flag(app, options.id_field, "id column (any scalar type)");
  add_embedding_field_flag(app, options.embedding_field, "embedding column (list of numbers)");
  app.add_option("--metadata-fields", options.metadata_fields,
                 "extra columns copied into the output (a,b)");
  add_input_filetype_flag(app, options.input_filetype, "parquet|jsonl");
  add_input_file_extensions_flag(
      app, options.input_file_extensions,
      fmt::format("extensions that select input files ({},.pq); default by filetype",
                  io::kParquetExtension));
  app.add_option("--max-iter", options.max_iter, "most Lloyd iterations per run")
      ->capture_default_str();
  app.add_option("--tol", options.tol,
                 "stop when the total squared centroid shift is below this (absolute)")
      ->capture_default_str();
  app.add_option("--random-state", options.random_state,
                 "seed of the initialisation and of the fit_data_fraction file sample")
      ->capture_default_str()
      ->check(seed_validator());
  app.add_option("--init", options.init, "k-means||, random, or the path of a (k, dim) .npy file")
      ->capture_default_str();
  app.add_option("--n-init", options.n_init,
                 "independent runs, best inertia kept: an integer or auto (1 for k-means||, 10 for "
                 "random)")
      ->capture_default_str();
  app.add_option("--oversampling-factor", options.oversampling_factor,
                 "k-means||: candidates per round = factor x k (> 0)")
      ->capture_default_str();
  app.add_option("--max-samples-per-batch", options.max_samples_per_batch,
                 "rows per distance batch: memory only, results never depend on it")
      ->capture_default_str();
  app.add_option("--fit-data-fraction", options.fit_data_fraction,
                 "fit on a seeded sample of this fraction of the files, in (0, 1] (1: every "
                 "file), then assign every row in a second pass. Unset: fit on every row if the "
                 "embeddings fit --memory-limit, else on the first files that do")
      ->each([&options](const std::string&) { options.has_fit_data_fraction = true; });
  app.add_option("--memory-limit", options.memory_limit,
                 "memory the fit's float32 embeddings may take when --fit-data-fraction is unset "
                 "(512M, 8G; default: half the available memory)");
  app.add_option(kCachePathFlag, options.cache_path,
                 fmt::format("also write NeMo's {} into this directory", io::kCacheCentroidsFile));
  app.add_option("--embedding-dim", options.embedding_dim,
                 "deprecated (removed in NeMo Curator 1.4): accepted and ignored");
  add_input_embedding_dtype_flag(
      app, options.input_embedding_dtype,
      "auto: list<uint16> and list<halffloat> are fp16 (NeMo 1.4's storage), other numbers as "
      "stored; float16: require fp16 storage; float32: refuse list<uint16>");
  app.add_option("--embedding-output-dtype", options.embedding_output_dtype,
                 "storage of the output's embeddings: float32, or float16 (list<uint16> fp16 "
                 "bits, rounded to nearest even, as NeMo 1.4); distances stay float32")
      ->capture_default_str();
  app.add_option("--rows-per-part", options.rows_per_part,
                 "output part size: part p holds input rows [p*R, (p+1)*R)")
      ->capture_default_str();
  app.add_option("--invalid-rows", options.invalid_rows,
                 fmt::format("error: stop at the first null, ragged, NaN/inf or zero-norm "
                             "embedding; skip: write such rows to <output>/{}/",
                             io::kRejectedDir))
      ->capture_default_str();
}

Result<kmeans::Params> make_kmeans_params(const KMeansOptions& options, io::OutputMode mode) {
  kmeans::Params params;
  params.input_paths = options.input;
  params.output_path = options.output;
  params.fit.n_clusters = options.n_clusters;
  params.fit.max_iter = options.max_iter;
  params.fit.tol = options.tol;
  params.fit.random_state = options.random_state;
  SD_RETURN_IF_ERROR(kmeans::parse_init(options.init, params.fit));
  SD_ASSIGN_OR_RETURN(params.fit.n_init, kmeans::parse_n_init(options.n_init));
  params.fit.oversampling_factor = options.oversampling_factor;
  params.fit.max_samples_per_batch = options.max_samples_per_batch;
  SD_ASSIGN_OR_RETURN(params.input_filetype, io::parse_file_type(options.input_filetype));
  params.input_file_extensions = split_list(options.input_file_extensions);
  params.columns.id_field = options.id_field;
  params.columns.embedding_field = options.embedding_field;
  params.columns.metadata_fields = split_list(options.metadata_fields);
  params.embedding_dim = options.embedding_dim;
  SD_ASSIGN_OR_RETURN(params.input_embedding_dtype,
                      with_flag("--input-embedding-dtype",
                                io::parse_input_embedding_dtype(options.input_embedding_dtype)));
  SD_ASSIGN_OR_RETURN(params.embedding_output_dtype,
                      with_flag("--embedding-output-dtype",
                                io::parse_embedding_output_dtype(options.embedding_output_dtype)));
  if (!options.memory_limit.empty()) {
    SD_ASSIGN_OR_RETURN(params.memory_limit,
                        with_flag("--memory-limit", io::parse_byte_size(options.memory_limit)));
    if (params.memory_limit < 1) {
      return Status::invalid_argument("--memory-limit must be at least 1 byte");
    }
  }
  if (options.has_fit_data_fraction) params.fit_data_fraction = options.fit_data_fraction;
  params.cache_path = options.cache_path;
  params.rows_per_part = options.rows_per_part;
  SD_ASSIGN_OR_RETURN(params.invalid_rows, io::parse_invalid_rows(options.invalid_rows));
  params.output_mode = mode;
  SD_RETURN_IF_ERROR(params.validate());
  return params;
}

void warn_deprecated_kmeans_flags(const Context& ctx, const KMeansOptions& options) {
  if (options.embedding_dim != 0) {
    ctx.logger->warn("--embedding-dim (embedding_dim) is deprecated: NeMo Curator 1.4 removed it "
                     "and semdedup ignores it");
  }
}

namespace {

void setup_kmeans(CLI::App& app, KMeansOptions& options) {
  add_input_flag(app, options.input, "input files, directories or glob patterns");
  add_output_flag(app, options.output, "output directory");
  add_kmeans_flags(app, options);
  add_output_mode_flags(app, "replace what an earlier semdedup run wrote there",
                        "finish an interrupted run in its output directory (reuses its "
                        "centroids when the fit had finished)");
}

Status run_kmeans(const Context& ctx, io::OutputMode mode, KMeansOptions& options) {
  SD_ASSIGN_OR_RETURN(const kmeans::Params params, make_kmeans_params(options, mode));
  warn_deprecated_kmeans_flags(ctx, options);
  SD_ASSIGN_OR_RETURN(const kmeans::StageResult result, kmeans::run_stage(ctx, params));
  fmt::print(
      "kmeans: {} rows, {} clusters ({} non-empty), {} iterations, inertia {:.6f}, {:.2f} s "
      "-> {}\n",
      result.num_rows, params.fit.n_clusters, result.num_clusters_written, result.n_iter,
      result.inertia, result.total_seconds, params.output_path);
  return Status::OK();
}

}  // namespace

Command add_kmeans_command(CLI::App& parent) {
  return make_command<KMeansOptions>(
      parent, "kmeans",
      fmt::format("cluster L2-normalised embeddings; write <output>/{}/part-NNNNNN{} and "
                  "<output>/{}",
                  io::centroid_partition_pattern(), io::kParquetExtension,
                  io::kKMeansCentroidsFile),
      setup_kmeans, run_kmeans);
}

}  // namespace semdedup::cli
