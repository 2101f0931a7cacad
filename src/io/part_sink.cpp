#include <utility>

#include "semdedup/io/batch_ops.hpp"
#include "semdedup/io/kmeans_output.hpp"

namespace semdedup::io {

namespace {

class CentroidPartitionSink final : public PartSink {
 public:
  CentroidPartitionSink(std::string dir, ColumnSpec columns, KMeansWriteOptions options)
      : dir_(std::move(dir)), columns_(std::move(columns)), options_(options) {}

  Status write(const KMeansPart& part) override {
    return write_kmeans_part(dir_, part, columns_, options_);
  }

  Status write_rejected(int64_t part,
                        const std::vector<std::shared_ptr<arrow::RecordBatch>>& rows) override {
    return write_rejected_part(dir_, part, rows);
  }

 private:
  std::string dir_;
  ColumnSpec columns_;
  KMeansWriteOptions options_;
};

}  // namespace

std::unique_ptr<PartSink> centroid_partition_sink(std::string dir, ColumnSpec columns,
                                                  KMeansWriteOptions options) {
  return std::make_unique<CentroidPartitionSink>(std::move(dir), std::move(columns), options);
}

}  // namespace semdedup::io
