#pragma once
/// \file The anti-join of the remove step: copy an input file without the rows whose id is in
/// a set of duplicate ids.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

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

/// The values of `columns` of the rows of `files` whose `id_field`, rendered as text (decimal
/// digits for integers, the string itself for strings, as read_pair_text renders ids), is one
/// of `ids`: id text -> one text per column (empty for null). The first row with an id wins;
/// ids found in no file are absent. Files are read a batch at a time and no further once every
/// id is found. data_error naming the file when it lacks `id_field` or one of `columns`.
Result<std::map<std::string, std::vector<std::string>>> read_rows_by_id(
    const std::vector<std::string>& files, FileType type, const std::string& id_field,
    const std::vector<std::string>& columns, const std::set<std::string>& ids);

}  // namespace semdedup::io
