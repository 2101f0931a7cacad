#include "io/column_resolution.hpp"

#include <arrow/api.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "semdedup/io/half.hpp"

namespace semdedup::io {

namespace {

std::string field_names(const arrow::Schema& schema) {
  std::vector<std::string> names;
  names.reserve(schema.num_fields());
  for (const auto& field : schema.fields()) names.push_back(field->name());
  return fmt::format("{}", fmt::join(names, ", "));
}

bool is_number_type(arrow::Type::type id) {
  return arrow::is_integer(id) || id == arrow::Type::FLOAT || id == arrow::Type::DOUBLE;
}

bool is_embedding_type(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::NA:  // every row null: reported row by row
      return true;
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST:
      return is_number_type(type.field(0)->type()->id()) ||
             type.field(0)->type()->id() == arrow::Type::HALF_FLOAT;
    default:
      return false;
  }
}

bool is_id_type(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || type.id() == arrow::Type::STRING ||
         type.id() == arrow::Type::LARGE_STRING;
}

Result<int> find_column(const arrow::Schema& schema, const std::string& name,
                        const std::string& path) {
  const std::vector<int> found = schema.GetAllFieldIndices(name);
  if (found.empty()) {
    return Status::data_error("file {}: column '{}' not found; available: {}", path, name,
                              field_names(schema));
  }
  if (found.size() > 1) {
    return Status::data_error("file {}: column '{}' appears {} times", path, name, found.size());
  }
  return found.front();
}

}  // namespace

std::vector<std::string> passthrough_names(const ReadOptions& options) {
  std::vector<std::string> names;
  if (options.embeddings_only) return names;
  names.push_back(options.columns.id_field);
  for (const auto& name : options.columns.metadata_fields) names.push_back(name);
  return names;
}

Result<ColumnIndices> resolve_columns(const arrow::Schema& schema, const std::string& path,
                                      const ReadOptions& options) {
  ColumnIndices indices;
  const std::string& embedding_name = options.columns.embedding_field;
  SD_ASSIGN_OR_RETURN(indices.embedding, find_column(schema, embedding_name, path));
  const auto& embedding_type = *schema.field(indices.embedding)->type();
  if (!is_embedding_type(embedding_type)) {
    return Status::data_error(
        "file {}: column '{}' has type {}; expected a list of numbers (float32, float64 or "
        "integers)",
        path, embedding_name, embedding_type.ToString());
  }
  // uint16 values are fp16 bit patterns (NeMo 1.4), unless the dtype refuses them.
  if (embedding_type.id() != arrow::Type::NA) {
    SD_RETURN_IF_ERROR(is_half_storage(*embedding_type.field(0)->type(),
                                       options.input_embedding_dtype, path, embedding_name,
                                       embedding_type.ToString())
                           .status());
  }
  for (const std::string& name : passthrough_names(options)) {
    SD_ASSIGN_OR_RETURN(const int index, find_column(schema, name, path));
    indices.passthrough.push_back(index);
  }
  if (!options.embeddings_only) {
    const auto& id_type = *schema.field(indices.passthrough.front())->type();
    if (!is_id_type(id_type)) {
      return Status::data_error(
          "file {}: column '{}' has type {}; expected an integer or string id", path,
          options.columns.id_field, id_type.ToString());
    }
  }
  return indices;
}

}  // namespace semdedup::io
