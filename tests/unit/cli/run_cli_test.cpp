// `semdedup run` end to end through the binary: NeMo's workflow test data and counts, the
// directory layout and schemas, remove, config files, and resume after SIGKILL.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using testing::run_python;
using testing::run_and_kill_after;
using testing::run_semdedup;
using testing::TempDir;

// NeMo's test_workflow.py data: make_blobs(n_samples=[100..500], n_features=3,
// random_state=42) written as two Parquet files of 750 rows (id int64, embeddings list<double>).
// make_blobs is reproduced with numpy's RandomState so the test needs no scikit-learn.
void write_nemo_blobs(const fs::path& dir) {
  const auto r = run_python(R"(
import sys, os, numpy as np, pyarrow as pa, pyarrow.parquet as pq
g = np.random.RandomState(42)
sizes = [100, 200, 300, 400, 500]
centers = g.uniform(-10.0, 10.0, size=(5, 3))
X = np.concatenate([g.normal(loc=centers[i], scale=1.0, size=(n, 3)) for i, n in enumerate(sizes)])
order = np.arange(1500); g.shuffle(order); X = X[order]
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(2):
    s = slice(i * 750, (i + 1) * 750)
    t = pa.table({"id": pa.array(np.arange(1500)[s]), "embeddings": pa.array(X[s].tolist())})
    pq.write_table(t, os.path.join(sys.argv[1], "part_%04d.parquet" % i))
)",
                            {dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string python_check(const std::string& script, const std::vector<std::string>& args) {
  const auto r = run_python(script, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

int64_t duplicates_in_summary(const fs::path& out) {
  const std::string text = python_check(
      "import json, sys; print(json.load(open(sys.argv[1]))['num_duplicates'])",
      {(out / "summary.json").string()});
  return std::stoll(text);
}

TEST(RunCli, ReproducesNeMoWorkflowCountsAndLayout) {
  TempDir dir;
  write_nemo_blobs(dir.path() / "in");
  for (const auto& [which, expected] :
       std::vector<std::pair<std::string, int64_t>>{{"hard", 1471}, {"easy", 1495}}) {
    const fs::path out = dir.path() / ("out_" + which);
    const auto r = run_semdedup({"run", "--input", (dir.path() / "in").string(), "--output",
                                 out.string(), "--n-clusters", "5", "--eps", "0.01",
                                 "--which-to-keep", which, "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(duplicates_in_summary(out), expected) << which;
    EXPECT_TRUE(fs::is_directory(out / "kmeans_results"));
    EXPECT_TRUE(fs::is_directory(out / "pairwise_results"));
    EXPECT_TRUE(fs::is_directory(out / "duplicates"));
    // Spec section 17 items 65-69: schemas and row counts as NeMo's test reads them.
    const std::string layout = python_check(R"(
import sys, json, glob, os, pyarrow.dataset as ds, pyarrow.parquet as pq
out = sys.argv[1]
kdir = os.path.join(out, "kmeans_results")
km = ds.dataset(glob.glob(os.path.join(kdir, "*", "*.parquet")), format="parquet",
                partitioning="hive", partition_base_dir=kdir).to_table()
pw = pq.read_table(glob.glob(os.path.join(out, "pairwise_results", "*.parquet")))
dup = pq.read_table(glob.glob(os.path.join(out, "duplicates", "*.parquet")))
s = json.load(open(os.path.join(out, "summary.json")))
t = s["timings"]
print(sorted(km.schema.names), km.num_rows, str(km.schema.field("l2_dist_to_cent").type),
      sorted(pw.schema.names), pw.num_rows, dup.schema.names, dup.num_rows == s["num_duplicates"],
      t["kmeans_time"] > 0 and t["pairwise_time"] > 0 and t["total_time"] > 0)
)",
                                            {out.string()});
    EXPECT_EQ(layout,
              "['centroid', 'cosine_dist_to_cent', 'embeddings', 'id', 'l2_dist_to_cent'] 1500 "
              "float ['cosine_sim_score', 'id', 'max_id'] 1500 ['id'] True True");
  }
}

TEST(RunCli, RemoveKeepsExactlyTheNonDuplicates) {
  TempDir dir;
  write_nemo_blobs(dir.path() / "in");
  const fs::path out = dir.path() / "out";
  ASSERT_EQ(run_semdedup({"run", "--input", (dir.path() / "in").string(), "--output", out.string(),
                          "--n-clusters", "5", "--eps", "0.01", "--quiet"})
                .exit_code,
            0);
  const auto r = run_semdedup({"remove", "--input", (dir.path() / "in").string(), "--duplicates",
                               (out / "duplicates").string(), "--output",
                               (out / "deduplicated").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("1471 of 1500 rows removed"));
  const std::string check = python_check(R"(
import sys, glob, os, pyarrow.parquet as pq, pyarrow.dataset as ds
out = sys.argv[1]
dups = set(pq.read_table(glob.glob(os.path.join(out, "duplicates", "*.parquet"))).column("id").to_pylist())
kept = ds.dataset(os.path.join(out, "deduplicated"), format="parquet").to_table()
ids = kept.column("id").to_pylist()
print(len(ids), len(set(ids) & dups), sorted(set(ids) | dups) == list(range(1500)), kept.schema.names)
)",
                                         {out.string()});
  EXPECT_EQ(check, "29 0 True ['id', 'embeddings']");
}

TEST(RunCli, ConfigFileUsesNeMoNamesAndFlagsWin) {
  TempDir dir;
  write_nemo_blobs(dir.path() / "in");
  const fs::path config = dir.path() / "semdedup.yaml";
  std::ofstream(config) << "# NeMo parameter names\n"
                        << "input_path: " << (dir.path() / "in").string() << "\n"
                        << "n_clusters: 5\neps: 0.01\nwhich_to_keep: easy\n"
                        << "distance_metric: cosine\nrandom_state: 42\n";
  const fs::path out = dir.path() / "out";
  auto r = run_semdedup({"run", "--config", config.string(), "--output", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(duplicates_in_summary(out), 1495);
  // A flag overrides the file's which_to_keep.
  r = run_semdedup({"run", "--config", config.string(), "--output", (dir.path() / "out2").string(),
                    "--which-to-keep", "hard", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(duplicates_in_summary(dir.path() / "out2"), 1471);
  // An unknown key is a usage error naming it.
  std::ofstream(config, std::ios::app) << "no_such_parameter: 3\n";
  r = run_semdedup({"run", "--config", config.string(), "--output", (dir.path() / "out3").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("no-such-parameter"));
}

TEST(RunCli, BadParametersFailUpFrontAndWriteNothing) {
  TempDir dir;
  write_nemo_blobs(dir.path() / "in");
  const std::string in = (dir.path() / "in").string();
  const std::string out = (dir.path() / "out").string();
  struct Case {
    std::vector<std::string> extra;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--n-clusters", "5", "--eps", "1.0"}, 2, "eps must be in [0, 1)"},
      {{"--n-clusters", "5", "--eps", "-0.1"}, 2, "eps must be in [0, 1)"},
      {{"--n-clusters", "0"}, 2, "n_clusters must be >= 1"},
      {{"--n-clusters", "5", "--ranking-columns", "quality"}, 2, "add it to --metadata-fields"},
      {{"--n-clusters", "2000"}, 2, "exceeds the number of rows"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--input", in, "--output", out, "--quiet"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const auto r = run_semdedup(args);
    EXPECT_EQ(r.exit_code, c.code) << c.message << ": " << r.err;
    EXPECT_THAT(r.err, ::testing::HasSubstr(c.message));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << c.message;
  }
}

// Every file of a finished run but summary.json (which records timings), with its bytes.
std::map<std::string, std::string> result_files(const fs::path& out) {
  std::map<std::string, std::string> files;
  for (const auto& name : testing::list_files(out)) {
    if (name == "summary.json") continue;
    files[name] = testing::read_bytes(out / name);
  }
  return files;
}

// The data the kill-and-resume tests run on: 12,000 x 48 in 3 files, 12 clusters.
void generate_resume_data(const fs::path& data) {
  ASSERT_EQ(run_semdedup({"generate", "--output", data.string(), "--rows", "12000", "--dim", "48",
                          "--files", "3", "--clusters", "12", "--quiet"})
                .exit_code,
            0);
}

TEST(RunCli, ResumeAfterSigkillGivesTheSameBytes) {
  TempDir dir;
  const fs::path data = dir.path() / "gen";
  ASSERT_NO_FATAL_FAILURE(generate_resume_data(data));
  const std::vector<std::string> common = {"run", "--input", (data / "data").string(),
                                           "--n-clusters", "12", "--eps", "0.05", "--rows-per-part",
                                           "2500", "--quiet", "--threads", "1"};
  auto args_for = [&](const fs::path& out, std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.push_back("--output");
    args.push_back(out.string());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const fs::path reference = dir.path() / "reference";
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_semdedup(args_for(reference, {})).exit_code, 0);
  const auto full_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  const auto expected = result_files(reference);
  ASSERT_FALSE(expected.empty());

  // Kill points spread over the run: early (reading/fitting), middle, late (writing).
  for (double fraction : {0.1, 0.35, 0.6, 0.85}) {
    const fs::path out = dir.path() / fmt::format("killed_{}", static_cast<int>(fraction * 100));
    run_and_kill_after(args_for(out, {}), static_cast<int64_t>(fraction * full_ms));
    const auto r = run_semdedup(args_for(out, {"--resume"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(result_files(out), expected) << "killed at " << fraction << " of the run";
  }
}


// Kill moments drawn from seeded generators, and the resumed run killed again as well: the
// resume that finishes still writes the bytes of an uninterrupted run, and neither a lock file
// nor a temporary file survives it.
TEST(RunCli, ResumeAfterSigkillsAtSeededMomentsGivesTheSameBytes) {
  TempDir dir;
  const fs::path data = dir.path() / "gen";
  ASSERT_NO_FATAL_FAILURE(generate_resume_data(data));
  auto args_for = [&](const fs::path& out, bool resume) {
    std::vector<std::string> args = {"run", "--input", (data / "data").string(), "--output",
                                     out.string(), "--n-clusters", "12", "--eps", "0.05",
                                     "--rows-per-part", "2500", "--quiet", "--threads", "2"};
    if (resume) args.push_back("--resume");
    return args;
  };
  const fs::path reference = dir.path() / "reference";
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_semdedup(args_for(reference, false)).exit_code, 0);
  const double full_ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start).count();
  const auto expected = result_files(reference);

  for (const uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> moment(0.02, 1.0);
    const std::string name = fmt::format("killed_seed_{}", seed);
    const fs::path out = dir.path() / name;
    run_and_kill_after(args_for(out, false), static_cast<int64_t>(moment(rng) * full_ms));
    run_and_kill_after(args_for(out, true), static_cast<int64_t>(moment(rng) * full_ms));
    const auto r = run_semdedup(args_for(out, true));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(result_files(out), expected) << "seed " << seed;
    EXPECT_FALSE(fs::exists(dir.path() / ("." + name + ".semdedup.lock"))) << "seed " << seed;
    for (const auto& file : testing::list_files(out)) {
      EXPECT_EQ(file.find(".tmp-"), std::string::npos) << file;
    }
  }
}

}  // namespace
}  // namespace semdedup
