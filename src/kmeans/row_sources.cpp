#include "kmeans/row_sources.hpp"

#include <chrono>
#include <utility>

#include "semdedup/core/progress.hpp"

namespace semdedup::kmeans {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<LoadedRows> load_rows(const Context& ctx, const std::vector<std::string>& files,
                             const io::ReadOptions& options, const RowRange& range) {
  SD_ASSIGN_OR_RETURN(auto reader, io::open_file_source(range.files_of(files), options));
  LoadedRows loaded;
  ProgressTask progress(*ctx.progress, "reading", -1, "rows");
  while (true) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    SD_ASSIGN_OR_RETURN(std::optional<io::Batch> batch, reader->next());
    if (!batch) break;
    if (!range.clip(*batch)) continue;
    loaded.first_row.push_back(loaded.embeddings.rows());
    if (batch->embeddings.rows() > 0) loaded.embeddings.append(batch->embeddings.view());
    batch->embeddings = Matrix();
    progress.advance(batch->input_row_count);
    loaded.batches.push_back(std::move(*batch));
  }
  return loaded;
}

Status check_width(int64_t width, MatrixView centroids, const std::string& file,
                   const Params& params, const std::string& origin) {
  if (width == centroids.cols) return Status::OK();
  return Status::data_error(
      "file {}: column '{}' has {} values per row but the centroids {} have {}{}", file,
      params.columns.embedding_field, width, origin, centroids.cols,
      params.output_mode == io::OutputMode::kResume ? "; use --overwrite to start again" : "");
}

Result<std::optional<RowsToWrite>> InMemoryRows::next() {
  if (next_batch_ >= loaded_.batches.size()) return std::optional<RowsToWrite>();
  const size_t b = next_batch_++;
  const io::Batch& batch = loaded_.batches[b];
  const int64_t first = loaded_.first_row[b];
  const auto count = static_cast<int64_t>(batch.input_rows.size());
  RowsToWrite rows;
  rows.batch = &batch;
  rows.embeddings = loaded_.embeddings.view().slice_rows(first, count);
  rows.labels = labels_.empty() ? nullptr : labels_.data() + first;
  return std::optional<RowsToWrite>(std::move(rows));
}

StreamedRows::StreamedRows(const RowPlan& plan, const Params& params, io::ReadOptions options,
                           MatrixView centroids, std::string origin)
    : plan_(plan),
      params_(params),
      options_(std::move(options)),
      centroids_(centroids),
      origin_(std::move(origin)),
      ids_(plan.ranks()) {}

Result<std::optional<RowsToWrite>> StreamedRows::next() {
  if (!source_) {
    SD_ASSIGN_OR_RETURN(source_, io::open_file_source(plan_.my_files(), options_));
  }
  while (true) {
    const auto read_start = Clock::now();
    SD_ASSIGN_OR_RETURN(batch_, source_->next());
    read_seconds_ += std::chrono::duration<double>(Clock::now() - read_start).count();
    if (!batch_) return std::optional<RowsToWrite>();
    if (!plan_.mine().clip(*batch_)) continue;
    if (plan_.distributed()) ids_.add(*batch_);
    if (batch_->embeddings.rows() > 0) {
      SD_RETURN_IF_ERROR(check_width(batch_->embeddings.cols(), centroids_,
                                     source_->files()[static_cast<size_t>(batch_->file_index)],
                                     params_, origin_));
    }
    RowsToWrite rows;
    rows.owner = std::make_shared<const Matrix>(std::move(batch_->embeddings));
    rows.batch = &*batch_;
    rows.embeddings = rows.owner->view();
    return std::optional<RowsToWrite>(std::move(rows));
  }
}

}  // namespace semdedup::kmeans
