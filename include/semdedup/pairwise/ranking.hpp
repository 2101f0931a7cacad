#pragma once
/// \file How the rows of a cluster are ordered before the max-similarity kernel (NeMo's
/// RankingStrategy, spec section 9). The row ranked first is never a duplicate; of a group of
/// near-duplicates the earliest ranked survives.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/pairwise/params.hpp"

namespace arrow {
class Table;
}  // namespace arrow

namespace semdedup::pairwise {

/// One key of a ranking sort.
struct SortKey {
  std::string column;
  bool ascending = true;
};

/// The permutation that sorts `table` by `keys` in priority order (Arrow's sort): stable (rows
/// equal on every key keep their order), nulls last in either direction, strings by their
/// UTF-8 bytes. data_error naming a missing column and the columns there are.
Result<std::vector<int64_t>> sort_indices(const arrow::Table& table,
                                          const std::vector<SortKey>& keys);

/// A ranking: a stable multi-column sort, or a seeded shuffle.
struct Ranking {
  enum class Strategy { kSort, kRandom };

  Strategy strategy = Strategy::kSort;
  /// kSort: the keys in priority order, each with its direction.
  std::vector<SortKey> keys;
  /// kRandom: the seed, the same for every cluster.
  uint64_t seed = 42;

  /// RankingStrategy.metadata_based: sort by `columns` in priority order. `ascending` has one
  /// direction for every column, or one per column; empty means ascending. invalid_argument
  /// "Length of ascending (a) must match metadata_cols (m)" otherwise.
  static Result<Ranking> metadata_based(const std::vector<std::string>& columns,
                                        const std::vector<bool>& ascending, uint64_t seed = 42);
  /// RankingStrategy.random: a shuffle that depends only on `seed` and the row count.
  static Ranking random(uint64_t seed);

  /// The columns a sort reads, in key order, each once (empty for kRandom).
  std::vector<std::string> columns() const;
};

/// The distance column ranked by `hard`/`easy`: cosine_dist_to_cent or l2_dist_to_cent.
std::string_view distance_column(SimMetric metric);

/// The ranking PairwiseStage uses: `ranking_columns` with `ranking_ascending` when given;
/// otherwise `random` with random_seed; otherwise sort by [distance column, id_field], both
/// descending (`hard`: farthest from the centroid first, then the largest id) or both
/// ascending (`easy`: closest first, then the smallest id).
Result<Ranking> ranking_for(const Params& params);

/// The seeded shuffle of `rows` rows: element r is the input row ranked r. A Fisher-Yates
/// shuffle whose draws come from CounterRng(seed, ranking stream), so it is the same for the
/// same (seed, rows) on every machine.
std::vector<int64_t> random_order(int64_t rows, uint64_t seed);

/// The ranked order of the rows of `columns`: element r is the row ranked r. A sort is stable
/// (rows equal on every key keep their order), with nulls last; a missing column is a
/// data_error "Required columns [...] not found in cluster data. Available columns: [...]".
Result<std::vector<int64_t>> rank(const Ranking& ranking, const arrow::Table& columns);

}  // namespace semdedup::pairwise
