#include "io/jsonl_lines.hpp"

#include <fstream>

namespace semdedup::io {

Status check_lines_are_objects(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("file {}: cannot open", path);
  std::string line;
  int64_t row = 0;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    const size_t first = line.find_first_not_of(" \t\r\f\v");
    if (first == std::string::npos) continue;
    if (line[first] != '{') {
      return Status::io_error("file {}: row {} (line {}): not a JSON object", path, row,
                              line_number);
    }
    ++row;
  }
  return Status::OK();
}

}  // namespace semdedup::io
