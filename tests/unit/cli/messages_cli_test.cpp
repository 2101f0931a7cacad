// What a user sees when a command fails: exactly one line on stderr (even without --quiet),
// control characters escaped, seeds and sizes checked up front, and messages that name the
// file whose data is at fault.
#include <filesystem>
#include <fstream>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

/// `count` Parquet files f<i>.parquet of 20 rows under `dir`, file i `widths[i]` wide.
void write_files(const fs::path& dir, const std::string& widths) {
  const auto r = run_python(R"(
import os, sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
root = sys.argv[1]; os.makedirs(root, exist_ok=True)
rng = np.random.default_rng(3)
for i, d in enumerate(eval(sys.argv[2])):
    rows = rng.normal(size=(20, d)).astype(np.float32)
    pq.write_table(pa.table({"id": pa.array(range(i * 20, i * 20 + 20), pa.int64()),
                             "embeddings": pa.array(list(rows), pa.list_(pa.float32()))}),
                   os.path.join(root, "f%d.parquet" % i))
)",
                            {dir.string(), widths});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

struct Usage {
  std::vector<std::string> args;
  std::string message;
};

// Usage errors: exit 2, one line, nothing created. Seeds out of range were once wrapped or
// saturated to 2^64 - 1 by the flag parser; huge sizes once ran out of memory.
TEST(MessagesCli, UsageErrorsAreOneLineAndCreateNothing) {
  TempDir dir;
  write_files(dir.path() / "in", "[4, 4]");
  const std::string in = (dir.path() / "in").string();
  const std::string out = (dir.path() / "out").string();
  const std::vector<Usage> cases = {
      {{"kmeans", "--input", in, "--output", out, "--n-clusters", "2", "--random-state", "-1"},
       "--random-state: must be an integer in [0, 18446744073709551615], got '-1'"},
      {{"kmeans", "--input", in, "--output", out, "--n-clusters", "2", "--random-state",
        "18446744073709551616"},
       "got '18446744073709551616'"},
      {{"pairwise", "--input", in, "--output", out, "--random-seed", "18446744073709551616"},
       "--random-seed: must be an integer"},
      {{"generate", "--output", out, "--rows", "10", "--dim", "1e12"},
       "--dim 1000000000000 is wider than semdedup reads: at most 65536"},
      {{"generate", "--output", out, "--rows", "10", "--dim", "1.5"},
       "--dim: must be a whole number, got '1.5'"},
      {{"generate", "--output", out, "--rows", "1e12", "--dim", "65536"}, "needs about"},
      {{"kmeans", "--input", in, "--output", out, "--n-clusters", "2", "--threads", "10000"},
       "--threads 10000 is more than this machine can use: at most"},
      {{"kmeans", "--input", in, "--output", out, "--no-such-flag"}, "(run with --help for usage)"},
      {{"kmeans", "--input", in, "--output", out, "--n-clusters", "2", "--metadata-fields",
        "l2_dist_to_cent"},
       "metadata field 'l2_dist_to_cent' collides with an output column"},
      {{"kmeans", "--input", in, "--output", out, "--n-clusters", "2", "--id-field", "max_id"},
       "field 'max_id' is named like a column semdedup writes"},
  };
  for (const Usage& c : cases) {
    const auto r = run_semdedup(c.args);  // no --quiet: info lines must not show either
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_FALSE(fs::exists(out)) << c.message;
  }
  EXPECT_EQ(testing::list_files(dir.path()),
            (std::vector<std::string>{"in/f0.parquet", "in/f1.parquet"}));
}

// A data error found after the log has started (here while assigning, past the fit) still
// prints its one line alone: the info lines are held off a terminal and dropped on failure;
// on success they are printed.
TEST(MessagesCli, LogLinesDoNotPrecedeTheErrorLine) {
  TempDir dir;
  write_files(dir.path() / "in", "[8, 4, 4, 4, 4, 4]");
  const std::string out = (dir.path() / "out").string();
  const auto failed =
      run_semdedup({"kmeans", "--input", (dir.path() / "in").string(), "--output", out,
                    "--n-clusters", "2", "--fit-data-fraction", "0.3", "--random-state", "1"});
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_EQ(lines(failed.err), 1) << failed.err;
  // Item 16: the file whose width differs, and where the centroids came from.
  EXPECT_THAT(failed.err, HasSubstr("f0.parquet: column 'embeddings' has 8 values per row but "
                                    "the centroids fitted on "));
  EXPECT_THAT(failed.err, HasSubstr("have 4"));
  EXPECT_FALSE(fs::exists(out));

  write_files(dir.path() / "good", "[4, 4]");
  const auto ok = run_semdedup(
      {"kmeans", "--input", (dir.path() / "good").string(), "--output", out, "--n-clusters", "2"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.err, HasSubstr("[info] KMeans: 40 rows"));
  const auto live =
      run_semdedup({"kmeans", "--input", (dir.path() / "in").string(), "--output",
                    (dir.path() / "out2").string(), "--n-clusters", "2", "--fit-data-fraction",
                    "0.3", "--random-state", "1", "--log-level", "info"});
  EXPECT_EQ(live.exit_code, 1);
  EXPECT_THAT(live.err, HasSubstr("[info]"));  // asked for: shown as they come
}

// Resuming over centroids of another width names the centroids file and the input file.
TEST(MessagesCli, ResumeOverCentroidsOfAnotherWidthNamesBoth) {
  TempDir dir;
  write_files(dir.path() / "in", "[4, 4]");
  const std::string out = (dir.path() / "out").string();
  const std::vector<std::string> args = {"kmeans",   "--input", (dir.path() / "in").string(),
                                         "--output", out,       "--n-clusters",
                                         "2",        "-q"};
  ASSERT_EQ(run_semdedup(args).exit_code, 0);
  // Centroids of 3 dimensions where the run left its own.
  const auto py =
      run_python("import sys, numpy as np; np.save(sys.argv[1], np.ones((2, 3), np.float32))",
                 {(fs::path(out) / "_kmeans_centroids.npy").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  auto resume = args;
  resume.push_back("--resume");
  const auto r = run_semdedup(resume);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("f0.parquet: column 'embeddings' has 4 values per row but the "
                               "centroids in " +
                               out + "/_kmeans_centroids.npy have 3"));
}

// A newline (or another control character) in a path cannot split the message.
TEST(MessagesCli, ControlCharactersInPathsAreEscaped) {
  TempDir dir;
  const fs::path in = dir.path() / "bad\nname\x01.parquet";
  std::ofstream(in) << "not parquet";
  const auto r = run_semdedup({"kmeans", "--input", in.string(), "--output",
                               (dir.path() / "out").string(), "--n-clusters", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("bad\\nname\\x01.parquet"));
}

// Null ids are refused by the standalone kmeans too (it once wrote them into its output).
TEST(MessagesCli, StandaloneKmeansRefusesNullIds) {
  TempDir dir;
  const auto py = run_python(R"(
import os, sys, pyarrow as pa, pyarrow.parquet as pq
os.makedirs(sys.argv[1])
pq.write_table(pa.table({"id": pa.array([1, None, 3], pa.int64()),
                         "embeddings": pa.array([[1, 0], [0, 1], [1, 1]], pa.list_(pa.float32()))}),
               os.path.join(sys.argv[1], "a.parquet"))
)",
                             {(dir.path() / "in").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  for (const std::string mode : {"error", "skip"}) {
    const auto r =
        run_semdedup({"kmeans", "--input", (dir.path() / "in").string(), "--output",
                      (dir.path() / "out").string(), "--n-clusters", "2", "--invalid-rows", mode});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("a.parquet: column 'id' row 1: null id"));
    EXPECT_FALSE(fs::exists(dir.path() / "out"));
  }
}

// JSON lines: a byte order mark is accepted, and a field not read may change type late in a
// file larger than Arrow's block (and earlier in a smaller one) without effect.
TEST(MessagesCli, JsonLinesWithBomAndAnUnreadFieldChangingType) {
  TempDir dir;
  fs::create_directories(dir.path() / "in");
  {
    std::ofstream out(dir.path() / "in" / "a.jsonl", std::ios::binary);
    out << "\xEF\xBB\xBF";
    for (int row = 0; row < 20000; ++row) {
      out << "{\"id\": " << row << ", \"embeddings\": [" << (row % 7) + 1
          << ", 1], \"note\": " << (row < 19990 ? std::to_string(row) : "\"text\"") << "}\n";
    }
  }
  const auto r = run_semdedup({"kmeans", "--input", (dir.path() / "in").string(), "--output",
                               (dir.path() / "out").string(), "--n-clusters", "2",
                               "--input-filetype", "jsonl", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kmeans: 20000 rows"));
}

}  // namespace
}  // namespace semdedup
