// `report` on NeMo 1.4 pairwise results, whose scores can be negative.
#include "dedup_fixtures.hpp"
#include "semdedup/dedup/report.hpp"

namespace semdedup::dedup {
namespace {

using testing::TempDir;
using testing::write_cluster_file;

TEST(ReportNegative, NegativeScoresCountInTheFirstBinAndNeverAsDuplicates) {
  TempDir dir;
  write_cluster_file(dir.path() / "p", 0, {1, 2, 3, 4}, {0.0f, -1.0f, -0.25f, 0.995f});
  ReportParams params;
  params.input_path = (dir.path() / "p").string();
  params.eps = {0.01};
  ASSERT_OK_AND_ASSIGN(auto report, build_report(Context::make_default(1), params));
  EXPECT_EQ(report.rows, 4);
  ASSERT_FALSE(report.histogram.empty());
  EXPECT_EQ(report.histogram.front(), 3);  // 0.0, -1.0 and -0.25
  int64_t total = 0;
  for (int64_t count : report.histogram) total += count;
  EXPECT_EQ(total, 4);
  EXPECT_NEAR(report.ecdf_at(0.5), 3.0 / 4.0, 1e-12);
  ASSERT_EQ(report.sweep.size(), 1u);
  EXPECT_EQ(report.sweep[0].removed, 1);
  EXPECT_THAT(report.to_text(), ::testing::HasSubstr("4 rows in 1 clusters"));
}

}  // namespace
}  // namespace semdedup::dedup
