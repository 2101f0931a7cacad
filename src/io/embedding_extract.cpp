#include "io/embedding_extract.hpp"

#include <arrow/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "io/row_norm.hpp"
#include "semdedup/io/half.hpp"

namespace semdedup::io {

namespace {

/// Rows whose squared norms are accumulated side by side (independent dependency chains).
constexpr int64_t kNormRowGroup = 8;
/// Rows copied before they are checked and normalised together (kept in L1/L2).
constexpr int64_t kFinishBlockRows = 32;

/// One fp16 value as stored (uint16 bits or Arrow halffloat), for add_rows.
struct HalfBits {
  uint16_t bits;
};

template <typename T>
void copy_values(const T* src, float* dst, int64_t count) {
  if constexpr (std::is_same_v<T, HalfBits>) {
    halves_to_floats(reinterpret_cast<const uint16_t*>(src), dst, count);
  } else if constexpr (std::is_same_v<T, float>) {
    std::memcpy(dst, src, static_cast<std::size_t>(count) * sizeof(float));
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]);
  }
}

/// First index in [begin, begin + count) whose value slot is null, or -1.
int64_t first_null_value(const arrow::Array& values, int64_t begin, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (values.IsNull(begin + i)) return i;
  }
  return -1;
}

/// Squared L2 norm of each of `rows` consecutive rows, each summed in float32 in index order
/// (so a row's norm never depends on its neighbours or the batch it sits in). Groups of
/// rows are summed side by side to overlap their dependency chains. No contraction into FMA
/// (this file is built with -ffp-contract=off), so builds for different ISAs give the same bits.
void squared_norms(const float* data, int64_t rows, int64_t dim, float* out) {
  int64_t row = 0;
  for (; row + kNormRowGroup <= rows; row += kNormRowGroup) {
    const float* base = data + row * dim;
    float sums[kNormRowGroup] = {};
    for (int64_t i = 0; i < dim; ++i) {
      for (int64_t k = 0; k < kNormRowGroup; ++k) {
        const float value = base[k * dim + i];
        sums[k] += value * value;
      }
    }
    for (int64_t k = 0; k < kNormRowGroup; ++k) out[row + k] = sums[k];
  }
  for (; row < rows; ++row) {
    const float* values = data + row * dim;
    float sum = 0.0f;
    for (int64_t i = 0; i < dim; ++i) sum += values[i] * values[i];
    out[row] = sum;
  }
}

}  // namespace

EmbeddingExtractor::EmbeddingExtractor(float* out, int64_t capacity, int64_t dim, bool normalise)
    : out_(out), dim_(dim), normalise_(normalise) {
  source_rows_.reserve(static_cast<std::size_t>(capacity));
  double_sources_.reserve(static_cast<std::size_t>(capacity));
}

void EmbeddingExtractor::reject(int64_t row, RowFault fault, std::string reason, int64_t width,
                                int64_t index) {
  rejects_.push_back({row, fault, std::move(reason), width, index, 0.0f});
}

/// Copies the non-null rows of the right width of `lists` into the buffer, recording the
/// others as rejects. `row0` is the number of lists[0].
template <typename ListArrayT, typename T>
void EmbeddingExtractor::add_rows(const ListArrayT& lists, int64_t row0) {
  const auto& values = *lists.values();
  const T* raw = values.data()->template GetValues<T>(1);
  const bool check_rows = lists.null_count() > 0;
  const bool check_values = values.null_count() > 0;
  for (int64_t i = 0; i < lists.length(); ++i) {
    const int64_t row = row0 + i;
    if (check_rows && lists.IsNull(i)) {
      reject(row, RowFault::kNullEmbedding, "null embedding");
      continue;
    }
    const int64_t begin = lists.value_offset(i);
    const int64_t width = lists.value_length(i);
    if (width == 0) {
      reject(row, RowFault::kEmptyList, "empty embedding list");
      continue;
    }
    if (width != dim_) {
      reject(row, RowFault::kWidth,
             fmt::format("list has {} values but the first row has {}", width, dim_), width);
      continue;
    }
    if (check_values) {
      const int64_t null_at = first_null_value(values, begin, width);
      if (null_at >= 0) {
        reject(row, RowFault::kNullValue, fmt::format("null value at index {}", null_at), 0,
               null_at);
        continue;
      }
    }
    copy_values(raw + begin, out_ + written_ * dim_, width);
    source_rows_.push_back(row);
    if constexpr (std::is_same_v<T, double>) {
      double_sources_.push_back(raw + begin);
    } else {
      double_sources_.push_back(nullptr);
    }
    // Finishing small blocks while they are still in cache makes one pass over memory.
    if (++written_ - finished_ == kFinishBlockRows) check_pending();
  }
}

template <typename ListArrayT>
void EmbeddingExtractor::add_typed(const ListArrayT& lists, int64_t row0) {
  switch (lists.values()->type_id()) {
    case arrow::Type::FLOAT:
      return add_rows<ListArrayT, float>(lists, row0);
    case arrow::Type::DOUBLE:
      return add_rows<ListArrayT, double>(lists, row0);
    case arrow::Type::INT8:
      return add_rows<ListArrayT, int8_t>(lists, row0);
    case arrow::Type::INT16:
      return add_rows<ListArrayT, int16_t>(lists, row0);
    case arrow::Type::INT32:
      return add_rows<ListArrayT, int32_t>(lists, row0);
    case arrow::Type::INT64:
      return add_rows<ListArrayT, int64_t>(lists, row0);
    case arrow::Type::UINT8:
      return add_rows<ListArrayT, uint8_t>(lists, row0);
    case arrow::Type::UINT16:  // fp16 bit patterns: the column checks refused them otherwise
    case arrow::Type::HALF_FLOAT:
      return add_rows<ListArrayT, HalfBits>(lists, row0);
    case arrow::Type::UINT32:
      return add_rows<ListArrayT, uint32_t>(lists, row0);
    case arrow::Type::UINT64:
      return add_rows<ListArrayT, uint64_t>(lists, row0);
    default:
      return;  // excluded by the column checks
  }
}

void EmbeddingExtractor::add(const arrow::Array& column, int64_t row0) {
  switch (column.type_id()) {
    case arrow::Type::LIST:
      return add_typed(static_cast<const arrow::ListArray&>(column), row0);
    case arrow::Type::LARGE_LIST:
      return add_typed(static_cast<const arrow::LargeListArray&>(column), row0);
    case arrow::Type::FIXED_SIZE_LIST:
      return add_typed(static_cast<const arrow::FixedSizeListArray&>(column), row0);
    default:  // null type: every row is null
      for (int64_t i = 0; i < column.length(); ++i) {
        reject(row0 + i, RowFault::kNullEmbedding, "null embedding");
      }
  }
}

void EmbeddingExtractor::check_pending() {
  float norms[kFinishBlockRows];
  int64_t kept = finished_;
  for (int64_t block = finished_; block < written_; block += kFinishBlockRows) {
    const int64_t rows = std::min(kFinishBlockRows, written_ - block);
    squared_norms(out_ + block * dim_, rows, dim_, norms);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t row = block + i;
      float* values = out_ + row * dim_;
      std::string reason = normalise_row(values, dim_, norms[i], double_sources_[row], normalise_);
      if (!reason.empty()) {
        // A refused row is left as it was read: find the value at fault, if any.
        int64_t index = 0;
        while (index < dim_ && std::isfinite(values[index])) ++index;
        Reject bad{source_rows_[row], RowFault::kZeroNorm, std::move(reason), 0, -1, 0.0f};
        if (index < dim_) {
          bad.fault = RowFault::kNonFinite;
          bad.index = index;
          bad.value = values[index];
        }
        rejects_.push_back(std::move(bad));
        continue;
      }
      float* target = out_ + kept * dim_;
      if (target != values) {
        std::memmove(target, values, static_cast<std::size_t>(dim_) * sizeof(float));
      }
      source_rows_[kept] = source_rows_[row];
      double_sources_[kept] = double_sources_[row];
      ++kept;
    }
  }
  finished_ = written_ = kept;
  source_rows_.resize(static_cast<std::size_t>(kept));
  double_sources_.resize(static_cast<std::size_t>(kept));
}

void EmbeddingExtractor::finish() {
  check_pending();
  std::sort(rejects_.begin(), rejects_.end(),
            [](const Reject& a, const Reject& b) { return a.row < b.row; });
}

int64_t first_width(const arrow::Array& column) {
  auto scan = [](const auto& lists) -> int64_t {
    for (int64_t i = 0; i < lists.length(); ++i) {
      if (lists.IsValid(i) && lists.value_length(i) > 0) return lists.value_length(i);
    }
    return 0;
  };
  switch (column.type_id()) {
    case arrow::Type::LIST:
      return scan(static_cast<const arrow::ListArray&>(column));
    case arrow::Type::LARGE_LIST:
      return scan(static_cast<const arrow::LargeListArray&>(column));
    case arrow::Type::FIXED_SIZE_LIST:
      return scan(static_cast<const arrow::FixedSizeListArray&>(column));
    default:
      return 0;
  }
}

}  // namespace semdedup::io
