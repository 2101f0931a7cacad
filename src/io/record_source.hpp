#pragma once
// One open input file handing out Arrow record batches of the requested columns: the Parquet
// and JSON-lines parsers behind DatasetReader (which cuts, checks and converts the batches)
// and its prefetcher (which runs them ahead on worker threads).

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "io/column_resolution.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/batch_source.hpp"

namespace semdedup::io {

/// Rows per Parquet record batch asked of Arrow; batches are then cut or joined to batch_rows.
constexpr int64_t kParquetBatchRows = int64_t{1} << 13;

/// One open input file.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  /// The next record batch, or null at the end of the file.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> next() = 0;
  /// Where the requested columns sit in the batches next() returns.
  const ColumnIndices& columns() const { return columns_; }
  /// Schema of the batches next() returns; null for a file with no rows and no schema.
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

 protected:
  ColumnIndices columns_;
  std::shared_ptr<arrow::Schema> schema_;
};

/// A Parquet file, memory-mapped and read by record batch, only the requested columns decoded.
Result<std::unique_ptr<RecordSource>> open_parquet_records(const std::string& path,
                                                           const ReadOptions& options);

/// A JSON-lines file streamed in blocks (ReadOptions::json_block_bytes), only the requested
/// columns converted.
Result<std::unique_ptr<RecordSource>> open_jsonl_records(const std::string& path,
                                                         const ReadOptions& options);

/// The parser ReadOptions::filetype names.
Result<std::unique_ptr<RecordSource>> open_records(const std::string& path,
                                                   const ReadOptions& options);

}  // namespace semdedup::io
