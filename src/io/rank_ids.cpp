#include "semdedup/io/rank_ids.hpp"

#include <arrow/api.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "io/unique_ids.hpp"
#include "semdedup/core/communicator.hpp"
#include "semdedup/io/reader.hpp"

namespace semdedup::io {

namespace {

// FNV-1a: a fixed function of the bytes, so every rank routes an id to the same owner.
uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (const char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

void put(std::vector<uint8_t>& out, const void* data, size_t bytes) {
  const size_t at = out.size();
  out.resize(at + bytes);
  std::memcpy(out.data() + at, data, bytes);
}

template <typename T>
T take(const std::vector<uint8_t>& in, size_t& at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  at += sizeof(T);
  return value;
}

// The earliest repeat a rank found: the id's second row, its first row and its text.
struct Repeat {
  int64_t second = -1;
  int64_t first = -1;
  std::string text;
};

std::vector<uint8_t> encode(const Repeat& repeat) {
  std::vector<uint8_t> out;
  if (repeat.second < 0) return out;
  put(out, &repeat.second, sizeof(int64_t));
  put(out, &repeat.first, sizeof(int64_t));
  put(out, repeat.text.data(), repeat.text.size());
  return out;
}

Repeat decode(const std::vector<uint8_t>& bytes) {
  Repeat repeat;
  if (bytes.empty()) return repeat;
  size_t at = 0;
  repeat.second = take<int64_t>(bytes, at);
  repeat.first = take<int64_t>(bytes, at);
  repeat.text.assign(reinterpret_cast<const char*>(bytes.data() + at), bytes.size() - at);
  return repeat;
}

}  // namespace

RankIds::RankIds(int ranks) : buckets_(static_cast<size_t>(std::max(ranks, 1))) {}

void RankIds::add(const Batch& batch) {
  if (!batch.columns) return;
  const arrow::Array& ids = *batch.columns->column(0);
  for (int64_t i = 0; i < ids.length(); ++i) {
    if (ids.IsNull(i)) continue;
    const std::string text = id_text(ids, i);
    auto& bucket = buckets_[fnv1a(text) % buckets_.size()];
    const auto length = static_cast<uint32_t>(text.size());
    put(bucket, &length, sizeof(length));
    put(bucket, text.data(), text.size());
    put(bucket, &batch.input_rows[static_cast<size_t>(i)], sizeof(int64_t));
  }
}

Status RankIds::check(Communicator& comm, const std::vector<std::string>& files,
                      const std::vector<int64_t>& file_rows, const std::string& id_field) const {
  if (static_cast<size_t>(comm.size()) != buckets_.size()) {
    return Status::internal("id check: made for {} ranks, called on {}", buckets_.size(),
                            comm.size());
  }
  std::vector<std::vector<uint8_t>> received;
  SD_RETURN_IF_ERROR(comm.alltoall(buckets_, &received));

  // Every id this rank owns with its two lowest rows.
  std::unordered_map<std::string_view, std::pair<int64_t, int64_t>> rows;
  for (const auto& bytes : received) {
    size_t at = 0;
    while (at < bytes.size()) {
      const auto length = take<uint32_t>(bytes, at);
      const std::string_view text(reinterpret_cast<const char*>(bytes.data() + at), length);
      at += length;
      const auto row = take<int64_t>(bytes, at);
      const auto [it, fresh] = rows.try_emplace(text, row, int64_t{-1});
      if (fresh) continue;
      auto& [lowest, next] = it->second;
      if (row < lowest) {
        next = lowest;
        lowest = row;
      } else if (next < 0 || row < next) {
        next = row;
      }
    }
  }
  Repeat mine;
  for (const auto& [text, pair] : rows) {
    if (pair.second >= 0 && (mine.second < 0 || pair.second < mine.second)) {
      mine = {pair.second, pair.first, std::string(text)};
    }
  }

  std::vector<std::vector<uint8_t>> all;
  SD_RETURN_IF_ERROR(comm.allgather(encode(mine), &all));
  Repeat earliest;
  for (const auto& bytes : all) {
    const Repeat repeat = decode(bytes);
    if (repeat.second >= 0 && (earliest.second < 0 || repeat.second < earliest.second)) {
      earliest = repeat;
    }
  }
  if (earliest.second < 0) return Status::OK();
  // Global row -> (file, row in file).
  const auto locate = [&](int64_t row) {
    size_t file = 0;
    while (file + 1 < file_rows.size() && row >= file_rows[file]) row -= file_rows[file++];
    return std::make_pair(files[file], row);
  };
  const auto [second_file, second_row] = locate(earliest.second);
  const auto [first_file, first_row] = locate(earliest.first);
  return Status::data_error(
      "file {}: column '{}' row {}: duplicate id {} (first at {} row {}); ids must be unique",
      second_file, id_field, second_row, earliest.text, first_file, first_row);
}

}  // namespace semdedup::io
