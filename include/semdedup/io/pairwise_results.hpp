#pragma once
/// \file The Pairwise stage's output (cluster_K.parquet: id, max_id, cosine_sim_score), written
/// and read here, and the identified duplicate ids.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// Writes the pairwise result of one cluster to `path` atomically, with the columns
/// `id`, `max_id` (both of the type of `ids`) and `cosine_sim_score` (float32), one row per
/// ranked position r: id = ids[order[r]], max_id = ids[order[max_idx[r]]],
/// cosine_sim_score = max_sim[r]. `order`, `max_idx`, `max_sim` have one entry per row of
/// `ids`; `order` is a permutation and max_idx[r] is in [0, rows).
Status write_pairwise_result(const std::string& path,
                             const std::shared_ptr<arrow::ChunkedArray>& ids,
                             std::span<const int64_t> order, std::span<const int64_t> max_idx,
                             std::span<const float> max_sim);

/// One pairwise result file.
struct ClusterFile {
  int64_t cluster = 0;
  std::string path;
};

/// The cluster_K.parquet files directly inside `dir`, sorted by K. Other entries are ignored.
/// A missing directory is an error; an empty list is not.
Result<std::vector<ClusterFile>> list_cluster_files(const std::string& dir);

/// Ids of the rows whose cosine_sim_score >= threshold over `files`, sorted ascending
/// (numeric for integers, byte order for strings), in the id column's type. The float32
/// score is widened exactly to double and compared with `threshold` (NeMo's semantics).
Result<std::shared_ptr<arrow::Array>> select_ids_at_or_above(const std::vector<std::string>& files,
                                                            double threshold);

/// The values of `ids[f]` whose `flags[f]` entry is non-zero, over every f, sorted as
/// select_ids_at_or_above sorts them. `flags[f]` has one entry per row of `ids[f]`.
Result<std::shared_ptr<arrow::Array>> select_flagged_ids(
    const std::vector<std::shared_ptr<arrow::ChunkedArray>>& ids,
    const std::vector<std::vector<uint8_t>>& flags);

/// Writes `ids` as a one-column ("id") Parquet file with about `row_groups` row groups
/// (row group size max(1, rows / row_groups)), atomically.
Status write_id_file(const std::string& path, const std::shared_ptr<arrow::Array>& ids,
                     int64_t row_groups);

/// Calls `consume(scores, count)` with the cosine_sim_score column of `path`, chunk by chunk.
Status for_each_score_chunk(const std::string& path,
                            const std::function<void(const float*, int64_t)>& consume);

/// (id, max_id) of the given rows of `path` rendered as text, in the order of `rows`.
Result<std::vector<std::pair<std::string, std::string>>> read_pair_text(
    const std::string& path, const std::vector<int64_t>& rows);

/// One cluster_K.parquet in memory, rows in file (ranked) order.
struct PairwiseRows {
  /// The id column as stored.
  std::shared_ptr<arrow::ChunkedArray> ids;
  /// cosine_sim_score, float32 (a float64 column is narrowed); NaN where null.
  std::vector<float> scores;
  /// Row of this file whose id is the row's max_id; -1 when no row has that id.
  std::vector<int64_t> max_row;
};

/// Reads id, max_id and cosine_sim_score of `path` and resolves every max_id to its row.
Result<PairwiseRows> read_pairwise_rows(const std::string& path);

/// The position in `among` of each value of `ids` (first occurrence), -1 when absent. `ids` is
/// cast to the type of `among` when the types differ.
Result<std::vector<int64_t>> find_rows(const std::shared_ptr<arrow::ChunkedArray>& ids,
                                       const std::shared_ptr<arrow::ChunkedArray>& among);
/// find_rows in the first column of `table`.
Result<std::vector<int64_t>> find_rows(const std::shared_ptr<arrow::ChunkedArray>& ids,
                                       const arrow::Table& table);

}  // namespace semdedup::io
