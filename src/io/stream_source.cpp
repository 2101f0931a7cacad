#include "semdedup/io/stream_source.hpp"

#include <arrow/api.h>
#include <arrow/c/bridge.h>
#include <arrow/compute/api.h>

#include <cmath>
#include <cstring>

#include "io/arrow_status.hpp"

namespace semdedup::io {

namespace {

/// Squared L2 norm of `dim` values summed in float32 in index order, without contraction into
/// FMA: the file reader's arithmetic, so a row gets the same bits from either source.
[[gnu::optimize("fp-contract=off")]] float squared_norm(const float* values, int64_t dim) {
  float sum = 0.0f;
  for (int64_t i = 0; i < dim; ++i) sum += values[i] * values[i];
  return sum;
}

/// Row `row`'s reason to be refused, or "" when it is fine (and then normalised in place).
std::string check_and_normalise(float* values, int64_t dim) {
  const float squared = squared_norm(values, dim);
  if (!std::isfinite(squared)) {
    for (int64_t k = 0; k < dim; ++k) {
      if (!std::isfinite(values[k])) {
        return fmt::format("non-finite value {} at index {}", values[k], k);
      }
    }
    return "squared norm overflows float32";
  }
  if (squared == 0.0f) return "zero norm";
  const float norm = std::sqrt(squared);
  for (int64_t k = 0; k < dim; ++k) values[k] /= norm;
  return "";
}

template <typename ListArrayT>
Result<Matrix> extract(const ListArrayT& lists, const std::string& name) {
  const std::string context = fmt::format("column '{}'", name);
  auto bad = [&](int64_t row, std::string_view reason) {
    return Status::data_error("column '{}' row {}: {}", name, row, reason);
  };
  int64_t dim = 0;
  for (int64_t row = 0; row < lists.length() && dim == 0; ++row) {
    if (lists.IsValid(row)) dim = lists.value_length(row);
  }
  SD_ASSIGN_OR_RETURN(auto values,
                      from_arrow(arrow::compute::Cast(*lists.values(), arrow::float32(),
                                                      arrow::compute::CastOptions::Unsafe()),
                                 StatusCode::kDataError, context));
  const auto& floats = static_cast<const arrow::FloatArray&>(*values);
  Matrix matrix(lists.length(), dim);
  for (int64_t row = 0; row < lists.length(); ++row) {
    if (lists.IsNull(row)) return bad(row, "null embedding");
    const int64_t width = lists.value_length(row);
    if (width == 0) return bad(row, "empty embedding list");
    if (width != dim) {
      return bad(row, fmt::format("list has {} values but the first row has {}", width, dim));
    }
    const int64_t begin = lists.value_offset(row);
    if (floats.null_count() > 0) {
      for (int64_t k = 0; k < width; ++k) {
        if (floats.IsNull(begin + k)) return bad(row, fmt::format("null value at index {}", k));
      }
    }
    float* target = matrix.row(row);
    std::memcpy(target, floats.raw_values() + begin, static_cast<size_t>(dim) * sizeof(float));
    if (std::string reason = check_and_normalise(target, dim); !reason.empty()) {
      return bad(row, reason);
    }
  }
  return matrix;
}

}  // namespace

Result<Matrix> normalised_copy(MatrixView rows, const std::string& name) {
  Matrix matrix(rows.rows, rows.cols);
  for (int64_t row = 0; row < rows.rows; ++row) {
    std::memcpy(matrix.row(row), rows.row(row), static_cast<size_t>(rows.cols) * sizeof(float));
    if (std::string reason = check_and_normalise(matrix.row(row), rows.cols); !reason.empty()) {
      return Status::data_error("column '{}' row {}: {}", name, row, reason);
    }
  }
  return matrix;
}

Result<std::shared_ptr<arrow::Table>> read_arrow_stream(ArrowArrayStream* stream) {
  SD_ASSIGN_OR_RETURN(auto reader, from_arrow(arrow::ImportRecordBatchReader(stream),
                                              StatusCode::kIOError, "Arrow stream"));
  return from_arrow(reader->ToTable(), StatusCode::kIOError, "Arrow stream");
}

Result<Matrix> embeddings_from_table(const arrow::Table& table,
                                     const std::string& embedding_field) {
  const auto column = table.GetColumnByName(embedding_field);
  if (!column) {
    return Status::data_error("column '{}' not found; available: {}", embedding_field,
                              fmt::join(table.schema()->field_names(), ", "));
  }
  SD_ASSIGN_OR_RETURN(auto array, from_arrow(arrow::Concatenate(column->chunks()),
                                             StatusCode::kInternal, "joining chunks"));
  const auto wrong_type = [&] {
    return Status::data_error(
        "column '{}' has type {}; expected a list of numbers (float32, float64 or integers)",
        embedding_field, column->type()->ToString());
  };
  auto numeric = [](const arrow::DataType& type) {
    return arrow::is_floating(type.id()) || arrow::is_integer(type.id());
  };
  switch (array->type_id()) {
    case arrow::Type::LIST: {
      const auto& lists = static_cast<const arrow::ListArray&>(*array);
      if (!numeric(*lists.value_type())) return wrong_type();
      return extract(lists, embedding_field);
    }
    case arrow::Type::LARGE_LIST: {
      const auto& lists = static_cast<const arrow::LargeListArray&>(*array);
      if (!numeric(*lists.value_type())) return wrong_type();
      return extract(lists, embedding_field);
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& lists = static_cast<const arrow::FixedSizeListArray&>(*array);
      if (!numeric(*lists.value_type())) return wrong_type();
      return extract(lists, embedding_field);
    }
    default: return wrong_type();
  }
}

}  // namespace semdedup::io
