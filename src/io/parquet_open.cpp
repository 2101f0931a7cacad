#include "io/parquet_open.hpp"

#include <fmt/format.h>

#include <exception>

#include "io/arrow_status.hpp"
#include "semdedup/io/filesystem.hpp"

namespace semdedup::io {

Result<std::unique_ptr<parquet::arrow::FileReader>> open_parquet_file(
    const std::string& path, const ParquetOpenOptions& options) {
  const std::string context = fmt::format("file {}: cannot read Parquet", path);
  SD_ASSIGN_OR_RETURN(std::shared_ptr<arrow::io::RandomAccessFile> file,
                      open_input_file(path, fmt::format("file {}: cannot open", path),
                                      options.memory_map));
  try {
    parquet::arrow::FileReaderBuilder builder;
    SD_RETURN_IF_ERROR(from_arrow(builder.Open(std::move(file)), StatusCode::kIOError, context));
    builder.properties(options.properties);
    return from_arrow(builder.Build(), StatusCode::kIOError, context);
  } catch (const std::exception& e) {
    return Status::io_error("{}: {}", context, e.what());
  }
}

}  // namespace semdedup::io
