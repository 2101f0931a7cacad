#include "semdedup/io/cluster.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <cmath>
#include <cstring>

#include "io/arrow_status.hpp"

namespace semdedup::io {

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += "'" + name + "'";
  }
  return out;
}

struct OpenedFile {
  std::unique_ptr<parquet::arrow::FileReader> reader;
  std::shared_ptr<arrow::Schema> schema;
};

Result<OpenedFile> open_parquet(const std::string& path) {
  SD_ASSIGN_OR_RETURN(auto input,
                      from_arrow(arrow::io::ReadableFile::Open(path), StatusCode::kIOError, path));
  SD_ASSIGN_OR_RETURN(auto reader,
                      from_arrow(parquet::arrow::OpenFile(input, arrow::default_memory_pool()),
                                 StatusCode::kIOError, path));
  reader->set_use_threads(false);
  OpenedFile opened;
  SD_RETURN_IF_ERROR(from_arrow(reader->GetSchema(&opened.schema), StatusCode::kIOError, path));
  opened.reader = std::move(reader);
  return opened;
}

// Index of each of `names` in `schema`; the NeMo-worded error naming the file otherwise.
Result<std::vector<int>> field_indices(const std::string& path, const arrow::Schema& schema,
                                       const std::vector<std::string>& names) {
  std::vector<int> indices;
  std::vector<std::string> missing;
  for (const auto& name : names) {
    const int index = schema.GetFieldIndex(name);
    if (index < 0) {
      missing.push_back(name);
    } else {
      indices.push_back(index);
    }
  }
  if (!missing.empty()) {
    return Status::data_error(
        "{}: Required columns [{}] not found in cluster data. Available columns: [{}]", path,
        join_names(missing), join_names(schema.field_names()));
  }
  return indices;
}

// Whether the embedding column holds fp16 (see is_half_storage); an error naming the file for
// anything but a list of float32, float64 or fp16.
Result<bool> check_embedding_type(const std::string& path, const std::string& column,
                                  const arrow::DataType& type, InputEmbeddingDtype dtype) {
  constexpr std::string_view kExpected =
      "expected a list of float32 or float64, or fp16 (list<uint16> bit patterns or "
      "list<halffloat>)";
  const arrow::DataType* value_type = nullptr;
  switch (type.id()) {
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST:
      value_type = static_cast<const arrow::BaseListType&>(type).value_type().get();
      break;
    default:
      return Status::data_error("{}: column '{}' has type {}, {}", path, column, type.ToString(),
                                kExpected);
  }
  switch (value_type->id()) {
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::UINT16:
    case arrow::Type::HALF_FLOAT:
      return is_half_storage(*value_type, dtype, path, column, type.ToString());
    default:
      return Status::data_error("{}: column '{}' has type {}, {}", path, column, type.ToString(),
                                kExpected);
  }
}

// Stored value -> float32: fp16 bits are decoded, wider floats rounded.
template <typename ValueType>
float stored_to_float(typename ValueType::c_type value) {
  if constexpr (std::is_same_v<typename ValueType::c_type, uint16_t>) {
    return half_to_float(value);
  } else {
    return static_cast<float>(value);
  }
}

// Appends the rows of one list chunk to `out`, checking width, nulls and finiteness.
// `dim` is the cluster's width, 0 until the first row fixes it.
template <typename ListArrayType, typename ValueType>
Status append_list_chunk(const std::string& path, const std::string& column,
                         const ListArrayType& list, int64_t first_row, int64_t& dim,
                         std::vector<float>& out) {
  // Through the buffer, not a NumericArray<ValueType> cast: halffloat values are read as their
  // uint16 bits, and a HalfFloatArray is not a NumericArray<UInt16Type>.
  const arrow::Array& values = *list.values();
  const auto* raw = values.data()->template GetValues<typename ValueType::c_type>(1);
  const bool value_nulls = values.null_count() > 0;
  for (int64_t row = 0; row < list.length(); ++row) {
    const int64_t file_row = first_row + row;
    if (list.IsNull(row)) {
      return Status::data_error("{}: column '{}' row {}: null embedding", path, column, file_row);
    }
    const int64_t start = list.value_offset(row);
    const int64_t width = list.value_length(row);
    if (dim == 0) {
      if (width == 0) {
        return Status::data_error("{}: column '{}' row {}: empty embedding", path, column,
                                  file_row);
      }
      dim = width;
    }
    if (width != dim) {
      return Status::data_error(
          "{}: column '{}' row {}: embedding has {} values, the cluster's first row has {}", path,
          column, file_row, width, dim);
    }
    for (int64_t k = 0; k < width; ++k) {
      if (value_nulls && values.IsNull(start + k)) {
        return Status::data_error("{}: column '{}' row {}: null value at position {}", path,
                                  column, file_row, k);
      }
      const float value = stored_to_float<ValueType>(raw[start + k]);
      if (!std::isfinite(value)) {
        return Status::data_error("{}: column '{}' row {}: non-finite value {} at position {}",
                                  path, column, file_row, static_cast<double>(value), k);
      }
      out.push_back(value);
    }
  }
  return Status::OK();
}

template <typename ValueType>
Status append_chunk(const std::string& path, const std::string& column, const arrow::Array& chunk,
                    int64_t first_row, int64_t& dim, std::vector<float>& out) {
  switch (chunk.type_id()) {
    case arrow::Type::LIST:
      return append_list_chunk<arrow::ListArray, ValueType>(
          path, column, static_cast<const arrow::ListArray&>(chunk), first_row, dim, out);
    case arrow::Type::LARGE_LIST:
      return append_list_chunk<arrow::LargeListArray, ValueType>(
          path, column, static_cast<const arrow::LargeListArray&>(chunk), first_row, dim, out);
    default:
      return append_list_chunk<arrow::FixedSizeListArray, ValueType>(
          path, column, static_cast<const arrow::FixedSizeListArray&>(chunk), first_row, dim,
          out);
  }
}

Status append_embeddings(const std::string& path, const std::string& column,
                         const arrow::ChunkedArray& array, InputEmbeddingDtype dtype,
                         int64_t& dim, std::vector<float>& out) {
  SD_ASSIGN_OR_RETURN(const bool half, check_embedding_type(path, column, *array.type(), dtype));
  const auto& list_type = static_cast<const arrow::BaseListType&>(*array.type());
  const bool is_double = list_type.value_type()->id() == arrow::Type::DOUBLE;
  int64_t first_row = 0;
  for (const auto& chunk : array.chunks()) {
    if (half) {
      // uint16 bit patterns and halffloat share the storage: read both through uint16.
      SD_RETURN_IF_ERROR(
          append_chunk<arrow::UInt16Type>(path, column, *chunk, first_row, dim, out));
    } else if (is_double) {
      SD_RETURN_IF_ERROR(
          append_chunk<arrow::DoubleType>(path, column, *chunk, first_row, dim, out));
    } else {
      SD_RETURN_IF_ERROR(append_chunk<arrow::FloatType>(path, column, *chunk, first_row, dim, out));
    }
    first_row += chunk->length();
  }
  return Status::OK();
}

}  // namespace

Result<int64_t> inspect_cluster(const std::vector<std::string>& files,
                                const std::vector<std::string>& columns,
                                const std::string& embedding_field,
                                InputEmbeddingDtype dtype) {
  int64_t rows = 0;
  std::vector<std::string> wanted = columns;
  wanted.push_back(embedding_field);
  for (const auto& path : files) {
    SD_ASSIGN_OR_RETURN(OpenedFile file, open_parquet(path));
    SD_ASSIGN_OR_RETURN(auto indices, field_indices(path, *file.schema, wanted));
    SD_RETURN_IF_ERROR(check_embedding_type(path, embedding_field,
                                            *file.schema->field(indices.back())->type(), dtype)
                           .status());
    rows += file.reader->parquet_reader()->metadata()->num_rows();
  }
  return rows;
}

Result<ClusterData> read_cluster(const std::vector<std::string>& files,
                                 const std::vector<std::string>& columns,
                                 const std::string& embedding_field,
                                 InputEmbeddingDtype dtype) {
  std::vector<std::string> wanted = columns;
  wanted.push_back(embedding_field);
  std::shared_ptr<arrow::Schema> first_schema;
  std::string first_path;
  std::vector<std::shared_ptr<arrow::Table>> tables;
  std::vector<float> values;
  int64_t dim = 0;
  int64_t rows = 0;
  for (const auto& path : files) {
    SD_ASSIGN_OR_RETURN(OpenedFile file, open_parquet(path));
    SD_ASSIGN_OR_RETURN(auto indices, field_indices(path, *file.schema, wanted));
    arrow::FieldVector fields;
    arrow::ChunkedArrayVector arrays;
    for (size_t c = 0; c < indices.size(); ++c) {
      std::shared_ptr<arrow::ChunkedArray> array;
      SD_RETURN_IF_ERROR(from_arrow(file.reader->ReadColumn(indices[c], &array),
                                    StatusCode::kIOError,
                                    fmt::format("{}: column '{}'", path, wanted[c])));
      if (c + 1 == indices.size()) {
        SD_RETURN_IF_ERROR(append_embeddings(path, embedding_field, *array, dtype, dim, values));
        rows += array->length();
      } else {
        if (c == 0 && array->null_count() > 0) {
          int64_t file_row = 0;
          for (const auto& chunk : array->chunks()) {
            for (int64_t row = 0; row < chunk->length(); ++row, ++file_row) {
              if (chunk->IsNull(row)) {
                return Status::data_error("{}: column '{}' row {}: null id", path, wanted[c],
                                          file_row);
              }
            }
          }
        }
        fields.push_back(file.schema->field(indices[c]));
        arrays.push_back(std::move(array));
      }
    }
    auto table = arrow::Table::Make(arrow::schema(fields), arrays);
    if (!first_schema) {
      first_schema = table->schema();
      first_path = path;
    } else if (!table->schema()->Equals(*first_schema, /*check_metadata=*/false)) {
      return Status::data_error("{}: columns {} differ from {} in {}", path,
                                table->schema()->ToString(), first_schema->ToString(),
                                first_path);
    }
    tables.push_back(std::move(table));
  }
  ClusterData data;
  if (tables.empty()) {
    return Status::data_error("no Parquet files to read");
  }
  SD_ASSIGN_OR_RETURN(data.columns, from_arrow(arrow::ConcatenateTables(tables),
                                               StatusCode::kDataError, first_path));
  data.embeddings = Matrix(rows, dim);
  if (!values.empty()) {
    std::memcpy(data.embeddings.data(), values.data(), values.size() * sizeof(float));
  }
  return data;
}

}  // namespace semdedup::io
