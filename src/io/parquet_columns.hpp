#pragma once
// Reading whole Parquet files (or some of their columns, by name) into an Arrow table, with
// errors that name the file and the missing column. For the small result files the identify,
// report and remove steps read; the embedding reader streams instead (reader.hpp).

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// The columns `names` of `path`, in that order; every column when `names` is empty.
Result<std::shared_ptr<arrow::Table>> read_parquet_columns(const std::string& path,
                                                           const std::vector<std::string>& names);

}  // namespace semdedup::io
