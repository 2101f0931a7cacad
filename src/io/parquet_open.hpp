#pragma once
// The one way semdedup opens a Parquet file for reading: every reader (the KMeans input, the
// pairwise cluster files, the identify / report result files, remove, row counts and footers)
// comes through open_parquet_file.

#include <parquet/arrow/reader.h>
#include <parquet/properties.h>

#include <memory>
#include <string>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// How open_parquet_file opens a file.
struct ParquetOpenOptions {
  /// Arrow read properties (batch size, threads, pre-buffering).
  parquet::ArrowReaderProperties properties = parquet::default_arrow_reader_properties();
  /// Map the file into memory (the streaming readers) rather than read it through a handle.
  bool memory_map = false;
};

/// `path` opened as Parquet, its footer read: io_error "file F: cannot open: ..." when the file
/// cannot be opened, "file F: cannot read Parquet: ..." when it is not Parquet (Parquet's
/// exceptions included).
Result<std::unique_ptr<parquet::arrow::FileReader>> open_parquet_file(
    const std::string& path, const ParquetOpenOptions& options = {});

}  // namespace semdedup::io
