// The identify step against spec section 12 and section 17 items 57-63.
#include "semdedup/dedup/identify.hpp"

#include <numeric>

#include "dedup_fixtures.hpp"

namespace semdedup::dedup {
namespace {

namespace fs = std::filesystem;
using testing::describe_id_files;
using testing::StatusIs;
using testing::TempDir;
using testing::write_cluster_file;

Result<IdentifyResult> run_identify(const TempDir& dir, double eps) {
  IdentifyParams params;
  params.input_path = dir / "pairwise";
  params.output_path = dir / "out";
  params.eps = eps;
  return identify(Context::make_default(1), params);
}

TEST(Identify, NoClusterFilesWritesNothing) {
  TempDir dir;
  fs::create_directories(dir.path() / "pairwise");
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.1));
  EXPECT_EQ(result.clusters, 0);
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "duplicates"));
}

TEST(Identify, SingleRowWithScoreZeroGivesAnEmptyFile) {
  TempDir dir;
  write_cluster_file(dir.path() / "pairwise", 0, {7}, {0.0f});
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.1));
  EXPECT_EQ(result.duplicates, 0);
  EXPECT_EQ(result.files, 1);
  // One file, no ids (the row-group count of an empty file is Arrow's business).
  EXPECT_THAT(describe_id_files(dir.path() / "out" / "duplicates"), ::testing::StartsWith("|"));
  EXPECT_EQ(testing::list_files(dir.path() / "out" / "duplicates").size(), 1u);
}

TEST(Identify, ScoresBelowTheThresholdGiveNothing) {
  TempDir dir;
  write_cluster_file(dir.path() / "pairwise", 0, {1, 2, 3}, {0.5f, 0.6f, 0.7f});
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.1));
  EXPECT_EQ(result.duplicates, 0);
}

TEST(Identify, ThresholdDependsOnEps) {
  for (const auto& [eps, expected] : std::vector<std::pair<double, int64_t>>{{0.01, 0}, {0.2, 4}}) {
    TempDir dir;
    write_cluster_file(dir.path() / "pairwise", 0, {4, 1, 3, 2}, {0.98f, 0.98f, 0.85f, 0.85f});
    ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, eps));
    EXPECT_EQ(result.duplicates, expected) << "eps " << eps;
    if (expected == 4) {
      EXPECT_EQ(describe_id_files(dir.path() / "out" / "duplicates"), "1,2,3,4|4");
    }
  }
}

TEST(Identify, SortsIdsAndMakesAboutTenRowGroups) {
  TempDir dir;
  write_cluster_file(dir.path() / "pairwise", 3, {9, 5, 1, 2, 3}, {0.95f, 0.95f, 0.85f, 0.85f, 0.75f});
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.1));
  EXPECT_EQ(result.duplicates, 2);
  // 2 rows, hint 10: row groups of max(1, 2 / 10) = 1 row.
  EXPECT_EQ(describe_id_files(dir.path() / "out" / "duplicates"), "5,9|2");
}

TEST(Identify, TenClusterFilesMakeOneOutputFile) {
  TempDir dir;
  for (int64_t k = 0; k < 10; ++k) {
    // Two duplicates per cluster, ids interleaved across clusters so sorting matters.
    write_cluster_file(dir.path() / "pairwise", k, {100 - k, 50 - k, 200 + k}, {1.0f, 0.995f, 0.2f});
  }
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.01));
  EXPECT_EQ(result.duplicates, 20);
  EXPECT_EQ(result.files, 1);
  std::vector<std::string> ids;
  for (int64_t v = 41; v <= 50; ++v) ids.push_back(std::to_string(v));
  for (int64_t v = 91; v <= 100; ++v) ids.push_back(std::to_string(v));
  EXPECT_EQ(describe_id_files(dir.path() / "out" / "duplicates"),
            fmt::format("{}|10", fmt::join(ids, ",")));
}

TEST(Identify, ElevenClusterFilesMakeTwoOutputFiles) {
  TempDir dir;
  for (int64_t k = 0; k < 11; ++k) write_cluster_file(dir.path() / "pairwise", k, {k}, {1.0f});
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.01));
  EXPECT_EQ(result.files, 2);
  EXPECT_EQ(testing::list_files(dir.path() / "out" / "duplicates"),
            (std::vector<std::string>{"part-00000.parquet", "part-00001.parquet"}));
}

TEST(Identify, ComparesTheFloat32ScoreExactlyAsNeMoDoes) {
  TempDir dir;
  // 0.9f is 0.89999998 < 0.9: not a duplicate at eps 0.1; 0.75f == 0.75: one at eps 0.25.
  write_cluster_file(dir.path() / "pairwise", 0, {1, 2}, {0.9f, 0.75f});
  ASSERT_OK_AND_ASSIGN(auto at_01, run_identify(dir, 0.1));
  EXPECT_EQ(at_01.duplicates, 0);
  TempDir dir2;
  write_cluster_file(dir2.path() / "pairwise", 0, {1, 2}, {0.9f, 0.75f});
  ASSERT_OK_AND_ASSIGN(auto at_025, run_identify(dir2, 0.25));
  EXPECT_EQ(at_025.duplicates, 2);
}

TEST(Identify, EpsZeroTakesOnlyScoresOfOne) {
  TempDir dir;
  write_cluster_file(dir.path() / "pairwise", 0, {1, 2, 3}, {1.0f, 0.99999994f, 1.0000001f});
  ASSERT_OK_AND_ASSIGN(auto result, run_identify(dir, 0.0));
  EXPECT_EQ(result.duplicates, 2);
}

TEST(Identify, RejectsEpsOutsideZeroToOne) {
  TempDir dir;
  write_cluster_file(dir.path() / "pairwise", 0, {1}, {0.0f});
  for (double eps : {-0.01, 1.0, 1.5}) {
    EXPECT_THAT(run_identify(dir, eps), StatusIs(StatusCode::kInvalidArgument, "eps must be in [0, 1)"));
  }
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(Identify, MissingInputDirectoryIsAnError) {
  TempDir dir;
  EXPECT_THAT(run_identify(dir, 0.1), StatusIs(StatusCode::kIOError, "pairwise"));
}

TEST(Identify, RefusesANonEmptyOutputWithoutResumeOrOverwrite) {
  TempDir dir;
  write_cluster_file(dir.path() / "pairwise", 0, {1}, {1.0f});
  ASSERT_OK(run_identify(dir, 0.1));
  EXPECT_THAT(run_identify(dir, 0.1), StatusIs(StatusCode::kAlreadyExists, "--overwrite"));
}

}  // namespace
}  // namespace semdedup::dedup
