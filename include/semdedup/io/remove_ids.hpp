#pragma once
/// \file The anti-join of the remove step: copy an input file without the rows whose id is in
/// a set of duplicate ids.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/id_set.hpp"

namespace semdedup::io {

/// Every id in the Parquet files of `dir` (column "id"): integers or strings, one type in
/// every file. io_error for a missing directory; data_error naming the file (and row) for an id
/// column of another type and for a null id. An empty directory gives an empty set.
Result<IdSet> read_id_set(const std::string& dir);

struct FilteredFile {
  int64_t rows_in = 0;
  int64_t rows_out = 0;
};

/// Reads `input` (every column) a record batch at a time, drops the rows whose `id_field`
/// value is in `ids`, and writes the rest to `output` (atomically; row groups of 65,536 rows for
/// Parquet) as `output_type`. Row order and columns are kept. Memory: a few batches, not the
/// file. Ids match only ids of the same kind (IdSet): an integer id column against string
/// duplicates (or the reverse) is a data_error naming both types; a null id is a data_error
/// naming its row. JSON lines written as JSON lines are copied line by line, each kept line
/// byte for byte (filter_jsonl_lines); otherwise a JSONL input is streamed with the types of
/// its first block and, when a later row adds a field or changes a type, read again whole.
Result<FilteredFile> remove_ids(const std::string& input, FileType input_type,
                                const std::string& output, FileType output_type,
                                const std::string& id_field, const IdSet& ids);

}  // namespace semdedup::io
