#pragma once
/// \file Whole columns of a Parquet file as plain vectors, for small side tables (ground truth,
/// pairwise scores of a demo) that orchestration code inspects row by row.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// Column `column` of the Parquet file `path`, cast to int64 (nulls are an error).
Result<std::vector<int64_t>> read_int64_column(const std::string& path, const std::string& column);

/// Column `column` of the Parquet file `path`, cast to float32 (nulls become NaN).
Result<std::vector<float>> read_float_column(const std::string& path, const std::string& column);

/// Column `column` of the Parquet file `path` as text (each value's string form; nulls "").
Result<std::vector<std::string>> read_string_column(const std::string& path,
                                                    const std::string& column);

}  // namespace semdedup::io
