// `semdedup generate` end to end: files pyarrow reads, determinism across threads, usage and
// output-directory errors.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::list_files;
using testing::read_bytes;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

std::vector<std::string> args(const std::string& output, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"generate", "--output", output, "--rows", "1000", "--dim", "16",
                             "--files", "4", "--quiet"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// argv[1] = data directory, argv[2] = format. Prints the schema and the rows per file.
constexpr const char* kDescribe = R"PY(
import sys, glob, pyarrow.parquet as pq, pyarrow.json as pj
files = sorted(glob.glob(f"{sys.argv[1]}/part-*"))
read = pq.read_table if sys.argv[2] == "parquet" else pj.read_json
tables = [read(f) for f in files]
s = tables[0].schema
print(len(files), s.field("id").type, s.field("embeddings").type, s.field("quality").type)
print([t.num_rows for t in tables], set(len(e) for t in tables for e in t.column("embeddings").to_pylist()))
print([i for t in tables for i in t.column("id").to_pylist()] == list(range(1000)))
)PY";

TEST(GenerateCli, WritesParquetThatPyarrowReads) {
  TempDir dir;
  const auto r = run_semdedup({"generate", "--output", dir / "g", "--rows", "1000", "--dim", "16",
                               "--files", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1000 rows x 16 dims in 4 parquet file(s)"));
  EXPECT_THAT(r.out, HasSubstr("34 exact, 33 near99, 33 near95"));
  EXPECT_THAT(r.out, HasSubstr("bytes written: "));
  const auto py = run_python(kDescribe, {dir / "g/data", "parquet"});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out,
            "4 int64 list<element: float> float\n"
            "[250, 250, 250, 250] {16}\n"
            "True\n");
}

TEST(GenerateCli, WritesJsonlThatPyarrowReads) {
  TempDir dir;
  const auto r = run_semdedup(args(dir / "g", {"--format", "jsonl"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(list_files(dir / "g"),
              ElementsAre("_SUCCESS", "_semdedup_manifest", "data/part-00000.jsonl",
                          "data/part-00001.jsonl", "data/part-00002.jsonl",
                          "data/part-00003.jsonl", "ground_truth.parquet"));
  const auto py = run_python(kDescribe, {dir / "g/data", "jsonl"});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out,
            "4 int64 list<item: double> double\n"
            "[250, 250, 250, 250] {16}\n"
            "True\n");
}

TEST(GenerateCli, SameSeedGivesIdenticalBytesWhateverTheThreads) {
  TempDir dir;
  ASSERT_EQ(run_semdedup(args(dir / "a", {"--threads", "1"})).exit_code, 0);
  ASSERT_EQ(run_semdedup(args(dir / "b", {"--threads", "2"})).exit_code, 0);
  ASSERT_EQ(run_semdedup(args(dir / "c", {"--seed", "7"})).exit_code, 0);
  const auto files = list_files(dir / "a");
  ASSERT_EQ(files.size(), 7u);  // with the two markers
  ASSERT_EQ(files, list_files(dir / "b"));
  for (const auto& file : files) {
    EXPECT_EQ(read_bytes(dir.path() / "a" / file), read_bytes(dir.path() / "b" / file)) << file;
    if (file == "_SUCCESS") continue;  // empty in every output
    EXPECT_NE(read_bytes(dir.path() / "a" / file), read_bytes(dir.path() / "c" / file)) << file;
  }
}

TEST(GenerateCli, PlantedCosinesHoldInTheData) {
  TempDir dir;
  ASSERT_EQ(run_semdedup(args(dir / "g")).exit_code, 0);
  const auto py = run_python(R"PY(
import sys, numpy as np, pyarrow.dataset as ds, pyarrow.parquet as pq
t = ds.dataset(f"{sys.argv[1]}/data", format="parquet").to_table()
e = np.array(t.column("embeddings").to_pylist(), dtype=np.float64)
g = pq.read_table(f"{sys.argv[1]}/ground_truth.parquet")
ids, src = g.column("id").to_numpy(), g.column("duplicate_of").to_numpy()
cos = np.einsum("ij,ij->i", e[ids], e[src]) / np.linalg.norm(e[ids], axis=1) / np.linalg.norm(e[src], axis=1)
kind = np.array(g.column("kind").to_pylist())
ok = {"exact": (0.9999999, 1.0000001), "near99": (0.99, 1.0), "near95": (0.95, 0.99)}
print(all(ok[k][0] <= c < ok[k][1] for k, c in zip(kind, cos)),
      bool(np.abs(cos - g.column("cosine").to_numpy()).max() < 1e-6), len(ids))
)PY",
                             {dir / "g"});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "True True 100\n");
}

struct BadFlags {
  const char* name;
  std::vector<std::string> flags;  // added to --rows 1000 --dim 16 (a flag given here wins)
  const char* message;
};

class GenerateCliRejects : public ::testing::TestWithParam<BadFlags> {};

TEST_P(GenerateCliRejects, WithExitTwoAndOneLine) {
  TempDir dir;
  std::vector<std::string> a{"generate", "--output", dir / "g"};
  const auto& flags = GetParam().flags;
  a.insert(a.end(), flags.begin(), flags.end());
  for (const char* required : {"--rows", "--dim"}) {
    if (std::find(flags.begin(), flags.end(), required) == flags.end()) {
      a.insert(a.end(), {required, required == std::string("--rows") ? "1000" : "16"});
    }
  }
  const auto r = run_semdedup(a);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(GetParam().message));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir.path() / "g"));
}

INSTANTIATE_TEST_SUITE_P(
    GenerateCli, GenerateCliRejects,
    ::testing::Values(
        BadFlags{"rows", {"--rows", "0"}, "semdedup generate: error: --rows must be >= 1 (got 0)"},
        BadFlags{"dim", {"--dim", "0"}, "--dim must be >= 1 (got 0)"},
        BadFlags{"nofiles", {"--files", "0"}, "--files must be in [1, rows = 1000] (got 0)"},
        BadFlags{"manyfiles", {"--files", "1001"}, "--files must be in [1, rows = 1000] (got 1001)"},
        BadFlags{"fraction1", {"--duplicate-fraction", "1"},
                 "--duplicate-fraction must be in [0, 1) (got 1)"},
        BadFlags{"negative", {"--duplicate-fraction", "-0.1"},
                 "--duplicate-fraction must be in [0, 1)"},
        BadFlags{"clusters", {"--clusters", "0"}, "--clusters must be >= 1 (got 0)"},
        BadFlags{"format", {"--format", "csv"}, "Unsupported filetype: csv"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(GenerateCli, MissingRequiredFlagIsAUsageError) {
  TempDir dir;
  const auto r = run_semdedup({"generate", "--output", dir / "g", "--rows", "10"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--dim"));
}

TEST(GenerateCli, NonEmptyOutputNeedsOverwrite) {
  TempDir dir;
  fs::create_directories(dir.path() / "g");
  { std::ofstream(dir.path() / "g/keep.txt") << "x"; }
  const auto r = run_semdedup(args(dir / "g"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not empty"));
  EXPECT_THAT(list_files(dir / "g"), ElementsAre("keep.txt"));
  // --overwrite deletes only what semdedup wrote.
  auto again = run_semdedup(args(dir / "g", {"--overwrite"}));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("keep.txt, which semdedup did not write"));
  EXPECT_THAT(list_files(dir / "g"), ElementsAre("keep.txt"));
  fs::remove(dir.path() / "g/keep.txt");
  ASSERT_EQ(run_semdedup(args(dir / "g", {"--seed", "3"})).exit_code, 0);
  again = run_semdedup(args(dir / "g", {"--overwrite"}));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(list_files(dir / "g").size(), 7u);
}

}  // namespace
}  // namespace semdedup
