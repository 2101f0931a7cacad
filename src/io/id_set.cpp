#include "semdedup/io/id_set.hpp"

#include <arrow/api.h>

#include <limits>

#include "io/arrow_status.hpp"

namespace semdedup::io {

namespace {

bool is_string_type(arrow::Type::type id) {
  return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
         id == arrow::Type::STRING_VIEW;
}

/// Calls `visit(value)` with each id of `array` (int64_t, uint64_t or std::string_view) and
/// `on_null(index)` for each null; the first non-OK status stops the walk.
template <typename Visit, typename OnNull>
Status for_each_id(const arrow::Array& array, Visit&& visit, OnNull&& on_null) {
  auto walk = [&](const auto& typed) -> Status {
    for (int64_t i = 0; i < typed.length(); ++i) {
      if (typed.IsNull(i)) {
        SD_RETURN_IF_ERROR(on_null(i));
      } else {
        visit(typed.GetView(i));
      }
    }
    return Status::OK();
  };
  switch (array.type_id()) {
    case arrow::Type::INT8:
      return walk(static_cast<const arrow::Int8Array&>(array));
    case arrow::Type::INT16:
      return walk(static_cast<const arrow::Int16Array&>(array));
    case arrow::Type::INT32:
      return walk(static_cast<const arrow::Int32Array&>(array));
    case arrow::Type::INT64:
      return walk(static_cast<const arrow::Int64Array&>(array));
    case arrow::Type::UINT8:
      return walk(static_cast<const arrow::UInt8Array&>(array));
    case arrow::Type::UINT16:
      return walk(static_cast<const arrow::UInt16Array&>(array));
    case arrow::Type::UINT32:
      return walk(static_cast<const arrow::UInt32Array&>(array));
    case arrow::Type::UINT64:
      return walk(static_cast<const arrow::UInt64Array&>(array));
    case arrow::Type::STRING:
      return walk(static_cast<const arrow::StringArray&>(array));
    case arrow::Type::LARGE_STRING:
      return walk(static_cast<const arrow::LargeStringArray&>(array));
    case arrow::Type::STRING_VIEW:
      return walk(static_cast<const arrow::StringViewArray&>(array));
    default:
      return Status::internal("id column of type {} reached the id set", array.type()->ToString());
  }
}

}  // namespace

IdSet IdSet::make(const std::vector<std::shared_ptr<arrow::Array>>& chunks,
                  const std::shared_ptr<arrow::DataType>& type) {
  IdSet set;
  set.type_name_ = type->ToString();
  set.integers_ = arrow::is_integer(type->id());
  for (const auto& chunk : chunks) {
    set.size_ += chunk->length();
    const Status walked = for_each_id(
        *chunk,
        [&set](auto id) {
          using T = decltype(id);
          if constexpr (std::is_same_v<T, std::string_view>) {
            set.strings_.emplace(id);
          } else if constexpr (std::is_unsigned_v<T>) {
            if (id > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
              set.large_unsigned_.insert(id);
            } else {
              set.signed_.insert(static_cast<int64_t>(id));
            }
          } else {
            set.signed_.insert(static_cast<int64_t>(id));
          }
        },
        [](int64_t) { return Status::OK(); });
    (void)walked;  // read_id_set checked the type and the nulls
  }
  return set;
}

bool IdSet::contains_unsigned(uint64_t id) const {
  if (id > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return large_unsigned_.contains(id);
  }
  return signed_.contains(static_cast<int64_t>(id));
}

bool IdSet::accepts(const arrow::DataType& type) const {
  if (arrow::is_integer(type.id())) return integers_ || empty();
  if (is_string_type(type.id())) return !integers_ || empty();
  return false;
}

Result<std::shared_ptr<arrow::Array>> IdSet::keep_mask(const arrow::Array& ids,
                                                       const std::string& path,
                                                       const std::string& column,
                                                       int64_t row0) const {
  arrow::BooleanBuilder keep;
  const std::string context = fmt::format("file {}: column '{}'", path, column);
  SD_RETURN_IF_ERROR(from_arrow(keep.Reserve(ids.length()), StatusCode::kInternal, context));
  SD_RETURN_IF_ERROR(for_each_id(
      ids,
      [&](auto id) {
        using T = decltype(id);
        bool duplicate = false;
        if constexpr (std::is_same_v<T, std::string_view>) {
          duplicate = contains(id);
        } else if constexpr (std::is_unsigned_v<T>) {
          duplicate = contains_unsigned(id);
        } else {
          duplicate = contains(static_cast<int64_t>(id));
        }
        keep.UnsafeAppend(!duplicate);
      },
      [&](int64_t index) {
        return Status::data_error("file {}: column '{}' row {}: null id", path, column,
                                  row0 + index);
      }));
  return from_arrow(keep.Finish(), StatusCode::kInternal, context);
}

}  // namespace semdedup::io
