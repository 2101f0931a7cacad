#include "kmeans/row_plan.hpp"

#include <algorithm>
#include <utility>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/batch_ops.hpp"
#include "semdedup/io/reader.hpp"

namespace semdedup::kmeans {

std::vector<int64_t> rejected_rows(const io::Batch& batch) {
  std::vector<int64_t> out;
  size_t next_valid = 0;
  for (int64_t row = batch.global_row; row < batch.global_row + batch.input_row_count; ++row) {
    if (next_valid < batch.input_rows.size() && batch.input_rows[next_valid] == row) {
      ++next_valid;
    } else {
      out.push_back(row);
    }
  }
  return out;
}

namespace {

// Rows per file, from Parquet footers or by counting JSONL lines: each rank counts its share of
// the files and the counts are summed over ranks.
Result<std::vector<int64_t>> count_file_rows(const Context& ctx,
                                             const std::vector<std::string>& files,
                                             io::FileType type) {
  const int rank = ctx.comm->rank(), size = ctx.comm->size();
  std::vector<int64_t> rows(files.size(), 0);
  Status local;
  for (size_t i = static_cast<size_t>(rank); i < files.size() && local.ok();
       i += static_cast<size_t>(size)) {
    Result<int64_t> count = io::count_rows(files[i], type);
    if (count.ok()) {
      rows[i] = *count;
    } else {
      local = count.status();
    }
  }
  SD_RETURN_IF_ERROR(ctx.comm->agree(local));
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(rows.data(), static_cast<int64_t>(rows.size())));
  return rows;
}

// The files holding global rows [begin, end) of files with `rows` rows each.
RowRange range_of(const std::vector<int64_t>& rows, int64_t begin, int64_t end) {
  RowRange range;
  range.begin = begin;
  range.end = end;
  range.first_file = rows.size();
  range.end_file = 0;
  int64_t first = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t last = first + rows[i];
    if (last > begin && first < end && rows[i] > 0) {
      if (range.first_file == rows.size()) {
        range.first_file = i;
        range.first_row = first;
      }
      range.end_file = i + 1;
    }
    first = last;
  }
  if (range.first_file == rows.size()) range.first_file = range.end_file = 0;
  return range;
}

// Block r of `ranks` equal blocks of [0, n): [n r / ranks, n (r + 1) / ranks).
std::pair<int64_t, int64_t> block_of(int64_t n, int rank, int ranks) {
  return {n * rank / ranks, n * (rank + 1) / ranks};
}

}  // namespace

std::vector<std::string> RowRange::files_of(const std::vector<std::string>& files) const {
  const size_t stop = std::min(end_file, files.size());
  if (first_file >= stop) return {};
  return {files.begin() + static_cast<std::ptrdiff_t>(first_file),
          files.begin() + static_cast<std::ptrdiff_t>(stop)};
}

bool RowRange::clip(io::Batch& batch) const {
  batch.global_row += first_row;
  for (int64_t& row : batch.input_rows) row += first_row;
  const int64_t lo = std::max(begin, batch.global_row);
  const int64_t hi = std::min(end, batch.global_row + batch.input_row_count);
  if (lo >= hi) return false;
  if (lo == batch.global_row && hi == batch.global_row + batch.input_row_count) return true;
  const std::vector<int64_t> rejected =
      batch.rejected ? rejected_rows(batch) : std::vector<int64_t>{};
  const auto& valid = batch.input_rows;
  const auto va = std::lower_bound(valid.begin(), valid.end(), lo) - valid.begin();
  const auto vb = std::lower_bound(valid.begin(), valid.end(), hi) - valid.begin();
  const auto ra = std::lower_bound(rejected.begin(), rejected.end(), lo) - rejected.begin();
  const auto rb = std::lower_bound(rejected.begin(), rejected.end(), hi) - rejected.begin();
  Matrix kept(0, batch.embeddings.cols());
  kept.append(batch.embeddings.view().slice_rows(va, vb - va));
  batch.embeddings = std::move(kept);
  if (batch.columns) batch.columns = io::slice_batch(batch.columns, va, vb - va);
  batch.rejected = rb > ra ? io::slice_batch(batch.rejected, ra, rb - ra) : nullptr;
  batch.input_rows = std::vector<int64_t>(valid.begin() + va, valid.begin() + vb);
  batch.file_row += lo - batch.global_row;
  batch.global_row = lo;
  batch.input_row_count = hi - lo;
  return true;
}

Result<RowPlan> RowPlan::make(const Context& ctx, const Params& params,
                              std::vector<std::string> files, bool fitting) {
  RowPlan plan(ctx, params);
  plan.rank_ = ctx.comm->rank();
  plan.ranks_ = ctx.comm->size();
  plan.files_ = std::move(files);
  if (plan.distributed()) {
    SD_ASSIGN_OR_RETURN(plan.file_rows_, count_file_rows(ctx, plan.files_, params.input_filetype));
    int64_t total = 0;
    for (const int64_t rows : plan.file_rows_) total += rows;
    const int64_t parts = (total + params.rows_per_part - 1) / params.rows_per_part;
    const auto [first_part, end_part] = block_of(parts, plan.rank_, plan.ranks_);
    plan.mine_ = range_of(plan.file_rows_, first_part * params.rows_per_part,
                          std::min(total, end_part * params.rows_per_part));
  }
  plan.my_files_ = plan.mine_.files_of(plan.files_);
  if (!plan.my_files_.empty()) plan.my_first_file_ = plan.my_files_.front();
  // Also with reused centroids: rows that do not fit memory are streamed, not loaded.
  SD_ASSIGN_OR_RETURN(plan.fit_, plan_fit(ctx, params, plan.files_, fitting));
  return plan;
}

std::vector<std::string> RowPlan::fit_files() const {
  std::vector<std::string> out;
  for (const int64_t index : fit_.files) out.push_back(files_[static_cast<size_t>(index)]);
  return out;
}

RowRange RowPlan::fit_range() const {
  if (!distributed()) return {};
  std::vector<int64_t> rows;
  for (const int64_t index : fit_.files) rows.push_back(file_rows_[static_cast<size_t>(index)]);
  int64_t total = 0;
  for (const int64_t count : rows) total += count;
  const auto [begin, end] = block_of(total, rank_, ranks_);
  return range_of(rows, begin, end);
}

Status RowPlan::agree(const Status& local) const { return ctx_->comm->agree(local); }

Status RowPlan::on_first_rank(const std::function<Status()>& step) const {
  return agree(rank_ == 0 ? step() : Status::OK());
}

Result<int64_t> RowPlan::agree_dim(int64_t dim, const std::string& first_file) const {
  if (!distributed()) return dim;
  std::vector<int64_t> dims(static_cast<size_t>(ranks_), 0);
  dims[static_cast<size_t>(rank_)] = dim;
  SD_RETURN_IF_ERROR(ctx_->comm->allreduce_sum(dims.data(), static_cast<int64_t>(dims.size())));
  int64_t agreed = 0;
  for (const int64_t d : dims) {
    if (agreed == 0) agreed = d;
  }
  Status local;
  if (dim != 0 && dim != agreed) {
    local =
        Status::data_error("{}: column '{}' has {} values per row, but the files before it have {}",
                           first_file, params_->columns.embedding_field, dim, agreed);
  }
  SD_RETURN_IF_ERROR(agree(local));
  return agreed;
}

Status RowPlan::check_ids(const io::RankIds& ids) const {
  if (!distributed()) return Status::OK();
  return ids.check(*ctx_->comm, files_, file_rows_, params_->columns.id_field);
}

Result<StageTotals> RowPlan::sum(const StageTotals& local,
                                 const std::vector<uint8_t>& written) const {
  std::vector<int64_t> counts{local.rows, local.rejected, local.parts, local.fit_rows};
  std::vector<int64_t> clusters(written.begin(), written.end());
  SD_RETURN_IF_ERROR(ctx_->comm->allreduce_sum(counts.data(), 4));
  SD_RETURN_IF_ERROR(
      ctx_->comm->allreduce_sum(clusters.data(), static_cast<int64_t>(clusters.size())));
  StageTotals totals;
  totals.rows = counts[0];
  totals.rejected = counts[1];
  totals.parts = counts[2];
  totals.fit_rows = counts[3];
  totals.clusters_written =
      std::count_if(clusters.begin(), clusters.end(), [](int64_t n) { return n > 0; });
  return totals;
}

}  // namespace semdedup::kmeans
