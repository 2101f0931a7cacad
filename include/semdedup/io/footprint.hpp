#pragma once
/// \file What reading input files would cost in memory, known before reading them: the KMeans
/// stage's choice between fitting on every row and fitting on the files that fit a budget.

#include <cstdint>
#include <string>
#include <string_view>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::io {

/// Bytes the embeddings of one file take as a float32 matrix, estimated without reading the
/// data: for Parquet, 4 x the values of the embedding column's leaf in the footer (exact for
/// valid rows); for JSONL, the file size (each number takes at least 4 bytes of text, so this
/// is never an underestimate). io_error naming the file when it cannot be read; data_error when
/// a Parquet file has no column `embedding_field`.
Result<int64_t> embedding_bytes(const std::string& path, FileType type,
                                const std::string& embedding_field);

/// Bytes of memory available to this process now: MemAvailable of /proc/meminfo, else the free
/// physical pages.
int64_t available_memory_bytes();

/// A byte count as a user writes it: a number with an optional K, M, G or T suffix (powers of
/// 1024; "B", "iB" allowed after it: 512M, 1.5GiB, 8g, 1000000). invalid_argument otherwise.
Result<int64_t> parse_byte_size(std::string_view text);

}  // namespace semdedup::io
