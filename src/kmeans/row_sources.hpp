#pragma once
// The two row sources of the KMeans write path: the single pass, whose rows were all loaded
// (and fitted, so their labels are known), and the second pass, which streams this rank's
// files again and predicts each part's labels.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kmeans/row_plan.hpp"
#include "kmeans/write_path.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/io/batch_source.hpp"
#include "semdedup/io/rank_ids.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

/// Everything the single pass keeps in memory: the valid rows' embeddings in one matrix and
/// each batch's columns, row numbers and rejected rows (embeddings moved out).
struct LoadedRows {
  Matrix embeddings;
  std::vector<io::Batch> batches;
  std::vector<int64_t> first_row;  ///< index in `embeddings` of each batch's first valid row
};

/// Reads the rows of `range` from `files` (range.files_of(files) are read) into memory.
Result<LoadedRows> load_rows(const Context& ctx, const std::vector<std::string>& files,
                             const io::ReadOptions& options, const RowRange& range);

/// The rows of `file` must have the centroids' width; `origin` says where the centroids came
/// from ("fitted on <file>", "in <path>").
Status check_width(int64_t width, MatrixView centroids, const std::string& file,
                   const Params& params, const std::string& origin);

/// The single pass: loaded rows, labelled by the fit (`labels` empty: predicted).
class InMemoryRows final : public RowSource {
 public:
  /// `loaded` and `labels` outlive the source.
  InMemoryRows(const LoadedRows& loaded, const std::vector<int32_t>& labels)
      : loaded_(loaded), labels_(labels) {}
  Result<std::optional<RowsToWrite>> next() override;
  const char* task() const override { return "writing"; }
  int64_t total_rows() const override { return loaded_.embeddings.rows(); }

 private:
  const LoadedRows& loaded_;
  const std::vector<int32_t>& labels_;
  size_t next_batch_ = 0;
};

/// The second pass: this rank's files read again, clipped to its rows, each batch's width
/// checked against the centroids and its ids recorded for the check across ranks.
class StreamedRows final : public RowSource {
 public:
  /// `plan`, `params` and `centroids` outlive the source; no file is opened before next().
  StreamedRows(const RowPlan& plan, const Params& params, io::ReadOptions options,
               MatrixView centroids, std::string origin);
  Result<std::optional<RowsToWrite>> next() override;
  const char* task() const override { return "assigning"; }
  int64_t total_rows() const override { return -1; }

  /// Seconds spent waiting for batches.
  double read_seconds() const { return read_seconds_; }
  /// The width of the rows read (0 when none).
  int64_t dim() const { return source_ ? source_->dim() : 0; }
  /// The ids of the rows read (recorded only when the rows are spread over ranks).
  const io::RankIds& ids() const { return ids_; }

 private:
  const RowPlan& plan_;
  const Params& params_;
  io::ReadOptions options_;
  MatrixView centroids_;
  std::string origin_;
  std::unique_ptr<io::BatchSource> source_;
  std::optional<io::Batch> batch_;
  io::RankIds ids_;
  double read_seconds_ = 0.0;
};

}  // namespace semdedup::kmeans
