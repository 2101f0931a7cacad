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

Prefetcher::Prefetcher(const std::vector<std::string>& files, const ReadOptions& options,
                       int64_t lanes, int64_t capacity)
    : files_(files), options_(options), capacity_(capacity) {
  lanes = std::max<int64_t>(1, std::min<int64_t>(lanes, static_cast<int64_t>(files.size())));
  for (int64_t lane = 0; lane < lanes; ++lane) lanes_.push_back(std::make_unique<Lane>());
  for (int64_t lane = 0; lane < lanes; ++lane) threads_.emplace_back([this, lane] { run(lane); });
}

Prefetcher::~Prefetcher() {
  for (auto& lane : lanes_) {
    std::lock_guard<std::mutex> lock(lane->mutex);
    lane->stop = true;
    lane->cv.notify_all();
  }
  for (auto& thread : threads_) thread.join();
}

bool Prefetcher::push(Lane& lane, Item item) {
  std::unique_lock<std::mutex> lock(lane.mutex);
  lane.cv.wait(lock,
               [&] { return lane.stop || static_cast<int64_t>(lane.items.size()) < capacity_; });
  if (lane.stop) return false;
  lane.items.push_back(std::move(item));
  lane.cv.notify_all();
  return true;
}

Prefetcher::Item Prefetcher::pop(Lane& lane) {
  std::unique_lock<std::mutex> lock(lane.mutex);
  lane.cv.wait(lock, [&] { return !lane.items.empty(); });
  Item item = std::move(lane.items.front());
  lane.items.pop_front();
  lane.cv.notify_all();
  return item;
}

void Prefetcher::run(int64_t lane_index) {
  Lane& lane = *lanes_[lane_index];
  const auto lanes = static_cast<int64_t>(lanes_.size());
  for (auto file = lane_index; file < static_cast<int64_t>(files_.size()); file += lanes) {
    auto source = open_records(files_[file], options_);
    if (!source.ok()) {
      push(lane, {file, source.status(), nullptr, false, {}, nullptr});
      return;
    }
    if (!push(lane,
              {file, Status::OK(), nullptr, true, (*source)->columns(), (*source)->schema()})) {
      return;
    }
    while (true) {
      auto batch = (*source)->next();
      if (!batch.ok()) {
        push(lane, {file, batch.status(), nullptr, false, {}, nullptr});
        return;
      }
      const bool end = *batch == nullptr;
      if (!push(lane, {file, Status::OK(), std::move(*batch), false, {}, nullptr})) return;
      if (end) break;
    }
  }
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
