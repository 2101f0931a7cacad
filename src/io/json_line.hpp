#pragma once
// One JSON line parsed by RapidJSON, where Arrow's JSON reader must not see or rewrite it.

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace semdedup::io {

/// Parses `line` into `doc` with the flags of Arrow's JSON parser (NaN and Infinity accepted,
/// iterative so depth cannot overflow the stack). Empty on success; otherwise why `line` is not
/// one JSON object: "JSON parse error: <reason>" (Arrow's wording) or "not a JSON object".
std::string parse_json_object(std::string_view line, rapidjson::Document& doc);

/// "number", "string", "boolean", "list", "object" or "null": what the user wrote.
const char* json_kind(const rapidjson::Value& value);

}  // namespace semdedup::io
