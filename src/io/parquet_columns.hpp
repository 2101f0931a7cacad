#pragma once
// Reading Parquet columns for Arrow, with errors that name the file: whole files (or some of
// their columns, by name) as a table, for the small result files the identify and report steps
// read; and the row of a null list Arrow cannot decode. Files are opened by parquet_open.

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

/// 0-based row of the first null list in the top-level list column `field` (index among the
/// file's top-level fields), read from the Parquet levels alone, or -1 when there is none.
/// Arrow 25 cannot decode a fixed_size_list column that holds a null row ("Expected all lists
/// to be of size=..."); this says which row it is.
Result<int64_t> first_null_list_row(parquet::arrow::FileReader& reader, int field,
                                    const std::string& path);

}  // namespace semdedup::io
