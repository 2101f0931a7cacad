#include "semdedup/io/cluster.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <cmath>
#include <cstring>

#include "semdedup/io/filesystem.hpp"
#include "io/arrow_status.hpp"
#include "io/embedding_extract.hpp"
#include "io/parquet_open.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::io {

namespace {

struct OpenedFile {
  std::unique_ptr<parquet::arrow::FileReader> reader;
  std::shared_ptr<arrow::Schema> schema;
};

Result<OpenedFile> open_parquet(const std::string& path) {
  SD_ASSIGN_OR_RETURN(auto reader, open_parquet_file(path));
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
        quoted_names(missing), quoted_names(schema.field_names()));
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

// The pairwise reader's wording of a bad row found by the extractor; `first` tells whether the
// row is the cluster's first (an empty list then has no width to differ from).
std::string describe(const Reject& bad, int64_t dim, bool first) {
  switch (bad.fault) {
    case RowFault::kNullEmbedding: return "null embedding";
    case RowFault::kEmptyList:
      if (first) return "empty embedding";
      return fmt::format("embedding has 0 values, the cluster's first row has {}", dim);
    case RowFault::kWidth:
      return fmt::format("embedding has {} values, the cluster's first row has {}", bad.width, dim);
    case RowFault::kNullValue: return fmt::format("null value at position {}", bad.index);
    case RowFault::kNonFinite:
      return fmt::format("non-finite value {} at position {}", static_cast<double>(bad.value),
                         bad.index);
    case RowFault::kZeroNorm: return bad.reason;
  }
  return bad.reason;
}

Status append_embeddings(const std::string& path, const std::string& column,
                         const arrow::ChunkedArray& array, InputEmbeddingDtype dtype,
                         int64_t& dim, std::vector<float>& out) {
  SD_RETURN_IF_ERROR(check_embedding_type(path, column, *array.type(), dtype).status());
  int64_t first_row = 0;
  for (const auto& chunk : array.chunks()) {
    // The cluster's first row fixes the width; rows are checked, not normalised.
    const bool width_unset = dim == 0;
    if (width_unset) dim = first_width(*chunk);
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(chunk->length() * dim));
    EmbeddingExtractor extractor(out.data() + at, chunk->length(), dim, /*normalise=*/false);
    extractor.add(*chunk, first_row);
    extractor.finish();
    if (!extractor.rejects().empty()) {
      const Reject& bad = extractor.rejects().front();
      return Status::data_error("{}: column '{}' row {}: {}", path, column, bad.row,
                                describe(bad, dim, width_unset && bad.row == first_row));
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
