#include "semdedup/kmeans/stage.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <system_error>

#include "kmeans/row_plan.hpp"
#include "kmeans/row_sources.hpp"
#include "kmeans/write_path.hpp"
#include "semdedup/io/batch_source.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/discovery.hpp"
#include "semdedup/io/kmeans_output.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/io/output_dir.hpp"
#include "semdedup/kmeans/kmeans.hpp"

namespace semdedup::kmeans {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A fresh run must not find files of another run in its output directory; checked before any
// work so a mistake costs nothing.
Status check_output(const Params& params) {
  const io::EntryType type = io::path_type(params.output_path);
  if (type == io::EntryType::kMissing) return Status::OK();
  if (type != io::EntryType::kDirectory) {
    return Status::io_error("output {} exists and is not a directory", params.output_path);
  }
  if (params.output_mode == io::OutputMode::kFresh &&
      !io::list_directory(params.output_path).value_or({}).empty() &&
      !io::holds_only_markers(params.output_path)) {
    return Status::already_exists(
        "output directory {} is not empty; pass --resume to finish an earlier run or "
        "--overwrite to replace it",
        params.output_path);
  }
  return Status::OK();
}

// Removes what this run wrote when it fails after starting to write (fresh or overwritten
// output only: a resumed directory keeps the earlier run's files).
class OutputGuard {
 public:
  OutputGuard(const Params& params, bool existed) : params_(params), existed_(existed) {}
  ~OutputGuard() {
    if (!armed_ || params_.output_mode == io::OutputMode::kResume) return;
    if (existed_) {
      for (const auto& entry : io::list_directory(params_.output_path).value_or({})) {
        (void)io::remove_all(entry.path);
      }
    } else {
      (void)io::remove_all(params_.output_path);
    }
  }
  void arm() { armed_ = true; }
  void disarm() { armed_ = false; }

 private:
  const Params& params_;
  bool existed_;
  bool armed_ = false;
};

// On the first rank only.
Status save_centroids(const Context& ctx, const Params& params, MatrixView centroids) {
  SD_RETURN_IF_ERROR(
      io::write_npy(io::join_path(params.output_path, io::kKMeansCentroidsFile), centroids));
  if (!params.cache_path.empty()) {
    if (const Status made = io::create_directories(params.cache_path); !made.ok())
      return Status::io_error("cannot create cache_path {}: {}", params.cache_path, made.message());
    const std::string path = io::join_path(params.cache_path, io::kCacheCentroidsFile);
    SD_RETURN_IF_ERROR(io::write_npy(path, centroids));
    ctx.logger->info("Saved {} KMeans centroids to {}", centroids.rows, path);
  }
  return Status::OK();
}

// Where an earlier run's centroids lie.
std::string reused_path(const Params& params) {
  return io::join_path(params.output_path, io::kKMeansCentroidsFile);
}

// With --resume, the centroids of an earlier run whose fit finished.
Result<std::optional<Matrix>> reusable_centroids(const Context& ctx, const Params& params) {
  if (params.output_mode != io::OutputMode::kResume) return std::optional<Matrix>();
  const std::string path = reused_path(params);
  if (!io::path_exists(path)) return std::optional<Matrix>();
  SD_ASSIGN_OR_RETURN(Matrix centroids, io::read_npy(path));
  if (centroids.rows() != params.fit.n_clusters) {
    return Status::invalid_argument(
        "--resume: {} holds {} centroids but n_clusters is {}; use --overwrite to start again",
        path, centroids.rows(), params.fit.n_clusters);
  }
  ctx.logger->info("Resuming: reusing the {} centroids of {}", centroids.rows(), path);
  return std::optional<Matrix>(std::move(centroids));
}

io::ReadOptions read_options(const Params& params) {
  io::ReadOptions options;
  options.filetype = params.input_filetype;
  options.columns = params.columns;
  options.invalid_rows = params.invalid_rows;
  options.normalise = true;
  options.input_embedding_dtype = params.input_embedding_dtype;
  return options;
}

// The centroids the rows are written against, and what the fit left for the write.
struct Fitted {
  Matrix centroids;
  std::vector<int32_t> labels;  ///< single pass: the fit's label of every loaded row
  std::string origin;           ///< where the centroids come from, for a width mismatch
};

// The fit (or the reused centroids), its figures recorded in `result`.
Status fit_centroids(const Context& ctx, const Params& params, MatrixView rows, Fitted& fitted,
                     bool keep_labels, StageResult& result) {
  const auto fit_start = Clock::now();
  // Initial centroids given as a file are read here: fit takes matrices, not paths.
  SD_ASSIGN_OR_RETURN(const FitParams fit_params, read_init_file(params.fit));
  SD_ASSIGN_OR_RETURN(FitResult fit_result, fit(ctx, rows, fit_params));
  result.fit_seconds = seconds_since(fit_start);
  result.n_iter = fit_result.n_iter;
  result.inertia = fit_result.inertia;
  fitted.centroids = std::move(fit_result.centroids);
  if (keep_labels) fitted.labels = std::move(fit_result.labels);
  return Status::OK();
}

// Single pass, source and fit: every row of this rank in memory, the ranks agreeing on the
// width and the ids, then the fit over all of them (labels kept for the write).
Result<LoadedRows> load_and_fit(const Context& ctx, const Params& params, const RowPlan& plan,
                                const io::ReadOptions& options, std::optional<Matrix> reused,
                                Fitted& fitted, StageResult& result) {
  const auto read_start = Clock::now();
  Result<LoadedRows> read = load_rows(ctx, plan.files(), options, plan.mine());
  SD_RETURN_IF_ERROR(plan.agree(read.status()));
  LoadedRows loaded = std::move(read).value();
  result.read_seconds = seconds_since(read_start);
  SD_ASSIGN_OR_RETURN(result.dim, plan.agree_dim(loaded.embeddings.cols(), plan.my_first_file()));
  if (plan.distributed()) {
    io::RankIds ids(plan.ranks());
    for (const io::Batch& batch : loaded.batches) ids.add(batch);
    SD_RETURN_IF_ERROR(plan.check_ids(ids));
  }
  if (loaded.embeddings.rows() == 0) loaded.embeddings = Matrix(0, result.dim);
  result.fit_files = result.num_files;
  result.fit_rows = loaded.embeddings.rows();
  ctx.logger->info("Read {} rows of dimension {} from {} files in {:.2f} s", result.fit_rows,
                   result.dim, result.num_files, result.read_seconds);
  if (reused) {
    fitted.centroids = std::move(*reused);
    result.reused_centroids = true;
    if (loaded.embeddings.rows() > 0) {
      SD_RETURN_IF_ERROR(check_width(loaded.embeddings.cols(), fitted.centroids.view(),
                                     plan.my_first_file(), params, "in " + reused_path(params)));
    }
  } else {
    SD_RETURN_IF_ERROR(
        fit_centroids(ctx, params, loaded.embeddings.view(), fitted, /*keep_labels=*/true, result));
  }
  return loaded;
}

// Two passes, the first: the fit on the planned files read embedding-only, their rows split
// over the ranks in equal blocks (or the reused centroids).
Status fit_on_sample(const Context& ctx, const Params& params, const RowPlan& plan,
                     io::ReadOptions options, std::optional<Matrix> reused, Fitted& fitted,
                     StageResult& result) {
  if (reused) {
    fitted.centroids = std::move(*reused);
    result.reused_centroids = true;
    fitted.origin = "in " + reused_path(params);
    return Status::OK();
  }
  const std::vector<std::string> sampled = plan.fit_files();
  options.embeddings_only = true;
  const RowRange fit_range = plan.fit_range();
  const auto read_start = Clock::now();
  Result<LoadedRows> read = load_rows(ctx, sampled, options, fit_range);
  SD_RETURN_IF_ERROR(plan.agree(read.status()));
  LoadedRows loaded = std::move(read).value();
  const std::vector<std::string> fit_files = fit_range.files_of(sampled);
  fitted.origin =
      "fitted on " + (sampled.empty() ? std::string() : sampled.front()) +
      (sampled.size() > 1 ? fmt::format(" and {} more sampled file(s)", sampled.size() - 1)
                          : std::string());
  SD_ASSIGN_OR_RETURN(const int64_t fit_dim,
                      plan.agree_dim(loaded.embeddings.cols(),
                                     fit_files.empty() ? std::string() : fit_files.front()));
  if (loaded.embeddings.rows() == 0) loaded.embeddings = Matrix(0, fit_dim);
  result.read_seconds += seconds_since(read_start);
  result.fit_files = static_cast<int64_t>(sampled.size());
  result.fit_rows = loaded.embeddings.rows();
  ctx.logger->info("Fitting KMeans on {} sampled rows ({}, {}/{} files)", result.fit_rows,
                   plan.fit().how, result.fit_files, result.num_files);
  return fit_centroids(ctx, params, loaded.embeddings.view(), fitted, /*keep_labels=*/false,
                       result);
}

}  // namespace

Result<StageResult> run_stage(const Context& ctx, const Params& params) {
  const auto start = Clock::now();
  SD_RETURN_IF_ERROR(params.validate());
  SD_RETURN_IF_ERROR(check_output(params));
  const bool output_existed = io::path_exists(params.output_path);
  SD_ASSIGN_OR_RETURN(
      std::vector<std::string> files,
      io::discover_files(params.input_paths, params.input_filetype, params.input_file_extensions));
  StageResult result;
  result.num_files = static_cast<int64_t>(files.size());
  SD_ASSIGN_OR_RETURN(std::optional<Matrix> reused, reusable_centroids(ctx, params));

  // Plan: the rows each rank reads and writes, and the files the fit reads.
  SD_ASSIGN_OR_RETURN(const RowPlan plan,
                      RowPlan::make(ctx, params, std::move(files), !reused.has_value()));
  io::ReadOptions options = read_options(params);
  // Under mpirun every rank's ids go through one exchange (io::RankIds), which finds repeats
  // within a rank as well as across ranks: the reader's own check would hash every id twice.
  options.unique_ids = !plan.distributed();

  // Source and fit: the single pass loads every row and writes them from memory; two passes
  // fit on the planned files, then stream this rank's files again.
  Fitted fitted;
  LoadedRows loaded;
  std::unique_ptr<RowSource> rows;
  StreamedRows* streamed = nullptr;
  if (plan.fit().files.empty()) {
    SD_ASSIGN_OR_RETURN(
        loaded, load_and_fit(ctx, params, plan, options, std::move(reused), fitted, result));
    rows = std::make_unique<InMemoryRows>(loaded, fitted.labels);
  } else {
    SD_RETURN_IF_ERROR(
        fit_on_sample(ctx, params, plan, options, std::move(reused), fitted, result));
    auto stream = std::make_unique<StreamedRows>(plan, params, options, fitted.centroids.view(),
                                                 fitted.origin);
    streamed = stream.get();
    rows = std::move(stream);
  }

  // Sink: rank 0 makes the directory and writes the centroids, the others wait for it; then
  // every rank writes its parts.
  const auto write_start = Clock::now();
  OutputGuard guard(params, output_existed);
  SD_RETURN_IF_ERROR(plan.on_first_rank([&]() -> Status {
    SD_RETURN_IF_ERROR(io::prepare_output_dir(params.output_path, params.output_mode));
    guard.arm();
    return save_centroids(ctx, params, fitted.centroids.view());
  }));
  const std::unique_ptr<io::PartSink> sink = io::centroid_partition_sink(
      params.output_path, params.columns,
      io::KMeansWriteOptions{.embedding_dtype = params.embedding_output_dtype});
  PartWriter writer(ctx, *sink, fitted.centroids.view());
  SD_RETURN_IF_ERROR(plan.agree(writer.write_all(*rows, params.rows_per_part)));
  if (streamed) {
    result.read_seconds += streamed->read_seconds();
    SD_RETURN_IF_ERROR(plan.check_ids(streamed->ids()));
    SD_ASSIGN_OR_RETURN(result.dim, plan.agree_dim(streamed->dim(), plan.my_first_file()));
  }
  result.write_seconds = seconds_since(write_start);
  SD_ASSIGN_OR_RETURN(const StageTotals totals,
                      plan.sum({writer.rows(), writer.rejected(), writer.parts(), result.fit_rows},
                               writer.written()));
  result.num_rows = totals.rows;
  result.num_rejected = totals.rejected;
  result.num_parts = totals.parts;
  result.fit_rows = totals.fit_rows;
  result.num_clusters_written = totals.clusters_written;

  guard.disarm();
  result.centroids_path = io::join_path(params.output_path, io::kKMeansCentroidsFile);
  result.total_seconds = seconds_since(start);
  ctx.logger->info(
      "KMeans: {} rows in {} parts, {} of {} clusters non-empty, {} rejected, inertia {:.6f}, "
      "{:.2f} s (read {:.2f}, fit {:.2f}, write {:.2f})",
      result.num_rows, result.num_parts, result.num_clusters_written, params.fit.n_clusters,
      result.num_rejected, result.inertia, result.total_seconds, result.read_seconds,
      result.fit_seconds, result.write_seconds);
  return result;
}

}  // namespace semdedup::kmeans
