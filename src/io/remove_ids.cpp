#include "semdedup/io/remove_ids.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>

#include <algorithm>
#include <filesystem>

#include "io/arrow_status.hpp"
#include "io/jsonl_lines.hpp"
#include "io/parquet_columns.hpp"
#include "semdedup/io/jsonl_writer.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;
namespace cp = arrow::compute;

namespace {

Result<std::shared_ptr<arrow::Table>> read_jsonl_table(const std::string& path) {
  SD_RETURN_IF_ERROR(check_lines_are_objects(path));
  SD_ASSIGN_OR_RETURN(auto file, from_arrow(arrow::io::ReadableFile::Open(path),
                                            StatusCode::kIOError, path));
  SD_ASSIGN_OR_RETURN(auto reader,
                      from_arrow(arrow::json::TableReader::Make(
                                     arrow::default_memory_pool(), file,
                                     arrow::json::ReadOptions::Defaults(),
                                     arrow::json::ParseOptions::Defaults()),
                                 StatusCode::kIOError, path));
  return from_arrow(reader->Read(), StatusCode::kDataError, path);
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> read_id_set(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::io_error("{}: no such directory", dir);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".parquet" &&
        !entry.path().filename().string().starts_with(".")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  arrow::ArrayVector chunks;
  std::shared_ptr<arrow::DataType> type;
  for (const auto& path : files) {
    SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {"id"}));
    const auto& column = table->column(0);
    if (type && !column->type()->Equals(*type)) {
      return Status::data_error("file {}: column 'id' is {}, other files have {}", path,
                                column->type()->ToString(), type->ToString());
    }
    type = column->type();
    for (const auto& chunk : column->chunks()) chunks.push_back(chunk);
  }
  if (chunks.empty()) {
    return from_arrow(arrow::MakeEmptyArray(type ? type : arrow::int64()), StatusCode::kInternal,
                      dir);
  }
  return from_arrow(arrow::Concatenate(chunks), StatusCode::kInternal, dir);
}

Result<FilteredFile> remove_ids(const std::string& input, FileType input_type,
                                const std::string& output, FileType output_type,
                                const std::string& id_field,
                                const std::shared_ptr<arrow::Array>& ids) {
  std::shared_ptr<arrow::Table> table;
  if (input_type == FileType::kParquet) {
    SD_ASSIGN_OR_RETURN(table, read_parquet_columns(input, {}));
  } else {
    SD_ASSIGN_OR_RETURN(table, read_jsonl_table(input));
  }
  const auto column = table->GetColumnByName(id_field);
  if (!column) {
    return Status::data_error("file {}: column '{}' not found; available: {}", input, id_field,
                              fmt::join(table->schema()->field_names(), ", "));
  }
  std::shared_ptr<arrow::Array> value_set = ids;
  if (!ids->type()->Equals(*column->type())) {
    // e.g. int32 ids in the input against int64 duplicate ids: compare in the input's type.
    SD_ASSIGN_OR_RETURN(arrow::Datum cast, from_arrow(cp::Cast(ids, column->type()),
                                                      StatusCode::kDataError,
                                                      fmt::format("file {}: column '{}'", input,
                                                                  id_field)));
    value_set = cast.make_array();
  }
  SD_ASSIGN_OR_RETURN(arrow::Datum is_dup,
                      from_arrow(cp::IsIn(column, cp::SetLookupOptions(value_set)),
                                 StatusCode::kDataError, input));
  SD_ASSIGN_OR_RETURN(arrow::Datum keep, from_arrow(cp::Invert(is_dup), StatusCode::kInternal, input));
  SD_ASSIGN_OR_RETURN(arrow::Datum kept, from_arrow(cp::Filter(table, keep), StatusCode::kInternal, input));
  const auto result_table = kept.table();
  if (output_type == FileType::kParquet) {
    SD_RETURN_IF_ERROR(write_parquet(output, result_table));
  } else {
    SD_RETURN_IF_ERROR(write_jsonl(output, result_table));
  }
  return FilteredFile{table->num_rows(), result_table->num_rows()};
}

}  // namespace semdedup::io
