// `semdedup kmeans` end to end: identical bytes whatever the threads and batch size, the
// summary line, usage and data errors with nothing left behind.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/npy.hpp"
#include "testing/testing.hpp"
#include "unit/kmeans/kmeans_testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::list_files;
using testing::make_blobs;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::read_bytes;
using testing::run_semdedup;
using testing::TempDir;
using testing::write_embedding_files;

class KMeansCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(io::initialize_arrow());
    const auto blobs = make_blobs(120, 5, 16, 4.0f, 77);
    ASSERT_EQ(write_embedding_files(tmp_ / "in", blobs.x.view(), 3).size(), 3u);
  }

  std::vector<std::string> base_args(const std::string& out, const std::string& k = "8") {
    return {"kmeans", "--input",           tmp_ / "in",  "--output",        out,   "--n-clusters",
            k,        "--metadata-fields", "random_col", "--rows-per-part", "250", "--quiet"};
  }

  // Every file of `a` equals the same file of `b`, byte for byte.
  void expect_same_tree(const std::string& a, const std::string& b) {
    const auto files = list_files(a);
    ASSERT_FALSE(files.empty());
    ASSERT_EQ(files, list_files(b));
    for (const auto& file : files) {
      EXPECT_EQ(read_bytes(fs::path(a) / file), read_bytes(fs::path(b) / file)) << file;
    }
  }

  TempDir tmp_;
};

TEST_F(KMeansCli, SameBytesForAnyThreadsAndBatchSize) {
  for (const bool two_pass : {false, true}) {
    const std::string mode = two_pass ? "two" : "one";
    auto args_for = [&](const std::string& threads, const std::string& batch) {
      auto args = base_args(tmp_ / (mode + "-" + threads + "-" + batch));
      args.insert(args.end(), {"--threads", threads, "--max-samples-per-batch", batch});
      if (two_pass) args.insert(args.end(), {"--fit-data-fraction", "0.5"});
      return args;
    };
    const auto reference = run_semdedup(args_for("1", "32768"));
    ASSERT_EQ(reference.exit_code, 0) << reference.err;
    for (const std::string threads : {"1", "2"}) {
      for (const std::string batch : {"1", "7", "100", "32768"}) {
        if (threads == "1" && batch == "32768") continue;
        const auto run = run_semdedup(args_for(threads, batch));
        ASSERT_EQ(run.exit_code, 0) << run.err;
        expect_same_tree(tmp_ / (mode + "-1-32768"), tmp_ / (mode + "-" + threads + "-" + batch));
      }
    }
  }
}

TEST_F(KMeansCli, PrintsASummaryAndWritesTheLayout) {
  auto args = base_args(tmp_ / "out");
  args.insert(args.end(),
              {"--cache-path", tmp_ / "cache/a/b", "--init", "random", "--n-init", "auto"});
  const auto run = run_semdedup(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, MatchesRegex("kmeans: 600 rows, 8 clusters \\([0-9]+ non-empty\\), [0-9]+ "
                                    "iterations, inertia [0-9.]+, [0-9.]+ s -> .*\n"));
  // NeMo's kmeans_centroids.npy in cache_path only; the stage's own copy under a name that
  // dataset readers of the directory skip.
  EXPECT_TRUE(fs::exists(tmp_ / "out/_kmeans_centroids.npy"));
  EXPECT_FALSE(fs::exists(tmp_ / "out/kmeans_centroids.npy"));
  EXPECT_TRUE(fs::exists(tmp_ / "cache/a/b/kmeans_centroids.npy"));
  EXPECT_EQ(testing::read_bytes(tmp_ / "out/_kmeans_centroids.npy"),
            testing::read_bytes(tmp_ / "cache/a/b/kmeans_centroids.npy"));
  for (const auto& file : list_files(tmp_ / "out")) {
    if (file == "_kmeans_centroids.npy" || file == "_SUCCESS" || file == "_semdedup_manifest") {
      continue;
    }
    EXPECT_THAT(file, MatchesRegex("centroid=[0-7]/part-00000[0-2]\\.parquet"));
  }
}

TEST_F(KMeansCli, ResumeAfterTheFitGivesTheSameBytes) {
  const auto full = run_semdedup(base_args(tmp_ / "full"));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  // What a run killed after its fit leaves: the manifest (written first) and the centroids.
  fs::create_directories(tmp_ / "resumed");
  fs::copy_file(tmp_ / "full/_semdedup_manifest", tmp_ / "resumed/_semdedup_manifest");
  fs::copy_file(tmp_ / "full/_kmeans_centroids.npy", tmp_ / "resumed/_kmeans_centroids.npy");
  auto args = base_args(tmp_ / "resumed");
  args.push_back("--resume");
  const auto resumed = run_semdedup(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_same_tree(tmp_ / "full", tmp_ / "resumed");
}

TEST_F(KMeansCli, CentroidsFileRoundTripsThroughInit) {
  const auto first = run_semdedup(base_args(tmp_ / "first"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto args = base_args(tmp_ / "second");
  args.insert(args.end(), {"--init", tmp_ / "first/_kmeans_centroids.npy"});
  const auto second = run_semdedup(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  ASSERT_OK_AND_ASSIGN(const Matrix a, io::read_npy(tmp_ / "first/_kmeans_centroids.npy"));
  ASSERT_OK_AND_ASSIGN(const Matrix b, io::read_npy(tmp_ / "second/_kmeans_centroids.npy"));
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  // Starting from converged centroids, Lloyd moves them by no more than its tolerance.
  double shift = 0;
  for (int64_t r = 0; r < a.rows(); ++r) {
    for (int64_t c = 0; c < a.cols(); ++c) shift += std::pow(a.row(r)[c] - b.row(r)[c], 2.0);
  }
  EXPECT_LT(shift, 1e-4);
}

// NeMo 1.4: fit_data_fraction 1.0 is every file; unset, the fit takes every row when the
// embeddings fit --memory-limit, else the first files that do (and still labels every row).
TEST_F(KMeansCli, FitFractionOneAndTheMemoryLimit) {
  const auto logged = [&](const std::string& out, std::vector<std::string> extra) {
    auto args = base_args(tmp_ / out);
    args.pop_back();  // --quiet: the log lines are the subject here
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = run_semdedup(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, HasSubstr("kmeans: 600 rows"));
    return run.err;
  };
  EXPECT_THAT(logged("one", {"--fit-data-fraction", "1.0"}),
              HasSubstr("Fitting KMeans on 600 sampled rows (fit_data_fraction=1.0000, 3/3 files)"));
  // Three files of 200 rows x 16 float32 values: 12,800 bytes each.
  const std::string within = logged("within", {"--memory-limit", "40000"});
  EXPECT_THAT(within, Not(HasSubstr("memory limit")));
  EXPECT_THAT(within, HasSubstr("Read 600 rows"));
  EXPECT_THAT(logged("over", {"--memory-limit", "30000"}),
              HasSubstr("exceed the memory limit (0 MiB): fitting on the first 2 of 3 files"));
  EXPECT_THAT(logged("tiny", {"--memory-limit", "1k"}),
              HasSubstr("fitting on the first 1 of 3 files"));
}

TEST_F(KMeansCli, BadParametersAreUsageErrorsThatLeaveNothing) {
  ASSERT_OK(io::write_npy(tmp_ / "wrong.npy", Matrix(8, 15).view()));
  struct Case {
    std::vector<std::string> extra;
    std::string k;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "0", "n_clusters must be >= 1, got 0"},
      {{}, "601", "n_clusters (601) exceeds the number of rows (600)"},
      {{"--tol", "-1"}, "8", "tol must be >= 0"},
      {{"--max-iter", "0"}, "8", "max_iter must be >= 1"},
      {{"--oversampling-factor", "0"}, "8", "oversampling_factor must be > 0"},
      {{"--max-samples-per-batch", "0"}, "8", "max_samples_per_batch must be >= 1"},
      {{"--fit-data-fraction", "1.5"}, "8", "fit_data_fraction must be in (0, 1], got 1.5"},
      {{"--fit-data-fraction", "0"}, "8", "fit_data_fraction must be in (0, 1], got 0"},
      {{"--memory-limit", "lots"}, "8", "--memory-limit: 'lots' is not a byte count"},
      {{"--memory-limit", "0"}, "8", "--memory-limit must be at least 1 byte"},
      {{"--embedding-output-dtype", "bfloat16"}, "8",
       "--embedding-output-dtype: embedding output dtype must be float16 or float32"},
      {{"--input-embedding-dtype", "int8"}, "8",
       "--input-embedding-dtype: input embedding dtype must be auto, float16 or float32"},
      {{"--n-init", "zero"}, "8", "n_init must be a positive integer or 'auto'"},
      {{"--init", tmp_ / "wrong.npy"},
       "8",
       "have shape (8, 15) but n_clusters is 8 and the rows have 16"},
      {{"--input-filetype", "csv"}, "8", "Unsupported filetype: csv"},
      {{"--invalid-rows", "maybe"}, "8", "--invalid-rows"},
  };
  for (const Case& c : cases) {
    auto args = base_args(tmp_ / "out", c.k);
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const auto run = run_semdedup(args);
    EXPECT_EQ(run.exit_code, 2) << c.message << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr(c.message));
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_FALSE(fs::exists(tmp_ / "out")) << c.message;
  }
  auto args = base_args(tmp_ / "out");
  args.insert(args.end(), {"--overwrite", "--resume"});
  EXPECT_EQ(run_semdedup(args).exit_code, 2);
}

TEST_F(KMeansCli, IoErrorsAndExistingOutput) {
  auto missing_init = base_args(tmp_ / "out");
  missing_init.insert(missing_init.end(), {"--init", tmp_ / "nope.npy"});
  auto run = run_semdedup(missing_init);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("nope.npy"));
  EXPECT_FALSE(fs::exists(tmp_ / "out"));

  fs::create_directories(tmp_ / "out");
  std::ofstream(tmp_ / "out/keep.txt") << "x";
  run = run_semdedup(base_args(tmp_ / "out"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("is not empty"));
  EXPECT_TRUE(fs::exists(tmp_ / "out/keep.txt"));
  auto overwrite = base_args(tmp_ / "out");
  overwrite.push_back("--overwrite");
  // --overwrite deletes only what semdedup wrote: a user's file is named, nothing deleted.
  run = run_semdedup(overwrite);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("keep.txt, which semdedup did not write"));
  EXPECT_TRUE(fs::exists(tmp_ / "out/keep.txt"));
  fs::remove(tmp_ / "out/keep.txt");
  ASSERT_EQ(run_semdedup(base_args(tmp_ / "out")).exit_code, 0);
  run = run_semdedup(overwrite);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(tmp_ / "out/_SUCCESS"));
}

}  // namespace
}  // namespace semdedup
