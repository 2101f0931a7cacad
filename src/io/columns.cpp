#include "semdedup/io/columns.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <cmath>

#include "io/arrow_status.hpp"
#include "io/parquet_columns.hpp"

namespace semdedup::io {

namespace {

Result<std::shared_ptr<arrow::ChunkedArray>> read_cast(const std::string& path,
                                                       const std::string& column,
                                                       const std::shared_ptr<arrow::DataType>& type) {
  SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {column}));
  const std::shared_ptr<arrow::ChunkedArray> values = table->column(0);
  SD_ASSIGN_OR_RETURN(arrow::Datum cast,
                      from_arrow(arrow::compute::Cast(values, type), StatusCode::kDataError,
                                 fmt::format("file {}: column '{}'", path, column)));
  return cast.chunked_array();
}

}  // namespace

Result<std::vector<int64_t>> read_int64_column(const std::string& path, const std::string& column) {
  SD_ASSIGN_OR_RETURN(auto values, read_cast(path, column, arrow::int64()));
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(values->length()));
  for (const auto& chunk : values->chunks()) {
    if (chunk->null_count() > 0) {
      return Status::data_error("file {}: column '{}' has nulls", path, column);
    }
    const auto& array = static_cast<const arrow::Int64Array&>(*chunk);
    out.insert(out.end(), array.raw_values(), array.raw_values() + array.length());
  }
  return out;
}

Result<std::vector<float>> read_float_column(const std::string& path, const std::string& column) {
  SD_ASSIGN_OR_RETURN(auto values, read_cast(path, column, arrow::float32()));
  std::vector<float> out;
  out.reserve(static_cast<size_t>(values->length()));
  for (const auto& chunk : values->chunks()) {
    const auto& array = static_cast<const arrow::FloatArray&>(*chunk);
    for (int64_t i = 0; i < array.length(); ++i) {
      out.push_back(array.IsNull(i) ? std::nanf("") : array.Value(i));
    }
  }
  return out;
}

Result<std::vector<std::string>> read_string_column(const std::string& path,
                                                    const std::string& column) {
  SD_ASSIGN_OR_RETURN(auto values, read_cast(path, column, arrow::utf8()));
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(values->length()));
  for (const auto& chunk : values->chunks()) {
    const auto& array = static_cast<const arrow::StringArray&>(*chunk);
    for (int64_t i = 0; i < array.length(); ++i) {
      out.emplace_back(array.IsNull(i) ? std::string() : std::string(array.GetView(i)));
    }
  }
  return out;
}

}  // namespace semdedup::io
