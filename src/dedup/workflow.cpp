#include "semdedup/dedup/workflow.hpp"

#include <chrono>
#include <sstream>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/output_dir.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::dedup {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDoneMarker = io::kSuccessFile;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool step_done(const std::string& dir) {
  return io::path_exists(io::join_path(dir, kDoneMarker));
}

Status mark_done(const std::string& dir, const std::string& content = "") {
  return io::write_file_atomic(io::join_path(dir, kDoneMarker), content);
}

// A step directory's manifest, written before the step writes anything: until mark_done, the
// directory reads as an unfinished `run` output to every command given it as input.
Status mark_started(const std::string& dir, const char* step) {
  if (const Status made = io::create_directories(dir); !made.ok()) {
    return Status::io_error("cannot create {}: {}", dir, made.message());
  }
  io::Manifest manifest;
  manifest.entries = {{"command", "run"}, {"step", step}};
  return io::write_file_atomic(io::join_path(dir, io::kManifestFile), manifest.to_text());
}

// The KMeans counts summary.json reports, kept in the step's marker so a resumed run that
// skips the step still reports them. Only counts that do not depend on how the step ran (a
// resumed step reuses the centroids and runs no iterations), so the marker's bytes are the same
// for an interrupted and an uninterrupted run.
std::string kmeans_marker(const kmeans::StageResult& r) {
  return fmt::format("{} {} {} {} {}\n", r.num_rows, r.num_rejected, r.num_files, r.dim,
                     r.num_clusters_written);
}

kmeans::StageResult parse_kmeans_marker(const std::string& dir) {
  kmeans::StageResult r;
  std::istringstream in(io::read_whole_file(io::join_path(dir, kDoneMarker)).value_or(""));
  in >> r.num_rows >> r.num_rejected >> r.num_files >> r.dim >> r.num_clusters_written;
  r.reused_centroids = true;
  return r;
}

// A JSON string literal.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string quote_list(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const auto& item : items) quoted.push_back(quote(item));
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

std::string summary_json(const WorkflowParams& params, const WorkflowResult& result) {
  const auto& km = params.kmeans;
  const auto& pw = params.pairwise;
  std::vector<std::string> ascending;
  for (bool a : pw.ranking_ascending) ascending.push_back(a ? "true" : "false");
  std::vector<std::string> versions;
  for (const auto& [name, value] : params.versions) versions.push_back(quote(name) + ": " + quote(value));
  const std::string duplicates =
      result.identify ? fmt::format("{}", result.identify->duplicates) : "null";
  // A resumed run that reused an earlier run's centroids did not see the fit.
  const bool fit_seen = !result.kmeans.reused_centroids;
  const std::string iterations = fit_seen ? fmt::format("{}", result.kmeans.n_iter) : "null";
  const std::string inertia = fit_seen ? fmt::format("{}", result.kmeans.inertia) : "null";
  return fmt::format(
      R"({{
  "num_rows": {},
  "num_rejected": {},
  "num_files": {},
  "embedding_dim": {},
  "n_clusters": {},
  "num_clusters_nonempty": {},
  "kmeans_iterations": {},
  "kmeans_inertia": {},
  "num_duplicates": {},
  "eps": {},
  "threshold": {},
  "exact": {},
  "timings": {{
    "kmeans_time": {:.3f},
    "pairwise_time": {:.3f},
    "identification_time": {:.3f},
    "total_time": {:.3f}
  }},
  "resumed": {{"kmeans": {}, "pairwise": {}}},
  "{}": {{
    "{}": {},
    "{}": {},
    "{}": {},
    "{}": {}
  }},
  "parameters": {{
    "id_field": {},
    "embedding_field": {},
    "metadata_fields": {},
    "input_filetype": {},
    "n_clusters": {},
    "max_iter": {},
    "tol": {},
    "random_state": {},
    "init": {},
    "n_init": {},
    "oversampling_factor": {},
    "max_samples_per_batch": {},
    "fit_data_fraction": {},
    "which_to_keep": {},
    "sim_metric": {},
    "ranking_columns": {},
    "ranking_ascending": [{}],
    "random_seed": {},
    "pairwise_batch_size": {},
    "input_embedding_dtype": {},
    "embedding_output_dtype": {},
    "pairwise_compute_dtype": {}
  }},
  "versions": {{{}}}
}}
)",
      result.kmeans.num_rows, result.kmeans.num_rejected, result.kmeans.num_files,
      result.kmeans.dim, km.fit.n_clusters, result.kmeans.num_clusters_written,
      iterations, inertia, duplicates,
      params.eps ? fmt::format("{}", *params.eps) : "null",
      params.eps ? fmt::format("{}", 1.0 - *params.eps) : "null", params.exact ? "true" : "false",
      result.kmeans_seconds,
      result.pairwise_seconds, result.identify_seconds, result.total_seconds,
      result.kmeans_resumed ? "true" : "false", result.pairwise_resumed ? "true" : "false",
      io::kSummaryPathsKey, io::kSummaryInputKey, quote_list(km.input_paths),
      io::kKMeansResultsDir, quote(kmeans_results_dir(params)), io::kPairwiseResultsDir,
      quote(pairwise_results_dir(params)), io::kDuplicatesDir,
      result.identify ? quote(duplicates_dir(params.output_path)) : "null",
      quote(km.columns.id_field),
      quote(km.columns.embedding_field), quote_list(km.columns.metadata_fields),
      quote(io::file_type_name(km.input_filetype)), km.fit.n_clusters, km.fit.max_iter,
      km.fit.tol, km.fit.random_state, quote(kmeans::init_method_name(km.fit.init)),
      km.fit.n_init == 0 ? quote("auto") : fmt::format("{}", km.fit.n_init),
      km.fit.oversampling_factor, km.fit.max_samples_per_batch,
      km.fit_data_fraction ? fmt::format("{}", *km.fit_data_fraction) : "null",
      quote(pairwise::which_to_keep_name(pw.which_to_keep)),
      quote(pairwise::sim_metric_name(pw.sim_metric)),
      quote_list(pw.ranking_columns), fmt::join(ascending, ", "), pw.random_seed,
      pw.pairwise_batch_size == pairwise::kPairwiseBatchAuto
          ? quote("auto")
          : fmt::format("{}", pw.pairwise_batch_size),
      quote(io::input_embedding_dtype_name(km.input_embedding_dtype)),
      quote(io::embedding_output_dtype_name(km.embedding_output_dtype)),
      quote(pairwise::compute_dtype_name(pw.compute_dtype)), fmt::join(versions, ", "));
}

}  // namespace

std::string kmeans_results_dir(const WorkflowParams& params) {
  const std::string& cache = params.cache_path.empty() ? params.output_path : params.cache_path;
  return io::join_path(cache, io::kKMeansResultsDir);
}

std::string pairwise_results_dir(const WorkflowParams& params) {
  const std::string& cache = params.cache_path.empty() ? params.output_path : params.cache_path;
  return io::join_path(cache, io::kPairwiseResultsDir);
}

Status WorkflowParams::validate() const {
  if (output_path.empty()) return Status::invalid_argument("no output path given");
  if (eps && !(*eps >= 0.0 && *eps < 1.0)) {
    return Status::invalid_argument("eps must be in [0, 1), got {}", *eps);
  }
  // NeMo means to check this up front but never does (spec section 13): a ranking column must
  // reach the pairwise stage through the KMeans output.
  for (const auto& column : pairwise.ranking_columns) {
    const auto& meta = kmeans.columns.metadata_fields;
    const bool known = column == kmeans.columns.id_field || column == io::kL2DistColumn ||
                       column == io::kCosineDistColumn ||
                       std::find(meta.begin(), meta.end(), column) != meta.end();
    if (!known) {
      return Status::invalid_argument(
          "ranking column '{}' is not carried into the KMeans output: add it to "
          "--metadata-fields",
          column);
    }
  }
  SD_RETURN_IF_ERROR(kmeans.validate());
  return pairwise.validate();
}

namespace {

// Removes the output directory again if this run created it and then failed, so a failed run
// leaves nothing behind; an existing directory (resume, overwrite) is left to the steps.
class CreatedDirGuard {
 public:
  explicit CreatedDirGuard(std::string dir) : dir_(std::move(dir)) {
    armed_ = !io::path_exists(dir_);
  }
  ~CreatedDirGuard() {
    if (!armed_) return;
    (void)io::remove_all(dir_);
  }
  void release() { armed_ = false; }

 private:
  std::string dir_;
  bool armed_ = false;
};

Result<WorkflowResult> run_steps(const Context& ctx, WorkflowParams params);

}  // namespace

Result<WorkflowResult> run_workflow(const Context& ctx, WorkflowParams params) {
  // The stages read and write the workflow's directories, with the KMeans stage's columns.
  params.kmeans.output_path = kmeans_results_dir(params);
  // NeMo's name for the centroids, beside kmeans_results/ where no directory read of the
  // partitions meets it.
  params.kmeans.cache_path = io::parent_path(params.kmeans.output_path);
  params.pairwise.input_path = params.kmeans.output_path;
  params.pairwise.output_path = pairwise_results_dir(params);
  params.pairwise.id_field = params.kmeans.columns.id_field;
  params.pairwise.embedding_field = params.kmeans.columns.embedding_field;
  SD_RETURN_IF_ERROR(params.validate());
  CreatedDirGuard output_guard(params.output_path);
  std::optional<CreatedDirGuard> cache_guard;
  if (!params.cache_path.empty()) cache_guard.emplace(params.cache_path);
  // Under mpirun rank 0 alone cleans up, once every rank has stopped writing.
  if (ctx.comm->rank() != 0) {
    output_guard.release();
    if (cache_guard) cache_guard->release();
  }
  SD_ASSIGN_OR_RETURN(auto result, run_steps(ctx, std::move(params)));
  output_guard.release();
  if (cache_guard) cache_guard->release();
  return result;
}

namespace {

Result<WorkflowResult> run_steps(const Context& ctx, WorkflowParams params) {
  const auto start = Clock::now();

  // The output directory as a whole follows the run's mode; the steps below then see either
  // empty directories (fresh, overwrite) or an earlier run's work (resume).
  // Under mpirun every rank sees which steps an earlier run finished, then rank 0 alone
  // prepares the directories while the others wait.
  const bool resume = params.output_mode == io::OutputMode::kResume;
  const io::OutputMode step_mode = resume ? io::OutputMode::kResume : io::OutputMode::kFresh;
  const bool kmeans_done = resume && step_done(params.kmeans.output_path);
  const bool pairwise_done = kmeans_done && step_done(params.pairwise.output_path);
  const bool leader = ctx.comm->rank() == 0;
  SD_RETURN_IF_ERROR(ctx.comm->agree(Status::OK()));
  SD_RETURN_IF_ERROR(ctx.comm->agree([&]() -> Status {
    if (!leader) return Status::OK();
    SD_RETURN_IF_ERROR(io::prepare_output_dir(params.output_path, params.output_mode));
    if (!params.cache_path.empty() && params.output_mode == io::OutputMode::kOverwrite) {
      for (const auto& dir : {params.kmeans.output_path, params.pairwise.output_path}) {
        if (const Status removed = io::remove_all(dir); !removed.ok()) {
          return Status::io_error("cannot clear {}: {}", dir, removed.message());
        }
      }
    }
    if (resume && !kmeans_done) {
      (void)io::remove_all(params.pairwise.output_path);
    }
    return Status::OK();
  }()));

  WorkflowResult result;
  ctx.logger->info("semdedup run: {} -> {} (k={}, eps={})", fmt::join(params.kmeans.input_paths, " "),
                   params.output_path, params.kmeans.fit.n_clusters,
                   params.eps ? fmt::format("{}", *params.eps) : "none");

  // KMeans. A finished step is kept on resume; an unfinished one is redone: it is deterministic,
  // and everything after it is redone too.
  auto step_start = Clock::now();
  if (kmeans_done) {
    result.kmeans_resumed = true;
    result.kmeans = parse_kmeans_marker(params.kmeans.output_path);
    ctx.logger->info("Resuming: KMeans results in {} are complete", params.kmeans.output_path);
  } else {
    params.kmeans.output_mode = step_mode;
    SD_RETURN_IF_ERROR(ctx.comm->agree(
        leader ? mark_started(params.kmeans.output_path, "kmeans") : Status::OK()));
    SD_ASSIGN_OR_RETURN(result.kmeans, kmeans::run_stage(ctx, params.kmeans));
    SD_RETURN_IF_ERROR(
        ctx.comm->agree(leader ? mark_done(params.kmeans.output_path, kmeans_marker(result.kmeans))
                               : Status::OK()));
  }
  result.kmeans_seconds = seconds_since(step_start);
  ctx.logger->info("K-means clustering completed in {:.2f} seconds", result.kmeans_seconds);

  step_start = Clock::now();
  if (pairwise_done) {
    result.pairwise_resumed = true;
    ctx.logger->info("Resuming: pairwise results in {} are complete", params.pairwise.output_path);
  } else {
    params.pairwise.output_mode = step_mode;
    SD_RETURN_IF_ERROR(ctx.comm->agree(
        leader ? mark_started(params.pairwise.output_path, "pairwise") : Status::OK()));
    SD_ASSIGN_OR_RETURN(result.pairwise, pairwise::run_stage(ctx, params.pairwise));
    SD_RETURN_IF_ERROR(
        ctx.comm->agree(leader ? mark_done(params.pairwise.output_path) : Status::OK()));
  }
  result.pairwise_seconds = seconds_since(step_start);
  ctx.logger->info("Pairwise similarity stage completed in {:.2f} seconds", result.pairwise_seconds);

  if (params.eps || params.exact) {
    step_start = Clock::now();
    IdentifyParams identify_params;
    identify_params.input_path = params.pairwise.output_path;
    identify_params.output_path = params.output_path;
    identify_params.eps = params.eps.value_or(0.0);
    identify_params.exact = params.exact;
    identify_params.kmeans_path = params.kmeans.output_path;
    identify_params.id_field = params.kmeans.columns.id_field;
    identify_params.embedding_field = params.kmeans.columns.embedding_field;
    // Cheap and deterministic: always redone, over whatever an interrupted run left.
    identify_params.output_mode = io::OutputMode::kOverwrite;
    SD_ASSIGN_OR_RETURN(result.identify, identify(ctx, identify_params));
    result.identify_seconds = seconds_since(step_start);
  }
  result.total_seconds = seconds_since(start);
  result.summary_path = io::join_path(params.output_path, io::kSummaryFile);
  SD_RETURN_IF_ERROR(ctx.comm->agree(
      leader ? io::write_file_atomic(result.summary_path, summary_json(params, result))
             : Status::OK()));

  ctx.logger->info("SEMANTIC DEDUPLICATION COMPLETED in {:.2f} s (K-means {:.2f} s, pairwise {:.2f} s)",
                   result.total_seconds, result.kmeans_seconds, result.pairwise_seconds);
  if (result.identify) {
    ctx.logger->info("Total documents identified as duplicates: {}", result.identify->duplicates);
    if (params.eps) {
      ctx.logger->info("Similarity threshold used: {:.3f} (eps={})", 1.0 - *params.eps, *params.eps);
    }
  }
  return result;
}

}  // namespace

}  // namespace semdedup::dedup
