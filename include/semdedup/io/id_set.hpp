#pragma once
/// \file The duplicate ids of the remove step, for lookups that match only ids of the same
/// kind: integers by value (whatever their width), strings by their bytes. A string "007"
/// never removes the integer 7.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// A set of integer or string ids (about 50 bytes per id, plus the text of string ids).
class IdSet {
 public:
  /// The ids of `chunks` (of one integer or string type, no nulls: read_id_set checks).
  static IdSet make(const std::vector<std::shared_ptr<arrow::Array>>& chunks,
                    const std::shared_ptr<arrow::DataType>& type);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// The Arrow type the ids were read with ("int64", "string", ...).
  const std::string& type_name() const { return type_name_; }
  /// Whether the ids are integers (else strings).
  bool integers() const { return integers_; }

  bool contains(int64_t id) const { return signed_.contains(id); }
  bool contains_unsigned(uint64_t id) const;
  bool contains(std::string_view id) const { return strings_.contains(std::string(id)); }

  /// Whether ids of Arrow type `type` can be looked up here: an integer type against integer
  /// ids, a string type against string ids, anything against an empty set.
  bool accepts(const arrow::DataType& type) const;

  /// True for each row of `ids` (an id column of a type accepts() took) whose id is not in the
  /// set. data_error "file F: column 'C' row R: null id" for a null, `row0` being the file row
  /// of ids[0].
  Result<std::shared_ptr<arrow::Array>> keep_mask(const arrow::Array& ids, const std::string& path,
                                                  const std::string& column, int64_t row0) const;

 private:
  int64_t size_ = 0;
  std::string type_name_ = "int64";
  bool integers_ = true;
  std::unordered_set<int64_t> signed_;
  std::unordered_set<uint64_t> large_unsigned_;  ///< unsigned ids above INT64_MAX
  std::unordered_set<std::string> strings_;
};

}  // namespace semdedup::io
