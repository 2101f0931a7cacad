// Every bad-input class through the binary: exit 1, one line on stderr naming the file, column
// and row where they apply, and no output directory left behind. docs/bad-input.md tables them.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "semdedup/io/output_lock.hpp"
#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

// One directory per case under argv[1], each holding the files of that case.
constexpr const char* kFixtures = R"(
import os, sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
root = sys.argv[1]
def table(ids, embs, **extra):
    cols = {"id": pa.array(ids, pa.int64()), "embeddings": embs}
    cols.update(extra)
    return pa.table(cols)
def good(n, start=0):
    rng = np.random.default_rng(start)
    return table(list(range(start, start + n)), pa.array(rng.normal(size=(n, 4)).tolist(), pa.list_(pa.float32())))
def case(name, files):
    d = os.path.join(root, name); os.makedirs(d)
    for fname, content in files.items():
        p = os.path.join(d, fname)
        if isinstance(content, (bytes, str)):
            open(p, "wb" if isinstance(content, bytes) else "w").write(content)
        else:
            pq.write_table(content, p)
emb = lambda rows: pa.array(rows, pa.list_(pa.float32()))
case("missing_column", {"a.parquet": pa.table({"id": [1, 2], "vec": emb([[1, 0], [0, 1]])})})
case("not_a_list", {"a.parquet": pa.table({"id": pa.array([1, 2], pa.int64()), "embeddings": pa.array(["x", "y"])})})
case("null_row", {"a.parquet": good(5), "b.parquet": table([10, 11, 12], emb([[1, 2, 3, 4], None, [1, 1, 1, 1]]))})
case("ragged", {"a.parquet": table([1, 2, 3], emb([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3]]))})
case("nan", {"a.parquet": table([1, 2, 3, 4], emb([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, float("nan"), 3, 4]]))})
case("inf", {"a.parquet": table([1, 2], emb([[1, 2, 3, 4], [float("inf"), 0, 0, 0]]))})
case("zero_norm", {"a.parquet": table([1, 2, 3], emb([[1, 2, 3, 4], [0, 0, 0, 0], [1, 1, 1, 1]]))})
case("corrupt", {"a.parquet": os.urandom(2000)})
buf = pa.BufferOutputStream(); pq.write_table(good(50), buf); data = buf.getvalue().to_pybytes()
case("truncated", {"a.parquet": data[: len(data) // 2]})
case("json_not_object", {"a.jsonl": ' null}\n{"id": 1, "embeddings": [1, 2]}\n'})
case("bad_json", {"a.jsonl": '{"id": 1, "embeddings": [1, 2]}\n{"id": 2, "embeddings": [3, 4]\n'})
case("empty", {"a.parquet": good(0)})
case("id_types", {"a.parquet": good(5), "b.parquet": pa.table({"id": ["x"], "embeddings": emb([[1, 2, 3, 4]])})})
case("wrong_ext", {"a.csv": "id,embeddings\n"})
os.makedirs(os.path.join(root, "empty_dir"))
case("good", {"a.parquet": good(6)})
case("few_rows", {"a.parquet": good(3)})
case("duplicate_ids", {"a.parquet": good(5), "b.parquet": table([10, 3, 11], emb([[1, 2, 3, 4]] * 3))})
case("duplicate_string_ids", {"a.parquet": pa.table({"id": ["u", "v", "u"], "embeddings": emb([[1, 2], [3, 4], [5, 6]])})})
case("list_of_strings", {"a.parquet": pa.table({"id": pa.array([1, 2], pa.int64()), "embeddings": pa.array([["a", "b"], ["c", "d"]])})})
case("huge_dims", {"a.parquet": table([1, 2], pa.array(list(np.ones((2, 65537), np.float32)), pa.list_(pa.float32())))})
case("null_id", {"a.parquet": good(4), "b.parquet": pa.table({"id": pa.array([7, None], pa.int64()), "embeddings": emb([[1, 2, 3, 4], [4, 3, 2, 1]])})})
case("beyond_float32", {"a.parquet": pa.table({"id": pa.array([1, 2, 3], pa.int64()), "embeddings": pa.array([[1, 2], [3, 1e300], [1, 1]], pa.list_(pa.float64()))})})
case("beyond_float32_json", {"a.jsonl": '{"id": 1, "embeddings": [1, 2]}\n{"id": 2, "embeddings": [1e39, 2]}\n'})
case("fixed_size_null", {"a.parquet": pa.table({"id": pa.array([1, 2, 3], pa.int64()), "embeddings": pa.array([[1, 2], None, [3, 4]], pa.list_(pa.float32(), 2))})})
case("json_deep", {"a.jsonl": '{"id": 1, "embeddings": [1, 2]}\n{"id": 2, "embeddings": [2, 1], "x": ' + '[' * 20000 + ']' * 20000 + '}\n'})
case("metadata_clash", {"a.parquet": pa.table({"id": pa.array([1, 2, 3], pa.int64()), "embeddings": emb([[1, 0], [0, 1], [1, 1]]), "centroid": [0, 1, 2]})})
open(os.path.join(root, "a_file"), "w").write("a regular file where a directory is expected")
)";

// Where a case's run writes.
enum class Output {
  kFresh,      // <tmp>/result, which does not exist
  kUnderFile,  // <fixtures>/a_file/result: a parent is a regular file (unwritable for root too)
  kLocked,     // <tmp>/result while this test process holds its lock (a concurrent run)
};

struct BadInput {
  std::string name;
  std::vector<std::string> extra;  // flags beyond --input <case dir> --output <out>; they
                                   // replace the defaults --n-clusters 2 --eps 0.01
  std::vector<std::string> message_parts;
  int exit_code = 1;  // 2 where the input makes a parameter impossible (n_clusters > rows)
  std::string input = "";  // fixture directory; empty = `name`
  Output output = Output::kFresh;
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class BadInputCli : public ::testing::TestWithParam<BadInput> {
 protected:
  static void SetUpTestSuite() {
    fixtures_ = new TempDir();
    const auto r = run_python(kFixtures, {fixtures_->path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete fixtures_;
    fixtures_ = nullptr;
  }
  static TempDir* fixtures_;
};

TempDir* BadInputCli::fixtures_ = nullptr;

TEST_P(BadInputCli, ExitsOneWithOneLineAndLeavesNothing) {
  const BadInput& c = GetParam();
  TempDir out;
  const fs::path output = c.output == Output::kUnderFile ? fixtures_->path() / "a_file" / "result"
                                                         : out.path() / "result";
  std::optional<io::OutputLock> held;
  if (c.output == Output::kLocked) {
    auto lock = io::OutputLock::acquire(output.string());
    ASSERT_TRUE(lock.ok()) << lock.status().to_string();
    held.emplace(std::move(lock).value());
  }
  const std::string input = c.input.empty() ? c.name : c.input;
  std::vector<std::string> args = {"run", "--input", (fixtures_->path() / input).string(),
                                   "--output", output.string(), "--quiet"};
  for (const char* flag : {"--n-clusters", "--eps"}) {
    if (std::find(c.extra.begin(), c.extra.end(), flag) != c.extra.end()) continue;
    args.insert(args.end(), {flag, flag == std::string("--eps") ? "0.01" : "2"});
  }
  args.insert(args.end(), c.extra.begin(), c.extra.end());
  const auto r = run_semdedup(args);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& part : c.message_parts) EXPECT_THAT(r.err, ::testing::HasSubstr(part));
  EXPECT_FALSE(fs::exists(output)) << "left behind: " << ::testing::PrintToString(testing::list_files(output));
  // Nothing beside the output either: no lock file, no temporary file, no created parent.
  const fs::path parent = output.parent_path();
  std::vector<std::string> expected_beside;
  if (held) expected_beside.push_back(fs::path(held->path()).filename().string());
  EXPECT_EQ(testing::list_files(out.path()), expected_beside);
  if (c.output == Output::kUnderFile) {
    EXPECT_TRUE(fs::is_regular_file(parent));
  }
}

// A --config file that is not a mapping of parameter names to scalars or lists of scalars is a
// usage error naming the file, whatever yaml-cpp makes of it (a non-scalar key once aborted).
TEST(BadConfigCli, IsAUsageErrorNamingTheFile) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"? [a, b]\n: 1\n", "a key is not a parameter name"},
      {"? {a: 1}\n: 2\n", "a key is not a parameter name"},
      {"which_to_keep: [[1]]\n", "'which_to_keep': list elements must be scalars"},
      {"which_to_keep: {a: 1}\n", "'which_to_keep': nested mappings are not supported"},
      {"- n_clusters\n", "must be a mapping"},
      {"n_clusters: [1\n", "not valid YAML"},
      {"no_such_parameter: 1\n", "'no_such_parameter' is not a parameter of 'run'"},
      {"n_clusters: 2\neps: 0.1\nn_clusters: 3\n", "key 'n_clusters' is given twice"},
      {"input_path: a\ninput: b\n", "keys 'input_path' and 'input' both set --input"},
  };
  for (const auto& [text, message] : cases) {
    const fs::path config = dir.path() / "config.yaml";
    std::ofstream(config) << text;
    const fs::path output = dir.path() / "out";
    const auto r = run_semdedup({"run", "--config", config.string(), "--input", "in", "--output",
                                 output.string(), "--n-clusters", "2", "--quiet"});
    EXPECT_EQ(r.exit_code, 2) << text << r.err;
    EXPECT_THAT(r.err, ::testing::HasSubstr("config file " + config.string() + ": " + message))
        << text;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(output));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Classes, BadInputCli,
    ::testing::Values(
        BadInput{"missing_path_", {}, {"missing_path_"}},
        BadInput{"missing_column", {}, {"a.parquet", "'embeddings'", "not found"}},
        BadInput{"not_a_list", {}, {"a.parquet", "embeddings"}},
        BadInput{"null_row", {}, {"b.parquet", "embeddings", "row 1"}},
        BadInput{"ragged", {}, {"a.parquet", "embeddings", "row 2"}},
        BadInput{"nan", {}, {"a.parquet", "embeddings", "row 3"}},
        BadInput{"inf", {}, {"a.parquet", "embeddings", "row 1"}},
        BadInput{"zero_norm", {}, {"a.parquet", "embeddings", "row 1"}},
        BadInput{"corrupt", {}, {"a.parquet"}},
        BadInput{"truncated", {}, {"a.parquet"}},
        BadInput{"bad_json", {"--input-filetype", "jsonl"}, {"a.jsonl"}},
        BadInput{"json_not_object", {"--input-filetype", "jsonl"},
                 {"a.jsonl", "line 1", "not a JSON object"}},
        BadInput{"empty", {}, {"n_clusters (2) exceeds the number of rows (0)"}, 2},
        BadInput{"id_types", {}, {"b.parquet", "id"}},
        BadInput{"wrong_ext", {}, {"wrong_ext"}},
        BadInput{"empty_dir", {}, {"no parquet files found under", "empty_dir"}},
        BadInput{"few_rows", {"--n-clusters", "4"}, {"n_clusters (4) exceeds the number of rows (3)"}, 2},
        BadInput{"duplicate_ids", {}, {"b.parquet", "column 'id' row 1", "duplicate id 3", "a.parquet row 3"}},
        BadInput{"duplicate_string_ids", {}, {"a.parquet", "column 'id' row 2", "duplicate id 'u'", "a.parquet row 0"}},
        BadInput{"list_of_strings", {}, {"a.parquet", "column 'embeddings'", "list<element: string>"}},
        BadInput{"huge_dims", {}, {"a.parquet", "column 'embeddings'", "65537 values; at most 65536"}},
        BadInput{"eps_too_big", {"--eps", "1.5"}, {"eps must be in [0, 1), got 1.5"}, 2, "good"},
        BadInput{"eps_negative", {"--eps", "-0.5"}, {"eps must be in [0, 1), got -0.5"}, 2, "good"},
        BadInput{"eps_nan", {"--eps", "nan"}, {"eps must be in [0, 1)"}, 2, "good"},
        BadInput{"unwritable_output", {}, {"cannot create output directory", "a_file is not a directory"}, 1, "good", Output::kUnderFile},
        BadInput{"null_id", {}, {"b.parquet", "column 'id' row 1: null id"}},
        BadInput{"beyond_float32", {}, {"a.parquet", "column 'embeddings' row 1", "value 1e+300 is out of float32 range at index 1"}},
        BadInput{"beyond_float32_json", {"--input-filetype", "jsonl"}, {"a.jsonl", "column 'embeddings' row 1", "value 1e+39 is out of float32 range at index 0"}},
        BadInput{"fixed_size_null", {}, {"a.parquet", "column 'embeddings' row 1: null embedding"}},
        BadInput{"json_deep", {"--input-filetype", "jsonl"}, {"a.jsonl", "row 1 (line 2): JSON nested deeper than 128 levels"}},
        BadInput{"metadata_clash", {"--metadata-fields", "centroid"}, {"metadata field 'centroid' collides with an output column"}, 2},
        BadInput{"too_many_threads", {"--threads", "100000"}, {"--threads 100000 is more than this machine can use: at most"}, 2, "good"},
        BadInput{"concurrent_run", {}, {"is in use by another semdedup run (pid " + std::to_string(getpid()) + ")"}, 1, "good", Output::kLocked}),
    [](const ::testing::TestParamInfo<BadInput>& info) {
      std::string name = info.param.name;
      name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
      return name;
    });

}  // namespace
}  // namespace semdedup
