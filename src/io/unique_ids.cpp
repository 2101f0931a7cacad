#include "io/unique_ids.hpp"

#include <arrow/api.h>

#include <string_view>
#include <type_traits>

namespace semdedup::io {

namespace {

std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

template <typename ArrowType, typename Map>
std::optional<UniqueIds::Repeat> add_integers(const arrow::Array& array,
                                              std::span<const int64_t> rows, Map& seen) {
  const auto& ids = static_cast<const arrow::NumericArray<ArrowType>&>(array);
  for (int64_t i = 0; i < ids.length(); ++i) {
    if (ids.IsNull(i)) continue;
    const auto value = ids.Value(i);
    // Every value of one column has one type, so the bit pattern is as unique as the value.
    const auto key = static_cast<int64_t>(
        static_cast<std::make_unsigned_t<std::remove_const_t<decltype(value)>>>(value));
    const auto [it, fresh] = seen.try_emplace(key, rows[i]);
    if (!fresh) return UniqueIds::Repeat{id_text(array, i), i, it->second};
  }
  return std::nullopt;
}

template <typename ArrayType, typename Map>
std::optional<UniqueIds::Repeat> add_strings(const arrow::Array& array,
                                             std::span<const int64_t> rows, Map& seen) {
  const auto& ids = static_cast<const ArrayType&>(array);
  for (int64_t i = 0; i < ids.length(); ++i) {
    if (ids.IsNull(i)) continue;
    const auto [it, fresh] = seen.try_emplace(std::string(ids.GetView(i)), rows[i]);
    if (!fresh) return UniqueIds::Repeat{id_text(array, i), i, it->second};
  }
  return std::nullopt;
}

}  // namespace

std::string id_text(const arrow::Array& ids, int64_t i) {
  switch (ids.type_id()) {
    case arrow::Type::INT64:
      return std::to_string(static_cast<const arrow::Int64Array&>(ids).Value(i));
    case arrow::Type::INT32:
      return std::to_string(static_cast<const arrow::Int32Array&>(ids).Value(i));
    case arrow::Type::STRING:
      return quoted(static_cast<const arrow::StringArray&>(ids).GetView(i));
    case arrow::Type::LARGE_STRING:
      return quoted(static_cast<const arrow::LargeStringArray&>(ids).GetView(i));
    default: {
      auto scalar = ids.GetScalar(i);
      if (!scalar.ok()) return std::string();
      const std::string text = (*scalar)->ToString();
      return arrow::is_integer(ids.type_id()) ? text : quoted(text);
    }
  }
}

std::optional<UniqueIds::Repeat> UniqueIds::add(const arrow::Array& ids,
                                                std::span<const int64_t> rows) {
  switch (ids.type_id()) {
    case arrow::Type::INT8: return add_integers<arrow::Int8Type>(ids, rows, integers_);
    case arrow::Type::INT16: return add_integers<arrow::Int16Type>(ids, rows, integers_);
    case arrow::Type::INT32: return add_integers<arrow::Int32Type>(ids, rows, integers_);
    case arrow::Type::INT64: return add_integers<arrow::Int64Type>(ids, rows, integers_);
    case arrow::Type::UINT8: return add_integers<arrow::UInt8Type>(ids, rows, integers_);
    case arrow::Type::UINT16: return add_integers<arrow::UInt16Type>(ids, rows, integers_);
    case arrow::Type::UINT32: return add_integers<arrow::UInt32Type>(ids, rows, integers_);
    case arrow::Type::UINT64: return add_integers<arrow::UInt64Type>(ids, rows, integers_);
    case arrow::Type::STRING: return add_strings<arrow::StringArray>(ids, rows, texts_);
    case arrow::Type::LARGE_STRING: return add_strings<arrow::LargeStringArray>(ids, rows, texts_);
    default: break;
  }
  for (int64_t i = 0; i < ids.length(); ++i) {
    if (ids.IsNull(i)) continue;
    auto scalar = ids.GetScalar(i);
    if (!scalar.ok()) continue;
    const auto [it, fresh] = texts_.try_emplace((*scalar)->ToString(), rows[i]);
    if (!fresh) return Repeat{id_text(ids, i), i, it->second};
  }
  return std::nullopt;
}

}  // namespace semdedup::io
