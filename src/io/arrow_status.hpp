#pragma once
/// \file Turning Arrow's Status / Result into ours, with the file (and column) put in front.

#include <arrow/result.h>
#include <arrow/status.h>

#include <string>
#include <string_view>
#include <utility>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// Arrow's message on one line: newlines (Arrow adds detail lines) become "; ".
std::string arrow_message(const arrow::Status& status);

/// OK for an OK `status`; otherwise a Status with `code` and "context: <arrow message>".
Status from_arrow(const arrow::Status& status, StatusCode code, std::string_view context);

/// The value of `result`, or its failure converted as by from_arrow(status, code, context).
template <typename T>
Result<T> from_arrow(arrow::Result<T>&& result, StatusCode code, std::string_view context) {
  if (!result.ok()) return from_arrow(result.status(), code, context);
  return std::move(result).ValueUnsafe();
}

}  // namespace semdedup::io
