#include "io/jsonl_lines.hpp"

#include <arrow/buffer.h>
#include <arrow/io/file.h>

#include "io/arrow_status.hpp"

namespace semdedup::io {

namespace {

/// White space as JSON defines it, but for the '\n' that ends lines.
constexpr const char* kJsonSpace = " \t\r";

/// Deepest nesting of `line` (arrays and objects outside strings), or kMaxJsonDepth + 1 as
/// soon as it is exceeded. The line need not be valid JSON: Arrow or RapidJSON judge that.
int nesting_depth(std::string_view line) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxJsonDepth) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<JsonlLineReader> JsonlLineReader::open(const std::string& path) {
  JsonlLineReader reader;
  reader.in_.open(path, std::ios::binary);
  if (!reader.in_) return Status::io_error("file {}: cannot open", path);
  return reader;
}

bool JsonlLineReader::next(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_number_;
  terminated_ = !in_.eof();
  if (line_number_ == 1 && line.starts_with(kUtf8Bom)) {
    had_bom_ = true;
    line.erase(0, kUtf8Bom.size());
  }
  return true;
}

bool has_content(std::string_view line) {
  return line.find_first_not_of(kJsonSpace) != std::string_view::npos;
}

Status check_lines_are_objects(const std::string& path) {
  SD_ASSIGN_OR_RETURN(JsonlLineReader lines, JsonlLineReader::open(path));
  std::string line;
  int64_t row = 0;
  while (lines.next(line)) {
    const size_t first = line.find_first_not_of(kJsonSpace);
    if (first == std::string::npos) continue;
    if (line[first] != '{') {
      return Status::io_error("file {}: row {} (line {}): not a JSON object", path, row,
                              lines.line_number());
    }
    if (nesting_depth(line) > kMaxJsonDepth) {
      return Status::io_error("file {}: row {} (line {}): JSON nested deeper than {} levels", path,
                              row, lines.line_number(), kMaxJsonDepth);
    }
    ++row;
  }
  if (lines.failed()) return Status::io_error("file {}: read error", path);
  return Status::OK();
}

Result<std::shared_ptr<arrow::io::InputStream>> open_jsonl_stream(const std::string& path) {
  const std::string context = fmt::format("file {}: cannot open", path);
  SD_ASSIGN_OR_RETURN(
      auto file, from_arrow(arrow::io::ReadableFile::Open(path), StatusCode::kIOError, context));
  SD_ASSIGN_OR_RETURN(const int64_t size,
                      from_arrow(file->GetSize(), StatusCode::kIOError, context));
  int64_t skip = 0;
  if (size >= static_cast<int64_t>(kUtf8Bom.size())) {
    SD_ASSIGN_OR_RETURN(
        auto head, from_arrow(file->ReadAt(0, kUtf8Bom.size()), StatusCode::kIOError, context));
    if (head->ToString() == kUtf8Bom) skip = static_cast<int64_t>(kUtf8Bom.size());
  }
  return from_arrow(arrow::io::RandomAccessFile::GetStream(file, skip, size - skip),
                    StatusCode::kIOError, context);
}

}  // namespace semdedup::io
