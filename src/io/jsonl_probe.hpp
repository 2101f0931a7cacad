#pragma once
// The column types of a JSON-lines file, inferred by Arrow from the fields semdedup reads
// only: fields it does not read may hold anything (change type, nest, disagree) without
// effect, whatever the file's size. And, when Arrow fails on a file, the line to blame.

#include <arrow/json/options.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// What the first rows of a JSON-lines file say about the fields `names`.
struct JsonlProbe {
  /// The fields of `names` present in the probed rows, with the types Arrow infers from them
  /// (a field null in every probed row has Arrow's null type); null when the file has no rows.
  std::shared_ptr<arrow::Schema> schema;
  /// Every field name of the probed rows, in order of first appearance (for messages).
  std::vector<std::string> available;
};

/// Parses the lines of `path` (RapidJSON, one line at a time) from the first on, keeps only
/// the fields `names` of each, and lets Arrow infer their types from those rows. Probes at
/// least `block_bytes` bytes of the file, and on until every field of `names` was seen with a
/// non-null value (or the file ends). Lines must already have passed check_lines_are_objects.
/// io_error naming the row and line of a line that is not a valid JSON object; data_error
/// naming the row, line and field where a field of `names` changes its kind of value (number,
/// string, list, ...).
Result<JsonlProbe> probe_jsonl(const std::string& path, const std::vector<std::string>& names,
                               int64_t block_bytes);

/// After Arrow failed (`failure`) to read the JSONL file `path` with `options`: the first line
/// that is not a JSON object on its own (io_error) or, with `options` holding the file's column
/// types, that does not fit them (data_error), naming its row and line; a data_error when every
/// line passes alone (the lines disagree on a column's type).
Status explain_json_failure(const std::string& path, const arrow::Status& failure,
                            const arrow::json::ParseOptions& options);

}  // namespace semdedup::io
