#include "io/parquet_columns.hpp"

#include <arrow/api.h>
#include <parquet/arrow/reader.h>

#include "io/arrow_status.hpp"

namespace semdedup::io {

Result<std::shared_ptr<arrow::Table>> read_parquet_columns(const std::string& path,
                                                           const std::vector<std::string>& names) {
  parquet::arrow::FileReaderBuilder builder;
  SD_RETURN_IF_ERROR(from_arrow(builder.OpenFile(path), StatusCode::kIOError, path));
  std::unique_ptr<parquet::arrow::FileReader> reader;
  SD_RETURN_IF_ERROR(from_arrow(builder.Build(&reader), StatusCode::kIOError, path));
  std::shared_ptr<arrow::Table> table;
  if (names.empty()) {
    SD_RETURN_IF_ERROR(from_arrow(reader->ReadTable(&table), StatusCode::kIOError, path));
    return table;
  }
  std::shared_ptr<arrow::Schema> schema;
  SD_RETURN_IF_ERROR(from_arrow(reader->GetSchema(&schema), StatusCode::kIOError, path));
  std::vector<int> indices;
  for (const auto& name : names) {
    const int index = schema->GetFieldIndex(name);
    if (index < 0) {
      return Status::data_error("file {}: column '{}' not found; available: {}", path, name,
                                fmt::join(schema->field_names(), ", "));
    }
    indices.push_back(index);
  }
  SD_RETURN_IF_ERROR(from_arrow(reader->ReadTable(indices, &table), StatusCode::kIOError, path));
  return table;
}

}  // namespace semdedup::io
