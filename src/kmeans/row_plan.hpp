#pragma once
// What the ranks of a KMeans run agree on before any row is read: the input files and their
// row counts, which global rows each rank reads and writes, which files the fit reads, and
// the collective steps that keep them in agreement (the embedding width, id uniqueness, the
// output directory, the totals). On one process every range spans everything and the
// collectives are trivial, so the stage reads the same either way.

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kmeans/fit_plan.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/batch_source.hpp"
#include "semdedup/io/rank_ids.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

/// Global input rows [begin, end) of a file list, of which only files from index first_file
/// on (to end_file) can hold any; first_row is the global row of files[first_file]'s first row.
struct RowRange {
  int64_t begin = 0;
  int64_t end = std::numeric_limits<int64_t>::max();
  size_t first_file = 0;
  size_t end_file = std::numeric_limits<size_t>::max();
  int64_t first_row = 0;

  /// The files of `files` the range touches (all of them when it spans everything).
  std::vector<std::string> files_of(const std::vector<std::string>& files) const;
  /// Renumbers a batch read from files_of() to global rows and keeps only its rows in
  /// [begin, end); false when none are left.
  bool clip(io::Batch& batch) const;
};

/// Global input rows of a batch's rejected rows: those of its range not listed as valid.
std::vector<int64_t> rejected_rows(const io::Batch& batch);

/// The counts every rank adds up at the end.
struct StageTotals {
  int64_t rows = 0;
  int64_t rejected = 0;
  int64_t parts = 0;
  int64_t fit_rows = 0;
  int64_t clusters_written = 0;  ///< centroids with at least one row on some rank
};

class RowPlan {
 public:
  /// The plan for `files` (discovered, in order). Under mpirun each rank reads and writes a
  /// contiguous run of whole parts (rows_per_part), balanced by rows: the files' rows are
  /// counted first (each rank counts its share, the counts are summed). Then the fit plan
  /// (plan_fit; `fitting` when the centroids are not reused).
  static Result<RowPlan> make(const Context& ctx, const Params& params,
                              std::vector<std::string> files, bool fitting);

  const std::vector<std::string>& files() const { return files_; }
  /// Which files the fit reads (empty: every row, in one pass).
  const FitPlan& fit() const { return fit_; }
  /// This rank's rows: the parts it writes.
  const RowRange& mine() const { return mine_; }
  /// The files this rank reads to write its rows, and the first of them ("" when none).
  const std::vector<std::string>& my_files() const { return my_files_; }
  const std::string& my_first_file() const { return my_first_file_; }
  /// The files the fit reads (fit().files), in that order.
  std::vector<std::string> fit_files() const;
  /// This rank's rows of the fit files: the rows of fit_files(), in that order, split over the
  /// ranks in equal blocks.
  RowRange fit_range() const;
  /// Whether rows are spread over more than one rank.
  bool distributed() const { return ranks_ > 1; }
  int ranks() const { return ranks_; }

  // Collective steps: every rank calls each, in the same order.

  /// `local` when every rank succeeded, else the first failure on every rank.
  Status agree(const Status& local) const;
  /// Runs `step` on rank 0 only and agrees on its outcome.
  Status on_first_rank(const std::function<Status()>& step) const;
  /// The embedding width of the first rank that read a row. A rank whose rows have another
  /// width (`dim`, 0 when it read none) fails naming `first_file`, its first file.
  Result<int64_t> agree_dim(int64_t dim, const std::string& first_file) const;
  /// Ids unique over every rank (io::RankIds::check); nothing to do on one process, where
  /// the reader checked them.
  Status check_ids(const io::RankIds& ids) const;
  /// `local` summed over the ranks (clusters_written: `written` flags of every rank or-ed,
  /// then counted).
  Result<StageTotals> sum(const StageTotals& local, const std::vector<uint8_t>& written) const;

 private:
  RowPlan(const Context& ctx, const Params& params) : ctx_(&ctx), params_(&params) {}

  const Context* ctx_;
  const Params* params_;
  int rank_ = 0;
  int ranks_ = 1;
  std::vector<std::string> files_;
  std::vector<int64_t> file_rows_;  ///< rows per file (counted only when distributed)
  FitPlan fit_;
  RowRange mine_;
  std::vector<std::string> my_files_;
  std::string my_first_file_;
};

}  // namespace semdedup::kmeans
