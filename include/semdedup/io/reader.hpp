#pragma once
/// \file Streaming reader of embedding datasets: Parquet or JSONL files in, batches of a
/// row-major float32 matrix (validated, optionally L2-normalised) plus the id and metadata
/// columns out.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/half.hpp"

namespace arrow {
class RecordBatch;
class Schema;
}  // namespace arrow

namespace semdedup::io {

/// How a DatasetReader reads.
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

/// Reads files in list order and the rows of each file in file order, one Batch at a time;
/// a Batch never spans two files and files with no rows yield none.
///
/// Only the needed columns are read. Parquet is memory-mapped and read by record batch; two
/// background threads decode the next files ahead, each at most about batch_rows rows ahead,
/// so memory stays near 3 x batch_rows rows whatever the file sizes. A JSONL file is streamed
/// in blocks of json_block_bytes, only the needed columns converted: their types are those
/// Arrow infers from the needed fields of the first block's rows (read on past the block until
/// each needed field was seen with a value; a list of integers read as a list of doubles), and
/// a later row that contradicts them is a data_error naming it. Fields not read are ignored
/// whatever they hold. A leading UTF-8 byte order mark is skipped; a line nested deeper than
/// 128 levels is an io_error naming it.
/// Output never depends on the threads. Id columns: any integer type, string or large_string;
/// a null id is a data_error naming the file and row.
/// Embedding columns: list, large_list or fixed_size_list of float32, float64 or integers,
/// converted to float32 (uint16 and halffloat values are fp16, decoded exactly); every row of every file must have the width of the first row.
///
/// Errors are one line naming the file, and the column and 0-based row where one applies:
/// io_error for a file that cannot be opened or parsed (corrupt, truncated, not JSON);
/// data_error for a missing column, a column of the wrong type, and (kError) a bad row.
class DatasetReader {
 public:
  /// Checks `options` and remembers `files`; no file is opened before the first next().
  static Result<std::unique_ptr<DatasetReader>> open(std::vector<std::string> files,
                                                     ReadOptions options);
  ~DatasetReader();
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  /// The next batch, or nullopt after the last row of the last file.
  Result<std::optional<Batch>> next();

  /// Embedding width; 0 until the first non-null row (or a fixed_size_list type) was seen.
  int64_t dim() const;
  /// Schema of Batch::columns, null until the first file was opened or when embeddings_only.
  std::shared_ptr<arrow::Schema> columns_schema() const;
  /// Input rows consumed so far (valid plus rejected).
  int64_t rows_read() const;
  /// Rows rejected so far (kSkip).
  int64_t rows_rejected() const;
  const std::vector<std::string>& files() const;

 private:
  struct Impl;
  explicit DatasetReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Rows in one file: the Parquet footer alone, or the non-blank lines of a JSONL file.
Result<int64_t> count_rows(const std::string& path, FileType type);

}  // namespace semdedup::io
