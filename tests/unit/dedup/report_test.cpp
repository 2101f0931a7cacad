// `report`: eps sweep (removed, added, chained, exact), histograms, example pairs with their
// texts and the cluster balance, computed from known scores; exact copies found from the
// KMeans output's embeddings, also by identify's exact mode.
#include "semdedup/dedup/report.hpp"

#include <cmath>
#include <fstream>

#include "dedup_fixtures.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/dedup/identify.hpp"
#include "semdedup/io/jsonl_writer.hpp"

namespace semdedup::dedup {
namespace {

namespace fs = std::filesystem;
using testing::StatusIs;
using testing::TempDir;
using testing::write_cluster_file;

// <dir>/cluster_<k>.parquet with the given max_ids.
void write_pairs(const fs::path& dir, int64_t k, std::vector<int64_t> ids,
                 std::vector<int64_t> max_ids, std::vector<float> scores) {
  ASSERT_OK(io::initialize_arrow());
  fs::create_directories(dir);
  ASSERT_OK_AND_ASSIGN(auto table, io::make_table({{"id", std::move(ids)},
                                                   {"max_id", std::move(max_ids)},
                                                   {"cosine_sim_score", std::move(scores)}}));
  ASSERT_OK(io::write_parquet((dir / fmt::format("cluster_{}.parquet", k)).string(), table));
}

ReportParams params_for(const fs::path& pairwise, std::vector<double> eps) {
  ReportParams params;
  params.input_path = pairwise.string();
  params.eps = std::move(eps);
  return params;
}

TEST(Report, SweepCountsEveryThresholdExactly) {
  TempDir dir;
  write_cluster_file(dir.path() / "p", 0, {1, 2, 3, 4}, {0.0f, 0.999f, 0.95f, 1.0f});
  write_cluster_file(dir.path() / "p", 5, {10, 11, 12}, {0.0f, 0.9f, 0.991f});
  ReportParams params = params_for(dir.path() / "p", {0.1, 0.001, 0.01});
  params.html_path = (dir.path() / "report.html").string();
  ASSERT_OK_AND_ASSIGN(auto report, build_report(Context::make_default(1), params));
  EXPECT_EQ(report.rows, 7);
  EXPECT_EQ(report.clusters, 2);
  ASSERT_EQ(report.sweep.size(), 3u);
  EXPECT_EQ(report.sweep[0].eps, 0.001);  // ascending whatever the order given
  // >= 0.999: 0.999f (= 0.99900001) and 1.0.
  EXPECT_EQ(report.sweep[0].removed, 2);
  // >= 0.99: + 0.991.
  EXPECT_EQ(report.sweep[1].removed, 3);
  EXPECT_EQ(report.sweep[1].added, 1);
  // >= 0.9: 0.9f is 0.89999998, below; 0.95 is above.
  EXPECT_EQ(report.sweep[2].removed, 4);
  EXPECT_EQ(report.sweep[2].added, 1);
  EXPECT_NEAR(report.sweep[2].share, 4.0 / 7.0, 1e-12);

  EXPECT_EQ(report.overall.total(), 7);
  EXPECT_EQ(report.decision.below, 2);  // the two zeros
  EXPECT_EQ(report.decision.above, 1);  // 1.0
  EXPECT_FALSE(report.exact_copies.has_value());

  // Nearest 0.99 from above: id 12 (0.991); from below: id 3 (0.95).
  ASSERT_FALSE(report.sweep[1].just_above.empty());
  EXPECT_EQ(report.sweep[1].just_above[0].row.id, "12");
  EXPECT_EQ(report.sweep[1].just_above[0].max_row.id, "10");
  EXPECT_EQ(report.sweep[1].just_above[0].cluster, 5);
  ASSERT_FALSE(report.sweep[1].just_below.empty());
  EXPECT_EQ(report.sweep[1].just_below[0].row.id, "3");
  EXPECT_FLOAT_EQ(report.sweep[1].just_below[0].score, 0.95f);

  const std::string text = report.to_text();
  EXPECT_THAT(text, ::testing::HasSubstr("7 rows in 2 clusters"));
  EXPECT_THAT(text, ::testing::HasSubstr("--input-data"));  // how to get the texts
  const std::string html = testing::read_bytes(params.html_path);
  EXPECT_THAT(html, ::testing::StartsWith("<!doctype html>"));
  EXPECT_THAT(html, ::testing::HasSubstr("<svg"));
  EXPECT_THAT(html, ::testing::HasSubstr("--input-data"));
  // Self-contained: nothing to fetch.
  for (const char* link : {"http:", "https:", "src=", "href=", "url(", "<script"}) {
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr(link)));
  }
}

TEST(Report, CountsChainsWhoseMaxIdIsRemovedToo) {
  TempDir dir;
  // 3's max_id 2 and 4's max_id 3; 1 is the first-ranked row (NeMo 1.4: max_id itself, 0).
  write_pairs(dir.path() / "p", 0, {1, 2, 3, 4}, {1, 1, 2, 3}, {0.0f, 0.995f, 0.9995f, 0.96f});
  ASSERT_OK_AND_ASSIGN(
      auto report,
      build_report(Context::make_default(1), params_for(dir.path() / "p", {0.001, 0.01, 0.05})));
  EXPECT_EQ(report.sweep[0].removed, 1);  // 3
  EXPECT_EQ(report.sweep[0].chained, 0);  // its max_id 2 (0.995) stays
  EXPECT_EQ(report.sweep[1].removed, 2);  // 2, 3
  EXPECT_EQ(report.sweep[1].chained, 1);  // 3 -> 2
  EXPECT_EQ(report.sweep[2].removed, 3);  // 2, 3, 4
  EXPECT_EQ(report.sweep[2].chained, 2);  // 3 -> 2, 4 -> 3
  EXPECT_EQ(report.sweep[2].added, 1);
}

TEST(Report, HistogramBinsScoresOverTheWholeRangeByExactComparisons) {
  Histogram decision = Histogram::linear(160, 200, 1, 200);
  ASSERT_EQ(decision.counts.size(), 40u);
  EXPECT_EQ(decision.edges[1], 0.805);        // k / 200 reads back from its printed form
  decision.add(0.805);                        // on the edge: bin 1
  decision.add(static_cast<double>(0.805f));  // 0.80500001: bin 1
  decision.add(static_cast<double>(std::nextafter(0.805f, 0.0f)));  // 0.80499995: bin 0
  decision.add(std::nan(""));                                       // not counted
  decision.add(-0.5);
  decision.add(static_cast<double>(1.0000002f));
  EXPECT_EQ(decision.counts[1], 2);
  EXPECT_EQ(decision.counts[0], 1);
  EXPECT_EQ(decision.below, 1);
  EXPECT_EQ(decision.above, 1);
  EXPECT_EQ(decision.total(), 5);
  EXPECT_DOUBLE_EQ(decision.share_below_upper(0), 2.0 / 5.0);  // -0.5 and 0.80499995
  EXPECT_DOUBLE_EQ(decision.share_below_upper(1), 4.0 / 5.0);

  Histogram overall = Histogram::linear(-10, 10, 1, 10);
  overall.add(-1.0);
  overall.add(-0.95);
  overall.add(0.0);
  EXPECT_EQ(overall.counts.front(), 2);
  EXPECT_EQ(overall.counts[10], 1);
  EXPECT_EQ(overall.below, 0);
}

// A KMeans output (centroid=0/) and the pairwise file of its cluster in ranked order
// 10, 11, 12, 13, 14: 11 repeats 10's embedding, 13 repeats 12's with -0.0 for 0.0, 14 is
// a near copy of 10.
void write_copies(const fs::path& root) {
  ASSERT_OK(io::initialize_arrow());
  Matrix embeddings(5, 3);
  const float rows[5][3] = {{0.6f, 0.8f, 0.0f},
                            {0.6f, 0.8f, 0.0f},
                            {1.0f, 0.0f, 0.0f},
                            {1.0f, -0.0f, 0.0f},
                            {0.6f, 0.8f, 1e-7f}};
  // The partition holds them in another order than the ranking.
  const int64_t order[5] = {3, 0, 4, 2, 1};
  std::vector<int64_t> ids;
  for (int64_t r = 0; r < 5; ++r) {
    std::copy(rows[order[r]], rows[order[r]] + 3, embeddings.row(r));
    ids.push_back(10 + order[r]);
  }
  fs::create_directories(root / "kmeans_results" / "centroid=0");
  ASSERT_OK_AND_ASSIGN(auto table,
                       io::make_table({{"id", std::move(ids)}, {"embeddings", embeddings.view()}}));
  ASSERT_OK(io::write_parquet(
      (root / "kmeans_results" / "centroid=0" / "part-000000.parquet").string(), table));
  write_pairs(root / "pairwise_results", 0, {10, 11, 12, 13, 14}, {10, 10, 10, 12, 11},
              {0.0f, 0.99999994f, 0.6f, 1.0000001f, 0.99999994f});
}

TEST(Report, ExactCopiesComeFromIdenticalEmbeddingsNotScores) {
  TempDir dir;
  write_copies(dir.path());
  ASSERT_OK_AND_ASSIGN(auto report,
                       build_report(Context::make_default(1),
                                    params_for(dir.path() / "pairwise_results", {0.0, 0.001})));
  ASSERT_TRUE(report.exact_copies.has_value());
  EXPECT_EQ(*report.exact_copies, 2);     // 11 and 13; 14 scores the same as 11 but is not one
  EXPECT_EQ(report.sweep[0].removed, 1);  // eps 0: only 13 scores >= 1
  EXPECT_EQ(*report.sweep[0].exact, 1);
  EXPECT_EQ(report.sweep[1].removed, 3);
  EXPECT_EQ(*report.sweep[1].exact, 2);
  EXPECT_THAT(report.to_text(), ::testing::HasSubstr("2 exact copies"));
}

TEST(Report, AnUnreadableKMeansOutputFoundBesideLeavesExactCopiesUnknown) {
  TempDir dir;
  write_copies(dir.path());
  ReportParams params = params_for(dir.path() / "pairwise_results", {0.001});
  params.embedding_field = "vec";
  ASSERT_OK_AND_ASSIGN(auto report, build_report(Context::make_default(1), params));
  EXPECT_FALSE(report.exact_copies.has_value());
  EXPECT_FALSE(report.sweep[0].exact.has_value());
  EXPECT_EQ(report.sweep[0].removed, 3);
  EXPECT_THAT(report.to_text(), ::testing::HasSubstr("exact copies unknown: "));
  EXPECT_THAT(report.exact_note, ::testing::HasSubstr("vec"));
  // Named by the user, the same KMeans output is an error.
  params.kmeans_path = (dir.path() / "kmeans_results").string();
  EXPECT_THAT(build_report(Context::make_default(1), params),
              StatusIs(StatusCode::kDataError, "vec"));
}

TEST(Report, IdentifyExactWritesTheExactCopiesOnly) {
  TempDir dir;
  write_copies(dir.path());
  IdentifyParams params;
  params.input_path = dir / "pairwise_results";
  params.output_path = dir / "out";
  params.exact = true;
  ASSERT_OK_AND_ASSIGN(auto result, identify(Context::make_default(1), params));
  EXPECT_EQ(result.duplicates, 2);
  EXPECT_EQ(testing::describe_id_files(dir.path() / "out" / "duplicates"), "11,13|2");

  params.kmeans_path = dir / "missing";
  params.output_path = dir / "out2";
  EXPECT_THAT(identify(Context::make_default(1), params),
              StatusIs(StatusCode::kIOError, "missing"));
  EXPECT_FALSE(fs::exists(dir.path() / "out2"));
}

TEST(Report, ExamplesShowTheInputTextsSideBySideClipped) {
  TempDir dir;
  write_pairs(dir.path() / "p", 0, {1, 2, 3}, {1, 1, 1}, {0.0f, 0.995f, 0.5f});
  ASSERT_OK(io::initialize_arrow());
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "\xC3\xA9t\xC3\xA9\n";  // "été" and a newline
  ASSERT_OK_AND_ASSIGN(
      auto table, io::make_table({{"id", std::vector<int64_t>{3, 2, 1}},
                                  {"text", std::vector<std::string>{"three", "two", long_text}},
                                  {"lang", std::vector<std::string>{"c", "b", "a"}}}));
  fs::create_directories(dir.path() / "data");
  ASSERT_OK(io::write_jsonl((dir.path() / "data" / "part.jsonl").string(), table, {}));
  ReportParams params = params_for(dir.path() / "p", {0.01});
  params.input_data = {(dir.path() / "data").string()};
  params.input_filetype = io::FileType::kJsonl;
  params.text_fields = {"text", "lang"};
  params.text_chars = 20;
  params.html_path = (dir.path() / "r.html").string();
  ASSERT_OK_AND_ASSIGN(auto report, build_report(Context::make_default(1), params));
  ASSERT_EQ(report.sweep[0].just_above.size(), 1u);
  const ExamplePair& pair = report.sweep[0].just_above[0];
  EXPECT_EQ(pair.row.id, "2");
  EXPECT_EQ(pair.row.fields, (std::vector<std::string>{"two", "b"}));
  ASSERT_EQ(pair.max_row.fields.size(), 2u);
  // 20 code points kept of "été été ...", newlines become spaces, then "…".
  EXPECT_EQ(pair.max_row.fields[0], "été été été été été…");
  EXPECT_TRUE(report.texts_note.empty());
  EXPECT_THAT(report.to_text(), ::testing::HasSubstr("lang: b"));
  EXPECT_THAT(testing::read_bytes(params.html_path), ::testing::HasSubstr("été été"));

  params.text_fields = {"title"};
  EXPECT_THAT(build_report(Context::make_default(1), params),
              StatusIs(StatusCode::kDataError, "column 'title' not found"));
}

TEST(Report, ClusterBalanceSharesOfPairwiseWork) {
  ClusterBalance balance;
  balance.sizes = {60, 20, 10, 10};
  balance.rows = 100;
  balance.n_clusters = 4;
  balance.work = 60 * 60 + 20 * 20 + 100 + 100;
  EXPECT_DOUBLE_EQ(balance.work_share_of_largest(1), 3600.0 / 4200.0);
  EXPECT_DOUBLE_EQ(balance.work_share_of_largest(9), 1.0);
  EXPECT_EQ(balance.percentile(50), 10);
  EXPECT_EQ(balance.percentile(100), 60);
  EXPECT_EQ(balance.percentile(75), 20);
  // [8, 16): two clusters, [16, 32): one, [32, 64): one.
  EXPECT_EQ(balance.size_histogram(), (std::vector<int64_t>{0, 0, 0, 2, 1, 1}));
  // Imbalance 4200 * 4 / 100^2 = 1.68; 30 assumed iterations: k = sqrt(1.68 * 100 / 60) = 1.67.
  const auto [lo, hi] = balance.suggested_n_clusters();
  EXPECT_EQ(lo, 1);
  EXPECT_EQ(hi, 4);
  EXPECT_THAT(balance.suggestion_reasoning(), ::testing::HasSubstr("1.68 times"));
}

TEST(Report, RejectsBadEpsAndEmptyInput) {
  TempDir dir;
  fs::create_directories(dir.path() / "p");
  ReportParams params = params_for(dir.path() / "p", {0.01});
  EXPECT_THAT(build_report(Context::make_default(1), params),
              StatusIs(StatusCode::kDataError, "No cluster_K.parquet"));
  params.eps = {0.01, 1.0};
  EXPECT_THAT(build_report(Context::make_default(1), params),
              StatusIs(StatusCode::kInvalidArgument, "eps must be in [0, 1)"));
}

}  // namespace
}  // namespace semdedup::dedup
