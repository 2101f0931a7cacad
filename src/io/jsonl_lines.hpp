#pragma once
// Line-level handling of JSON-lines files, before (or instead of) Arrow's JSON reader: Arrow
// 25's reader crashes (SIGSEGV inside its bundled rapidjson) on some files whose lines are not
// objects, e.g. a first line " null}", and on deeply nested lines; and it does not skip a
// leading UTF-8 byte order mark.

#include <arrow/io/interfaces.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// Deepest nesting of arrays and objects accepted on a JSON line (the line's own object is
/// depth 1). Embeddings are depth 2 and NeMo's metadata rarely deeper than a few levels;
/// Arrow's parser crashes on lines nested about 20,000 deep and slows down quadratically long
/// before that.
inline constexpr int kMaxJsonDepth = 128;

/// The UTF-8 byte order mark that some editors put at the start of a text file.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

/// The lines of a JSON-lines file, in order, without their '\n' (a '\r' before it is kept)
/// and, on line 1, without a leading UTF-8 byte order mark.
class JsonlLineReader {
 public:
  /// io_error when `path` cannot be opened.
  static Result<JsonlLineReader> open(const std::string& path);
  /// The next line, or false at the end of the file.
  bool next(std::string& line);
  /// 1-based number of the line next() returned last.
  int64_t line_number() const { return line_number_; }
  /// Whether the line next() returned last ended with '\n' (only the last line may not).
  bool terminated() const { return terminated_; }
  /// Whether line 1 began with a byte order mark (known once next() returned line 1).
  bool had_bom() const { return had_bom_; }
  /// Whether a read failed (as opposed to reaching the end of the file).
  bool failed() const { return failed_; }

 private:
  /// Appends the next chunk of the file to buffer_ (dropping what was consumed); false at the
  /// end of the file or on a read error.
  bool fill();

  std::shared_ptr<arrow::io::InputStream> in_;
  std::string buffer_;  ///< read but not yet returned, from pos_
  size_t pos_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  int64_t line_number_ = 0;
  bool terminated_ = false;
  bool had_bom_ = false;
};

/// Whether `line` holds more than JSON white space (space, tab, carriage return).
bool has_content(std::string_view line);

/// io_error naming the row and line of the first non-blank line of `path` that does not
/// start with '{' (after JSON white space) or nests arrays and objects deeper than kMaxJsonDepth;
/// OK otherwise.
Status check_lines_are_objects(const std::string& path);

/// `path` as an Arrow input stream, positioned after a leading byte order mark.
Result<std::shared_ptr<arrow::io::InputStream>> open_jsonl_stream(const std::string& path);

}  // namespace semdedup::io
