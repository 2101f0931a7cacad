#pragma once
// The one write path of the KMeans stage: rows come from a RowSource (the single pass's rows in
// memory with the labels the fit gave them, or the second pass's stream), are cut at part
// boundaries, assigned to the centroids when not labelled yet, given their distances and
// handed part by part to an io::PartSink.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/batch_source.hpp"
#include "semdedup/io/kmeans_output.hpp"

namespace semdedup::kmeans {

/// A batch of rows to write: the batch (its columns, row numbers and rejected rows), its valid
/// rows' embeddings, and their labels when the fit already assigned them.
struct RowsToWrite {
  const io::Batch* batch = nullptr;  ///< valid until the source's next call
  MatrixView embeddings;             ///< [valid rows x dim]
  const int32_t* labels = nullptr;   ///< [valid rows], or null: predicted when written
  std::shared_ptr<const Matrix>
      owner;  ///< keeps `embeddings` alive past the next call; may be null
};

/// Where the write path gets its rows, in global row order.
class RowSource {
 public:
  virtual ~RowSource() = default;
  /// The next rows, or nullopt after the last.
  virtual Result<std::optional<RowsToWrite>> next() = 0;
  /// How the progress of the write is named ("writing", "assigning") and its total rows
  /// (-1 when unknown).
  virtual const char* task() const = 0;
  virtual int64_t total_rows() const = 0;
};

/// Collects the rows of one part at a time and writes the part when the next one starts.
class PartWriter {
 public:
  /// `sink` and `centroids` [k x dim] outlive the writer.
  PartWriter(const Context& ctx, io::PartSink& sink, MatrixView centroids);
  PartWriter(const PartWriter&) = delete;
  PartWriter& operator=(const PartWriter&) = delete;

  /// Writes every row of `source`, part by part, the last part included.
  Status write_all(RowSource& source, int64_t rows_per_part);

  int64_t rows() const { return rows_; }
  int64_t rejected() const { return rejected_rows_; }
  int64_t parts() const { return parts_; }
  /// One flag per centroid: whether this writer wrote rows of it.
  const std::vector<uint8_t>& written() const { return written_; }

 private:
  struct Piece;
  Status add(Piece piece);
  Status split(const RowsToWrite& rows, int64_t rows_per_part);
  MatrixView contiguous(Matrix& buffer, int64_t n);
  Status flush();

  const Context& ctx_;
  io::PartSink& sink_;
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

}  // namespace semdedup::kmeans
