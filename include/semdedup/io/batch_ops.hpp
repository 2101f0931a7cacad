#pragma once
/// \file Small operations on the readers' record batches that stages need without touching
/// Arrow themselves: slicing at part boundaries and writing rejected rows.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace arrow {
class RecordBatch;
}  // namespace arrow

namespace semdedup::io {

/// Rows [offset, offset + length) of `batch`, sharing its memory (no copy).
std::shared_ptr<arrow::RecordBatch> slice_batch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                int64_t offset, int64_t length);

/// Number of rows of `batch` (0 for null).
int64_t batch_rows(const std::shared_ptr<arrow::RecordBatch>& batch);

/// `<dir>/rejected/part-<part, 6 digits>.parquet`.
std::string rejected_part_path(const std::string& dir, int64_t part);

/// Writes the rejected rows `batches` (the readers' Batch::rejected, all of one schema, in row
/// order) as rejected_part_path(dir, part), one chunk per column, atomically. Nothing is
/// written when they hold no rows.
Status write_rejected_part(const std::string& dir, int64_t part,
                           const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches);

}  // namespace semdedup::io
