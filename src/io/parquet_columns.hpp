#pragma once
// Opening Parquet files for Arrow, with errors that name the file: whole files (or some of
// their columns, by name) as a table, for the small result files the identify and report steps
// read; or a memory-mapped reader for the streaming readers (reader.hpp, remove).

#include <arrow/type_fwd.h>
#include <parquet/arrow/reader.h>

#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// The columns `names` of `path`, in that order; every column when `names` is empty.
Result<std::shared_ptr<arrow::Table>> read_parquet_columns(const std::string& path,
                                                           const std::vector<std::string>& names);

/// `path` memory-mapped and opened with `properties`: io_error "file F: cannot open: ..." or
/// "file F: cannot read Parquet: ..." (Parquet's exceptions included).
Result<std::unique_ptr<parquet::arrow::FileReader>> open_parquet_reader(
    const std::string& path, const parquet::ArrowReaderProperties& properties);

/// 0-based row of the first null list in the top-level list column `field` (index among the
/// file's top-level fields), read from the Parquet levels alone, or -1 when there is none.
/// Arrow 25 cannot decode a fixed_size_list column that holds a null row ("Expected all lists
/// to be of size=..."); this says which row it is.
Result<int64_t> first_null_list_row(parquet::arrow::FileReader& reader, int field,
                                    const std::string& path);

}  // namespace semdedup::io
