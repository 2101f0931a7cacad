#pragma once
/// \file Where a stage's rows come from: a BatchSource hands out batches of validated,
/// optionally L2-normalised float32 embeddings with their id and metadata columns, in input
/// order. Three sources share one converter (cutting, checks, extraction, ids): Parquet files,
/// JSON-lines files (both DatasetReader, reader.hpp), and an in-memory Arrow C stream
/// (`ArrowArrayStream`: a pyarrow Table or RecordBatchReader, polars, DuckDB).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/half.hpp"

struct ArrowArrayStream;

namespace arrow {
class RecordBatch;
class Schema;
}  // namespace arrow

namespace semdedup::io {

/// How a BatchSource reads.
struct ReadOptions {
  /// Parser used for every file, whatever its extension.
  FileType filetype = FileType::kParquet;
  /// Columns to read: [id, embedding, *metadata].
  ColumnSpec columns;
  /// How the embedding values are read: auto takes list<uint16> and list<halffloat> as fp16
  /// (NeMo 1.4's storage); float32 refuses list<uint16>; float16 requires fp16 storage.
  InputEmbeddingDtype input_embedding_dtype = InputEmbeddingDtype::kAuto;
  /// Read only the embedding column (k-means fit pass); Batch::columns is then null and the
  /// id column is neither read nor checked.
  bool embeddings_only = false;
  /// L2-normalise each row in float32 (spec §4); a row whose float32 sum of squares under- or
  /// overflows is normalised in double instead. All-zero rows are bad rows only when true.
  bool normalise = true;
  /// Most input rows per Batch (valid plus rejected), >= 1: the reader's memory bound.
  int64_t batch_rows = int64_t{1} << 16;
  /// kError: the first bad row (null, empty or ragged list, null/NaN/inf value, a value
  /// beyond float32's range, zero norm) fails next(). kSkip: bad rows are dropped and listed
  /// in Batch::rejected. A null id fails next() either way (unless embeddings_only).
  InvalidRows invalid_rows = InvalidRows::kError;
  /// Ids must be unique over all files (a repeated id would make removal by id drop the row
  /// that was kept): the second occurrence of an id fails next() with a data_error naming both
  /// rows. Costs a hash map entry per row (about 40 bytes, plus the text of string ids). Only
  /// the ids of valid rows count; ignored when embeddings_only.
  bool unique_ids = true;
  /// Widest embedding accepted: wider rows fail next() with a data_error naming the file and
  /// column. The k-means kernels keep a 1024-row tile of this width per thread (256 MiB each
  /// at the default), so far wider rows would exhaust memory rather than fail cleanly.
  int64_t max_dim = int64_t{1} << 16;
  /// Bytes of a JSONL file parsed at a time (one Arrow JSON block); every line must fit in one.
  /// Column types come from the first block (see DatasetReader).
  int32_t json_block_bytes = 16 << 20;

  /// invalid_argument when batch_rows < 1, a column name is empty or a name is asked twice.
  Status validate() const;
};

/// A run of consecutive input rows of one file.
struct Batch {
  int64_t file_index = 0;  ///< index into the reader's file list
  int64_t file_row = 0;    ///< 0-based row inside that file of the batch's first input row
  int64_t global_row = 0;  ///< 0-based row over all files, in list order, of the first input row
  int64_t input_row_count = 0;  ///< input rows covered: valid rows plus rejected rows
  /// [valid rows x dim] float32, row-major; L2-normalised when ReadOptions::normalise.
  Matrix embeddings;
  /// The id column then the metadata columns (names and types as in the file) of the valid
  /// rows, in the same order as `embeddings`; null when ReadOptions::embeddings_only.
  std::shared_ptr<arrow::RecordBatch> columns;
  /// kSkip only, null when nothing was rejected: one row per rejected input row, in row order,
  /// with columns [id (when read)], file (string), row (int64, 0-based in the file),
  /// reason (string).
  std::shared_ptr<arrow::RecordBatch> rejected;
  /// Global input row number of each valid row (global_row, global_row + 1, ... when nothing
  /// was rejected).
  std::vector<int64_t> input_rows;
};

/// Batches of input rows, in input order: inputs (files, or the one stream) in list order and
/// the rows of each in their order; a Batch never spans two inputs.
class BatchSource {
 public:
  virtual ~BatchSource() = default;

  /// The next batch, or nullopt after the last row of the last input. A failure is sticky.
  virtual Result<std::optional<Batch>> next() = 0;
  /// Embedding width; 0 until the first non-null row (or a fixed_size_list type) was seen.
  virtual int64_t dim() const = 0;
  /// Schema of Batch::columns, null until the first input was opened or when embeddings_only.
  virtual std::shared_ptr<arrow::Schema> columns_schema() const = 0;
  /// Input rows consumed so far (valid plus rejected).
  virtual int64_t rows_read() const = 0;
  /// Rows rejected so far (kSkip).
  virtual int64_t rows_rejected() const = 0;
  /// The inputs' names, as messages and rejected rows name them (Batch::file_index indexes it):
  /// the file paths, or "<Arrow stream>".
  virtual const std::vector<std::string>& files() const = 0;
};

/// `files` read as ReadOptions::filetype says (Parquet or JSON lines): a DatasetReader.
Result<std::unique_ptr<BatchSource>> open_file_source(std::vector<std::string> files,
                                                      ReadOptions options);

/// The record batches of `stream` (taking ownership: released when the source is destroyed),
/// checked and converted as files are; `options.filetype` is ignored. The one input is named
/// "<Arrow stream>". io_error when the producer fails.
Result<std::unique_ptr<BatchSource>> open_arrow_stream_source(ArrowArrayStream* stream,
                                                              ReadOptions options);

}  // namespace semdedup::io
