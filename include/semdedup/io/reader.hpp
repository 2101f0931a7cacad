#pragma once
/// \file Streaming reader of embedding datasets: Parquet or JSONL files in, batches of a
/// row-major float32 matrix (validated, optionally L2-normalised) plus the id and metadata
/// columns out.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/batch_source.hpp"
#include "semdedup/io/common.hpp"

namespace arrow {
class RecordBatch;
class Schema;
}  // namespace arrow

namespace semdedup::io {

class RecordSource;

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
class DatasetReader final : public BatchSource {
 public:
  /// Checks `options` and remembers `files`; no file is opened before the first next().
  static Result<std::unique_ptr<DatasetReader>> open(std::vector<std::string> files,
                                                     ReadOptions options);
  /// Reads `inputs` (named as files are: `names[i]` for input i) opened one after the other
  /// by `open_input(i)`: how a source other than files (io/stream_source) reuses the checks
  /// and conversion. RecordSource is io's internal record-batch source.
  static Result<std::unique_ptr<DatasetReader>> open_inputs(
      std::vector<std::string> names, ReadOptions options,
      std::function<Result<std::unique_ptr<RecordSource>>(int64_t input)> open_input);
  ~DatasetReader() override;
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  Result<std::optional<Batch>> next() override;
  int64_t dim() const override;
  std::shared_ptr<arrow::Schema> columns_schema() const override;
  int64_t rows_read() const override;
  int64_t rows_rejected() const override;
  const std::vector<std::string>& files() const override;

 private:
  struct Impl;
  explicit DatasetReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Rows in one file: the Parquet footer alone, or the non-blank lines of a JSONL file.
Result<int64_t> count_rows(const std::string& path, FileType type);

}  // namespace semdedup::io
