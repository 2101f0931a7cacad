// Ranking strategies (NeMo's test_ranking.py and the PairwiseStage defaults).
#include "semdedup/pairwise/ranking.hpp"

#include <arrow/api.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "testing/testing.hpp"
#include "unit/pairwise/cluster_fixtures.hpp"

namespace semdedup {
namespace {

using ::testing::ElementsAre;
using testing::FixtureColumn;
using testing::StatusIs;

std::shared_ptr<arrow::Table> table_of(const std::vector<FixtureColumn>& columns) {
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (const auto& column : columns) {
    arrays.push_back(testing::column_array(column));
    fields.push_back(arrow::field(column.name, arrays.back()->type()));
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

std::vector<int64_t> ranked_ids(const pairwise::Ranking& ranking, const arrow::Table& table) {
  auto order = pairwise::rank(ranking, table);
  EXPECT_TRUE(order.ok()) << order.status().to_string();
  const auto ids = testing::int64_column(table, "id");
  std::vector<int64_t> out;
  for (int64_t row : *order) out.push_back(ids[row]);
  return out;
}

// The ranking sort (Arrow's stable sort with nulls last).
TEST(ClusterSort, StableMultiKeyWithDirectionsAndNullsLast) {
  // Keys: a ascending, then b descending; rows 1 and 4 are equal on both (stable order kept);
  // the null of b sorts after every value of b within a == 1, whichever the direction.
  const auto table = table_of(
      {{"a", std::vector<int64_t>{2, 1, 1, 2, 1, 1}},
       {"b", std::vector<std::optional<double>>{0.5, 0.7, 0.9, 0.1, 0.7, std::nullopt}}});
  ASSERT_OK_AND_ASSIGN(auto order, pairwise::sort_indices(*table, {{"a", true}, {"b", false}}));
  EXPECT_THAT(order, ElementsAre(2, 1, 4, 5, 0, 3));
  ASSERT_OK_AND_ASSIGN(order, pairwise::sort_indices(*table, {{"a", true}, {"b", true}}));
  EXPECT_THAT(order, ElementsAre(1, 4, 2, 5, 3, 0));
  ASSERT_OK_AND_ASSIGN(order, pairwise::sort_indices(*table, {}));
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(pairwise::sort_indices(*table, {{"c", true}, {"a", true}}),
              StatusIs(StatusCode::kDataError,
                       "Required columns ['c'] not found in cluster data. Available columns: ['a', 'b']"));
}

TEST(ClusterSort, StringsByUtf8Bytes) {
  const auto table = table_of({{"s", std::vector<std::string>{"b", "\xc3\xa9", "B", "a"}}});
  ASSERT_OK_AND_ASSIGN(auto order, pairwise::sort_indices(*table, {{"s", true}}));
  EXPECT_THAT(order, ElementsAre(2, 3, 0, 1));
}

TEST(Ranking, SortByDistanceBothDirections) {
  const auto table = table_of({{"id", std::vector<int64_t>{1, 2, 3, 4}},
                               {"cosine_dist_to_cent", std::vector<float>{0.1f, 0.8f, 0.3f, 0.6f}}});
  ASSERT_OK_AND_ASSIGN(auto desc, pairwise::Ranking::metadata_based({"cosine_dist_to_cent"}, {false}));
  EXPECT_THAT(ranked_ids(desc, *table), ElementsAre(2, 4, 3, 1));
  ASSERT_OK_AND_ASSIGN(auto asc, pairwise::Ranking::metadata_based({"cosine_dist_to_cent"}, {true}));
  EXPECT_THAT(ranked_ids(asc, *table), ElementsAre(1, 3, 4, 2));
  ASSERT_OK_AND_ASSIGN(auto default_direction,
                       pairwise::Ranking::metadata_based({"cosine_dist_to_cent"}, {}));
  EXPECT_THAT(ranked_ids(default_direction, *table), ElementsAre(1, 3, 4, 2));
}

TEST(Ranking, MixedDirectionsInPriorityOrder) {
  const auto table = table_of({{"id", std::vector<int64_t>{1, 2, 3, 4}},
                               {"priority", std::vector<int64_t>{2, 1, 3, 1}},
                               {"score", std::vector<float>{0.9f, 0.3f, 0.7f, 0.5f}}});
  ASSERT_OK_AND_ASSIGN(auto ranking,
                       pairwise::Ranking::metadata_based({"priority", "score"}, {true, false}));
  EXPECT_THAT(ranked_ids(ranking, *table), ElementsAre(4, 2, 1, 3));

  const auto three = table_of({{"id", std::vector<int64_t>{1, 2, 3}},
                               {"custom_metric", std::vector<float>{10, 5, 20}}});
  ASSERT_OK_AND_ASSIGN(auto by_metric, pairwise::Ranking::metadata_based({"custom_metric"}, {false}));
  EXPECT_THAT(ranked_ids(by_metric, *three), ElementsAre(3, 1, 2));
}

TEST(Ranking, EqualKeysKeepReadOrder) {
  const auto table = table_of({{"id", std::vector<int64_t>{10, 11, 12, 13, 14}},
                               {"k", std::vector<int64_t>{1, 0, 1, 0, 1}}});
  ASSERT_OK_AND_ASSIGN(auto up, pairwise::Ranking::metadata_based({"k"}, {true}));
  EXPECT_THAT(ranked_ids(up, *table), ElementsAre(11, 13, 10, 12, 14));
  ASSERT_OK_AND_ASSIGN(auto down, pairwise::Ranking::metadata_based({"k"}, {false}));
  EXPECT_THAT(ranked_ids(down, *table), ElementsAre(10, 12, 14, 11, 13));
}

TEST(Ranking, RandomKeepsEveryIdAndRepeatsForTheSameSeed) {
  std::vector<int64_t> ids(100);
  std::iota(ids.begin(), ids.end(), 1000);
  const auto table = table_of({{"id", ids}});
  const auto ranking = pairwise::Ranking::random(42);
  const auto first = ranked_ids(ranking, *table);
  EXPECT_EQ(ranked_ids(ranking, *table), first);
  EXPECT_NE(first, ids);
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, ids);
  EXPECT_NE(ranked_ids(pairwise::Ranking::random(43), *table), first);
  EXPECT_TRUE(ranking.columns().empty());
  // The shuffle depends on the seed and the row count only.
  EXPECT_EQ(pairwise::random_order(100, 42), pairwise::random_order(100, 42));
  EXPECT_THAT(pairwise::random_order(1, 42), ElementsAre(0));
  EXPECT_TRUE(pairwise::random_order(0, 42).empty());
}

TEST(Ranking, MissingColumnAndBadAscendingLength) {
  const auto table = table_of({{"id", std::vector<int64_t>{1, 2}}});
  ASSERT_OK_AND_ASSIGN(auto ranking, pairwise::Ranking::metadata_based({"nonexistent"}, {true}));
  EXPECT_THAT(pairwise::rank(ranking, *table),
              StatusIs(StatusCode::kDataError, "Required columns ['nonexistent'] not found"));
  EXPECT_THAT(pairwise::Ranking::metadata_based({"a", "b"}, {true, false, true}),
              StatusIs(StatusCode::kInvalidArgument, "Length of ascending (3) must match metadata_cols (2)"));
}

TEST(Ranking, StageDefaults) {
  pairwise::Params params;
  params.id_field = "doc_id";
  ASSERT_OK_AND_ASSIGN(auto hard, pairwise::ranking_for(params));
  ASSERT_EQ(hard.keys.size(), 2u);
  EXPECT_EQ(hard.keys[0].column, "cosine_dist_to_cent");
  EXPECT_EQ(hard.keys[1].column, "doc_id");
  EXPECT_FALSE(hard.keys[0].ascending);
  EXPECT_FALSE(hard.keys[1].ascending);

  params.which_to_keep = pairwise::WhichToKeep::kEasy;
  params.sim_metric = pairwise::SimMetric::kL2;
  ASSERT_OK_AND_ASSIGN(auto easy, pairwise::ranking_for(params));
  EXPECT_THAT(easy.columns(), ElementsAre("l2_dist_to_cent", "doc_id"));
  EXPECT_TRUE(easy.keys[0].ascending);
  EXPECT_TRUE(easy.keys[1].ascending);

  params.which_to_keep = pairwise::WhichToKeep::kRandom;
  params.random_seed = 7;
  ASSERT_OK_AND_ASSIGN(auto random, pairwise::ranking_for(params));
  EXPECT_EQ(random.strategy, pairwise::Ranking::Strategy::kRandom);
  EXPECT_EQ(random.seed, 7u);

  params.ranking_columns = {"priority", "score", "priority"};
  params.ranking_ascending = {false};
  ASSERT_OK_AND_ASSIGN(auto custom, pairwise::ranking_for(params));
  EXPECT_EQ(custom.strategy, pairwise::Ranking::Strategy::kSort);
  EXPECT_THAT(custom.columns(), ElementsAre("priority", "score"));
  EXPECT_FALSE(custom.keys[1].ascending);
}

}  // namespace
}  // namespace semdedup
