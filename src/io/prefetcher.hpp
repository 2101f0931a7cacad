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
  /// Starts min(lanes, files) threads; `files` and `options` outlive the prefetcher.
  Prefetcher(const std::vector<std::string>& files, const ReadOptions& options, int64_t lanes,
             int64_t capacity);
  /// Stops the threads (a lane blocked on a full queue gives up) and joins them.
  ~Prefetcher();

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
  bool push(Lane& lane, Item item);
  /// Waits for the lane's next item.
  Item pop(Lane& lane);
  /// The thread of lane `lane_index`: opens its files in order and queues their batches.
  void run(int64_t lane_index);

  const std::vector<std::string>& files_;
  const ReadOptions& options_;
  const int64_t capacity_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
};

}  // namespace semdedup::io
