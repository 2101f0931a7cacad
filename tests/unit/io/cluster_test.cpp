// The Pairwise stage's files: centroid=K discovery, reading a cluster, the ranking sort and
// the cluster_K.parquet writer.
#include "semdedup/io/cluster.hpp"
#include "semdedup/io/cluster_discovery.hpp"
#include "semdedup/io/pairwise_results.hpp"

#include <arrow/api.h>

#include <fstream>
#include <limits>

#include "testing/testing.hpp"
#include "unit/pairwise/cluster_fixtures.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::EmbeddingLayout;
using testing::FixtureColumn;
using testing::StatusIs;
using testing::TempDir;
using testing::write_fixture_file;

void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "x";
}

TEST(ClusterDiscovery, OnlyCentroidEntriesAtTheTopLevelSortedByCentroid) {
  TempDir dir;
  touch(dir.path() / "centroid=10" / "b.parquet");
  touch(dir.path() / "centroid=10" / "a.PARQUET");
  touch(dir.path() / "centroid=10" / "nested" / "c.parquet");
  touch(dir.path() / "centroid=10" / "notes.txt");
  touch(dir.path() / "centroid=2" / "x.parquet");
  touch(dir.path() / "run_centroid=3" / "y.parquet");
  fs::create_directories(dir.path() / "centroid=7");
  touch(dir.path() / "other_dir" / "centroid=5" / "z.parquet");
  touch(dir.path() / "top.parquet");

  ASSERT_OK_AND_ASSIGN(auto clusters, io::discover_clusters(dir.path().string()));
  ASSERT_EQ(clusters.size(), 4u);
  EXPECT_EQ(clusters[0].centroid, 2);
  EXPECT_EQ(clusters[1].centroid, 3);
  EXPECT_EQ(clusters[2].centroid, 7);
  EXPECT_EQ(clusters[3].centroid, 10);
  EXPECT_TRUE(clusters[2].files.empty());
  const std::string ten = (dir.path() / "centroid=10").string();
  EXPECT_EQ(clusters[3].dir, ten);
  EXPECT_THAT(clusters[3].files,
              ElementsAre(ten + "/a.PARQUET", ten + "/b.parquet", ten + "/nested/c.parquet"));
}

TEST(ClusterDiscovery, ErrorsNameThePath) {
  TempDir dir;
  EXPECT_THAT(io::discover_clusters(dir / "missing"),
              StatusIs(StatusCode::kIOError, "missing does not exist"));
  touch(dir.path() / "only_file");
  EXPECT_THAT(io::discover_clusters(dir / "only_file"),
              StatusIs(StatusCode::kIOError, "is not a directory"));
  EXPECT_THAT(io::discover_clusters(dir.path().string()),
              StatusIs(StatusCode::kDataError, "No centroid directories found in: " + dir.path().string()));
  fs::create_directories(dir.path() / "centroid=x1");
  EXPECT_THAT(io::discover_clusters(dir.path().string()),
              StatusIs(StatusCode::kDataError, "'x1' is not a centroid number"));
  fs::remove(dir.path() / "centroid=x1");
  fs::create_directories(dir.path() / "centroid=4");
  fs::create_directories(dir.path() / "a_centroid=4");
  EXPECT_THAT(io::discover_clusters(dir.path().string()),
              StatusIs(StatusCode::kDataError, "both hold centroid 4"));
}

TEST(ClusterRead, ConcatenatesFilesInOrderWithEveryListLayout) {
  for (auto layout : {EmbeddingLayout::kList, EmbeddingLayout::kLargeList,
                      EmbeddingLayout::kFixedSizeList, EmbeddingLayout::kListOfDouble}) {
    TempDir dir;
    const auto a = dir.path() / "a.parquet", b = dir.path() / "b.parquet";
    write_fixture_file(a, {{"id", std::vector<int64_t>{7, 8}}, {"score", std::vector<float>{1, 2}}},
                       {std::vector<float>{0.5f, 0.25f}, std::vector<float>{1, 0}}, layout);
    write_fixture_file(b, {{"id", std::vector<int64_t>{9}}, {"score", std::vector<float>{3}}},
                       {std::vector<float>{0, -1}}, layout);
    ASSERT_OK_AND_ASSIGN(auto rows, io::inspect_cluster({a.string(), b.string()}, {"id", "score"},
                                                        "embeddings"));
    EXPECT_EQ(rows, 3);
    ASSERT_OK_AND_ASSIGN(auto data, io::read_cluster({a.string(), b.string()}, {"id", "score"},
                                                     "embeddings"));
    ASSERT_EQ(data.embeddings.rows(), 3);
    ASSERT_EQ(data.embeddings.cols(), 2);
    const std::vector<float> flat(data.embeddings.data(), data.embeddings.data() + 6);
    EXPECT_THAT(flat, ElementsAre(0.5f, 0.25f, 1.0f, 0.0f, 0.0f, -1.0f));
    ASSERT_EQ(data.columns->num_columns(), 2);
    EXPECT_EQ(data.columns->schema()->field(0)->name(), "id");
    EXPECT_THAT(testing::int64_column(*data.columns, "id"), ElementsAre(7, 8, 9));
  }
}

TEST(ClusterRead, MissingColumnsAreNamedWithTheAvailableOnes) {
  TempDir dir;
  const auto a = dir.path() / "a.parquet";
  write_fixture_file(a, {{"id", std::vector<int64_t>{1}}}, {std::vector<float>{1, 0}});
  const std::string expected = a.string() +
                               ": Required columns ['cosine_dist_to_cent'] not found in cluster "
                               "data. Available columns: ['id', 'embeddings']";
  EXPECT_THAT(io::inspect_cluster({a.string()}, {"id", "cosine_dist_to_cent"}, "embeddings"),
              StatusIs(StatusCode::kDataError, expected));
  EXPECT_THAT(io::read_cluster({a.string()}, {"id", "cosine_dist_to_cent"}, "embeddings"),
              StatusIs(StatusCode::kDataError, expected));
  EXPECT_THAT(io::inspect_cluster({a.string()}, {"id"}, "emb"),
              StatusIs(StatusCode::kDataError, "Required columns ['emb'] not found"));
}

TEST(ClusterRead, BadEmbeddingsNameFileColumnAndRow) {
  TempDir dir;
  const auto path = dir.path() / "bad.parquet";
  const std::string file = path.string();
  const std::vector<int64_t> ids{1, 2, 3};
  const auto expect_error = [&](const std::vector<std::optional<std::vector<float>>>& rows,
                                EmbeddingLayout layout, const std::string& message) {
    write_fixture_file(path, {{"id", ids}}, rows, layout);
    EXPECT_THAT(io::read_cluster({file}, {"id"}, "embeddings"),
                StatusIs(StatusCode::kDataError, message));
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  expect_error({std::vector<float>{1, 0}, std::vector<float>{0, 1}, std::vector<float>{1, 0, 0}},
               EmbeddingLayout::kList,
               file + ": column 'embeddings' row 2: embedding has 3 values, the cluster's first row has 2");
  expect_error({std::vector<float>{1, 0}, std::nullopt, std::vector<float>{1, 0}},
               EmbeddingLayout::kList, file + ": column 'embeddings' row 1: null embedding");
  expect_error({std::vector<float>{1, 0}, std::vector<float>{0, 1}, std::vector<float>{nan, 0}},
               EmbeddingLayout::kList, file + ": column 'embeddings' row 2: non-finite value");
  expect_error({std::vector<float>{1, inf}, std::vector<float>{0, 1}, std::vector<float>{1, 0}},
               EmbeddingLayout::kListOfDouble, file + ": column 'embeddings' row 0: non-finite value");
  expect_error({std::vector<float>{}, std::vector<float>{}, std::vector<float>{}},
               EmbeddingLayout::kList, file + ": column 'embeddings' row 0: empty embedding");
  expect_error({std::vector<float>{1}, std::vector<float>{2}, std::vector<float>{3}},
               EmbeddingLayout::kPlainFloat,
               file + ": column 'embeddings' has type float, expected a list of float32 or float64");
  write_fixture_file(path, {{"id", ids}}, {std::vector<float>{1}, std::vector<float>{2}, std::vector<float>{3}},
                     EmbeddingLayout::kPlainFloat);
  EXPECT_THAT(io::inspect_cluster({file}, {"id"}, "embeddings"),
              StatusIs(StatusCode::kDataError, "expected a list of float32 or float64"));
}

TEST(ClusterRead, RaggedRowsAcrossFilesAndMismatchedTypesAreErrors) {
  TempDir dir;
  const auto a = dir.path() / "a.parquet", b = dir.path() / "b.parquet";
  write_fixture_file(a, {{"id", std::vector<int64_t>{1}}}, {std::vector<float>{1, 0}});
  write_fixture_file(b, {{"id", std::vector<int64_t>{2, 3}}},
                     {std::vector<float>{1, 0}, std::vector<float>{1, 0, 0}});
  EXPECT_THAT(io::read_cluster({a.string(), b.string()}, {"id"}, "embeddings"),
              StatusIs(StatusCode::kDataError, b.string() + ": column 'embeddings' row 1: embedding has 3"));
  write_fixture_file(b, {{"id", std::vector<std::string>{"x"}}}, {std::vector<float>{1, 0}});
  EXPECT_THAT(io::read_cluster({a.string(), b.string()}, {"id"}, "embeddings"),
              StatusIs(StatusCode::kDataError, b.string() + ": columns"));
}

TEST(ClusterRead, NullIdIsAnError) {
  TempDir dir;
  const auto a = dir.path() / "a.parquet";
  write_fixture_file(a, {{"id", std::vector<std::optional<double>>{1.0, std::nullopt}}},
                     {std::vector<float>{1, 0}, std::vector<float>{0, 1}});
  EXPECT_THAT(io::read_cluster({a.string()}, {"id"}, "embeddings"),
              StatusIs(StatusCode::kDataError, a.string() + ": column 'id' row 1: null id"));
}

TEST(ClusterWrite, ColumnsTypesAndRankedRows) {
  TempDir dir;
  const auto ids = std::make_shared<arrow::ChunkedArray>(arrow::ArrayVector{
      testing::column_array({"id", std::vector<std::string>{"p", "q"}}),
      testing::column_array({"id", std::vector<std::string>{"r"}})});
  // Ranked order: r, p, q; max_idx in ranked positions.
  const std::vector<int64_t> order{2, 0, 1}, max_idx{0, 0, 1};
  const std::vector<float> max_sim{0.0f, 0.5f, 0.25f};
  const std::string path = dir / "cluster_3.parquet";
  ASSERT_OK(io::write_pairwise_result(path, ids, order, max_idx, max_sim));
  EXPECT_THAT(testing::list_files(dir.path()), ElementsAre("cluster_3.parquet"));
  const auto table = testing::read_parquet_table(path);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->schema()->ToString(),
            arrow::schema({arrow::field("id", arrow::utf8()), arrow::field("max_id", arrow::utf8()),
                           arrow::field("cosine_sim_score", arrow::float32())})
                ->ToString());
  const auto id = std::static_pointer_cast<arrow::StringArray>(table->column(0)->chunk(0));
  const auto max_id = std::static_pointer_cast<arrow::StringArray>(table->column(1)->chunk(0));
  EXPECT_EQ(id->GetString(0), "r");
  EXPECT_EQ(id->GetString(1), "p");
  EXPECT_EQ(id->GetString(2), "q");
  EXPECT_EQ(max_id->GetString(0), "r");
  EXPECT_EQ(max_id->GetString(1), "r");
  EXPECT_EQ(max_id->GetString(2), "p");
  EXPECT_THAT(testing::float_column(*table, "cosine_sim_score"), ElementsAre(0.0f, 0.5f, 0.25f));
}

}  // namespace
}  // namespace semdedup
