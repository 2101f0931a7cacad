#include "io/parquet_columns.hpp"

#include <arrow/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/column_reader.h>
#include <parquet/file_reader.h>

#include <exception>
#include <vector>

#include "semdedup/io/filesystem.hpp"
#include "io/arrow_status.hpp"
#include "io/parquet_open.hpp"

namespace semdedup::io {

Result<std::shared_ptr<arrow::Table>> read_parquet_columns(const std::string& path,
                                                           const std::vector<std::string>& names) {
  SD_ASSIGN_OR_RETURN(auto reader, open_parquet_file(path));
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

namespace {

/// Row (counted from `row`) of the first entry of `column` whose definition level is below
/// `defined` at a row start, or -1; `row` ends past the column's last row.
template <typename Reader>
int64_t scan_levels(parquet::ColumnReader& column, int16_t defined, int64_t& row) {
  auto& typed = static_cast<Reader&>(column);
  constexpr int64_t kLevels = 4096;
  std::vector<int16_t> def(kLevels), rep(kLevels);
  std::vector<typename Reader::T> values(kLevels);
  while (typed.HasNext()) {
    int64_t values_read = 0;
    const int64_t levels =
        typed.ReadBatch(kLevels, def.data(), rep.data(), values.data(), &values_read);
    for (int64_t i = 0; i < levels; ++i) {
      if (rep[i] != 0) continue;
      if (def[i] < defined) return row;
      ++row;
    }
  }
  return -1;
}

}  // namespace

Result<int64_t> first_null_list_row(parquet::arrow::FileReader& reader, int field,
                                    const std::string& path) {
  const auto& schema_field = reader.manifest().schema_fields.at(static_cast<size_t>(field));
  const parquet::arrow::SchemaField* leaf = &schema_field;
  while (!leaf->is_leaf() && !leaf->children.empty()) leaf = &leaf->children.front();
  const int16_t defined = schema_field.level_info.def_level;
  try {
    int64_t row = 0;
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      auto column = reader.parquet_reader()->RowGroup(group)->Column(leaf->column_index);
      int64_t found = -1;
      switch (column->type()) {
        case parquet::Type::INT32:
          found = scan_levels<parquet::Int32Reader>(*column, defined, row);
          break;
        case parquet::Type::INT64:
          found = scan_levels<parquet::Int64Reader>(*column, defined, row);
          break;
        case parquet::Type::FLOAT:
          found = scan_levels<parquet::FloatReader>(*column, defined, row);
          break;
        case parquet::Type::DOUBLE:
          found = scan_levels<parquet::DoubleReader>(*column, defined, row);
          break;
        case parquet::Type::FIXED_LEN_BYTE_ARRAY:
          found = scan_levels<parquet::FixedLenByteArrayReader>(*column, defined, row);
          break;
        default:
          return int64_t{-1};
      }
      if (found >= 0) return found;
    }
  } catch (const std::exception& e) {
    return Status::io_error("file {}: cannot read Parquet: {}", path, e.what());
  }
  return int64_t{-1};
}

}  // namespace semdedup::io
