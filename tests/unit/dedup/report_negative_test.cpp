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
  // The overall view covers [-1, 1] by 0.1: -1.0 in the first bin, -0.25 in [-0.3, -0.2),
  // 0.0 in [0, 0.1), 0.995 in [0.9, 1.0); none below or above.
  const Histogram& overall = report.overall;
  ASSERT_EQ(overall.counts.size(), 20u);
  EXPECT_EQ(overall.below, 0);
  EXPECT_EQ(overall.above, 0);
  EXPECT_EQ(overall.total(), 4);
  EXPECT_EQ(overall.counts[0], 1);
  EXPECT_EQ(overall.counts[7], 1);
  EXPECT_EQ(overall.counts[10], 1);
  EXPECT_EQ(overall.counts[19], 1);
  EXPECT_NEAR(overall.share_below_upper(9), 2.0 / 4.0, 1e-12);  // scores < 0: -1 and -0.25
  ASSERT_EQ(report.sweep.size(), 1u);
  EXPECT_EQ(report.sweep[0].removed, 1);
  EXPECT_THAT(report.to_text(), ::testing::HasSubstr("4 rows in 1 clusters"));
}

}  // namespace
}  // namespace semdedup::dedup
