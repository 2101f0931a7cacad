#include "io/prefetcher.hpp"

#include <algorithm>
#include <utility>

namespace semdedup::io {

int64_t prefetch_capacity(int64_t batch_rows) {
  return std::max<int64_t>(2, (batch_rows + kParquetBatchRows - 1) / kParquetBatchRows);
}

Result<std::unique_ptr<RecordSource>> open_records(const std::string& path,
                                                   const ReadOptions& options) {
  if (options.filetype == FileType::kParquet) return open_parquet_records(path, options);
  return open_jsonl_records(path, options);
}

/// The caller's view of one prefetched file: batches come out of the lane's queue.
class Prefetcher::LaneSource final : public RecordSource {
 public:
  LaneSource(Prefetcher& prefetcher, int64_t file, ColumnIndices columns,
             std::shared_ptr<arrow::Schema> schema)
      : prefetcher_(prefetcher), file_(file) {
    columns_ = std::move(columns);
    schema_ = std::move(schema);
  }
  Result<std::shared_ptr<arrow::RecordBatch>> next() override {
    Item item = prefetcher_.pop(prefetcher_.lane_of(file_));
    if (!item.status.ok()) return item.status;
    return std::move(item.batch);
  }

 private:
  Prefetcher& prefetcher_;
  int64_t file_;
};

Result<std::unique_ptr<RecordSource>> Prefetcher::open(int64_t file) {
  Item item = pop(lane_of(file));
  if (!item.status.ok()) return item.status;
  SD_DCHECK(item.opened && item.file == file);
  return std::unique_ptr<RecordSource>(
      std::make_unique<LaneSource>(*this, file, std::move(item.columns), std::move(item.schema)));
}

}  // namespace semdedup::io
