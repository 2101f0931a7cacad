#include "io/json_line.hpp"

#include <fmt/format.h>
#include <rapidjson/error/en.h>

namespace semdedup::io {

std::string parse_json_object(std::string_view line, rapidjson::Document& doc) {
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNanAndInfFlag;
  doc.Parse<kFlags>(line.data(), line.size());
  if (doc.HasParseError()) {
    return fmt::format("JSON parse error: {}", rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return "not a JSON object";
  return {};
}

const char* json_kind(const rapidjson::Value& value) {
  if (value.IsNumber()) return "number";
  if (value.IsString()) return "string";
  if (value.IsBool()) return "boolean";
  if (value.IsArray()) return "list";
  if (value.IsObject()) return "object";
  return "null";
}

}  // namespace semdedup::io
