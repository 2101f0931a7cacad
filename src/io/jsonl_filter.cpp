#include "io/jsonl_filter.hpp"

#include "io/json_line.hpp"
#include "io/jsonl_lines.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace {

/// Bytes of kept lines gathered before one write.
constexpr size_t kWriteBytes = size_t{1} << 20;

/// Whether the row with id `id` is kept; an error for an id that cannot be looked up.
Result<bool> keep_row(const rapidjson::Value& id, const IdSet& ids) {
  if (id.IsString()) {
    if (ids.integers() && !ids.empty()) {
      return Status::data_error("id has type string but the duplicates' ids have type {}",
                                ids.type_name());
    }
    return !ids.contains(std::string_view(id.GetString(), id.GetStringLength()));
  }
  if (id.IsInt64() || id.IsUint64()) {
    if (!ids.integers() && !ids.empty()) {
      return Status::data_error("id has type int64 but the duplicates' ids have type {}",
                                ids.type_name());
    }
    return id.IsInt64() ? !ids.contains(id.GetInt64()) : !ids.contains_unsigned(id.GetUint64());
  }
  if (id.IsNull()) return Status::data_error("null id");
  return Status::data_error("id is a {}; ids must be integers or strings", json_kind(id));
}

}  // namespace

Result<FilteredFile> filter_jsonl_lines(const std::string& input, const std::string& output,
                                        const std::string& id_field, const IdSet& ids) {
  SD_RETURN_IF_ERROR(check_lines_are_objects(input));
  SD_ASSIGN_OR_RETURN(JsonlLineReader lines, JsonlLineReader::open(input));
  SD_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::create(output));
  FilteredFile counts;
  rapidjson::Document doc;
  std::string line;
  std::string pending;
  while (lines.next(line)) {
    if (lines.line_number() == 1 && lines.had_bom()) pending.append(kUtf8Bom);
    if (!has_content(line)) continue;
    const int64_t row = counts.rows_in++;
    if (const std::string error = parse_json_object(line, doc); !error.empty()) {
      return Status::io_error("file {}: row {} (line {}): not a valid JSON object: {}", input, row,
                              lines.line_number(), error);
    }
    const auto id = doc.FindMember(id_field.c_str());
    if (id == doc.MemberEnd()) {
      return Status::data_error("file {}: row {} (line {}): no field '{}'", input, row,
                                lines.line_number(), id_field);
    }
    auto keep = keep_row(id->value, ids);
    if (!keep.ok()) {
      return Status::data_error("file {}: column '{}' row {} (line {}): {}", input, id_field, row,
                                lines.line_number(), keep.status().message());
    }
    if (!*keep) continue;
    ++counts.rows_out;
    pending.append(line);
    pending.push_back('\n');
    if (pending.size() >= kWriteBytes) {
      SD_RETURN_IF_ERROR(out.write(pending));
      pending.clear();
    }
  }
  if (lines.failed()) return Status::io_error("file {}: read error", input);
  SD_RETURN_IF_ERROR(out.write(pending));
  SD_RETURN_IF_ERROR(out.commit());
  return counts;
}

}  // namespace semdedup::io
