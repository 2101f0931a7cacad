// `semdedup remove` through the binary: JSON lines keep their bytes, ids match only ids of the
// same type, null ids are refused. Each failure: exit 1, one line, the input untouched, no
// output file written.
#include <filesystem>
#include <fstream>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::read_bytes;
using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

/// A duplicates directory holding one Parquet file whose "id" column is `ids` (a Python
/// expression giving a pyarrow array).
void write_duplicates(const fs::path& dir, const std::string& ids) {
  fs::create_directories(dir);
  const auto r = run_python(
      "import sys, pyarrow as pa, pyarrow.parquet as pq\n"
      "pq.write_table(pa.table({'id': " +
          ids + "}), sys.argv[1])",
      {(dir / "part-0.parquet").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

/// Files written under `out`, when it exists.
std::vector<std::string> written(const fs::path& out) {
  return fs::exists(out) ? testing::list_files(out) : std::vector<std::string>{};
}

TEST(RemoveCli, JsonLinesKeepEveryKeptRowByteForByte) {
  TempDir dir;
  // Rows Arrow would rewrite: ISO dates (timestamps), integers above 2^53 in a field that also
  // holds floats, 1 against 1.0, a key missing from some rows, unicode escapes, odd spacing,
  // a CRLF line, a blank line, and a last line without a newline.
  const std::vector<std::string> rows = {
      R"({"id": 1, "when": "2024-03-01T12:00:00", "n": 9007199254740993, "x": 1})",
      R"({"id": 2, "when": "2024-03-02", "n": 0.5, "x": 1.0, "extra": true})",
      R"({"id":3,"text":"caf\u00e9 \ud83d\ude00 \"q\"","n":12345678901234567890})",
      "{\"id\": 4,   \"x\" : 1e3  }\r",
      R"({"id": 5, "nested": {"a": [1, {"b": null}]}})",
      R"({"id": 6, "n": -9007199254740993})",
  };
  const std::string input = "\xEF\xBB\xBF" + rows[0] + "\n" + rows[1] + "\n\n" + rows[2] + "\n" +
                            rows[3] + "\n" + rows[4] + "\n" + rows[5];  // no final newline
  const fs::path data = dir.path() / "data" / "docs.jsonl";
  write_file(data, input);
  write_duplicates(dir.path() / "dups", "pa.array([2, 5], pa.int64())");
  const fs::path out = dir.path() / "out";
  const auto r = run_semdedup({"remove", "--input", (dir.path() / "data").string(), "--duplicates",
                               (dir.path() / "dups").string(), "--output", out.string(),
                               "--input-filetype", "jsonl", "--output-filetype", "jsonl", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The byte order mark is kept, each kept line is copied as it was (its '\r' too) and ends
  // with '\n'; the blank line is not a row.
  EXPECT_EQ(read_bytes(out / "docs.jsonl"),
            "\xEF\xBB\xBF" + rows[0] + "\n" + rows[2] + "\n" + rows[3] + "\n" + rows[5] + "\n");
  EXPECT_EQ(read_bytes(data), input);
}

struct IdCase {
  std::string name;
  std::string input_file;  ///< name under data/
  std::string input;       ///< its bytes, or a Python expression of the id array (Parquet)
  std::string duplicates;  ///< Python expression of the duplicates' id array
  std::vector<std::string> message_parts;
};

void PrintTo(const IdCase& c, std::ostream* os) { *os << c.name; }

class RemoveIdCli : public ::testing::TestWithParam<IdCase> {};

TEST_P(RemoveIdCli, RefusesWithOneLineAndLeavesTheInput) {
  const IdCase& c = GetParam();
  TempDir dir;
  const fs::path data = dir.path() / "data" / c.input_file;
  const bool parquet = c.input_file.ends_with(".parquet");
  if (parquet) {
    fs::create_directories(data.parent_path());
    const auto py = run_python(
        "import sys, pyarrow as pa, pyarrow.parquet as pq\n"
        "ids = " +
            c.input +
            "\n"
            "pq.write_table(pa.table({'id': ids, 't': [str(i) for i in "
            "range(len(ids))]}), sys.argv[1])",
        {data.string()});
    ASSERT_EQ(py.exit_code, 0) << py.err;
  } else {
    write_file(data, c.input);
  }
  const std::string before = read_bytes(data);
  write_duplicates(dir.path() / "dups", c.duplicates);
  const fs::path out = dir.path() / "out";
  std::vector<std::string> args = {"remove",
                                   "--input",
                                   (dir.path() / "data").string(),
                                   "--duplicates",
                                   (dir.path() / "dups").string(),
                                   "--output",
                                   out.string()};
  if (!parquet)
    args.insert(args.end(), {"--input-filetype", "jsonl", "--output-filetype", "jsonl"});
  const auto r = run_semdedup(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  for (const auto& part : c.message_parts) EXPECT_THAT(r.err, HasSubstr(part));
  EXPECT_EQ(read_bytes(data), before);
  EXPECT_EQ(written(out), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RemoveIdCli,
    ::testing::Values(
        // "007" and "0x8" from another dataset once removed the integer rows 7 and 8.
        IdCase{
            "string_dups_int_parquet",
            "a.parquet",
            "pa.array([7, 8, 9], pa.int64())",
            "pa.array(['007', '0x8'])",
            {"a.parquet", "column 'id' has type int64 but the duplicates' ids have type string"}},
        IdCase{
            "int_dups_string_parquet",
            "a.parquet",
            "pa.array(['7', '8'])",
            "pa.array([7], pa.int64())",
            {"a.parquet", "column 'id' has type string but the duplicates' ids have type int64"}},
        IdCase{"string_dups_int_jsonl",
               "a.jsonl",
               "{\"id\": 7}\n{\"id\": 8}\n",
               "pa.array(['007'])",
               {"a.jsonl", "column 'id' row 0 (line 1)",
                "id has type int64 but the duplicates' ids have type string"}},
        IdCase{"null_dup",
               "a.parquet",
               "pa.array([1, 2, None], pa.int64())",
               "pa.array([5, None], pa.int64())",
               {"part-0.parquet", "column 'id' row 1: null id"}},
        IdCase{"null_input_parquet",
               "a.parquet",
               "pa.array([1, None, 3], pa.int64())",
               "pa.array([3], pa.int64())",
               {"a.parquet", "column 'id' row 1: null id"}},
        IdCase{"null_input_jsonl",
               "a.jsonl",
               "{\"id\": 1}\n\n{\"id\": null}\n",
               "pa.array([3], pa.int64())",
               {"a.jsonl", "column 'id' row 1 (line 3): null id"}},
        IdCase{"float_id_jsonl",
               "a.jsonl",
               "{\"id\": 1.5}\n",
               "pa.array([3], pa.int64())",
               {"a.jsonl", "row 0 (line 1): id is a number; ids must be integers or strings"}},
        IdCase{"missing_id_jsonl",
               "a.jsonl",
               "{\"id\": 1}\n{\"doc\": 2}\n",
               "pa.array([3], pa.int64())",
               {"a.jsonl", "row 1 (line 2): no field 'id'"}}),
    [](const ::testing::TestParamInfo<IdCase>& info) {
      std::string name = info.param.name;
      name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
      return name;
    });

// Integer ids of different widths match by value: int32 input rows against int64 duplicates.
TEST(RemoveCli, IntegerIdsMatchByValueWhateverTheirWidth) {
  TempDir dir;
  fs::create_directories(dir.path() / "data");
  const auto py = run_python(
      "import sys, pyarrow as pa, pyarrow.parquet as pq\n"
      "pq.write_table(pa.table({'id': pa.array([1, 2, 3], pa.int32())}), "
      "sys.argv[1])",
      {(dir.path() / "data" / "a.parquet").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  write_duplicates(dir.path() / "dups", "pa.array([2, 2**40], pa.int64())");
  const fs::path out = dir.path() / "out";
  const auto r = run_semdedup({"remove", "--input", (dir.path() / "data").string(), "--duplicates",
                               (dir.path() / "dups").string(), "--output", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto check = run_python(
      "import sys, pyarrow.parquet as pq\n"
      "print(pq.read_table(sys.argv[1]).column('id').to_pylist())",
      {(out / "a.parquet").string()});
  EXPECT_EQ(check.out, "[1, 3]\n");
}

}  // namespace
}  // namespace semdedup
