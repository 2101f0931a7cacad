#include <arrow/api.h>
#include <fmt/format.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>

#include <algorithm>
#include <exception>

#include "io/arrow_status.hpp"
#include "io/parquet_columns.hpp"
#include "io/parquet_open.hpp"
#include "io/record_source.hpp"

namespace semdedup::io {

namespace {

void collect_leaves(const parquet::arrow::SchemaField& field, std::vector<int>& leaves) {
  if (field.is_leaf()) leaves.push_back(field.column_index);
  for (const auto& child : field.children) collect_leaves(child, leaves);
}

class ParquetSource final : public RecordSource {
 public:
  static Result<std::unique_ptr<RecordSource>> open(const std::string& path,
                                                    const ReadOptions& options) {
    auto source = std::make_unique<ParquetSource>();
    source->path_ = path;
    try {
      SD_RETURN_IF_ERROR(source->open_impl(options));
    } catch (const std::exception& e) {
      return Status::io_error("file {}: cannot read Parquet: {}", path, e.what());
    }
    return std::unique_ptr<RecordSource>(std::move(source));
  }

  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    std::shared_ptr<arrow::RecordBatch> batch;
    Status status;
    try {
      status = from_arrow(batches_->ReadNext(&batch), StatusCode::kIOError,
                          fmt::format("file {}: cannot read Parquet", path_));
    } catch (const std::exception& e) {
      status = Status::io_error("file {}: cannot read Parquet: {}", path_, e.what());
    }
    if (status.ok()) return batch;
    // Arrow cannot decode a fixed_size_list column holding a null row: name that row instead.
    if (schema_->field(columns_.embedding)->type()->id() == arrow::Type::FIXED_SIZE_LIST) {
      SD_ASSIGN_OR_RETURN(const int64_t null_row,
                          first_null_list_row(*reader_, embedding_field_, path_));
      if (null_row >= 0) {
        return Status::data_error("file {}: column '{}' row {}: null embedding", path_,
                                  schema_->field(columns_.embedding)->name(), null_row);
      }
    }
    return status;
  }

 private:
  Status open_impl(const ReadOptions& options) {
    const std::string context = fmt::format("file {}: cannot read Parquet", path_);
    parquet::ArrowReaderProperties properties;
    properties.set_batch_size(std::min(options.batch_rows, kParquetBatchRows));
    properties.set_use_threads(true);
    properties.set_pre_buffer(false);
    SD_ASSIGN_OR_RETURN(reader_, open_parquet_file(path_, {properties, /*memory_map=*/true}));

    std::shared_ptr<arrow::Schema> file_schema;
    SD_RETURN_IF_ERROR(from_arrow(reader_->GetSchema(&file_schema), StatusCode::kIOError, context));
    SD_ASSIGN_OR_RETURN(const ColumnIndices in_file, resolve_columns(*file_schema, path_, options));
    embedding_field_ = in_file.embedding;

    std::vector<int> fields = in_file.passthrough;
    fields.push_back(in_file.embedding);
    std::vector<int> leaves;
    for (const int field : fields) collect_leaves(reader_->manifest().schema_fields[field], leaves);
    std::sort(leaves.begin(), leaves.end());
    std::vector<int> row_groups(reader_->num_row_groups());
    for (int group = 0; group < reader_->num_row_groups(); ++group) row_groups[group] = group;

    SD_ASSIGN_OR_RETURN(batches_, from_arrow(reader_->GetRecordBatchReader(row_groups, leaves),
                                             StatusCode::kIOError, context));
    schema_ = batches_->schema();
    SD_ASSIGN_OR_RETURN(columns_, resolve_columns(*schema_, path_, options));
    return Status::OK();
  }

  std::string path_;
  int embedding_field_ = -1;  ///< the embedding column among the file's top-level fields
  std::unique_ptr<parquet::arrow::FileReader> reader_;  // must outlive batches_
  std::unique_ptr<arrow::RecordBatchReader> batches_;
};

}  // namespace

Result<std::unique_ptr<RecordSource>> open_parquet_records(const std::string& path,
                                                           const ReadOptions& options) {
  return ParquetSource::open(path, options);
}

}  // namespace semdedup::io
