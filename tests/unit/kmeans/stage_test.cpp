#include "semdedup/kmeans/stage.hpp"

#include <spdlog/sinks/ostream_sink.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kmeans_testing.hpp"
#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/npy.hpp"
#include "testing/testing.hpp"

namespace semdedup::kmeans {
namespace {

namespace fs = std::filesystem;
using ::semdedup::testing::list_files;
using ::semdedup::testing::make_blobs;
using ::semdedup::testing::read_bytes;
using ::semdedup::testing::run_python;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;
using ::semdedup::testing::write_embedding_files;
using ::testing::HasSubstr;

class StageTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(io::initialize_arrow()); }

  Params params_for(const std::string& input, const std::string& output, int64_t k) {
    Params p;
    p.input_paths = {input};
    p.output_path = output;
    p.fit.n_clusters = k;
    p.columns.metadata_fields = {"random_col"};
    return p;
  }

  TempDir tmp_;
};

// Checks a KMeans output directory with pyarrow and numpy: argv = dir, expected rows, k,
// ids first..first+rows-1. NeMo's reading (hive dataset), dtypes, every row once, files named
// part-NNNNNN.parquet, input order inside each file, labels = nearest centroid of the .npy,
// distances by spec section 8.
constexpr const char* kCheckOutput = R"PY(
import glob, os, re, sys
import numpy as np, pyarrow.dataset as ds, pyarrow.parquet as pq
out, rows, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = np.load(os.path.join(out, "_kmeans_centroids.npy"))
assert c.dtype == np.float32 and c.shape[0] == k, (c.dtype, c.shape)
files = sorted(glob.glob(os.path.join(out, "centroid=*", "*.parquet")))
part = ds.HivePartitioning.discover(infer_dictionary=True)
t = ds.dataset(files, format="parquet", partitioning=part, partition_base_dir=out).to_table()
names = set(t.column_names)
assert {"id", "embeddings", "random_col", "centroid", "l2_dist_to_cent", "cosine_dist_to_cent"} <= names, names
assert str(t.schema.field("id").type) == "int64"
assert str(t.schema.field("l2_dist_to_cent").type) == "float"
assert str(t.schema.field("cosine_dist_to_cent").type) == "float"
assert str(t.schema.field("embeddings").type) == "list<element: float>"
assert str(t.schema.field("centroid").type).startswith("dictionary"), t.schema.field("centroid").type
ids = t["id"].to_numpy()
assert len(ids) == rows and sorted(ids) == list(range(1000, 1000 + rows))
for path in glob.glob(os.path.join(out, "centroid=*", "*")):
    assert re.fullmatch(r"part-\d{6}\.parquet", os.path.basename(path)), path
    f = pq.read_table(path)
    assert "centroid" not in f.column_names
    fid = f["id"].to_numpy()
    assert (np.diff(fid) > 0).all(), path
labels = np.array([int(x) for x in t["centroid"].to_pylist()])
e = np.stack(t["embeddings"].to_numpy(zero_copy_only=False)).astype(np.float64)
cd = c.astype(np.float64)
d2 = ((e[:, None, :] - cd[None, :, :]) ** 2).sum(axis=2)
assert (d2[np.arange(rows), labels] <= d2.min(axis=1) + 1e-5).all()
l2 = np.sqrt(d2[np.arange(rows), labels])
cos = 1 - (e * cd[labels]).sum(axis=1) / np.linalg.norm(cd[labels], axis=1)
assert np.abs(t["l2_dist_to_cent"].to_numpy() - l2).max() < 1e-6
assert np.abs(t["cosine_dist_to_cent"].to_numpy() - cos).max() < 1e-6
assert np.abs(np.linalg.norm(e, axis=1) - 1).max() < 1e-6
print(len(set(labels)))
)PY";

TEST_F(StageTest, SinglePassWritesNeMosLayout) {
  const auto blobs = make_blobs(250, 4, 16, 1.0f, 1);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 5);
  Params p = params_for(tmp_ / "in", tmp_ / "out", 4);
  p.rows_per_part = 300;
  p.cache_path = tmp_ / "cache/nested/deeper";
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(2), p));
  EXPECT_EQ(result.num_files, 5);
  EXPECT_EQ(result.num_rows, 1000);
  EXPECT_EQ(result.fit_rows, 1000);
  EXPECT_EQ(result.dim, 16);
  EXPECT_EQ(result.num_parts, 4);  // rows [0,300) [300,600) [600,900) [900,1000)
  EXPECT_EQ(result.num_clusters_written, 4);
  const auto check = run_python(kCheckOutput, {tmp_ / "out", "1000", "4"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out, "4\n");
  // Exactly n_clusters centroid directories, and the centroids in both places.
  int dirs = 0;
  for (const auto& entry : fs::directory_iterator(tmp_ / "out")) {
    dirs += entry.path().filename().string().starts_with("centroid=");
  }
  EXPECT_EQ(dirs, 4);
  EXPECT_EQ(read_bytes(tmp_ / "out/_kmeans_centroids.npy"),
            read_bytes(tmp_ / "cache/nested/deeper/kmeans_centroids.npy"));
  ASSERT_OK_AND_ASSIGN(const Matrix centroids, io::read_npy(tmp_ / "out/_kmeans_centroids.npy"));
  EXPECT_EQ(centroids.rows(), 4);
  EXPECT_EQ(centroids.cols(), 16);
}

TEST_F(StageTest, NoCachePathWritesNoExtraCopy) {
  const auto blobs = make_blobs(20, 2, 4, 1.0f, 2);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 2);
  ASSERT_OK(run_stage(Context::make_default(1), params_for(tmp_ / "in", tmp_ / "out", 2)));
  EXPECT_TRUE(fs::exists(tmp_ / "out/_kmeans_centroids.npy"));
  EXPECT_EQ(list_files(tmp_.path()).size(),
            list_files(tmp_ / "in").size() + list_files(tmp_ / "out").size());
}

TEST_F(StageTest, TwoPassFitsOnASampleAndLabelsEveryRow) {
  // NeMo: fit_data_fraction=0.5 over 20 files: 10 files fitted, every row written, ARI > 0.95.
  const auto blobs = make_blobs(500, 4, 32, 0.5f, 3);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 20);
  Params p = params_for(tmp_ / "in", tmp_ / "out", 4);
  p.fit_data_fraction = 0.5;
  p.cache_path = tmp_ / "cache";
  p.rows_per_part = 333;
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(2), p));
  EXPECT_EQ(result.fit_files, 10);
  EXPECT_EQ(result.fit_rows, 1000);  // 10 files of 100 rows
  EXPECT_EQ(result.num_rows, 2000);
  EXPECT_EQ(result.num_parts, 7);
  const auto check = run_python(kCheckOutput, {tmp_ / "out", "2000", "4"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  ASSERT_OK_AND_ASSIGN(const Matrix cached, io::read_npy(tmp_ / "cache/kmeans_centroids.npy"));
  EXPECT_EQ(cached.rows(), 4);
  EXPECT_EQ(cached.cols(), 32);
  // ARI of the written labels against the truth (ids are 1000 + row).
  const auto ari = run_python(R"PY(
import glob, os, sys, numpy as np, pyarrow.dataset as ds
out = sys.argv[1]
files = sorted(glob.glob(os.path.join(out, "centroid=*", "*.parquet")))
t = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=out).to_table()
ids = t["id"].to_numpy() - 1000
labels = np.array([int(x) for x in t["centroid"].to_pylist()])
truth = ids % 4
pairs = {}
for a, b in zip(labels, truth): pairs[(a, b)] = pairs.get((a, b), 0) + 1
# perfect clustering <=> each label maps to one truth class and vice versa
assert len(pairs) == 4 and len(set(a for a, _ in pairs)) == 4, pairs
)PY",
                              {tmp_ / "out"});
  EXPECT_EQ(ari.exit_code, 0) << ari.err;
}

TEST_F(StageTest, TwoPassLogsOneWarningWhenTheFractionRoundsToZero) {
  const auto blobs = make_blobs(10, 2, 4, 1.0f, 4);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 1);
  Params p = params_for(tmp_ / "in", tmp_ / "out", 2);
  p.fit_data_fraction = 0.001;
  Context ctx = Context::make_default(1);
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  ctx.logger = std::make_shared<spdlog::logger>("test", sink);
  ctx.logger->set_level(spdlog::level::warn);
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(ctx, p));
  EXPECT_EQ(result.fit_files, 1);
  EXPECT_EQ(result.num_rows, 20);
  const std::string text = log.str();
  EXPECT_THAT(text, HasSubstr("fit_data_fraction"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

TEST_F(StageTest, FitDataFractionOutsideTheHalfOpenIntervalIsRejected) {
  for (const double bad : {0.0, -0.001, 1.001, std::nan("")}) {
    Params p = params_for(tmp_ / "in", tmp_ / "out", 2);
    p.fit_data_fraction = bad;
    EXPECT_THAT(run_stage(Context::make_default(1), p).status(),
                StatusIs(StatusCode::kInvalidArgument, "fit_data_fraction must be in (0, 1]"));
  }
  EXPECT_FALSE(fs::exists(tmp_ / "out"));
}

// NeMo 1.4: 1.0 fits on every file; unset, every row when it fits the memory limit, else the
// first files that fit it. Every row is labelled either way.
TEST_F(StageTest, FractionOneAndTheMemoryLimitChooseTheFitFiles) {
  const auto blobs = make_blobs(50, 3, 8, 0.5f, 5);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 5);  // 30 rows x 8 floats = 960 B a file
  using FitFiles = std::pair<int64_t, int64_t>;  // fit_files, fit_rows
  const auto run = [&](const std::string& out, std::optional<double> fraction,
                       int64_t memory_limit) {
    Params p = params_for(tmp_ / "in", tmp_ / out, 3);
    p.fit_data_fraction = fraction;
    p.memory_limit = memory_limit;
    auto result = run_stage(Context::make_default(1), p);
    EXPECT_OK(result);
    EXPECT_EQ(result->num_rows, 150);
    return FitFiles(result->fit_files, result->fit_rows);
  };
  EXPECT_EQ(run("one", 1.0, 0), (FitFiles{5, 150}));
  EXPECT_EQ(run("fits", std::nullopt, 4800), (FitFiles{5, 150}));
  EXPECT_EQ(run("over", std::nullopt, 4799), (FitFiles{4, 120}));
  EXPECT_EQ(run("tiny", std::nullopt, 1), (FitFiles{1, 30}));
  // A fraction ignores the limit.
  EXPECT_EQ(run("half", 0.4, 1), (FitFiles{2, 60}));
}

TEST(FilesWithinBudget, LongestPrefixAndAtLeastOne) {
  EXPECT_EQ(files_within_budget({}, 10), 0);
  EXPECT_EQ(files_within_budget({5, 5, 5}, 15), 3);
  EXPECT_EQ(files_within_budget({5, 5, 5}, 14), 2);
  EXPECT_EQ(files_within_budget({5, 1, 1}, 6), 2);
  EXPECT_EQ(files_within_budget({50, 1}, 10), 1);
  EXPECT_EQ(files_within_budget({1, 50, 1}, 10), 1);  // in input order: no skipping
}

TEST(FitFileCount, RoundsHalfToEvenWithAtLeastOneFile) {
  EXPECT_EQ(fit_file_count(20, 0.5), 10);
  EXPECT_EQ(fit_file_count(20, 0.25), 5);
  EXPECT_EQ(fit_file_count(10, 0.35), 4);  // 3.5 -> 4
  EXPECT_EQ(fit_file_count(10, 0.25), 2);  // 2.5 -> 2
  EXPECT_EQ(fit_file_count(10, 0.5), 5);
  bool zero = false;
  EXPECT_EQ(fit_file_count(1, 0.001, &zero), 1);
  EXPECT_TRUE(zero);
  EXPECT_EQ(fit_file_count(3, 0.2, &zero), 1);  // round(0.6) = 1
  EXPECT_FALSE(zero);
}

TEST(PythonSample, MatchesPythonsRandomSample) {
  // Both of sample's algorithms: the pool (n <= setsize) and the set (n > setsize).
  const std::vector<std::tuple<int64_t, int64_t, uint64_t>> cases = {
      {20, 10, 42}, {20, 5, 0},
      {10, 4, 7},   {1, 1, 42},
      {100, 3, 42}, {1000, 50, 123456789},
      {5, 5, 1},    {300, 100, (uint64_t{1} << 40) + 5}};
  std::string args;
  for (const auto& [n, k, seed] : cases) args += fmt::format("{},{},{} ", n, k, seed);
  const auto python = run_python(R"PY(
import random, sys
for case in sys.argv[1].split():
    n, k, seed = map(int, case.split(","))
    print(" ".join(map(str, random.Random(seed).sample(range(n), k))))
)PY",
                                 {args});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  std::istringstream lines(python.out);
  for (const auto& [n, k, seed] : cases) {
    std::string line;
    ASSERT_TRUE(std::getline(lines, line));
    std::string ours;
    for (const int64_t i : python_sample(n, k, seed)) {
      if (!ours.empty()) ours += ' ';
      ours += std::to_string(i);
    }
    EXPECT_EQ(ours, line) << "n=" << n << " k=" << k << " seed=" << seed;
  }
}

TEST_F(StageTest, RowsPerPartNeverChangesTheResult) {
  // Same rows, same centroids, whatever the part size: compare per-row results by id.
  const auto blobs = make_blobs(150, 3, 8, 2.0f, 5);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 4);
  Params a = params_for(tmp_ / "in", tmp_ / "a", 5);
  ASSERT_OK(run_stage(Context::make_default(2), a));
  Params b = params_for(tmp_ / "in", tmp_ / "b", 5);
  b.rows_per_part = 7;
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(2), b));
  EXPECT_EQ(result.num_parts, (450 + 6) / 7);
  EXPECT_EQ(read_bytes(tmp_ / "a/_kmeans_centroids.npy"),
            read_bytes(tmp_ / "b/_kmeans_centroids.npy"));
  const auto same = run_python(R"PY(
import glob, os, sys, pyarrow.dataset as ds
def load(out):
    files = sorted(glob.glob(os.path.join(out, "centroid=*", "*.parquet")))
    return ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=out).to_table().sort_by("id")
a = load(sys.argv[1])
b = load(sys.argv[2])
for col in ["id", "embeddings", "random_col", "l2_dist_to_cent", "cosine_dist_to_cent"]:
    assert a[col].to_pylist() == b[col].to_pylist(), col
assert [str(x) for x in a["centroid"].to_pylist()] == [str(x) for x in b["centroid"].to_pylist()]
)PY",
                               {tmp_ / "a", tmp_ / "b"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
}

TEST_F(StageTest, ResumeReusesTheCentroidsAndGivesTheSameBytes) {
  const auto blobs = make_blobs(200, 3, 8, 2.0f, 6);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 3);
  Params p = params_for(tmp_ / "in", tmp_ / "full", 5);
  p.rows_per_part = 128;
  ASSERT_OK(run_stage(Context::make_default(2), p));
  // A run "killed" after its fit: only the centroids file is there. Resuming predicts every
  // part from those centroids, streaming (two-pass) or from memory (single pass).
  for (const bool two_pass : {false, true}) {
    const std::string dir = tmp_ / (two_pass ? "resumed2" : "resumed1");
    fs::create_directories(dir);
    fs::copy_file(tmp_ / "full/_kmeans_centroids.npy", dir + "/_kmeans_centroids.npy");
    Params r = p;
    r.output_path = dir;
    r.output_mode = io::OutputMode::kResume;
    if (two_pass) r.fit_data_fraction = 0.5;
    ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(1), r));
    EXPECT_TRUE(result.reused_centroids);
    const auto files = list_files(tmp_ / "full");
    ASSERT_EQ(files, list_files(dir));
    for (const auto& file : files) {
      EXPECT_EQ(read_bytes(tmp_ / ("full/" + file)), read_bytes(dir + "/" + file)) << file;
    }
  }
}

TEST_F(StageTest, NonEmptyOutputNeedsOverwriteOrResume) {
  const auto blobs = make_blobs(20, 2, 4, 1.0f, 7);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 1);
  fs::create_directories(tmp_ / "out/centroid=9");
  std::ofstream(tmp_ / "out/centroid=9/stale.parquet") << "x";
  Params p = params_for(tmp_ / "in", tmp_ / "out", 2);
  EXPECT_THAT(run_stage(Context::make_default(1), p).status(),
              StatusIs(StatusCode::kAlreadyExists, "is not empty"));
  p.output_mode = io::OutputMode::kOverwrite;
  ASSERT_OK(run_stage(Context::make_default(1), p));
  EXPECT_FALSE(fs::exists(tmp_ / "out/centroid=9"));
}

TEST_F(StageTest, AnEmptyCentroidGetsNoDirectory) {
  // Two distinct rows, each repeated, with initial centres on them: nothing moves, so the far
  // centroid stays empty (empty clusters are re-seeded only while Lloyd still moves).
  Matrix x(30, 4);
  for (int64_t r = 0; r < x.rows(); ++r) x.row(r)[r % 2] = 1.0f;
  write_embedding_files(tmp_ / "in", x.view(), 2);
  Matrix init(3, 4);
  init.row(0)[0] = 1.0f;
  init.row(1)[1] = 1.0f;
  for (int j = 0; j < 4; ++j) init.row(2)[j] = -40.0f;
  ASSERT_OK(io::write_npy(tmp_ / "init.npy", init.view()));
  Params p = params_for(tmp_ / "in", tmp_ / "out", 3);
  ASSERT_OK(parse_init(tmp_ / "init.npy", p.fit));
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(1), p));
  EXPECT_EQ(result.num_clusters_written, 2);
  EXPECT_TRUE(fs::exists(tmp_ / "out/centroid=0"));
  EXPECT_TRUE(fs::exists(tmp_ / "out/centroid=1"));
  EXPECT_FALSE(fs::exists(tmp_ / "out/centroid=2"));
  ASSERT_OK_AND_ASSIGN(const Matrix centroids, io::read_npy(tmp_ / "out/_kmeans_centroids.npy"));
  EXPECT_EQ(centroids.rows(), 3);
  EXPECT_EQ(centroids.row(2)[0], -40.0f);
}

TEST_F(StageTest, BadRowsFailBeforeAnyOutputOrAreSkippedOnRequest) {
  auto blobs = make_blobs(20, 2, 4, 1.0f, 9);
  for (int j = 0; j < 4; ++j) blobs.x.row(13)[j] = 0.0f;  // zero norm: row 13 of part-00
  write_embedding_files(tmp_ / "in", blobs.x.view(), 1);
  Params p = params_for(tmp_ / "in", tmp_ / "out", 2);
  const Status st = run_stage(Context::make_default(1), p).status();
  EXPECT_THAT(st, StatusIs(StatusCode::kDataError, "part-00.parquet"));
  EXPECT_THAT(st.message(), HasSubstr("row 13"));
  EXPECT_FALSE(fs::exists(tmp_ / "out"));

  p.invalid_rows = io::InvalidRows::kSkip;
  p.rows_per_part = 10;
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(1), p));
  EXPECT_EQ(result.num_rows, 39);
  EXPECT_EQ(result.num_rejected, 1);
  const auto files = list_files(tmp_ / "out/rejected");
  ASSERT_EQ(files, std::vector<std::string>{"part-000001.parquet"});
  const auto check = run_python(R"PY(
import sys, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
assert t["id"].to_pylist() == [1013], t
assert t["row"].to_pylist() == [13], t
print(t["reason"][0])
)PY",
                                {tmp_ / "out/rejected/part-000001.parquet"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, HasSubstr("norm"));
}

TEST_F(StageTest, TwoPassFailureLeavesNothingBehind) {
  // The bad row is in a file the fit does not sample: the error comes in the second pass,
  // after parts were written, and the run removes them.
  auto blobs = make_blobs(40, 2, 4, 1.0f, 10);
  for (int j = 0; j < 4; ++j) blobs.x.row(79)[j] = 0.0f;
  const auto files = write_embedding_files(tmp_ / "in", blobs.x.view(), 2);
  Params p = params_for(tmp_ / "in", tmp_ / "out", 2);
  p.fit_data_fraction = 0.5;
  p.rows_per_part = 10;
  // A seed whose one-file sample is the first file.
  while (python_sample(2, 1, p.fit.random_state)[0] != 0) ++p.fit.random_state;
  EXPECT_THAT(run_stage(Context::make_default(1), p).status(),
              StatusIs(StatusCode::kDataError, "part-01.parquet"));
  EXPECT_FALSE(fs::exists(tmp_ / "out"));
}

TEST_F(StageTest, JsonlInputInTwoPasses) {
  const auto blobs = make_blobs(30, 2, 6, 1.0f, 11);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 3, /*jsonl=*/true);
  Params p = params_for(tmp_ / "in", tmp_ / "out", 2);
  p.input_filetype = io::FileType::kJsonl;
  p.fit_data_fraction = 0.5;
  ASSERT_OK_AND_ASSIGN(const StageResult result, run_stage(Context::make_default(2), p));
  EXPECT_EQ(result.num_files, 3);
  EXPECT_EQ(result.fit_files, 2);  // round(1.5) = 2
  EXPECT_EQ(result.num_rows, 60);
  const auto check = run_python(kCheckOutput, {tmp_ / "out", "60", "2"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(StageTest, TooManyClustersForTheRows) {
  const auto blobs = make_blobs(5, 2, 4, 1.0f, 12);
  write_embedding_files(tmp_ / "in", blobs.x.view(), 2);
  EXPECT_THAT(
      run_stage(Context::make_default(1), params_for(tmp_ / "in", tmp_ / "out", 11)).status(),
      StatusIs(StatusCode::kInvalidArgument, "n_clusters (11) exceeds the number of rows (10)"));
  EXPECT_FALSE(fs::exists(tmp_ / "out"));
}

}  // namespace
}  // namespace semdedup::kmeans
