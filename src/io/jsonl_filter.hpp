#pragma once
// The remove step for JSON lines written as JSON lines: kept rows are copied as they came in,
// never through Arrow's type inference (which turns ISO dates into timestamps, 1 into 1.0,
// large integers into doubles and missing keys into nulls).

#include <string>

#include "semdedup/core/status.hpp"
#include "semdedup/io/id_set.hpp"
#include "semdedup/io/remove_ids.hpp"

namespace semdedup::io {

/// Copies the lines of `input` whose `id_field` is not in `ids` to `output` (atomically). Only
/// the id is interpreted; each kept line's bytes are written unchanged (a '\r' before its '\n'
/// included), followed by '\n' (also after a last line that had none). Blank lines are not
/// rows and are dropped; a leading byte order mark is kept when the input had one.
/// Errors name the file, row and line: io_error for a line that is not a JSON object;
/// data_error for a missing, null, non-integer/non-string id, or an id of the other kind than
/// `ids` (naming both types).
Result<FilteredFile> filter_jsonl_lines(const std::string& input, const std::string& output,
                                        const std::string& id_field, const IdSet& ids);

}  // namespace semdedup::io
