#pragma once
/// \file One name table per enum, read both ways: a `parse_*` function finds the value of a
/// name and a `*_name` function prints a value, from the same rows, so that the spelling a
/// flag, a YAML key, a log line or a manifest uses is written once, beside the enum.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace semdedup {

/// One row of an enum's name table.
template <typename Enum>
struct EnumName {
  Enum value;
  std::string_view name;
};

/// The table's name of `value` (the first row holding it); "" for a value the table lacks,
/// which a complete table never does.
template <typename Enum, size_t N>
constexpr std::string_view enum_name(const std::array<EnumName<Enum>, N>& table, Enum value) {
  for (const auto& row : table) {
    if (row.value == value) return row.name;
  }
  return {};
}

/// The value named `name` in `table`, nullopt if no row has that name.
template <typename Enum, size_t N>
constexpr std::optional<Enum> enum_from_name(const std::array<EnumName<Enum>, N>& table,
                                             std::string_view name) {
  for (const auto& row : table) {
    if (row.name == name) return row.value;
  }
  return std::nullopt;
}

/// The table's names in order (CLI11's IsMember takes them).
template <typename Enum, size_t N>
std::vector<std::string> enum_names(const std::array<EnumName<Enum>, N>& table) {
  std::vector<std::string> names;
  names.reserve(N);
  for (const auto& row : table) names.emplace_back(row.name);
  return names;
}

/// The table's names joined by `separator` ("parquet|jsonl"), for messages and help texts.
template <typename Enum, size_t N>
std::string enum_names_joined(const std::array<EnumName<Enum>, N>& table,
                              std::string_view separator = "|") {
  std::string joined;
  for (const auto& row : table) {
    if (!joined.empty()) joined += separator;
    joined += row.name;
  }
  return joined;
}

}  // namespace semdedup
