#pragma once
// Decoding ahead: worker threads open and decode the next input files while DatasetReader
// converts the batches of the current one.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "io/record_source.hpp"

namespace semdedup::io {

/// Files decoded at the same time, each by its own thread, ahead of the caller.
constexpr int64_t kPrefetchLanes = 2;

/// Record batches a lane may hold decoded: about batch_rows rows, at least 2 batches.
int64_t prefetch_capacity(int64_t batch_rows);

/// Files are dealt to lanes round-robin (file f to lane f % lanes); each lane's thread opens
/// its files in order and queues their record batches, at most `capacity` batches ahead.
/// The caller takes files in list order, so every lane is read in its own order and the
/// output never depends on the number of lanes.
class Prefetcher {
 public:
  Prefetcher(const std::vector<std::string>& files, const ReadOptions& options, int64_t lanes,
             int64_t capacity)
      : files_(files), options_(options), capacity_(capacity) {
    lanes = std::max<int64_t>(1, std::min<int64_t>(lanes, static_cast<int64_t>(files.size())));
    for (int64_t lane = 0; lane < lanes; ++lane) lanes_.push_back(std::make_unique<Lane>());
    for (int64_t lane = 0; lane < lanes; ++lane) threads_.emplace_back([this, lane] { run(lane); });
  }

  ~Prefetcher() {
    for (auto& lane : lanes_) {
      std::lock_guard<std::mutex> lock(lane->mutex);
      lane->stop = true;
      lane->cv.notify_all();
    }
    for (auto& thread : threads_) thread.join();
  }

  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  /// Waits for file `file` to be opened and returns a Source reading it from its lane.
  Result<std::unique_ptr<RecordSource>> open(int64_t file);

 private:
  struct Item {
    int64_t file = 0;
    Status status;                              ///< an open or read failure ends the lane
    std::shared_ptr<arrow::RecordBatch> batch;  ///< null with an OK status: end of file
    bool opened = false;                        ///< the first item of each file
    ColumnIndices columns;                      ///< with `opened`: the file's columns
    std::shared_ptr<arrow::Schema> schema;      ///< with `opened`: the file's schema
  };
  struct Lane {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Item> items;
    bool stop = false;
  };
  class LaneSource;

  Lane& lane_of(int64_t file) { return *lanes_[file % static_cast<int64_t>(lanes_.size())]; }

  /// Queues `item`; false when the prefetcher is stopping.
  bool push(Lane& lane, Item item) {
    std::unique_lock<std::mutex> lock(lane.mutex);
    lane.cv.wait(lock,
                 [&] { return lane.stop || static_cast<int64_t>(lane.items.size()) < capacity_; });
    if (lane.stop) return false;
    lane.items.push_back(std::move(item));
    lane.cv.notify_all();
    return true;
  }

  Item pop(Lane& lane) {
    std::unique_lock<std::mutex> lock(lane.mutex);
    lane.cv.wait(lock, [&] { return !lane.items.empty(); });
    Item item = std::move(lane.items.front());
    lane.items.pop_front();
    lane.cv.notify_all();
    return item;
  }

  void run(int64_t lane_index) {
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

  const std::vector<std::string>& files_;
  const ReadOptions& options_;
  const int64_t capacity_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
};

}  // namespace semdedup::io
