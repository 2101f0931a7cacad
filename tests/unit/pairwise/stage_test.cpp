// The Pairwise stage end to end on KMeans-output fixtures (NeMo's test_pairwise.py and more).
#include "semdedup/pairwise/stage.hpp"

#include <arrow/api.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <random>
#include <set>

#include "testing/testing.hpp"
#include "unit/pairwise/cluster_fixtures.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FixtureColumn;
using testing::StatusIs;
using testing::TempDir;
using testing::write_fixture_file;

// NeMo's 6-row fixture: rows [1,2,3],[4,5,6],[7,8,9],[10,11,12],[1,2,3],[1,2,3], normalised,
// ids 0..5, centroid = row 0, written as two files of three rows. Extra metadata columns for
// the custom rankings.
void write_six_rows(const fs::path& kmeans_dir) {
  const auto unit = testing::unit_rows({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}, {1, 2, 3}, {1, 2, 3}});
  const std::vector<float>& c = *unit[0];
  std::vector<float> cosine, l2;
  for (const auto& row : unit) {
    double dot = 0, dist = 0;
    for (int k = 0; k < 3; ++k) {
      dot += double((*row)[k]) * c[k];
      dist += (double((*row)[k]) - c[k]) * (double((*row)[k]) - c[k]);
    }
    cosine.push_back(static_cast<float>(1.0 - dot));
    l2.push_back(static_cast<float>(std::sqrt(dist)));
  }
  const std::vector<int64_t> ids{0, 1, 2, 3, 4, 5};
  const std::vector<float> custom_score{0.1f, 0.8f, 0.7f, 0.9f, 0.3f, 0.2f};
  const std::vector<int64_t> priority{3, 1, 1, 1, 3, 2};
  for (int part = 0; part < 2; ++part) {
    const auto slice = [&](const auto& v) {
      using V = std::decay_t<decltype(v)>;
      return V(v.begin() + 3 * part, v.begin() + 3 * part + 3);
    };
    write_fixture_file(kmeans_dir / "centroid=0" / ("part" + std::to_string(part) + ".parquet"),
                       {{"id", slice(ids)},
                        {"l2_dist_to_cent", slice(l2)},
                        {"cosine_dist_to_cent", slice(cosine)},
                        {"custom_score", slice(custom_score)},
                        {"priority", slice(priority)}},
                       slice(unit));
  }
}

pairwise::Params params_for(const TempDir& dir) {
  pairwise::Params params;
  params.input_path = dir / "kmeans";
  params.output_path = dir / "pairwise";
  return params;
}

struct ClusterResult {
  std::vector<int64_t> id;
  std::vector<int64_t> max_id;
  std::vector<float> score;
};

ClusterResult read_result(const std::string& path) {
  const auto table = testing::read_parquet_table(path);
  EXPECT_TRUE(table);
  if (!table) return {};
  EXPECT_THAT(table->schema()->field_names(), ElementsAre("id", "max_id", "cosine_sim_score"));
  EXPECT_EQ(table->schema()->field(2)->type()->id(), arrow::Type::FLOAT);
  return {testing::int64_column(*table, "id"), testing::int64_column(*table, "max_id"),
          testing::float_column(*table, "cosine_sim_score")};
}

void expect_scores(const std::vector<float>& actual, const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) EXPECT_NEAR(actual[k], expected[k], 1e-5) << k;
}

class PairwiseStage : public ::testing::Test {
 protected:
  Context ctx = Context::make_default(2);
};

TEST_F(PairwiseStage, HardKeepsTheFarthestForBothMetrics) {
  for (auto metric : {pairwise::SimMetric::kCosine, pairwise::SimMetric::kL2}) {
    TempDir dir;
    write_six_rows(dir.path() / "kmeans");
    auto params = params_for(dir);
    params.sim_metric = metric;
    ASSERT_OK_AND_ASSIGN(auto result, pairwise::run_stage(ctx, params));
    EXPECT_EQ(result.clusters, 1);
    EXPECT_EQ(result.clusters_written, 1);
    EXPECT_EQ(result.rows, 6);
    EXPECT_THAT(testing::list_files(params.output_path), ElementsAre("cluster_0.parquet"));
    const auto out = read_result(params.output_path + "/cluster_0.parquet");
    EXPECT_THAT(out.id, ElementsAre(3, 2, 1, 5, 4, 0));
    EXPECT_THAT(out.max_id, ElementsAre(3, 3, 2, 1, 5, 5));
    expect_scores(out.score, {0.0f, 0.99961f, 0.99819f, 0.974631f, 1.0f, 1.0f});
  }
}

TEST_F(PairwiseStage, EasyKeepsTheClosestForBothMetrics) {
  for (auto metric : {pairwise::SimMetric::kCosine, pairwise::SimMetric::kL2}) {
    TempDir dir;
    write_six_rows(dir.path() / "kmeans");
    auto params = params_for(dir);
    params.which_to_keep = pairwise::WhichToKeep::kEasy;
    params.sim_metric = metric;
    ASSERT_OK(pairwise::run_stage(ctx, params));
    const auto out = read_result(params.output_path + "/cluster_0.parquet");
    EXPECT_THAT(out.id, ElementsAre(0, 4, 5, 1, 2, 3));
    EXPECT_THAT(out.max_id, ElementsAre(0, 0, 0, 0, 1, 2));
    expect_scores(out.score, {0.0f, 1.0f, 1.0f, 0.97464f, 0.99819f, 0.999618f});
  }
}

void expect_valid_result(const ClusterResult& out, std::set<int64_t> ids) {
  EXPECT_EQ(std::set<int64_t>(out.id.begin(), out.id.end()), ids);
  EXPECT_EQ(out.id.size(), ids.size());
  for (size_t k = 0; k < out.id.size(); ++k) {
    EXPECT_TRUE(ids.count(out.max_id[k])) << out.max_id[k];
    EXPECT_GE(out.score[k], -1.0f - 1e-6f);
    EXPECT_LE(out.score[k], 1.0f + 1e-6f);
  }
}

TEST_F(PairwiseStage, MetadataRankingsWithMixedDirections) {
  TempDir dir;
  write_six_rows(dir.path() / "kmeans");
  auto params = params_for(dir);
  params.ranking_columns = {"custom_score"};
  params.ranking_ascending = {false};
  ASSERT_OK(pairwise::run_stage(ctx, params));
  auto out = read_result(params.output_path + "/cluster_0.parquet");
  EXPECT_THAT(out.id, ElementsAre(3, 1, 2, 4, 5, 0));
  expect_valid_result(out, {0, 1, 2, 3, 4, 5});

  params.ranking_columns = {"priority", "custom_score"};
  params.ranking_ascending = {true, false};
  params.output_mode = io::OutputMode::kOverwrite;
  ASSERT_OK(pairwise::run_stage(ctx, params));
  out = read_result(params.output_path + "/cluster_0.parquet");
  EXPECT_THAT(out.id, ElementsAre(3, 1, 2, 5, 4, 0));
  expect_valid_result(out, {0, 1, 2, 3, 4, 5});
}

TEST_F(PairwiseStage, RandomRankingKeepsIdsAndRepeats) {
  TempDir dir;
  write_six_rows(dir.path() / "kmeans");
  auto params = params_for(dir);
  params.which_to_keep = pairwise::WhichToKeep::kRandom;
  params.random_seed = 5;
  ASSERT_OK(pairwise::run_stage(ctx, params));
  const std::string path = params.output_path + "/cluster_0.parquet";
  const auto first = testing::read_bytes(path);
  expect_valid_result(read_result(path), {0, 1, 2, 3, 4, 5});
  params.output_mode = io::OutputMode::kOverwrite;
  ASSERT_OK(pairwise::run_stage(ctx, params));
  EXPECT_EQ(testing::read_bytes(path), first);
}

TEST_F(PairwiseStage, SingleRowAndTinyClusters) {
  TempDir dir;
  const fs::path kmeans = dir.path() / "kmeans";
  write_fixture_file(kmeans / "centroid=0" / "a.parquet",
                     {{"id", std::vector<int64_t>{42}}, {"cosine_dist_to_cent", std::vector<float>{0.5f}}},
                     {std::vector<float>{0.6f, 0.8f}});
  // Two identical rows and one other, random ranking, batch size 2.
  write_fixture_file(kmeans / "centroid=1" / "a.parquet",
                     {{"id", std::vector<int64_t>{1, 2, 3}}},
                     {std::vector<float>{0.6f, 0.8f}, std::vector<float>{0.6f, 0.8f},
                      std::vector<float>{1.0f, 0.0f}});
  auto params = params_for(dir);
  params.which_to_keep = pairwise::WhichToKeep::kRandom;
  params.pairwise_batch_size = 2;
  ASSERT_OK(pairwise::run_stage(ctx, params));
  const auto one = read_result(params.output_path + "/cluster_0.parquet");
  EXPECT_THAT(one.id, ElementsAre(42));
  EXPECT_THAT(one.max_id, ElementsAre(42));
  EXPECT_THAT(one.score, ElementsAre(0.0f));
  const auto three = read_result(params.output_path + "/cluster_1.parquet");
  expect_valid_result(three, {1, 2, 3});
  EXPECT_GT(*std::max_element(three.score.begin(), three.score.end()), 0.9f);
}

// Clusters of assorted sizes with random unit embeddings and distances.
void write_random_clusters(const fs::path& kmeans, const std::vector<int64_t>& sizes, int64_t dim) {
  std::mt19937 gen(123);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> uniform;
  int64_t next_id = 0;
  for (size_t c = 0; c < sizes.size(); ++c) {
    std::vector<std::vector<float>> rows;
    std::vector<int64_t> ids;
    std::vector<float> dist;
    for (int64_t r = 0; r < sizes[c]; ++r) {
      std::vector<float> row(static_cast<size_t>(dim));
      for (auto& v : row) v = normal(gen);
      // Every 10th row repeats an earlier one: exact duplicates in every cluster.
      if (r % 10 == 9) row = rows[static_cast<size_t>(r / 2)];
      rows.push_back(row);
      ids.push_back(next_id++);
      dist.push_back(std::floor(uniform(gen) * 8) / 8);  // many equal distances: ties by id
    }
    const auto unit = testing::unit_rows(rows);
    const int64_t half = sizes[c] / 2;
    const auto part = [&](int64_t from, int64_t to, const std::string& name) {
      write_fixture_file(kmeans / ("centroid=" + std::to_string(c)) / name,
                         {{"id", std::vector<int64_t>(ids.begin() + from, ids.begin() + to)},
                          {"cosine_dist_to_cent", std::vector<float>(dist.begin() + from, dist.begin() + to)},
                          {"l2_dist_to_cent", std::vector<float>(dist.begin() + from, dist.begin() + to)}},
                         std::vector<std::optional<std::vector<float>>>(unit.begin() + from, unit.begin() + to));
    };
    part(0, half, "p0.parquet");
    part(half, sizes[c], "p1.parquet");
  }
}

TEST_F(PairwiseStage, BytesDoNotDependOnThreadsOrBatchSize) {
  TempDir dir;
  write_random_clusters(dir.path() / "kmeans", {1100, 700, 300, 41, 1, 90}, 16);
  std::vector<std::string> reference;
  int run = 0;
  for (const auto& [threads, batch] : {std::pair{1, 1024}, std::pair{2, 7}, std::pair{3, 2000}}) {
    auto params = params_for(dir);
    params.output_path = dir / ("out" + std::to_string(run++));
    params.pairwise_batch_size = batch;
    Context local = Context::make_default(threads);
    ASSERT_OK_AND_ASSIGN(auto result, pairwise::run_stage(local, params));
    EXPECT_EQ(result.clusters_written, 6);
    EXPECT_EQ(result.rows, 1100 + 700 + 300 + 41 + 1 + 90);
    const auto files = testing::list_files(params.output_path);
    ASSERT_EQ(files.size(), 6u);
    std::vector<std::string> bytes;
    for (const auto& f : files) bytes.push_back(testing::read_bytes(params.output_path + "/" + f));
    if (reference.empty()) {
      reference = bytes;
      for (size_t c = 0; c < files.size(); ++c) {
        const auto out = read_result(params.output_path + "/" + files[c]);
        std::set<int64_t> ids(out.id.begin(), out.id.end());
        expect_valid_result(out, ids);
      }
    } else {
      for (size_t c = 0; c < bytes.size(); ++c) EXPECT_EQ(bytes[c], reference[c]) << files[c];
    }
  }
}

TEST_F(PairwiseStage, OutputModes) {
  TempDir dir;
  write_random_clusters(dir.path() / "kmeans", {5, 6, 7}, 4);
  auto params = params_for(dir);
  ASSERT_OK(pairwise::run_stage(ctx, params));
  const std::string done = params.output_path + "/cluster_1.parquet";
  const auto original = testing::read_bytes(done);

  EXPECT_THAT(pairwise::run_stage(ctx, params),
              StatusIs(StatusCode::kAlreadyExists, "is not empty"));

  // Resume keeps what exists (here a stand-in) and computes the missing ones.
  fs::remove(params.output_path + "/cluster_0.parquet");
  { std::ofstream(done, std::ios::trunc) << "stand-in"; }
  params.output_mode = io::OutputMode::kResume;
  ASSERT_OK_AND_ASSIGN(auto resumed, pairwise::run_stage(ctx, params));
  EXPECT_EQ(resumed.clusters_resumed, 2);
  EXPECT_EQ(resumed.clusters_written, 1);
  EXPECT_EQ(testing::read_bytes(done), "stand-in");
  EXPECT_THAT(testing::list_files(params.output_path),
              ElementsAre("cluster_0.parquet", "cluster_1.parquet", "cluster_2.parquet"));

  // Overwrite deletes only what semdedup's layout names: a stray file is refused, kept.
  { std::ofstream(params.output_path + "/stray.txt") << "x"; }
  params.output_mode = io::OutputMode::kOverwrite;
  EXPECT_THAT(pairwise::run_stage(ctx, params),
              StatusIs(StatusCode::kInvalidArgument, "stray.txt, which semdedup did not write"));
  EXPECT_EQ(testing::read_bytes(params.output_path + "/stray.txt"), "x");
  fs::remove(params.output_path + "/stray.txt");
  ASSERT_OK(pairwise::run_stage(ctx, params));
  EXPECT_EQ(testing::read_bytes(done), original);
  EXPECT_THAT(testing::list_files(params.output_path),
              ElementsAre("cluster_0.parquet", "cluster_1.parquet", "cluster_2.parquet"));
}

TEST_F(PairwiseStage, EmptyCentroidDirectoriesAreSkipped) {
  TempDir dir;
  const fs::path kmeans = dir.path() / "kmeans";
  write_six_rows(kmeans);
  fs::create_directories(kmeans / "centroid=3");
  write_fixture_file(kmeans / "centroid=4" / "empty.parquet",
                     {{"id", std::vector<int64_t>{}}, {"cosine_dist_to_cent", std::vector<float>{}}},
                     {}, testing::EmbeddingLayout::kList);
  fs::create_directories(kmeans / "other_dir");
  auto params = params_for(dir);
  ASSERT_OK_AND_ASSIGN(auto result, pairwise::run_stage(ctx, params));
  EXPECT_EQ(result.clusters, 3);
  EXPECT_EQ(result.clusters_empty, 2);
  EXPECT_EQ(result.clusters_written, 1);
  EXPECT_THAT(testing::list_files(params.output_path), ElementsAre("cluster_0.parquet"));
}

TEST_F(PairwiseStage, StringIdsKeepTheirType) {
  TempDir dir;
  write_fixture_file(dir.path() / "kmeans" / "centroid=2" / "a.parquet",
                     {{"doc", std::vector<std::string>{"a", "b", "c"}},
                      {"cosine_dist_to_cent", std::vector<float>{0.1f, 0.3f, 0.2f}}},
                     testing::unit_rows({{1, 0}, {1, 0.1f}, {0, 1}}), testing::EmbeddingLayout::kList,
                     "emb");
  auto params = params_for(dir);
  params.id_field = "doc";
  params.embedding_field = "emb";
  ASSERT_OK(pairwise::run_stage(ctx, params));
  const auto table = testing::read_parquet_table(params.output_path + "/cluster_2.parquet");
  ASSERT_TRUE(table);
  EXPECT_EQ(table->schema()->field(0)->type()->id(), arrow::Type::STRING);
  EXPECT_EQ(table->schema()->field(1)->type()->id(), arrow::Type::STRING);
  const auto& id = static_cast<const arrow::StringArray&>(*table->column(0)->chunk(0));
  const auto& max_id = static_cast<const arrow::StringArray&>(*table->column(1)->chunk(0));
  // hard: distance descending: b (0.3), c (0.2), a (0.1); a's best earlier match is b.
  EXPECT_EQ(id.GetString(0), "b");
  EXPECT_EQ(id.GetString(1), "c");
  EXPECT_EQ(id.GetString(2), "a");
  EXPECT_EQ(max_id.GetString(2), "b");
}

TEST_F(PairwiseStage, BadInputFailsAndLeavesNothingBehind) {
  TempDir dir;
  auto params = params_for(dir);
  EXPECT_THAT(pairwise::run_stage(ctx, params), StatusIs(StatusCode::kIOError, "does not exist"));

  // No distance column: the default ranking cannot run (checked before any output).
  write_fixture_file(dir.path() / "kmeans" / "centroid=0" / "a.parquet",
                     {{"id", std::vector<int64_t>{1, 2}}},
                     {std::vector<float>{1, 0}, std::vector<float>{0, 1}});
  EXPECT_THAT(pairwise::run_stage(ctx, params),
              StatusIs(StatusCode::kDataError, "Required columns ['cosine_dist_to_cent'] not found"));
  EXPECT_FALSE(fs::exists(params.output_path));

  // A NaN in one cluster while the others are fine: the finished ones are removed again.
  fs::remove_all(dir.path() / "kmeans");
  write_random_clusters(dir.path() / "kmeans", {30, 20, 10}, 4);
  write_fixture_file(dir.path() / "kmeans" / "centroid=1" / "p1.parquet",
                     {{"id", std::vector<int64_t>{100, 101}},
                      {"cosine_dist_to_cent", std::vector<float>{0, 0}},
                      {"l2_dist_to_cent", std::vector<float>{0, 0}}},
                     {std::vector<float>{1, 0, 0, 0},
                      std::vector<float>{0, std::numeric_limits<float>::quiet_NaN(), 0, 0}});
  for (int threads : {1, 2}) {
    Context local = Context::make_default(threads);
    EXPECT_THAT(pairwise::run_stage(local, params),
                StatusIs(StatusCode::kDataError, "p1.parquet: column 'embeddings' row 1: non-finite"));
    EXPECT_FALSE(fs::exists(params.output_path));
  }

  params.ranking_columns = {"a", "b"};
  params.ranking_ascending = {true, false, true};
  EXPECT_THAT(pairwise::run_stage(ctx, params),
              StatusIs(StatusCode::kInvalidArgument, "Length of ascending (3) must match metadata_cols (2)"));
}

TEST_F(PairwiseStage, CancelledBeforeTheFirstCluster) {
  TempDir dir;
  write_six_rows(dir.path() / "kmeans");
  ctx.cancel_flag = std::make_shared<std::atomic<bool>>(true);
  EXPECT_THAT(pairwise::run_stage(ctx, params_for(dir)), StatusIs(StatusCode::kCancelled, ""));
}

}  // namespace
}  // namespace semdedup
