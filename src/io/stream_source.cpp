#include "semdedup/io/stream_source.hpp"

#include <arrow/api.h>
#include <arrow/c/bridge.h>
#include <arrow/compute/api.h>

#include <cmath>
#include <cstring>

#include "io/arrow_status.hpp"
#include "io/row_norm.hpp"
#include "semdedup/io/half.hpp"

namespace semdedup::io {

namespace {

/// Row `row`'s reason to be refused, or "" when it is fine (and then normalised in place): the
/// file reader's rule (io/row_norm), so a row gets the same bits from either source.
std::string check_and_normalise(float* values, int64_t dim, const double* source = nullptr) {
  return normalise_row(values, dim, squared_norm(values, dim), source);
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
  // uint16 and halffloat values are fp16 bit patterns (NeMo 1.4's storage, read as its
  // input_embedding_dtype "auto" reads them), decoded exactly; other numbers are cast to
  // float32, with float64 inputs kept beside them to name a value beyond float32's range.
  const arrow::Array& raw = *lists.values();
  const bool half = raw.type_id() == arrow::Type::UINT16 || raw.type_id() == arrow::Type::HALF_FLOAT;
  const uint16_t* half_bits =
      half ? reinterpret_cast<const uint16_t*>(raw.data()->GetValues<uint16_t>(1)) : nullptr;
  const double* doubles = raw.type_id() == arrow::Type::DOUBLE
                              ? static_cast<const arrow::DoubleArray&>(raw).raw_values()
                              : nullptr;
  std::shared_ptr<arrow::Array> values;
  if (!half) {
    SD_ASSIGN_OR_RETURN(values,
                        from_arrow(arrow::compute::Cast(raw, arrow::float32(),
                                                        arrow::compute::CastOptions::Unsafe()),
                                   StatusCode::kDataError, context));
  }
  Matrix matrix(lists.length(), dim);
  for (int64_t row = 0; row < lists.length(); ++row) {
    if (lists.IsNull(row)) return bad(row, "null embedding");
    const int64_t width = lists.value_length(row);
    if (width == 0) return bad(row, "empty embedding list");
    if (width != dim) {
      return bad(row, fmt::format("list has {} values but the first row has {}", width, dim));
    }
    const int64_t begin = lists.value_offset(row);
    if (raw.null_count() > 0) {
      for (int64_t k = 0; k < width; ++k) {
        if (raw.IsNull(begin + k)) return bad(row, fmt::format("null value at index {}", k));
      }
    }
    float* target = matrix.row(row);
    if (half) {
      halves_to_floats(half_bits + begin, target, dim);
    } else {
      const auto& floats = static_cast<const arrow::FloatArray&>(*values);
      std::memcpy(target, floats.raw_values() + begin, static_cast<size_t>(dim) * sizeof(float));
    }
    if (std::string reason = check_and_normalise(target, dim, doubles ? doubles + begin : nullptr);
        !reason.empty()) {
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
