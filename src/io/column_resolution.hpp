#pragma once
// Where the requested columns sit in a file's schema, with the type checks every file reader
// applies (embedding: a list of numbers or fp16; id: an integer or a string).

#include <arrow/type_fwd.h>

#include <string>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/batch_source.hpp"

namespace semdedup::io {

/// Positions of the requested columns in one schema.
struct ColumnIndices {
  int embedding = -1;
  std::vector<int> passthrough;  ///< id (unless embeddings_only) then metadata fields
};

/// The names of the columns carried through: id then metadata (none when embeddings_only).
std::vector<std::string> passthrough_names(const ReadOptions& options);

/// Finds the requested columns in `schema` (of file `path`) and checks their types:
/// data_error naming the file and column for a missing, repeated or mistyped column.
Result<ColumnIndices> resolve_columns(const arrow::Schema& schema, const std::string& path,
                                      const ReadOptions& options);

}  // namespace semdedup::io
