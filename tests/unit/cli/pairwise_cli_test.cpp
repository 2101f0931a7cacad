// `semdedup pairwise` end to end: a NeMo-layout KMeans output written by pyarrow, checked
// against NeMo's algorithm in numpy; usage and data errors.
#include <algorithm>
#include <filesystem>
#include <string>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

// argv[1] = the KMeans output directory to create. Hive-partitioned as NeMo writes it
// (centroid=K/, no centroid column in the files), plus entries discovery must ignore.
constexpr const char* kWriteNemoLayout = R"PY(
import os, sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
root = sys.argv[1]
rng = np.random.default_rng(0)
n, d, k = 400, 8, 3
e = rng.standard_normal((n, d)).astype(np.float32)
e[50:70] = e[0:20]                       # exact duplicates
e /= np.linalg.norm(e, axis=1, keepdims=True)
labels = rng.integers(0, k, n)
dist = (np.floor(rng.random(n) * 10) / 10).astype(np.float32)   # ties: broken by id
t = pa.table({"id": np.arange(n, dtype=np.int64) * 3 + 7,
              "embeddings": pa.array(list(e), type=pa.list_(pa.float32())),
              "l2_dist_to_cent": dist, "cosine_dist_to_cent": dist, "centroid": labels})
pq.write_to_dataset(t, root, partition_cols=["centroid"])
os.makedirs(os.path.join(root, "other_dir"))
open(os.path.join(root, "stray.txt"), "w").write("x")
)PY";

// argv[1] = KMeans dir, argv[2] = pairwise dir. NeMo 1.4's algorithm: hard ranking (distance
// then id, both descending), S = E E^T, keep i < j, -inf elsewhere, column max, first argmax;
// position 0 gets (0, 0).
constexpr const char* kCheckAgainstNumpy = R"PY(
import glob, os, sys
import numpy as np, pyarrow.parquet as pq
kmeans, out = sys.argv[1], sys.argv[2]
dirs = sorted(glob.glob(os.path.join(kmeans, "centroid=*")))
assert sorted(n for n in os.listdir(out) if not n.startswith("_")) == sorted("cluster_%s.parquet" % p.split("centroid=")[-1] for p in dirs), os.listdir(out)
for cdir in dirs:
    files = sorted(glob.glob(os.path.join(cdir, "**", "*.parquet"), recursive=True))
    tables = [pq.read_table(f) for f in files]
    ids = np.concatenate([t["id"].to_numpy() for t in tables])
    dist = np.concatenate([t["cosine_dist_to_cent"].to_numpy() for t in tables])
    emb = np.concatenate([np.stack(t["embeddings"].to_numpy(zero_copy_only=False)) for t in tables])
    order = np.lexsort((-ids, -dist))
    e = emb[order].astype(np.float64)
    n = len(order)
    s = e @ e.T
    s[np.tril_indices(n)] = -np.inf
    idx = s.argmax(axis=0)
    best = s.max(axis=0)
    idx[0], best[0] = 0, 0.0
    res = pq.read_table(os.path.join(out, "cluster_%s.parquet" % cdir.split("centroid=")[-1]))
    assert res.column_names == ["id", "max_id", "cosine_sim_score"], res.column_names
    assert str(res.schema.field("id").type) == "int64" and str(res.schema.field("max_id").type) == "int64"
    assert str(res.schema.field("cosine_sim_score").type) == "float", res.schema
    assert (res["id"].to_numpy() == ids[order]).all(), "id order"
    assert (res["max_id"].to_numpy() == ids[order][idx]).all(), "max_id"
    assert np.abs(res["cosine_sim_score"].to_numpy() - best).max() < 1e-5, "scores"
print("checked", len(dirs))
)PY";

TEST(PairwiseCli, NemoLayoutFromPyarrowMatchesNumpyReference) {
  TempDir dir;
  const std::string kmeans = dir / "kmeans", out = dir / "pairwise";
  const auto written = run_python(kWriteNemoLayout, {kmeans});
  ASSERT_EQ(written.exit_code, 0) << written.err;

  const auto run = run_semdedup({"pairwise", "--input", kmeans, "--output", out,
                                 "--pairwise-batch-size", "7", "--threads", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("pairwise: 3 of 3 clusters written (400 rows)"));
  const auto checked = run_python(kCheckAgainstNumpy, {kmeans, out});
  EXPECT_EQ(checked.exit_code, 0) << checked.err << checked.out;
  EXPECT_THAT(checked.out, HasSubstr("checked 3"));

  // A second run refuses the non-empty output; --resume finishes nothing new.
  auto again = run_semdedup({"pairwise", "--input", kmeans, "--output", out});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("not empty"));
  again = run_semdedup({"pairwise", "--input", kmeans, "--output", out, "--resume"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 of 3 clusters written (0 rows)"));
  EXPECT_THAT(again.out, HasSubstr("3 resumed"));

  // The same bytes whatever the threads and batch size.
  const std::string out1 = dir / "pairwise1";
  const auto single = run_semdedup({"pairwise", "--input", kmeans, "--output", out1,
                                    "--threads", "1", "--pairwise-batch-size", "1024", "-q"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  for (const auto& file : testing::list_files(out)) {
    EXPECT_EQ(testing::read_bytes(out + "/" + file), testing::read_bytes(out1 + "/" + file)) << file;
  }
}

TEST(PairwiseCli, UsageErrorsExitTwo) {
  TempDir dir;
  const std::string out = dir / "out";
  const std::vector<std::vector<std::string>> cases{
      {"pairwise", "--output", out},
      {"pairwise", "--input", dir / "in", "--output", out, "--which-to-keep", "middle"},
      {"pairwise", "--input", dir / "in", "--output", out, "--sim-metric", "dot"},
      {"pairwise", "--input", dir / "in", "--output", out, "--overwrite", "--resume"},
      {"pairwise", "--input", dir / "in", "--output", out, "--pairwise-batch-size", "0"},
      {"pairwise", "--input", dir / "in", "--output", out, "--ranking-columns", "a",
       "--ranking-ascending", "sideways"},
  };
  for (const auto& args : cases) {
    const auto r = run_semdedup(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
  const auto mismatch = run_semdedup({"pairwise", "--input", dir / "in", "--output", out,
                                      "--ranking-columns", "a,b", "--ranking-ascending",
                                      "true,false,true"});
  EXPECT_EQ(mismatch.exit_code, 2);
  EXPECT_THAT(mismatch.err, HasSubstr("Length of ascending (3) must match metadata_cols (2)"));
}

TEST(PairwiseCli, DataErrorsExitOneWithOneLineAndNoOutput) {
  TempDir dir;
  const std::string kmeans = dir / "kmeans", out = dir / "out";
  auto r = run_semdedup({"pairwise", "--input", kmeans, "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  fs::create_directories(kmeans + "/not_a_centroid");
  r = run_semdedup({"pairwise", "--input", kmeans, "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("No centroid directories found in: " + kmeans));

  ASSERT_EQ(run_python(kWriteNemoLayout, {dir / "nemo"}).exit_code, 0);
  r = run_semdedup({"pairwise", "--input", dir / "nemo", "--output", out, "--ranking-columns",
                    "priority", "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Required columns ['priority'] not found in cluster data. "
                               "Available columns: ['id', 'embeddings', 'l2_dist_to_cent', "
                               "'cosine_dist_to_cent']"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace semdedup
