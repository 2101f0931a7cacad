#include "semdedup/io/batch_ops.hpp"

#include <arrow/api.h>

#include <system_error>

#include "io/arrow_status.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

std::shared_ptr<arrow::RecordBatch> slice_batch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                int64_t offset, int64_t length) {
  return batch->Slice(offset, length);
}

int64_t batch_rows(const std::shared_ptr<arrow::RecordBatch>& batch) {
  return batch ? batch->num_rows() : 0;
}

std::string rejected_part_path(const std::string& dir, int64_t part) {
  return join_path(join_path(dir, kRejectedDir), kmeans_part_file_name(part));
}

Status write_rejected_part(const std::string& dir, int64_t part,
                           const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> nonempty;
  for (const auto& batch : batches) {
    if (batch_rows(batch) > 0) nonempty.push_back(batch);
  }
  if (nonempty.empty()) return Status::OK();
  const std::string path = rejected_part_path(dir, part);
  const std::string context = fmt::format("rejected rows of part {}", part);
  SD_ASSIGN_OR_RETURN(auto table, from_arrow(arrow::Table::FromRecordBatches(nonempty),
                                             StatusCode::kInternal, context));
  SD_ASSIGN_OR_RETURN(table, from_arrow(table->CombineChunks(), StatusCode::kInternal, context));
  if (const Status made = create_directories(parent_path(path)); !made.ok()) {
    return Status::io_error("cannot create directory {}: {}", parent_path(path), made.message());
  }
  return write_parquet(path, table);
}

}  // namespace semdedup::io
