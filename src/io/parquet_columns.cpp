#include "io/parquet_columns.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

#include <exception>

#include "io/arrow_status.hpp"

namespace semdedup::io {

Result<std::shared_ptr<arrow::Table>> read_parquet_columns(const std::string& path,
                                                           const std::vector<std::string>& names) {
  parquet::arrow::FileReaderBuilder builder;
  SD_RETURN_IF_ERROR(from_arrow(builder.OpenFile(path), StatusCode::kIOError, path));
  std::unique_ptr<parquet::arrow::FileReader> reader;
  SD_RETURN_IF_ERROR(from_arrow(builder.Build(&reader), StatusCode::kIOError, path));
  if (names.empty()) return from_arrow(reader->ReadTable(), StatusCode::kIOError, path);
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
  return from_arrow(reader->ReadTable(indices), StatusCode::kIOError, path);
}

Result<std::unique_ptr<parquet::arrow::FileReader>> open_parquet_reader(
    const std::string& path, const parquet::ArrowReaderProperties& properties) {
  const std::string context = fmt::format("file {}: cannot read Parquet", path);
  SD_ASSIGN_OR_RETURN(auto file, from_arrow(arrow::io::MemoryMappedFile::Open(
                                                path, arrow::io::FileMode::READ),
                                            StatusCode::kIOError,
                                            fmt::format("file {}: cannot open", path)));
  try {
    parquet::arrow::FileReaderBuilder builder;
    SD_RETURN_IF_ERROR(from_arrow(builder.Open(std::move(file)), StatusCode::kIOError, context));
    builder.properties(properties);
    return from_arrow(builder.Build(), StatusCode::kIOError, context);
  } catch (const std::exception& e) {
    return Status::io_error("{}: {}", context, e.what());
  }
}

}  // namespace semdedup::io
