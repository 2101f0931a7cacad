#include "io/jsonl_lines.hpp"

#include <arrow/buffer.h>
#include <arrow/io/file.h>

#include <algorithm>

#include "io/arrow_status.hpp"
#include "semdedup/io/filesystem.hpp"

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
  auto in = open_input_stream(path);
  if (!in.ok()) return Status::io_error("file {}: cannot open", path);
  reader.in_ = *std::move(in);
  return reader;
}

bool JsonlLineReader::fill() {
  constexpr int64_t kChunk = 1 << 16;
  buffer_.erase(0, pos_);
  pos_ = 0;
  const size_t old_size = buffer_.size();
  buffer_.resize(old_size + kChunk);
  const auto got = in_->Read(kChunk, buffer_.data() + old_size);
  if (!got.ok()) {
    failed_ = true;
    eof_ = true;
    buffer_.resize(old_size);
    return false;
  }
  buffer_.resize(old_size + static_cast<size_t>(*got));
  if (*got == 0) eof_ = true;
  return *got > 0;
}

bool JsonlLineReader::next(std::string& line) {
  size_t scanned = pos_;
  for (;;) {
    const size_t newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos) {
      line.assign(buffer_, pos_, newline - pos_);
      pos_ = newline + 1;
      terminated_ = true;
      break;
    }
    scanned = buffer_.size() - pos_;
    if (eof_ || !fill()) {
      if (pos_ >= buffer_.size()) return false;
      line.assign(buffer_, pos_, std::string::npos);
      pos_ = buffer_.size();
      terminated_ = false;
      break;
    }
    scanned += pos_;
  }
  ++line_number_;
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
  SD_ASSIGN_OR_RETURN(auto file, open_input_file(path, context));
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
