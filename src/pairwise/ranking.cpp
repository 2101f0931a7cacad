#include "semdedup/pairwise/ranking.hpp"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

#include <algorithm>
#include <numeric>

#include "io/arrow_status.hpp"
#include "semdedup/core/rng.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::pairwise {

namespace {

// The CounterRng stream of the random ranking ("RANK"), kept apart from every other use.
constexpr uint64_t kRankingStream = 0x52414e4b;

}  // namespace

Result<std::vector<int64_t>> sort_indices(const arrow::Table& table,
                                          const std::vector<SortKey>& keys) {
  std::vector<std::string> names;
  std::vector<arrow::compute::SortKey> sort_keys;
  for (const auto& key : keys) {
    names.push_back(key.column);
    sort_keys.emplace_back(key.column,
                           key.ascending ? arrow::compute::SortOrder::Ascending
                                         : arrow::compute::SortOrder::Descending,
                           arrow::compute::NullPlacement::AtEnd);
  }
  std::vector<std::string> missing;
  for (const auto& name : names) {
    if (table.schema()->GetFieldIndex(name) < 0) missing.push_back(name);
  }
  if (!missing.empty()) {
    return Status::data_error(
        "Required columns [{}] not found in cluster data. Available columns: [{}]",
        io::quoted_names(missing), io::quoted_names(table.schema()->field_names()));
  }
  std::vector<int64_t> order(static_cast<size_t>(table.num_rows()));
  if (keys.empty()) {
    for (size_t r = 0; r < order.size(); ++r) order[r] = static_cast<int64_t>(r);
    return order;
  }
  const arrow::Datum datum(arrow::Table::Make(table.schema(), table.columns(), table.num_rows()));
  SD_ASSIGN_OR_RETURN(
      auto indices,
      io::from_arrow(arrow::compute::SortIndices(
                         datum, arrow::compute::SortOptions(std::move(sort_keys))),
                     StatusCode::kDataError, "ranking sort"));
  const auto& typed = static_cast<const arrow::UInt64Array&>(*indices);
  for (size_t r = 0; r < order.size(); ++r) {
    order[r] = static_cast<int64_t>(typed.Value(static_cast<int64_t>(r)));
  }
  return order;
}

Result<Ranking> Ranking::metadata_based(const std::vector<std::string>& columns,
                                        const std::vector<bool>& ascending, uint64_t seed) {
  if (ascending.size() > 1 && ascending.size() != columns.size()) {
    return Status::invalid_argument("Length of ascending ({}) must match metadata_cols ({})",
                                    ascending.size(), columns.size());
  }
  if (columns.empty()) {
    return Status::invalid_argument("a metadata-based ranking needs at least one column");
  }
  Ranking ranking;
  ranking.strategy = Strategy::kSort;
  ranking.seed = seed;
  for (size_t k = 0; k < columns.size(); ++k) {
    const bool up = ascending.empty() ? true : ascending.size() == 1 ? ascending[0] : ascending[k];
    ranking.keys.push_back(SortKey{columns[k], up});
  }
  return ranking;
}

Ranking Ranking::random(uint64_t seed) {
  Ranking ranking;
  ranking.strategy = Strategy::kRandom;
  ranking.seed = seed;
  return ranking;
}

std::vector<std::string> Ranking::columns() const {
  std::vector<std::string> names;
  if (strategy != Strategy::kSort) return names;
  for (const auto& key : keys) {
    if (std::find(names.begin(), names.end(), key.column) == names.end()) {
      names.push_back(key.column);
    }
  }
  return names;
}

std::string_view distance_column(SimMetric metric) {
  return metric == SimMetric::kCosine ? io::kCosineDistColumn : io::kL2DistColumn;
}

Result<Ranking> ranking_for(const Params& params) {
  if (!params.ranking_columns.empty()) {
    return Ranking::metadata_based(params.ranking_columns, params.ranking_ascending,
                                   params.random_seed);
  }
  if (params.which_to_keep == WhichToKeep::kRandom) return Ranking::random(params.random_seed);
  const bool ascending = params.which_to_keep == WhichToKeep::kEasy;
  return Ranking::metadata_based(
      {std::string(distance_column(params.sim_metric)), params.id_field}, {ascending},
      params.random_seed);
}

std::vector<int64_t> random_order(int64_t rows, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), int64_t{0});
  const CounterRng rng(seed, kRankingStream);
  for (int64_t i = rows - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i),
                                                  static_cast<uint64_t>(i + 1)));
    std::swap(order[i], order[j]);
  }
  return order;
}

Result<std::vector<int64_t>> rank(const Ranking& ranking, const arrow::Table& columns) {
  if (ranking.strategy == Ranking::Strategy::kRandom) {
    return random_order(columns.num_rows(), ranking.seed);
  }
  return sort_indices(columns, ranking.keys);
}

}  // namespace semdedup::pairwise
