// `semdedup demo` end to end on a small dataset.
#include <filesystem>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;

TEST(DemoCli, FindsThePlantedDuplicatesAndWritesEveryOutput) {
  testing::TempDir dir;
  const auto r = testing::run_semdedup({"demo", "--output", dir.path().string(), "--rows", "4000",
                                        "--dim", "32", "--n-clusters", "8", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("4000 rows x 32 dims"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("precision"));
  // Planted copies at cosine >= 0.95 stand far above the clusters' 0.64 background: nothing
  // else may be identified (precision 100%) at either eps.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("0\\.01 +[0-9]+ +[0-9]+ +[0-9]+ +100\\.00%"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("0\\.05 +[0-9]+ +[0-9]+ +[0-9]+ +100\\.00%"));
  for (const char* path : {"input/ground_truth.parquet", "output/summary.json", "output/report.html",
                           "output/kmeans_centroids.npy",
                           "output/kmeans_results/_kmeans_centroids.npy"}) {
    EXPECT_TRUE(fs::is_regular_file(dir.path() / path)) << path;
  }
  for (const char* path : {"output/pairwise_results", "output/duplicates", "output/deduplicated"}) {
    EXPECT_FALSE(testing::list_files(dir.path() / path).empty()) << path;
  }
}

TEST(DemoCli, RejectsImpossibleSizes) {
  testing::TempDir dir;
  const auto r = testing::run_semdedup(
      {"demo", "--output", dir.path().string(), "--rows", "50", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("rows must be >= 100"));
}

}  // namespace
}  // namespace semdedup
