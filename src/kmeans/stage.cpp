#include "semdedup/kmeans/stage.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <system_error>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/batch_ops.hpp"
#include "semdedup/io/discovery.hpp"
#include "semdedup/io/kmeans_output.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/output_dir.hpp"
#include "semdedup/io/rank_ids.hpp"
#include "semdedup/io/reader.hpp"
#include "kmeans/fit_plan.hpp"
#include "semdedup/kmeans/kmeans.hpp"

namespace semdedup::kmeans {

namespace {

using Clock = std::chrono::steady_clock;

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

// The input rows one rank reads: global rows [begin, end) of `files` (the whole list on one
// process), of which only `files` from index first_file on can hold any; first_row is the
// global row of the first row of files[first_file].
struct RowRange {
  int64_t begin = 0;
  int64_t end = std::numeric_limits<int64_t>::max();
  size_t first_file = 0;
  size_t end_file = std::numeric_limits<size_t>::max();
  int64_t first_row = 0;
};

// Rows per file, from Parquet footers or by counting JSONL lines: each rank counts its share of
// the files and the counts are summed over ranks.
Result<std::vector<int64_t>> count_file_rows(const Context& ctx,
                                             const std::vector<std::string>& files,
                                             io::FileType type) {
  const int rank = ctx.comm->rank(), size = ctx.comm->size();
  std::vector<int64_t> rows(files.size(), 0);
  Status local;
  for (size_t i = static_cast<size_t>(rank); i < files.size() && local.ok();
       i += static_cast<size_t>(size)) {
    Result<int64_t> count = io::count_rows(files[i], type);
    if (count.ok()) {
      rows[i] = *count;
    } else {
      local = count.status();
    }
  }
  SD_RETURN_IF_ERROR(ctx.comm->agree(local));
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(rows.data(), static_cast<int64_t>(rows.size())));
  return rows;
}

// The files holding global rows [begin, end) of files with `rows` rows each.
RowRange range_of(const std::vector<int64_t>& rows, int64_t begin, int64_t end) {
  RowRange range;
  range.begin = begin;
  range.end = end;
  range.first_file = rows.size();
  range.end_file = 0;
  int64_t first = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t last = first + rows[i];
    if (last > begin && first < end && rows[i] > 0) {
      if (range.first_file == rows.size()) {
        range.first_file = i;
        range.first_row = first;
      }
      range.end_file = i + 1;
    }
    first = last;
  }
  if (range.first_file == rows.size()) range.first_file = range.end_file = 0;
  return range;
}

// Block r of `ranks` equal blocks of [0, n): [n r / ranks, n (r + 1) / ranks).
std::pair<int64_t, int64_t> block_of(int64_t n, int rank, int ranks) {
  return {n * rank / ranks, n * (rank + 1) / ranks};
}

// The files of `range` (all of them when it spans everything).
std::vector<std::string> files_of(const std::vector<std::string>& files, const RowRange& range) {
  const size_t end = std::min(range.end_file, files.size());
  if (range.first_file >= end) return {};
  return {files.begin() + static_cast<std::ptrdiff_t>(range.first_file),
          files.begin() + static_cast<std::ptrdiff_t>(end)};
}

// Renumbers a batch read from the files of `range` to global rows and keeps only its rows in
// [range.begin, range.end); false when none are left.
bool clip_batch(io::Batch& batch, const RowRange& range) {
  batch.global_row += range.first_row;
  for (int64_t& row : batch.input_rows) row += range.first_row;
  const int64_t begin = std::max(range.begin, batch.global_row);
  const int64_t end = std::min(range.end, batch.global_row + batch.input_row_count);
  if (begin >= end) return false;
  if (begin == batch.global_row && end == batch.global_row + batch.input_row_count) return true;
  const std::vector<int64_t> rejected =
      batch.rejected ? rejected_rows(batch) : std::vector<int64_t>{};
  const auto& valid = batch.input_rows;
  const auto va = std::lower_bound(valid.begin(), valid.end(), begin) - valid.begin();
  const auto vb = std::lower_bound(valid.begin(), valid.end(), end) - valid.begin();
  const auto ra = std::lower_bound(rejected.begin(), rejected.end(), begin) - rejected.begin();
  const auto rb = std::lower_bound(rejected.begin(), rejected.end(), end) - rejected.begin();
  Matrix kept(0, batch.embeddings.cols());
  kept.append(batch.embeddings.view().slice_rows(va, vb - va));
  batch.embeddings = std::move(kept);
  if (batch.columns) batch.columns = io::slice_batch(batch.columns, va, vb - va);
  batch.rejected = rb > ra ? io::slice_batch(batch.rejected, ra, rb - ra) : nullptr;
  batch.input_rows = std::vector<int64_t>(valid.begin() + va, valid.begin() + vb);
  batch.file_row += begin - batch.global_row;
  batch.global_row = begin;
  batch.input_row_count = end - begin;
  return true;
}

// The embedding width every rank agrees on: the first rank's that read a row. A rank whose
// files are wider or narrower fails naming its first file.
Result<int64_t> agree_dim(const Context& ctx, int64_t dim, const std::string& first_file,
                          const std::string& field) {
  if (ctx.comm->size() == 1) return dim;
  std::vector<int64_t> dims(static_cast<size_t>(ctx.comm->size()), 0);
  dims[static_cast<size_t>(ctx.comm->rank())] = dim;
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(dims.data(), static_cast<int64_t>(dims.size())));
  int64_t agreed = 0;
  for (const int64_t d : dims) {
    if (agreed == 0) agreed = d;
  }
  Status local;
  if (dim != 0 && dim != agreed) {
    local =
        Status::data_error("{}: column '{}' has {} values per row, but the files before it have {}",
                           first_file, field, dim, agreed);
  }
  SD_RETURN_IF_ERROR(ctx.comm->agree(local));
  return agreed;
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
  /// One flag per centroid: whether this writer wrote rows of it.
  const std::vector<uint8_t>& written() const { return written_; }

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
      SD_RETURN_IF_ERROR(io::write_kmeans_part(
          params_.output_path, part, params_.columns,
          io::KMeansWriteOptions{.embedding_dtype = params_.embedding_output_dtype}));
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
                        const io::ReadOptions& options, const RowRange& range = {}) {
  SD_ASSIGN_OR_RETURN(auto reader, io::DatasetReader::open(files_of(files, range), options));
  Loaded loaded;
  ProgressTask progress(*ctx.progress, "reading", -1, "rows");
  while (true) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    SD_ASSIGN_OR_RETURN(std::optional<io::Batch> batch, reader->next());
    if (!batch) break;
    if (!clip_batch(*batch, range)) continue;
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

Status save_centroids(const Context& ctx, const Params& params, MatrixView centroids) {
  if (ctx.comm->rank() != 0) return Status::OK();
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

// The rows of `file` must have the centroids' width; `origin` says where the centroids came
// from ("fitted on <file>", "in <path>").
Status check_width(int64_t width, MatrixView centroids, const std::string& file,
                   const Params& params, const std::string& origin) {
  if (width == centroids.cols) return Status::OK();
  return Status::data_error(
      "file {}: column '{}' has {} values per row but the centroids {} have {}{}", file,
      params.columns.embedding_field, width, origin, centroids.cols,
      params.output_mode == io::OutputMode::kResume ? "; use --overwrite to start again" : "");
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

}  // namespace

Result<StageResult> run_stage(const Context& ctx, const Params& params) {
  const auto start = Clock::now();
  SD_RETURN_IF_ERROR(params.validate());
  SD_RETURN_IF_ERROR(check_output(params));
  const bool output_existed = io::path_exists(params.output_path);
  SD_ASSIGN_OR_RETURN(
      const std::vector<std::string> files,
      io::discover_files(params.input_paths, params.input_filetype, params.input_file_extensions));
  StageResult result;
  result.num_files = static_cast<int64_t>(files.size());
  SD_ASSIGN_OR_RETURN(std::optional<Matrix> reused, reusable_centroids(ctx, params));
  io::ReadOptions options = read_options(params);
  // Under mpirun every rank's ids go through one exchange (io::RankIds), which finds repeats
  // within a rank as well as across ranks: the reader's own check would hash every id twice.
  options.unique_ids = ctx.comm->size() == 1;

  // Under mpirun each rank reads and writes a contiguous run of whole parts, balanced by rows;
  // one process reads everything.
  const int rank = ctx.comm->rank(), ranks = ctx.comm->size();
  RowRange mine;
  std::vector<int64_t> file_rows;
  if (ranks > 1) {
    SD_ASSIGN_OR_RETURN(file_rows, count_file_rows(ctx, files, params.input_filetype));
    int64_t total = 0;
    for (const int64_t rows : file_rows) total += rows;
    const int64_t parts = (total + params.rows_per_part - 1) / params.rows_per_part;
    const auto [first_part, end_part] = block_of(parts, rank, ranks);
    mine = range_of(file_rows, first_part * params.rows_per_part,
                    std::min(total, end_part * params.rows_per_part));
  }
  const std::vector<std::string> my_files = files_of(files, mine);
  const std::string my_first_file = my_files.empty() ? std::string() : my_files.front();

  // Rank 0 makes the directory and writes the centroids; the others wait for it.
  OutputGuard guard(params, output_existed);
  auto begin_output = [&](MatrixView centroids) -> Status {
    Status st;
    if (rank == 0) {
      st = io::prepare_output_dir(params.output_path, params.output_mode);
      if (st.ok()) {
        guard.arm();
        st = save_centroids(ctx, params, centroids);
      }
    }
    return ctx.comm->agree(st);
  };
  // Sums the counts of every rank into `result`.
  auto total_counts = [&](const PartWriter& writer) -> Status {
    std::vector<int64_t> counts{writer.rows(), writer.rejected(), writer.parts(), result.fit_rows};
    std::vector<int64_t> clusters(writer.written().begin(), writer.written().end());
    SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(counts.data(), 4));
    SD_RETURN_IF_ERROR(
        ctx.comm->allreduce_sum(clusters.data(), static_cast<int64_t>(clusters.size())));
    result.num_rows = counts[0];
    result.num_rejected = counts[1];
    result.num_parts = counts[2];
    result.fit_rows = counts[3];
    result.num_clusters_written =
        std::count_if(clusters.begin(), clusters.end(), [](int64_t n) { return n > 0; });
    return Status::OK();
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
  // Also with reused centroids: rows that do not fit memory are streamed, not loaded.
  SD_ASSIGN_OR_RETURN(const FitPlan plan, plan_fit(ctx, params, files, !reused.has_value()));
  if (plan.files.empty()) {
    // Single pass: every row in memory, fit, then write part by part from memory.
    auto read_start = Clock::now();
    Result<Loaded> read = load_all(ctx, files, options, mine);
    SD_RETURN_IF_ERROR(ctx.comm->agree(read.status()));
    Loaded loaded = std::move(read).value();
    result.read_seconds = seconds_since(read_start);
    SD_ASSIGN_OR_RETURN(result.dim, agree_dim(ctx, loaded.embeddings.cols(), my_first_file,
                                              params.columns.embedding_field));
    if (ranks > 1) {
      io::RankIds ids(ranks);
      for (const io::Batch& batch : loaded.batches) ids.add(batch);
      SD_RETURN_IF_ERROR(ids.check(*ctx.comm, files, file_rows, params.columns.id_field));
    }
    if (loaded.embeddings.rows() == 0) loaded.embeddings = Matrix(0, result.dim);
    result.fit_files = result.num_files;
    result.fit_rows = loaded.embeddings.rows();
    ctx.logger->info("Read {} rows of dimension {} from {} files in {:.2f} s", result.fit_rows,
                     result.dim, result.num_files, result.read_seconds);
    std::vector<int32_t> labels;
    if (reused) {
      centroids = std::move(*reused);
      result.reused_centroids = true;
      if (loaded.embeddings.rows() > 0) {
        SD_RETURN_IF_ERROR(check_width(loaded.embeddings.cols(), centroids.view(), my_first_file,
                                       params, "in " + reused_path(params)));
      }
    } else {
      SD_RETURN_IF_ERROR(fit_and_log(loaded.embeddings.view(), centroids, &labels));
    }
    const auto write_start = Clock::now();
    SD_RETURN_IF_ERROR(begin_output(centroids.view()));
    PartWriter writer(ctx, params, centroids.view());
    const Status written = [&]() -> Status {
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
      return writer.finish();
    }();
    SD_RETURN_IF_ERROR(ctx.comm->agree(written));
    result.write_seconds = seconds_since(write_start);
    SD_RETURN_IF_ERROR(total_counts(writer));
  } else {
    // Two passes: fit on the planned files read embedding-only, then stream every file part
    // by part to assign and write.
    const auto count = static_cast<int64_t>(plan.files.size());
    std::string origin;  // where the centroids come from, for a width mismatch
    if (reused) {
      centroids = std::move(*reused);
      result.reused_centroids = true;
      origin = "in " + reused_path(params);
    } else {
      std::vector<std::string> sampled;
      for (const int64_t index : plan.files) sampled.push_back(files[static_cast<size_t>(index)]);
      io::ReadOptions fit_options = options;
      fit_options.embeddings_only = true;
      // The sampled files' rows, in sample order, split over the ranks in equal blocks.
      RowRange fit_range;
      if (ranks > 1) {
        std::vector<int64_t> sampled_rows;
        for (const int64_t index : plan.files) {
          sampled_rows.push_back(file_rows[static_cast<size_t>(index)]);
        }
        int64_t total = 0;
        for (const int64_t rows : sampled_rows) total += rows;
        const auto [begin, end] = block_of(total, rank, ranks);
        fit_range = range_of(sampled_rows, begin, end);
      }
      const auto read_start = Clock::now();
      Result<Loaded> read = load_all(ctx, sampled, fit_options, fit_range);
      SD_RETURN_IF_ERROR(ctx.comm->agree(read.status()));
      Loaded loaded = std::move(read).value();
      const std::vector<std::string> fit_files = files_of(sampled, fit_range);
      origin = "fitted on " + (sampled.empty() ? std::string() : sampled.front()) +
               (sampled.size() > 1 ? fmt::format(" and {} more sampled file(s)", sampled.size() - 1)
                                   : std::string());
      SD_ASSIGN_OR_RETURN(const int64_t fit_dim,
                          agree_dim(ctx, loaded.embeddings.cols(),
                                    fit_files.empty() ? std::string() : fit_files.front(),
                                    params.columns.embedding_field));
      if (loaded.embeddings.rows() == 0) loaded.embeddings = Matrix(0, fit_dim);
      result.read_seconds += seconds_since(read_start);
      result.fit_files = count;
      result.fit_rows = loaded.embeddings.rows();
      ctx.logger->info("Fitting KMeans on {} sampled rows ({}, {}/{} files)", result.fit_rows,
                       plan.how, count, result.num_files);
      SD_RETURN_IF_ERROR(fit_and_log(loaded.embeddings.view(), centroids, nullptr));
    }
    const auto write_start = Clock::now();
    SD_RETURN_IF_ERROR(begin_output(centroids.view()));
    PartWriter writer(ctx, params, centroids.view());
    int64_t dim = 0;
    io::RankIds ids(ranks);
    const Status written = [&]() -> Status {
      SD_ASSIGN_OR_RETURN(auto reader, io::DatasetReader::open(my_files, options));
      ProgressTask progress(*ctx.progress, "assigning", -1, "rows");
      double read_seconds = 0;
      while (true) {
        const auto read_start = Clock::now();
        SD_ASSIGN_OR_RETURN(std::optional<io::Batch> batch, reader->next());
        read_seconds += seconds_since(read_start);
        if (!batch) break;
        if (!clip_batch(*batch, mine)) continue;
        if (ranks > 1) ids.add(*batch);
        if (batch->embeddings.rows() > 0) {
          SD_RETURN_IF_ERROR(check_width(batch->embeddings.cols(), centroids.view(),
                                         reader->files()[static_cast<size_t>(batch->file_index)],
                                         params, origin));
        }
        auto rows = std::make_shared<const Matrix>(std::move(batch->embeddings));
        SD_RETURN_IF_ERROR(split_batch(*batch, rows->view(), nullptr, rows, params.rows_per_part,
                                       [&](Piece piece) { return writer.add(std::move(piece)); }));
      }
      SD_RETURN_IF_ERROR(writer.finish());
      result.read_seconds += read_seconds;
      dim = reader->dim();
      return Status::OK();
    }();
    SD_RETURN_IF_ERROR(ctx.comm->agree(written));
    if (ranks > 1) {
      SD_RETURN_IF_ERROR(ids.check(*ctx.comm, files, file_rows, params.columns.id_field));
    }
    SD_ASSIGN_OR_RETURN(result.dim,
                        agree_dim(ctx, dim, my_first_file, params.columns.embedding_field));
    result.write_seconds = seconds_since(write_start);
    SD_RETURN_IF_ERROR(total_counts(writer));
  }
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
