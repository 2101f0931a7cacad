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

}  // namespace semdedup::io
