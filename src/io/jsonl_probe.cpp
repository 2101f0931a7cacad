#include "io/jsonl_probe.hpp"

#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <arrow/json/api.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <limits>
#include <set>

#include "io/arrow_status.hpp"
#include "io/json_line.hpp"
#include "io/jsonl_lines.hpp"

namespace semdedup::io {

namespace {

/// Per requested field: the kind of its first non-null value and where it was seen.
struct FieldSeen {
  const char* kind = nullptr;
  int64_t row = -1;
};

/// Arrow's JSON messages end with " in row N", N counted inside a parse block: misleading
/// next to our file rows, so it is cut.
std::string without_block_row(std::string message) {
  const std::size_t at = message.rfind(" in row ");
  if (at != std::string::npos &&
      message.find_first_not_of("0123456789", at + 8) == std::string::npos) {
    message.resize(at);
  }
  return message;
}

/// Arrow's inference failed over the probed rows (one block, so the " in row N" its message
/// ends with is the file's row N): the row and line named, Arrow's own row number cut.
Status explain_disagreement(const std::string& path, const arrow::Status& failure,
                            const std::vector<int64_t>& line_of_row) {
  std::string message = arrow_message(failure);
  const size_t at = message.rfind(" in row ");
  if (at != std::string::npos) {
    const std::string number = message.substr(at + 8);
    if (!number.empty() && number.find_first_not_of("0123456789") == std::string::npos) {
      const size_t row = std::stoull(number);
      if (row < line_of_row.size()) {
        message.resize(at);
        return Status::data_error("file {}: row {} (line {}): inconsistent JSON types: {}", path,
                                  row, line_of_row[row], message);
      }
    }
  }
  return Status::data_error("file {}: the JSON lines do not agree on column types: {}", path,
                            message);
}

}  // namespace

Result<JsonlProbe> probe_jsonl(const std::string& path, const std::vector<std::string>& names,
                               int64_t block_bytes) {
  SD_ASSIGN_OR_RETURN(JsonlLineReader lines, JsonlLineReader::open(path));
  JsonlProbe probe;
  std::set<std::string> available;
  std::vector<FieldSeen> seen(names.size());
  std::vector<int64_t> line_of_row;
  rapidjson::Document doc;
  rapidjson::StringBuffer projected;
  std::string line;
  int64_t row = 0;
  int64_t bytes = 0;
  auto all_seen = [&] {
    return std::all_of(seen.begin(), seen.end(), [](const FieldSeen& f) { return f.kind; });
  };
  while ((bytes < block_bytes || !all_seen()) && lines.next(line)) {
    bytes += static_cast<int64_t>(line.size()) + 1;
    if (!has_content(line)) continue;
    if (const std::string error = parse_json_object(line, doc); !error.empty()) {
      return Status::io_error("file {}: row {} (line {}): not a valid JSON object: {}", path, row,
                              lines.line_number(), error);
    }
    for (const auto& member : doc.GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      if (available.insert(name).second) probe.available.push_back(std::move(name));
    }
    // Only the requested fields reach Arrow, as the rows' own values re-serialised: the
    // types Arrow infers are those it would infer from the whole rows.
    rapidjson::Writer<rapidjson::StringBuffer> writer(projected);
    writer.StartObject();
    for (size_t i = 0; i < names.size(); ++i) {
      const auto member = doc.FindMember(names[i].c_str());
      if (member == doc.MemberEnd()) continue;
      const rapidjson::Value& value = member->value;
      const char* kind = json_kind(value);
      if (!value.IsNull()) {
        if (!seen[i].kind) {
          seen[i] = {kind, row};
        } else if (std::string_view(seen[i].kind) != kind) {
          return Status::data_error(
              "file {}: row {} (line {}): column '{}' holds a {} but row {} holds a {}", path, row,
              lines.line_number(), names[i], kind, seen[i].row, seen[i].kind);
        }
      }
      writer.Key(names[i].c_str(), static_cast<rapidjson::SizeType>(names[i].size()));
      value.Accept(writer);
    }
    writer.EndObject();
    projected.Put('\n');
    line_of_row.push_back(lines.line_number());
    ++row;
  }
  if (lines.failed()) return Status::io_error("file {}: read error", path);
  if (row == 0) return probe;

  auto buffer =
      std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(projected.GetString()),
                                      static_cast<int64_t>(projected.GetSize()));
  auto read_options = arrow::json::ReadOptions::Defaults();
  read_options.use_threads = false;
  // One block: the types come from every probed row.
  read_options.block_size = static_cast<int32_t>(
      std::min<int64_t>(buffer->size() + 1, std::numeric_limits<int32_t>::max()));
  auto reader = arrow::json::TableReader::Make(arrow::default_memory_pool(),
                                               std::make_shared<arrow::io::BufferReader>(buffer),
                                               read_options, arrow::json::ParseOptions::Defaults());
  auto table = reader.ok() ? (*reader)->Read()
                           : arrow::Result<std::shared_ptr<arrow::Table>>(reader.status());
  if (!table.ok()) return explain_disagreement(path, table.status(), line_of_row);
  probe.schema = (*table)->schema();
  return probe;
}

Status explain_json_failure(const std::string& path, const arrow::Status& failure,
                            const arrow::json::ParseOptions& options) {
  auto lines = JsonlLineReader::open(path);
  if (!lines.ok()) return lines.status();
  std::string line;
  int64_t row = 0;
  while (lines->next(line)) {
    const int64_t line_number = lines->line_number();
    if (!has_content(line)) continue;
    auto parsed = arrow::json::ParseOne(options, arrow::Buffer::FromString(line));
    if (!parsed.ok()) {
      const std::string message = without_block_row(arrow_message(parsed.status()));
      const bool changed = message.find("changed from") != std::string::npos;
      if (options.explicit_schema &&
          (changed || message.find("JSON parse error") == std::string::npos)) {
        return Status::data_error(
            "file {}: row {} (line {}): types differ from the file's first rows: {}", path, row,
            line_number, message);
      }
      if (changed) {
        return Status::data_error("file {}: row {} (line {}): inconsistent JSON types: {}", path,
                                  row, line_number, message);
      }
      return Status::io_error("file {}: row {} (line {}): not a valid JSON object: {}", path, row,
                              line_number, message);
    }
    ++row;
  }
  return Status::data_error("file {}: the JSON lines do not agree on column types: {}", path,
                            without_block_row(arrow_message(failure)));
}

}  // namespace semdedup::io
