#pragma once
/// \file The Pairwise stage's files: the `centroid=K/` partitions of a KMeans output
/// (semdedup's or NeMo's), one cluster read into memory, its ranking sort, and the
/// `cluster_K.parquet` result.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/half.hpp"

namespace arrow {
class ChunkedArray;
class Table;
}  // namespace arrow

namespace semdedup::io {

/// One `centroid=K` entry of a KMeans output directory.
struct ClusterFiles {
  int64_t centroid = 0;            ///< K, the integer after the last "centroid=" of the name
  std::string dir;                 ///< path of the entry
  std::vector<std::string> files;  ///< its `.parquet` files (any case) at any depth, sorted
};

/// The top-level entries of `kmeans_dir` whose name contains "centroid=" (other entries are
/// ignored), with their Parquet files, sorted by K. A centroid entry with no Parquet file is
/// listed with no files. io_error if `kmeans_dir` is not a readable directory; data_error
/// "No centroid directories found in: <path>" if there is no such entry, and naming the entry
/// when K is not a non-negative integer or two entries have the same K.
Result<std::vector<ClusterFiles>> discover_clusters(const std::string& kmeans_dir);

/// Checks from the Parquet footers alone that every file of a cluster has the columns
/// `columns` and an embedding column `embedding_field` of a list type with float32, float64 or
/// fp16 values (as `dtype` allows, see is_half_storage), and returns the cluster's row count.
/// data_error naming the file otherwise:
/// "<file>: Required columns [...] not found in cluster data. Available columns: [...]".
Result<int64_t> inspect_cluster(const std::vector<std::string>& files,
                                const std::vector<std::string>& columns,
                                const std::string& embedding_field,
                                InputEmbeddingDtype dtype = InputEmbeddingDtype::kAuto);

/// A cluster in memory, rows in file order (files in list order).
struct ClusterData {
  /// The columns asked for (id first, then the ranking columns), names and types as stored.
  std::shared_ptr<arrow::Table> columns;
  /// [rows x dim] float32, row-major, the embeddings as stored (float64 is narrowed, fp16
  /// widened exactly).
  Matrix embeddings;
};

/// Reads `columns` (distinct names; the first is the id, which must have no null) and
/// `embedding_field` of every file in `files`. The
/// embedding column must be a list, large_list or fixed_size_list of float32 or float64, or of
/// fp16 (list<uint16> bit patterns or halffloat, NeMo 1.4's storage, as `dtype` allows), with
/// the same width on every row and no null or non-finite value; any violation is a data_error
/// naming the file, the column and the 0-based row in that file. Files whose column types
/// differ from the first file's are a data_error naming both.
Result<ClusterData> read_cluster(const std::vector<std::string>& files,
                                 const std::vector<std::string>& columns,
                                 const std::string& embedding_field,
                                 InputEmbeddingDtype dtype = InputEmbeddingDtype::kAuto);

/// One key of a ranking sort.
struct SortKey {
  std::string column;
  bool ascending = true;
};

/// The permutation that sorts `table` by `keys` in priority order: stable (rows equal on every
/// key keep their order), nulls last in either direction, strings by their UTF-8 bytes.
/// data_error naming a missing column and the columns there are.
Result<std::vector<int64_t>> sort_indices(const arrow::Table& table,
                                          const std::vector<SortKey>& keys);

/// Writes the pairwise result of one cluster to `path` atomically, with the columns
/// `id`, `max_id` (both of the type of `ids`) and `cosine_sim_score` (float32), one row per
/// ranked position r: id = ids[order[r]], max_id = ids[order[max_idx[r]]],
/// cosine_sim_score = max_sim[r]. `order`, `max_idx`, `max_sim` have one entry per row of
/// `ids`; `order` is a permutation and max_idx[r] is in [0, rows).
Status write_pairwise_result(const std::string& path, const std::shared_ptr<arrow::ChunkedArray>& ids,
                             std::span<const int64_t> order, std::span<const int64_t> max_idx,
                             std::span<const float> max_sim);

}  // namespace semdedup::io
