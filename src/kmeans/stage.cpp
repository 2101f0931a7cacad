#include "semdedup/kmeans/stage.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <system_error>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/batch_ops.hpp"
#include "semdedup/io/discovery.hpp"
#include "semdedup/io/kmeans_output.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/io/reader.hpp"
#include "semdedup/kmeans/kmeans.hpp"

namespace semdedup::kmeans {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kCentroidsFile = "kmeans_centroids.npy";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A run of consecutive input rows that all fall into one part.
struct Piece {
  int64_t part = 0;
  std::shared_ptr<arrow::RecordBatch> columns;   // id + metadata of the valid rows
  MatrixView embeddings;                         // the valid rows
  const int32_t* labels = nullptr;               // known labels, or null to predict
  std::shared_ptr<const Matrix> owner;           // keeps `embeddings` alive, may be null
  std::shared_ptr<arrow::RecordBatch> rejected;  // rejected rows, may be null
};

// Global input rows of a batch's rejected rows: those of its range not listed as valid.
std::vector<int64_t> rejected_rows(const io::Batch& batch) {
  std::vector<int64_t> out;
  size_t next_valid = 0;
  for (int64_t row = batch.global_row; row < batch.global_row + batch.input_row_count; ++row) {
    if (next_valid < batch.input_rows.size() && batch.input_rows[next_valid] == row) {
      ++next_valid;
    } else {
      out.push_back(row);
    }
  }
  return out;
}

// Cuts a batch (whose valid rows are `embeddings`, labelled by `labels` if known) at part
// boundaries and hands the pieces on in row order.
template <typename Sink>
Status split_batch(const io::Batch& batch, MatrixView embeddings, const int32_t* labels,
                   const std::shared_ptr<const Matrix>& owner, int64_t rows_per_part, Sink&& sink) {
  if (batch.input_row_count == 0) return Status::OK();
  const std::vector<int64_t> rejected =
      batch.rejected ? rejected_rows(batch) : std::vector<int64_t>{};
  const int64_t first_part = batch.global_row / rows_per_part;
  const int64_t last_part = (batch.global_row + batch.input_row_count - 1) / rows_per_part;
  const auto& valid = batch.input_rows;
  for (int64_t part = first_part; part <= last_part; ++part) {
    const int64_t lo = part * rows_per_part, hi = lo + rows_per_part;
    const auto va = std::lower_bound(valid.begin(), valid.end(), lo) - valid.begin();
    const auto vb = std::lower_bound(valid.begin(), valid.end(), hi) - valid.begin();
    const auto ra = std::lower_bound(rejected.begin(), rejected.end(), lo) - rejected.begin();
    const auto rb = std::lower_bound(rejected.begin(), rejected.end(), hi) - rejected.begin();
    Piece piece;
    piece.part = part;
    if (vb > va) {
      piece.columns = io::slice_batch(batch.columns, va, vb - va);
      piece.embeddings = embeddings.slice_rows(va, vb - va);
      piece.labels = labels ? labels + va : nullptr;
      piece.owner = owner;
    }
    if (rb > ra) piece.rejected = io::slice_batch(batch.rejected, ra, rb - ra);
    if (vb > va || rb > ra) SD_RETURN_IF_ERROR(sink(std::move(piece)));
  }
  return Status::OK();
}

// Collects the pieces of one part at a time and writes the part when the next one starts.
class PartWriter {
 public:
  PartWriter(const Context& ctx, const Params& params, MatrixView centroids)
      : ctx_(ctx),
        params_(params),
        centroids_(centroids),
        written_(static_cast<size_t>(centroids.rows), 0) {}

  Status add(Piece piece) {
    if (current_ >= 0 && piece.part != current_) SD_RETURN_IF_ERROR(flush());
    current_ = piece.part;
    if (piece.rejected) rejected_.push_back(std::move(piece.rejected));
    if (piece.embeddings.rows == 0) return Status::OK();
    if (piece.labels) {
      labels_.insert(labels_.end(), piece.labels, piece.labels + piece.embeddings.rows);
    } else {
      needs_predict_ = true;
    }
    if (piece.owner && (owners_.empty() || owners_.back() != piece.owner)) {
      owners_.push_back(std::move(piece.owner));
    }
    columns_.push_back(std::move(piece.columns));
    views_.push_back(piece.embeddings);
    return Status::OK();
  }

  Status finish() { return current_ >= 0 ? flush() : Status::OK(); }

  int64_t rows() const { return rows_; }
  int64_t rejected() const { return rejected_rows_; }
  int64_t parts() const { return parts_; }
  int64_t clusters_written() const {
    return std::count(written_.begin(), written_.end(), uint8_t{1});
  }

 private:
  // The part's rows as one view: the pieces themselves when they are adjacent in memory (the
  // single pass slices one matrix; a part inside one batch), else a contiguous copy.
  MatrixView contiguous(Matrix& buffer, int64_t n) {
    bool adjacent = true;
    for (size_t i = 1; i < views_.size() && adjacent; ++i) {
      adjacent = views_[i].stride == views_[0].stride &&
                 views_[i].data == views_[i - 1].data + views_[i - 1].rows * views_[i - 1].stride;
    }
    if (adjacent) return MatrixView(views_[0].data, n, views_[0].cols, views_[0].stride);
    buffer = Matrix(n, views_[0].cols);
    int64_t row = 0;
    for (const MatrixView& view : views_) {
      for (int64_t r = 0; r < view.rows; ++r, ++row) {
        std::memcpy(buffer.row(row), view.row(r), sizeof(float) * static_cast<size_t>(view.cols));
      }
    }
    owners_.clear();
    return buffer.view();
  }

  Status flush() {
    int64_t n = 0;
    for (const MatrixView& view : views_) n += view.rows;
    if (n > 0) {
      Matrix buffer;
      const MatrixView embeddings = contiguous(buffer, n);
      if (needs_predict_) {
        labels_.resize(static_cast<size_t>(n));
        SD_RETURN_IF_ERROR(predict(ctx_, embeddings, centroids_, labels_.data(), nullptr));
      }
      std::vector<float> l2(static_cast<size_t>(n)), cosine(static_cast<size_t>(n));
      centroid_distances(ctx_, embeddings, centroids_, labels_.data(), l2.data(), cosine.data());
      io::KMeansPart part;
      part.index = current_;
      part.batches = columns_;
      part.embeddings = embeddings;
      part.labels = labels_;
      part.l2_dist = l2;
      part.cosine_dist = cosine;
      part.n_clusters = centroids_.rows;
      SD_RETURN_IF_ERROR(io::write_kmeans_part(params_.output_path, part, params_.columns));
      for (const int32_t label : labels_) written_[static_cast<size_t>(label)] = 1;
      rows_ += n;
      ++parts_;
      ctx_.progress->advance(n);
    }
    for (const auto& batch : rejected_) rejected_rows_ += io::batch_rows(batch);
    SD_RETURN_IF_ERROR(io::write_rejected_part(params_.output_path, current_, rejected_));
    columns_.clear();
    views_.clear();
    owners_.clear();
    rejected_.clear();
    labels_.clear();
    needs_predict_ = false;
    return ctx_.check_cancelled();
  }

  const Context& ctx_;
  const Params& params_;
  MatrixView centroids_;
  int64_t current_ = -1;
  std::vector<std::shared_ptr<arrow::RecordBatch>> columns_, rejected_;
  std::vector<MatrixView> views_;
  std::vector<std::shared_ptr<const Matrix>> owners_;
  std::vector<int32_t> labels_;
  bool needs_predict_ = false;
  int64_t rows_ = 0, rejected_rows_ = 0, parts_ = 0;
  std::vector<uint8_t> written_;
};

// Everything the single pass keeps in memory: the valid rows' embeddings in one matrix and
// each batch's columns, row numbers and rejected rows (embeddings moved out).
struct Loaded {
  Matrix embeddings;
  std::vector<io::Batch> batches;
  std::vector<int64_t> first_row;  // index in `embeddings` of each batch's first valid row
};

Result<Loaded> load_all(const Context& ctx, const std::vector<std::string>& files,
                        const io::ReadOptions& options) {
  SD_ASSIGN_OR_RETURN(auto reader, io::DatasetReader::open(files, options));
  Loaded loaded;
  ProgressTask progress(*ctx.progress, "reading", -1, "rows");
  while (true) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    SD_ASSIGN_OR_RETURN(std::optional<io::Batch> batch, reader->next());
    if (!batch) break;
    loaded.first_row.push_back(loaded.embeddings.rows());
    if (batch->embeddings.rows() > 0) loaded.embeddings.append(batch->embeddings.view());
    batch->embeddings = Matrix();
    progress.advance(batch->input_row_count);
    loaded.batches.push_back(std::move(*batch));
  }
  return loaded;
}

// A fresh run must not find files of another run in its output directory; checked before any
// work so a mistake costs nothing.
Status check_output(const Params& params) {
  std::error_code ec;
  const fs::path dir(params.output_path);
  if (!fs::exists(dir, ec)) return Status::OK();
  if (!fs::is_directory(dir, ec)) {
    return Status::io_error("output {} exists and is not a directory", params.output_path);
  }
  if (params.output_mode == io::OutputMode::kFresh && !fs::is_empty(dir, ec)) {
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
    std::error_code ec;
    if (existed_) {
      for (const auto& entry : fs::directory_iterator(params_.output_path, ec)) {
        fs::remove_all(entry.path(), ec);
      }
    } else {
      fs::remove_all(params_.output_path, ec);
    }
  }
  void arm() { armed_ = true; }
  void disarm() { armed_ = false; }

 private:
  const Params& params_;
  bool existed_;
  bool armed_ = false;
};

Status save_centroids(const Context& ctx, const Params& params, MatrixView centroids) {
  if (ctx.comm->rank() != 0) return Status::OK();
  SD_RETURN_IF_ERROR(
      io::write_npy((fs::path(params.output_path) / kCentroidsFile).string(), centroids));
  if (!params.cache_path.empty()) {
    std::error_code ec;
    fs::create_directories(params.cache_path, ec);
    if (ec)
      return Status::io_error("cannot create cache_path {}: {}", params.cache_path, ec.message());
    const std::string path = (fs::path(params.cache_path) / kCentroidsFile).string();
    SD_RETURN_IF_ERROR(io::write_npy(path, centroids));
    ctx.logger->info("Saved {} KMeans centroids to {}", centroids.rows, path);
  }
  return Status::OK();
}

// With --resume, the centroids of an earlier run whose fit finished.
Result<std::optional<Matrix>> reusable_centroids(const Context& ctx, const Params& params) {
  if (params.output_mode != io::OutputMode::kResume) return std::optional<Matrix>();
  const std::string path = (fs::path(params.output_path) / kCentroidsFile).string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<Matrix>();
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
  return options;
}

}  // namespace

Result<StageResult> run_stage(const Context& ctx, const Params& params) {
  const auto start = Clock::now();
  SD_RETURN_IF_ERROR(params.validate());
  SD_RETURN_IF_ERROR(check_output(params));
  std::error_code ec;
  const bool output_existed = fs::exists(params.output_path, ec);
  SD_ASSIGN_OR_RETURN(
      const std::vector<std::string> files,
      io::discover_files(params.input_paths, params.input_filetype, params.input_file_extensions));
  StageResult result;
  result.num_files = static_cast<int64_t>(files.size());
  SD_ASSIGN_OR_RETURN(std::optional<Matrix> reused, reusable_centroids(ctx, params));
  const io::ReadOptions options = read_options(params);

  OutputGuard guard(params, output_existed);
  auto begin_output = [&](MatrixView centroids) -> Status {
    SD_RETURN_IF_ERROR(io::prepare_output_dir(params.output_path, params.output_mode));
    guard.arm();
    return save_centroids(ctx, params, centroids);
  };
  auto fit_and_log = [&](MatrixView rows, Matrix& centroids,
                         std::vector<int32_t>* labels) -> Status {
    const auto fit_start = Clock::now();
    SD_ASSIGN_OR_RETURN(FitResult fitted, fit(ctx, rows, params.fit));
    result.fit_seconds = seconds_since(fit_start);
    result.n_iter = fitted.n_iter;
    result.inertia = fitted.inertia;
    centroids = std::move(fitted.centroids);
    if (labels) *labels = std::move(fitted.labels);
    return Status::OK();
  };

  Matrix centroids;
  if (!params.fit_data_fraction) {
    // Single pass: every row in memory, fit, then write part by part from memory.
    auto read_start = Clock::now();
    SD_ASSIGN_OR_RETURN(Loaded loaded, load_all(ctx, files, options));
    result.read_seconds = seconds_since(read_start);
    result.dim = loaded.embeddings.cols();
    result.fit_files = result.num_files;
    result.fit_rows = loaded.embeddings.rows();
    ctx.logger->info("Read {} rows of dimension {} from {} files in {:.2f} s", result.fit_rows,
                     result.dim, result.num_files, result.read_seconds);
    std::vector<int32_t> labels;
    if (reused) {
      centroids = std::move(*reused);
      result.reused_centroids = true;
    } else {
      SD_RETURN_IF_ERROR(fit_and_log(loaded.embeddings.view(), centroids, &labels));
    }
    const auto write_start = Clock::now();
    SD_RETURN_IF_ERROR(begin_output(centroids.view()));
    PartWriter writer(ctx, params, centroids.view());
    {
      ProgressTask progress(*ctx.progress, "writing", result.fit_rows, "rows");
      for (size_t b = 0; b < loaded.batches.size(); ++b) {
        const io::Batch& batch = loaded.batches[b];
        const int64_t first = loaded.first_row[b];
        const auto count = static_cast<int64_t>(batch.input_rows.size());
        SD_RETURN_IF_ERROR(split_batch(batch, loaded.embeddings.view().slice_rows(first, count),
                                       labels.empty() ? nullptr : labels.data() + first, nullptr,
                                       params.rows_per_part,
                                       [&](Piece piece) { return writer.add(std::move(piece)); }));
      }
      SD_RETURN_IF_ERROR(writer.finish());
    }
    result.write_seconds = seconds_since(write_start);
    result.num_rows = writer.rows();
    result.num_rejected = writer.rejected();
    result.num_parts = writer.parts();
    result.num_clusters_written = writer.clusters_written();
  } else {
    // Two passes: fit on a seeded sample of the files read embedding-only, then stream every
    // file part by part to assign and write.
    const double fraction = *params.fit_data_fraction;
    bool rounded_to_zero = false;
    const int64_t count = fit_file_count(result.num_files, fraction, &rounded_to_zero);
    if (rounded_to_zero) {
      ctx.logger->warn(
          "fit_data_fraction={} of {} files would sample 0 files; fitting on 1 file instead",
          fraction, result.num_files);
    }
    if (reused) {
      centroids = std::move(*reused);
      result.reused_centroids = true;
    } else {
      std::vector<std::string> sampled;
      for (const int64_t index : python_sample(result.num_files, count, params.fit.random_state)) {
        sampled.push_back(files[static_cast<size_t>(index)]);
      }
      io::ReadOptions fit_options = options;
      fit_options.embeddings_only = true;
      const auto read_start = Clock::now();
      SD_ASSIGN_OR_RETURN(Loaded loaded, load_all(ctx, sampled, fit_options));
      result.read_seconds += seconds_since(read_start);
      result.fit_files = count;
      result.fit_rows = loaded.embeddings.rows();
      ctx.logger->info("Fitting KMeans on {} sampled rows (fit_data_fraction={:.4f}, {}/{} files)",
                       result.fit_rows, fraction, count, result.num_files);
      SD_RETURN_IF_ERROR(fit_and_log(loaded.embeddings.view(), centroids, nullptr));
    }
    const auto write_start = Clock::now();
    SD_RETURN_IF_ERROR(begin_output(centroids.view()));
    PartWriter writer(ctx, params, centroids.view());
    SD_ASSIGN_OR_RETURN(auto reader, io::DatasetReader::open(files, options));
    {
      ProgressTask progress(*ctx.progress, "assigning", -1, "rows");
      double read_seconds = 0;
      while (true) {
        const auto read_start = Clock::now();
        SD_ASSIGN_OR_RETURN(std::optional<io::Batch> batch, reader->next());
        read_seconds += seconds_since(read_start);
        if (!batch) break;
        auto rows = std::make_shared<const Matrix>(std::move(batch->embeddings));
        SD_RETURN_IF_ERROR(split_batch(*batch, rows->view(), nullptr, rows, params.rows_per_part,
                                       [&](Piece piece) { return writer.add(std::move(piece)); }));
      }
      SD_RETURN_IF_ERROR(writer.finish());
      result.read_seconds += read_seconds;
      result.dim = reader->dim();
    }
    result.write_seconds = seconds_since(write_start);
    result.num_rows = writer.rows();
    result.num_rejected = writer.rejected();
    result.num_parts = writer.parts();
    result.num_clusters_written = writer.clusters_written();
  }
  guard.disarm();
  result.centroids_path = (fs::path(params.output_path) / kCentroidsFile).string();
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
