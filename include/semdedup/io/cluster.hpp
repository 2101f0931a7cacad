#pragma once
/// \file One cluster of a KMeans output read into memory for the Pairwise stage: its files
/// checked from their footers, then its id, ranking and embedding columns read (the files come
/// from cluster_discovery.hpp; the stage's result is written by pairwise_results.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/half.hpp"

namespace arrow {
class Table;
}  // namespace arrow

namespace semdedup::io {

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

}  // namespace semdedup::io
