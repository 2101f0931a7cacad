#pragma once
/// \file JSON lines output (Arrow reads JSON lines but cannot write them).

#include <memory>
#include <string>

#include "semdedup/core/status.hpp"

#include <vector>

#include "semdedup/io/writer.hpp"

namespace arrow {
class RecordBatch;
class Schema;
class Table;
}  // namespace arrow

namespace semdedup::io {

struct JsonlWriteOptions {
  /// Threads formatting rows (>= 1). The bytes never depend on it: rows are formatted in fixed
  /// blocks and written in row order.
  int threads = 1;
};

/// Writes `table` to `path` as JSON lines, atomically: one object per row, keys in column
/// order. Integers and booleans as JSON numbers and literals; float32/float64 as the shortest
/// text that reads back to the same value, with ".0" added to integral values so that type
/// inference keeps them floating point; NaN and infinities (which JSON cannot express) and
/// nulls as `null`; strings escaped per RFC 8259 (UTF-8 kept as is); list, large_list,
/// fixed_size_list as arrays; structs as objects; dictionary columns as their values.
/// Other types (binary, temporal, decimal, ...) are an invalid_argument naming the column.
Status write_jsonl(const std::string& path, const std::shared_ptr<arrow::Table>& table,
                   const JsonlWriteOptions& options = {});

/// write_jsonl one record batch at a time: the file appears at `path` only on commit().
class JsonlFileWriter {
 public:
  /// Checks every column type of `schema` (invalid_argument naming a column write_jsonl cannot
  /// write) before creating the temporary file.
  static Result<JsonlFileWriter> open(const std::string& path,
                                      const std::shared_ptr<arrow::Schema>& schema,
                                      const JsonlWriteOptions& options = {});
  /// Appends the rows of `batch` (the schema given to open()).
  Status write(const arrow::RecordBatch& batch);
  /// Renames the file into place.
  Status commit() { return file_.commit(); }

 private:
  explicit JsonlFileWriter(AtomicFile file) : file_(std::move(file)) {}
  AtomicFile file_;
  std::vector<std::string> names_;
  std::vector<std::string> keys_;
  int threads_ = 1;
};

}  // namespace semdedup::io
