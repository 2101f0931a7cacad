#pragma once
// A cheap check run before Arrow's JSON reader sees a JSON-lines file: Arrow 25's reader
// crashes (SIGSEGV inside its bundled rapidjson) on some files whose lines are not objects,
// e.g. a first line " null}". Every non-blank line must start, after white space, with '{'.

#include <string>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// io_error naming the row and line of the first non-blank line of `path` that does not start
/// with '{'; OK otherwise.
Status check_lines_are_objects(const std::string& path);

}  // namespace semdedup::io
