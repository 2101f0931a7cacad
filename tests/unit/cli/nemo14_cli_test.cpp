// NeMo Curator 1.4 interoperability through the binary: fp16 storage read and written, the
// dtype flags, and KMeans output directories that pandas and pyarrow datasets read whole.
#include <filesystem>
#include <fstream>
#include <string>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

// argv[1] = root. Writes the same clusters three times as NeMo 1.4 lays out its KMeans output
// (centroid=K/0_<sha256[:12]>_0.parquet, columns id, embeddings, l2_dist_to_cent,
// cosine_dist_to_cent, no centroid column): <root>/fp16 with embeddings list<uint16> holding
// fp16 bits, <root>/half with list<halffloat>, <root>/fp32 with the same values decoded to
// float32. Opposite rows give negative maxima; exact copies give ties.
constexpr const char* kWriteNemo14Layout = R"PY(
import hashlib, os, sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
root = sys.argv[1]
rng = np.random.default_rng(4)
n, d, k = 300, 16, 3
e = rng.standard_normal((n, d)).astype(np.float32)
e[40:60] = e[0:20]
e[60:70] = -e[0:10]
e /= np.linalg.norm(e, axis=1, keepdims=True)
half = e.astype(np.float16)
labels = rng.integers(0, k, n)
dist = (np.floor(rng.random(n) * 10) / 10).astype(np.float32)
ids = np.arange(n, dtype=np.int64) * 5 + 1
name = "0_" + hashlib.sha256(b"/data/embeddings/part-0.parquet|").hexdigest()[:12] + "_0.parquet"
def lists(values, type):
    flat = pa.array(values.reshape(-1), type=type)
    offsets = pa.array(np.arange(0, values.size + 1, d, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, flat)
for layout in ("fp16", "half", "fp32"):
    for c in range(k):
        rows = labels == c
        if layout == "fp16":
            emb = lists(half[rows].view(np.uint16), pa.uint16())
        elif layout == "half":
            emb = lists(half[rows], pa.float16())
        else:
            emb = lists(half[rows].astype(np.float32), pa.float32())
        t = pa.table([pa.array(ids[rows]), emb, pa.array(dist[rows]), pa.array(dist[rows])],
                     names=["id", "embeddings", "l2_dist_to_cent", "cosine_dist_to_cent"])
        os.makedirs(os.path.join(root, layout, "centroid=%d" % c))
        pq.write_table(t, os.path.join(root, layout, "centroid=%d" % c, name))
)PY";

// argv[1], argv[2]: pairwise output directories that must agree: the same files, ids and
// max_ids exactly, scores within 1e-6; some scores negative (NeMo 1.4's -inf masking).
constexpr const char* kComparePairwise = R"PY(
import os, sys
import numpy as np, pyarrow.parquet as pq
a, b = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(a) if n.endswith(".parquet"))
assert names and names == sorted(n for n in os.listdir(b) if n.endswith(".parquet")), names
negative = 0
for name in names:
    x, y = pq.read_table(os.path.join(a, name)), pq.read_table(os.path.join(b, name))
    assert x.column_names == ["id", "max_id", "cosine_sim_score"], x.column_names
    assert (x["id"].to_numpy() == y["id"].to_numpy()).all(), name
    assert (x["max_id"].to_numpy() == y["max_id"].to_numpy()).all(), name
    sx, sy = x["cosine_sim_score"].to_numpy(), y["cosine_sim_score"].to_numpy()
    assert np.abs(sx - sy).max() <= 1e-6, name
    negative += int((sx < 0).sum())
assert negative > 0, "no negative maximum"
print("same", len(names), "negative", negative)
)PY";

TEST(Nemo14Cli, Fp16KMeansOutputGivesThePairwiseOfItsFloat32Decoding) {
  TempDir dir;
  ASSERT_EQ(run_python(kWriteNemo14Layout, {dir.path().string()}).exit_code, 0);
  for (const std::string layout : {"fp16", "half", "fp32"}) {
    const auto run =
        run_semdedup({"pairwise", "--input", dir / layout, "--output", dir / ("pairwise_" + layout),
                      "--pairwise-batch-size", "auto", "--pairwise-compute-dtype", "float16"});
    ASSERT_EQ(run.exit_code, 0) << layout << ": " << run.err;
    EXPECT_THAT(run.err, HasSubstr("compute dtype float16"));
  }
  for (const std::string layout : {"fp16", "half"}) {
    const auto same =
        run_python(kComparePairwise, {dir / "pairwise_fp32", dir / ("pairwise_" + layout)});
    EXPECT_EQ(same.exit_code, 0) << layout << ": " << same.out << same.err;
  }
  // The 16-bit integers are fp16 bits: read with float32 they are an error naming the column and
  // its type; float16 on float32 storage is one too.
  const auto refused = run_semdedup({"pairwise", "--input", dir / "fp16", "--output",
                                     dir / "refused", "--input-embedding-dtype", "float32"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("column 'embeddings' has type list<element: uint16>"));
  EXPECT_FALSE(fs::exists(dir / "refused"));
  const auto not_half = run_semdedup({"pairwise", "--input", dir / "fp32", "--output",
                                      dir / "not_half", "--input-embedding-dtype", "float16"});
  EXPECT_EQ(not_half.exit_code, 1);
  EXPECT_THAT(not_half.err, HasSubstr("expects fp16 storage"));
  const auto explicit_half = run_semdedup({"pairwise", "--input", dir / "fp16", "--output",
                                           dir / "explicit", "--input-embedding-dtype", "float16"});
  EXPECT_EQ(explicit_half.exit_code, 0) << explicit_half.err;
}

// argv[1] = input file to write: 600 rows x 24 in 4 blobs, ids 0..599, and a string column.
constexpr const char* kWriteInput = R"PY(
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(9)
centres = rng.standard_normal((4, 24)) * 3
x = (centres[rng.integers(0, 4, 600)] + rng.standard_normal((600, 24))).astype(np.float32)
pq.write_table(pa.table({"id": np.arange(600, dtype=np.int64),
                         "embeddings": pa.array(list(x), type=pa.list_(pa.float32())),
                         "note": ["n%d" % i for i in range(600)]}), sys.argv[1])
)PY";

// argv[1] = input file, argv[2] = KMeans output written with fp16 embeddings, argv[3] = the
// same written as float32. Reads both the way NeMo's tools do (a pyarrow dataset over the hive
// directories, pandas on the whole directory).
constexpr const char* kCheckFp16Output = R"PY(
import sys
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.dataset as ds, pyarrow.parquet as pq
src, half_dir, full_dir = sys.argv[1:4]
x = pq.read_table(src)
raw = np.stack(x["embeddings"].to_numpy(zero_copy_only=False)).astype(np.float32)
norm = raw / np.linalg.norm(raw, axis=1, keepdims=True)
def load(path):
    t = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    return t.sort_by("id")
h, f = load(half_dir), load(full_dir)
assert h.num_rows == 600 and f.num_rows == 600, (h.num_rows, f.num_rows)
assert h.column_names == ["id", "embeddings", "l2_dist_to_cent", "cosine_dist_to_cent", "centroid"], h.column_names
assert h.schema.field("embeddings").type == pa.list_(pa.uint16()), h.schema
assert f.schema.field("embeddings").type == pa.list_(pa.float32()), f.schema
bits = np.stack(h["embeddings"].to_numpy(zero_copy_only=False)).astype(np.uint16)
decoded = bits.view(np.float16).astype(np.float32)
stored = np.stack(f["embeddings"].to_numpy(zero_copy_only=False))
# semdedup's float32 normalisation, rounded to nearest even fp16: numpy's own conversion.
assert (decoded == stored.astype(np.float16).astype(np.float32)).all(), "not RNE of the float32"
# ... which is the normalised input within fp16 rounding (half an fp16 ulp, plus float32 noise).
assert np.abs(stored - norm).max() < 1e-6
err = np.abs(decoded - norm)
assert (err <= np.abs(norm) * 2.0 ** -11 + 2.0 ** -25 + 1e-7).all(), err.max()
for col in ("l2_dist_to_cent", "cosine_dist_to_cent", "centroid"):
    assert h[col].equals(f[col]), col
assert h.schema.field("l2_dist_to_cent").type == pa.float32()
# pandas reads the whole directory (no stray file in it), hive partition included.
frame = pd.read_parquet(half_dir)
assert len(frame) == 600 and "centroid" in frame.columns, frame.columns
assert len(pd.read_parquet(full_dir)) == 600
print("ok")
)PY";

TEST(Nemo14Cli, KMeansWritesFp16EmbeddingsThatNemoReadersRead) {
  TempDir dir;
  const std::string input = dir / "in.parquet";
  ASSERT_EQ(run_python(kWriteInput, {input}).exit_code, 0);
  for (const std::string dtype : {"float16", "float32"}) {
    const auto run =
        run_semdedup({"kmeans", "--input", input, "--output", dir / dtype, "--n-clusters", "4",
                      "--embedding-output-dtype", dtype, "--cache-path", dir / ("cache_" + dtype)});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    // NeMo's centroids file goes to cache_path only; semdedup's own copy is skipped by readers.
    EXPECT_TRUE(fs::exists(dir / ("cache_" + dtype) + "/kmeans_centroids.npy"));
    EXPECT_FALSE(fs::exists(dir / dtype + "/kmeans_centroids.npy"));
    EXPECT_TRUE(fs::exists(dir / dtype + "/_kmeans_centroids.npy"));
  }
  const auto check = run_python(kCheckFp16Output, {input, dir / "float16", dir / "float32"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // Pairwise reads its own fp16 output back.
  const auto pairwise =
      run_semdedup({"pairwise", "--input", dir / "float16", "--output", dir / "pairwise"});
  EXPECT_EQ(pairwise.exit_code, 0) << pairwise.err;
}

TEST(Nemo14Cli, EmbeddingsOfUint16ReadAsFloat32AreAnErrorInKMeans) {
  TempDir dir;
  const std::string input = dir / "bits.parquet";
  const auto written = run_python(R"PY(
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
e = np.random.default_rng(1).standard_normal((40, 8)).astype(np.float16).view(np.uint16)
pq.write_table(pa.table({"id": np.arange(40), "embeddings": pa.array(list(e), type=pa.list_(pa.uint16()))}), sys.argv[1])
)PY",
                                  {input});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  const auto refused = run_semdedup({"kmeans", "--input", input, "--output", dir / "out",
                                     "--n-clusters", "2", "--input-embedding-dtype", "float32"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("file " + input +
                                     ": column 'embeddings' has type "
                                     "list<element: uint16>"));
  EXPECT_FALSE(fs::exists(dir / "out"));
  // auto (the default) reads the bits as fp16, and the fit sees the decoded values.
  const auto run = run_semdedup({"kmeans", "--input", input, "--output", dir / "auto",
                                 "--n-clusters", "2", "--embedding-dim", "8"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("--embedding-dim (embedding_dim) is deprecated"));
  const auto check = run_python(R"PY(
import sys
import numpy as np, pyarrow.dataset as ds, pyarrow.parquet as pq
src = pq.read_table(sys.argv[1])
bits = np.stack(src["embeddings"].to_numpy(zero_copy_only=False)).astype(np.uint16)
x = bits.view(np.float16).astype(np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
t = ds.dataset(sys.argv[2], partitioning="hive").to_table().sort_by("id")
got = np.stack(t["embeddings"].to_numpy(zero_copy_only=False))
assert np.abs(got - x).max() < 1e-6, np.abs(got - x).max()
)PY",
                                {input, dir / "auto"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST(Nemo14Cli, YamlKeysOfNemo14) {
  TempDir dir;
  const std::string input = dir / "in.parquet";
  ASSERT_EQ(run_python(kWriteInput, {input}).exit_code, 0);
  {
    std::ofstream yaml(dir / "run.yaml");
    yaml << "n_clusters: 4\nkmeans_embedding_output_dtype: float16\npairwise_compute_dtype: "
            "float32\npairwise_batch_size: auto\ninput_embedding_dtype: auto\nmemory_limit: 1G\n"
            "embedding_dim: 24\neps: 0.01\n";
  }
  const auto run = run_semdedup(
      {"run", "--config", dir / "run.yaml", "--input", input, "--output", dir / "out"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("deprecated"));
  EXPECT_THAT(run.err, HasSubstr("compute dtype float32"));
  const auto check = run_python(R"PY(
import json, os, sys
import pandas as pd, pyarrow as pa, pyarrow.dataset as ds
out = sys.argv[1]
summary = json.load(open(os.path.join(out, "summary.json")))["parameters"]
assert summary["embedding_output_dtype"] == "float16", summary
assert summary["pairwise_compute_dtype"] == "float32", summary
assert summary["pairwise_batch_size"] == "auto", summary
t = ds.dataset(os.path.join(out, "kmeans_results"), partitioning="hive").to_table()
assert t.schema.field("embeddings").type == pa.list_(pa.uint16()), t.schema
assert len(pd.read_parquet(os.path.join(out, "kmeans_results"))) == 600
assert os.path.exists(os.path.join(out, "kmeans_centroids.npy"))
)PY",
                                {dir / "out"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  // The stage's own spelling of the compute dtype, and a value outside the three.
  {
    std::ofstream yaml(dir / "pairwise.yaml");
    yaml << "compute_dtype: bfloat16\n";
  }
  const auto bad = run_semdedup({"pairwise", "--config", dir / "pairwise.yaml", "--input",
                                 dir / "out/kmeans_results", "--output", dir / "pw"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--pairwise-compute-dtype"));
}

}  // namespace
}  // namespace semdedup
