#include "io/arrow_status.hpp"

#include <fmt/format.h>

namespace semdedup::io {

std::string arrow_message(const arrow::Status& status) {
  std::string text = status.message();
  if (status.detail()) {
    const std::string detail = status.detail()->ToString();
    if (!detail.empty()) text += " (" + detail + ")";
  }
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += "; ";
    } else if (c != '\r') {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

Status from_arrow(const arrow::Status& status, StatusCode code, std::string_view context) {
  if (status.ok()) return Status::OK();
  return {code, fmt::format("{}: {}", context, arrow_message(status))};
}

}  // namespace semdedup::io
