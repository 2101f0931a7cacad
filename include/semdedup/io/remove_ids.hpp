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

namespace semdedup::io {

/// Every id in the Parquet files of `dir` (column "id"), concatenated; a missing directory is
/// an error, an empty one gives an empty array of `fallback_type`.
Result<std::shared_ptr<arrow::Array>> read_id_set(const std::string& dir);

struct FilteredFile {
  int64_t rows_in = 0;
  int64_t rows_out = 0;
};

/// Reads `input` (every column) a record batch at a time, drops the rows whose `id_field`
/// value is in `ids`, and writes the rest to `output` (atomically; row groups of 65,536 rows for
/// Parquet) as `output_type`. Row order and columns are kept. Memory: a few batches, not the
/// file. A JSONL input is streamed with the types of its first block; when a later row adds a
/// field or changes a type, the file is read again whole.
Result<FilteredFile> remove_ids(const std::string& input, FileType input_type,
                                const std::string& output, FileType output_type,
                                const std::string& id_field, const std::shared_ptr<arrow::Array>& ids);

/// The values of `columns` of the rows of `files` whose `id_field`, rendered as text (decimal
/// digits for integers, the string itself for strings, as read_pair_text renders ids), is one
/// of `ids`: id text -> one text per column (empty for null). The first row with an id wins;
/// ids found in no file are absent. Files are read a batch at a time and no further once every
/// id is found. data_error naming the file when it lacks `id_field` or one of `columns`.
Result<std::map<std::string, std::vector<std::string>>> read_rows_by_id(
    const std::vector<std::string>& files, FileType type, const std::string& id_field,
    const std::vector<std::string>& columns, const std::set<std::string>& ids);

}  // namespace semdedup::io
