#include "kmeans/write_path.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "kmeans/row_plan.hpp"
#include "semdedup/core/progress.hpp"
#include "semdedup/io/batch_ops.hpp"
#include "semdedup/kmeans/kmeans.hpp"

namespace semdedup::kmeans {

// A run of consecutive input rows that all fall into one part.
struct PartWriter::Piece {
  int64_t part = 0;
  std::shared_ptr<arrow::RecordBatch> columns;   // id + metadata of the valid rows
  MatrixView embeddings;                         // the valid rows
  const int32_t* labels = nullptr;               // known labels, or null to predict
  std::shared_ptr<const Matrix> owner;           // keeps `embeddings` alive, may be null
  std::shared_ptr<arrow::RecordBatch> rejected;  // rejected rows, may be null
};

PartWriter::PartWriter(const Context& ctx, io::PartSink& sink, MatrixView centroids)
    : ctx_(ctx),
      sink_(sink),
      centroids_(centroids),
      written_(static_cast<size_t>(centroids.rows), 0) {}

Status PartWriter::write_all(RowSource& source, int64_t rows_per_part) {
  ProgressTask progress(*ctx_.progress, source.task(), source.total_rows(), "rows");
  while (true) {
    SD_ASSIGN_OR_RETURN(std::optional<RowsToWrite> rows, source.next());
    if (!rows) break;
    SD_RETURN_IF_ERROR(split(*rows, rows_per_part));
  }
  return current_ >= 0 ? flush() : Status::OK();
}

// Cuts a batch at part boundaries and hands the pieces on in row order.
Status PartWriter::split(const RowsToWrite& rows, int64_t rows_per_part) {
  const io::Batch& batch = *rows.batch;
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
      piece.embeddings = rows.embeddings.slice_rows(va, vb - va);
      piece.labels = rows.labels ? rows.labels + va : nullptr;
      piece.owner = rows.owner;
    }
    if (rb > ra) piece.rejected = io::slice_batch(batch.rejected, ra, rb - ra);
    if (vb > va || rb > ra) SD_RETURN_IF_ERROR(add(std::move(piece)));
  }
  return Status::OK();
}

Status PartWriter::add(Piece piece) {
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

// The part's rows as one view: the pieces themselves when they are adjacent in memory (the
// single pass slices one matrix; a part inside one batch), else a contiguous copy.
MatrixView PartWriter::contiguous(Matrix& buffer, int64_t n) {
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

Status PartWriter::flush() {
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
    SD_RETURN_IF_ERROR(sink_.write(part));
    for (const int32_t label : labels_) written_[static_cast<size_t>(label)] = 1;
    rows_ += n;
    ++parts_;
    ctx_.progress->advance(n);
  }
  for (const auto& batch : rejected_) rejected_rows_ += io::batch_rows(batch);
  SD_RETURN_IF_ERROR(sink_.write_rejected(current_, rejected_));
  columns_.clear();
  views_.clear();
  owners_.clear();
  rejected_.clear();
  labels_.clear();
  needs_predict_ = false;
  return ctx_.check_cancelled();
}

}  // namespace semdedup::kmeans
