// `report`: eps sweep, histogram/ECDF and example pairs computed from known scores.
#include "semdedup/dedup/report.hpp"

#include <fstream>

#include "dedup_fixtures.hpp"

namespace semdedup::dedup {
namespace {

using testing::StatusIs;
using testing::TempDir;
using testing::write_cluster_file;

TEST(Report, SweepCountsEveryThresholdExactly) {
  TempDir dir;
  write_cluster_file(dir.path() / "p", 0, {1, 2, 3, 4}, {0.0f, 0.999f, 0.95f, 1.0f});
  write_cluster_file(dir.path() / "p", 5, {10, 11, 12}, {0.0f, 0.9f, 0.991f});
  ReportParams params;
  params.input_path = (dir.path() / "p").string();
  params.eps = {0.001, 0.01, 0.1};
  params.html_path = (dir.path() / "report.html").string();
  ASSERT_OK_AND_ASSIGN(auto report, build_report(Context::make_default(1), params));
  EXPECT_EQ(report.rows, 7);
  EXPECT_EQ(report.clusters, 2);
  ASSERT_EQ(report.sweep.size(), 3u);
  // >= 0.999: 0.999f (= 0.99900001) and 1.0.
  EXPECT_EQ(report.sweep[0].removed, 2);
  // >= 0.99: + 0.991.
  EXPECT_EQ(report.sweep[1].removed, 3);
  // >= 0.9: 0.9f is 0.89999998, below; 0.95 is above.
  EXPECT_EQ(report.sweep[2].removed, 4);
  EXPECT_NEAR(report.sweep[2].share, 4.0 / 7.0, 1e-12);

  int64_t total = 0;
  for (int64_t count : report.histogram) total += count;
  EXPECT_EQ(total, 7);
  EXPECT_NEAR(report.ecdf_at(0.5), 2.0 / 7.0, 1e-12);  // the two zeros
  EXPECT_NEAR(report.ecdf_at(1.01), 1.0, 1e-12);

  // Nearest 0.99 from above: id 12 (0.991); from below: id 3 (0.95).
  ASSERT_FALSE(report.sweep[1].just_above.empty());
  EXPECT_EQ(report.sweep[1].just_above[0].id, "12");
  EXPECT_EQ(report.sweep[1].just_above[0].cluster, 5);
  ASSERT_FALSE(report.sweep[1].just_below.empty());
  EXPECT_EQ(report.sweep[1].just_below[0].id, "3");
  EXPECT_FLOAT_EQ(report.sweep[1].just_below[0].score, 0.95f);

  const std::string text = report.to_text();
  EXPECT_THAT(text, ::testing::HasSubstr("7 rows in 2 clusters"));
  const std::string html = testing::read_bytes(params.html_path);
  EXPECT_THAT(html, ::testing::StartsWith("<!doctype html>"));
  EXPECT_THAT(html, ::testing::HasSubstr("<svg"));
  EXPECT_THAT(html, ::testing::HasSubstr("</html>"));
}

TEST(Report, RejectsBadEpsAndEmptyInput) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "p");
  ReportParams params;
  params.input_path = (dir.path() / "p").string();
  EXPECT_THAT(build_report(Context::make_default(1), params),
              StatusIs(StatusCode::kDataError, "No cluster_K.parquet"));
  params.eps = {0.01, 1.0};
  EXPECT_THAT(build_report(Context::make_default(1), params),
              StatusIs(StatusCode::kInvalidArgument, "eps must be in [0, 1)"));
}

}  // namespace
}  // namespace semdedup::dedup
