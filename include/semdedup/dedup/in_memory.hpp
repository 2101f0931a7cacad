#pragma once
/// \file The whole identify pipeline over an in-memory table, nothing written: k-means, the
/// distance columns, ranking and the max-similarity of each cluster, the threshold. The same
/// functions as the file stages run, in the same order, so the rows found equal a run of
/// `semdedup run` over the same rows written to a file.

#include <cstdint>
#include <memory>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kmeans/params.hpp"
#include "semdedup/pairwise/params.hpp"

namespace arrow {
class Table;
}  // namespace arrow

namespace semdedup::dedup {

struct InMemoryParams {
  /// The fit (n_clusters, seed, init, ...).
  kmeans::FitParams fit;
  /// Ranking and batch size; its id_field and embedding_field name the table's columns (paths
  /// and output_mode are not used).
  pairwise::Params pairwise;
  /// Rows with a max similarity >= 1 - eps are duplicates; eps in [0, 1).
  double eps = 0.01;

  Status validate() const;
};

/// The duplicates found, one entry per duplicate row, in ascending row order.
struct InMemoryDuplicates {
  std::vector<int64_t> rows;      ///< row of the duplicate in the input table
  std::vector<int64_t> max_rows;  ///< row of the earlier-ranked row it is most similar to
  std::vector<float> scores;      ///< that cosine similarity (cosine_sim_score)
  std::vector<int32_t> labels;    ///< the cluster of every input row
};

/// Finds the duplicate rows of `table` (columns pairwise.id_field, pairwise.embedding_field and
/// any ranking columns). Embeddings are checked and normalised as the file reader does; bad rows
/// are a data_error "column 'e' row R: reason". Ids must be unique.
Result<InMemoryDuplicates> find_duplicates(const Context& ctx, const arrow::Table& table,
                                           const InMemoryParams& params);

}  // namespace semdedup::dedup
