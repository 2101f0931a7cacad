// `report`, exact copies (`identify`/`run --exact`), the generator's texts and the versions
// summary.json records, through the binary.
#include <filesystem>
#include <sstream>
#include <string>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

std::string at(const TempDir& dir, const std::string& relative) {
  return (dir.path() / relative).string();
}

std::string python(const std::string& script, const std::vector<std::string>& args) {
  const auto r = run_python(script, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// Generated data (800 rows, 12% planted duplicates) under <dir>/gen and a run with `flags`
// under <dir>/out.
void generate_and_run(const TempDir& dir, const std::vector<std::string>& flags) {
  auto r =
      run_semdedup({"generate", "--output", at(dir, "gen"), "--rows", "800", "--dim", "16",
                    "--clusters", "4", "--duplicate-fraction", "0.12", "--files", "2", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> args{"run",      "--input",      at(dir, "gen/data"),
                                "--output", at(dir, "out"), "--n-clusters",
                                "4",        "--quiet"};
  args.insert(args.end(), flags.begin(), flags.end());
  r = run_semdedup(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// "name: value" per entry of summary.json's "versions", in order.
std::string summary_versions(const fs::path& summary) {
  return python(R"(
import json, sys
for name, value in json.load(open(sys.argv[1]))["versions"].items():
    print(f"{name}: {value}")
)",
                {summary.string()});
}

TEST(ReportCli, SummaryVersionsAreTheLinesVersionPrints) {
  TempDir dir;
  generate_and_run(dir, {"--eps", "0.01"});
  const auto version = run_semdedup({"--version"});
  ASSERT_EQ(version.exit_code, 0);
  const auto demo = run_semdedup({"demo", "--output", at(dir, "demo"), "--rows", "200", "--dim",
                                  "8", "--n-clusters", "2", "--quiet"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  for (const fs::path& summary :
       {dir.path() / "out" / "summary.json", dir.path() / "demo" / "output" / "summary.json"}) {
    const std::string lines = summary_versions(summary);
    std::istringstream in(lines);
    std::string line;
    int count = 0;
    for (; std::getline(in, line); ++count) {
      EXPECT_THAT(version.out, HasSubstr("\n" + line + "\n")) << summary;
    }
    EXPECT_GE(count, 3) << summary;
    for (const char* name : {"semdedup: ", "arrow: Arrow ", "blas: OpenBLAS"}) {
      EXPECT_THAT(lines, HasSubstr(name)) << summary;
    }
  }
}

TEST(ReportCli, RunExactRemovesThePlantedExactCopiesOnly) {
  TempDir dir;
  generate_and_run(dir, {"--exact"});
  const std::string out = python(R"(
import json, sys, pyarrow.parquet as pq
truth = pq.read_table(sys.argv[1]).to_pylist()
# Each source and its exact copies: all but one of the group (the first ranked) go.
groups = {}
for row in truth:
    if row["kind"] == "exact":
        groups.setdefault(row["duplicate_of"], {row["duplicate_of"]}).add(row["id"])
found = pq.read_table(sys.argv[2]).column("id").to_pylist()
summary = json.load(open(sys.argv[3]))
print(len(groups) > 0, len(found) == len(set(found)),
      all(len(g & set(found)) == len(g) - 1 for g in groups.values()),
      len(found) == sum(len(g) - 1 for g in groups.values()),
      summary["exact"], summary["num_duplicates"] == len(found))
)",
                                 {at(dir, "gen/ground_truth.parquet"), at(dir, "out/duplicates"),
                                  at(dir, "out/summary.json")});
  EXPECT_EQ(out, "True True True True True True\n");
}

TEST(ReportCli, IdentifyTakesEpsOrExactNotBoth) {
  TempDir dir;
  auto r = run_semdedup({"identify", "--input", at(dir, "p"), "--output", at(dir, "o")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--eps or --exact"));
  r = run_semdedup(
      {"identify", "--input", at(dir, "p"), "--output", at(dir, "o"), "--eps", "0.1", "--exact"});
  EXPECT_EQ(r.exit_code, 2);
  for (const char* command : {"identify", "run"}) {
    r = run_semdedup({command, "--help"});
    EXPECT_THAT(r.out, HasSubstr("--exact")) << command;
    EXPECT_THAT(r.out, HasSubstr("0.9999995")) << command;  // why --eps 0 misses copies
  }
}

TEST(ReportCli, ReportShowsChosenColumnsOfTheInputData) {
  TempDir dir;
  generate_and_run(dir, {"--eps", "0.01"});
  // The pairwise directory alone (no summary.json beside it): the input comes from the flags.
  fs::copy(dir.path() / "out" / "pairwise_results", dir.path() / "pairwise");
  auto r = run_semdedup({"report", "--input", at(dir, "pairwise"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("No texts: give the input data with --input-data"));
  EXPECT_THAT(r.out, HasSubstr("exact copies unknown"));
  r = run_semdedup({"report", "--input", at(dir, "pairwise"), "--input-data", at(dir, "gen/data"),
                    "--text-field", "text,quality", "--kmeans-results",
                    at(dir, "out/kmeans_results"), "--html", at(dir, "r.html"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("text: topic "));
  EXPECT_THAT(r.out, HasSubstr("quality: 0."));
  EXPECT_THAT(r.out, HasSubstr(" exact copies (embedding identical"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("No texts")));
  EXPECT_THAT(testing::read_bytes(dir.path() / "r.html"), HasSubstr("<b>quality:</b> 0."));

  r = run_semdedup({"report", "--input", at(dir, "pairwise"), "--input-data", at(dir, "gen/data"),
                    "--text-field", "title", "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("column 'title' not found"));
}

TEST(ReportCli, GeneratedTextsFollowThePlantedDuplicates) {
  TempDir dir;
  const auto r = run_semdedup({"generate", "--output", at(dir, "gen"), "--rows", "600", "--dim",
                               "8", "--duplicate-fraction", "0.2", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = python(R"(
import sys, pyarrow.parquet as pq
data = pq.read_table(sys.argv[1] + "/data")
text = dict(zip(data.column("id").to_pylist(), data.column("text").to_pylist()))
truth = pq.read_table(sys.argv[1] + "/ground_truth.parquet").to_pylist()
changed = {"exact": set(), "near99": set(), "near95": set()}
for row in truth:
    a, b = text[row["id"]].split(), text[row["duplicate_of"]].split()
    changed[row["kind"]].add(sum(x != y for x, y in zip(a, b)) if len(a) == len(b) else -1)
originals = [t for i, t in text.items() if i not in {row["id"] for row in truth}]
print(sorted(changed["exact"]), max(changed["near99"]), max(changed["near95"]),
      min(changed["near95"]) >= 0, all(t.startswith("topic ") for t in originals),
      len(set(originals)) == len(originals))
)",
                                 {at(dir, "gen")});
  // Exact copies repeat their source's text; near ones change at most 1 or 3 words.
  EXPECT_EQ(out, "[0] 1 3 True True True\n");
}

}  // namespace
}  // namespace semdedup
