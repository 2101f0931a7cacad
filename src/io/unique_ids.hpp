#pragma once
// Remembers every id a DatasetReader has served so a repeated id is caught where it appears.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace arrow {
class Array;
}  // namespace arrow

namespace semdedup::io {

/// Id `i` of `ids` as error messages print it: integers as numbers, anything else quoted.
std::string id_text(const arrow::Array& ids, int64_t i);

/// Ids seen so far, each with the global input row where it first appeared. Integer ids (any
/// width or sign) are kept as int64 bit patterns, every other type as text: about 40 bytes per
/// integer id plus the text of string ids. Nulls are not ids and are never reported.
class UniqueIds {
 public:
  /// A repeated id: its text, the position in the array handed to add(), and the earlier row.
  struct Repeat {
    std::string id;
    int64_t index = 0;
    int64_t earlier_row = 0;
  };

  /// Records `ids[i]` as the id of global input row `rows[i]` (rows.size() == ids.length());
  /// returns the first id that was seen before (in an earlier call or earlier in `ids`).
  std::optional<Repeat> add(const arrow::Array& ids, std::span<const int64_t> rows);

 private:
  std::unordered_map<int64_t, int64_t> integers_;
  std::unordered_map<std::string, int64_t> texts_;
};

}  // namespace semdedup::io
