// The remove step: exactly the non-duplicate rows survive, every column kept, per input file.
#include "semdedup/dedup/remove.hpp"

#include <fstream>
#include <numeric>

#include "dedup_fixtures.hpp"

namespace semdedup::dedup {
namespace {

namespace fs = std::filesystem;
using testing::python_out;
using testing::StatusIs;
using testing::TempDir;

// 4 files x 25 rows: id 1..100, text "t<id>".
void write_dataset(const fs::path& dir) {
  ASSERT_OK(io::initialize_arrow());
  fs::create_directories(dir);
  for (int file = 0; file < 4; ++file) {
    std::vector<int64_t> ids;
    std::vector<std::string> text;
    for (int64_t id = file * 25 + 1; id <= (file + 1) * 25; ++id) {
      ids.push_back(id);
      text.push_back(fmt::format("t{}", id));
    }
    ASSERT_OK_AND_ASSIGN(auto table, io::make_table({{"id", std::move(ids)}, {"text", std::move(text)}}));
    ASSERT_OK(io::write_parquet((dir / fmt::format("f{}.parquet", file)).string(), table));
  }
}

void write_duplicates(const fs::path& dir, std::vector<int64_t> ids) {
  fs::create_directories(dir);
  ASSERT_OK_AND_ASSIGN(auto table, io::make_table({{"id", std::move(ids)}}));
  ASSERT_OK(io::write_parquet((dir / "part-00000.parquet").string(), table));
}

RemoveParams params_for(const TempDir& dir) {
  RemoveParams params;
  params.input_paths = {dir / "data"};
  params.duplicates_path = dir / "dups";
  params.output_path = dir / "out";
  return params;
}

TEST(Remove, KeepsExactlyTheNonDuplicatesInEveryFile) {
  TempDir dir;
  write_dataset(dir.path() / "data");
  std::vector<int64_t> dups;
  for (int64_t id = 5; id <= 100; id += 5) dups.push_back(id);
  dups.push_back(1000);  // not in the data: removes nothing
  write_duplicates(dir.path() / "dups", dups);
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params_for(dir)));
  EXPECT_EQ(result.files, 4);
  EXPECT_EQ(result.rows_in, 100);
  EXPECT_EQ(result.rows_out, 80);
  EXPECT_EQ(result.rows_removed, 20);
  EXPECT_EQ(result.duplicate_ids, 21);
  EXPECT_EQ(testing::list_files(dir.path() / "out"),
            (std::vector<std::string>{"f0.parquet", "f1.parquet", "f2.parquet", "f3.parquet"}));
  const std::string out = python_out(R"(
import sys, pyarrow.dataset as ds
t = ds.dataset(sys.argv[1], format="parquet").to_table()
ids = t.column("id").to_pylist()
ok = all(i % 5 for i in ids) and t.column("text").to_pylist() == ["t%d" % i for i in ids]
print(len(ids), ok, t.schema.names)
)",
                                     {(dir.path() / "out").string()});
  EXPECT_EQ(out, "80 True ['id', 'text']");
}

TEST(Remove, WritesJsonLinesWhenAsked) {
  TempDir dir;
  write_dataset(dir.path() / "data");
  write_duplicates(dir.path() / "dups", {1, 2, 3});
  auto params = params_for(dir);
  params.output_filetype = io::FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params));
  EXPECT_EQ(result.rows_out, 97);
  const std::string first = testing::read_bytes(dir.path() / "out" / "f0.jsonl");
  EXPECT_THAT(first, ::testing::StartsWith("{\"id\":4,\"text\":\"t4\"}\n"));
}

TEST(Remove, EmptyDuplicateListKeepsEverything) {
  TempDir dir;
  write_dataset(dir.path() / "data");
  write_duplicates(dir.path() / "dups", {});
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params_for(dir)));
  EXPECT_EQ(result.rows_removed, 0);
  EXPECT_EQ(result.rows_out, 100);
}

TEST(Remove, StringIdsWithACustomIdFieldFromJsonLines) {
  ASSERT_OK(io::initialize_arrow());  // CTest runs each test in a process of its own
  TempDir dir;
  fs::create_directories(dir.path() / "data");
  {
    std::ofstream out(dir.path() / "data" / "docs.jsonl");
    for (int i = 1; i <= 5; ++i) out << "{\"doc\": \"id_" << i << "\", \"text\": \"t" << i << "\"}\n";
  }
  ASSERT_OK_AND_ASSIGN(auto ids, io::make_table({{"id", std::vector<std::string>{"id_2", "id_4", "id_9"}}}));
  fs::create_directories(dir.path() / "dups");
  ASSERT_OK(io::write_parquet((dir.path() / "dups" / "part-00000.parquet").string(), ids));
  auto params = params_for(dir);
  params.input_filetype = io::FileType::kJsonl;
  params.output_filetype = io::FileType::kJsonl;
  params.id_field = "doc";
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params));
  EXPECT_EQ(result.rows_removed, 2);
  // JSON lines in, JSON lines out: the kept lines as they were written.
  EXPECT_EQ(testing::read_bytes(dir.path() / "out" / "docs.jsonl"),
            "{\"doc\": \"id_1\", \"text\": \"t1\"}\n{\"doc\": \"id_3\", \"text\": \"t3\"}\n"
            "{\"doc\": \"id_5\", \"text\": \"t5\"}\n");
}

TEST(Remove, RemovingEveryIdLeavesEmptyFiles) {
  TempDir dir;
  write_dataset(dir.path() / "data");
  std::vector<int64_t> all(100);
  std::iota(all.begin(), all.end(), 1);
  write_duplicates(dir.path() / "dups", all);
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params_for(dir)));
  EXPECT_EQ(result.rows_out, 0);
  EXPECT_EQ(result.files, 4);
  EXPECT_EQ(python_out("import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); "
                       "print(t.num_rows, t.schema.names)",
                       {(dir.path() / "out" / "f2.parquet").string()}),
            "0 ['id', 'text']");
}

TEST(Remove, LargeFilesAreFilteredBatchByBatchInOrder) {
  ASSERT_OK(io::initialize_arrow());
  TempDir dir;
  fs::create_directories(dir.path() / "data");
  // 200,000 rows in row groups of 30,000: several read batches and output row groups.
  const int64_t rows = 200000;
  std::vector<int64_t> ids(rows);
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<std::string> text;
  for (int64_t id : ids) text.push_back("t" + std::to_string(id));
  ASSERT_OK_AND_ASSIGN(auto table, io::make_table({{"id", ids}, {"text", std::move(text)}}));
  ASSERT_OK(io::write_parquet((dir.path() / "data" / "big.parquet").string(), table,
                              {.row_group_rows = 30000}));
  std::vector<int64_t> dups;
  for (int64_t id = 0; id < rows; id += 3) dups.push_back(id);
  write_duplicates(dir.path() / "dups", dups);
  for (const auto type : {io::FileType::kParquet, io::FileType::kJsonl}) {
    auto params = params_for(dir);
    params.output_filetype = type;
    params.output_mode = io::OutputMode::kOverwrite;
    ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(2), params));
    EXPECT_EQ(result.rows_in, rows);
    EXPECT_EQ(result.rows_removed, 66667);
    const std::string out = python_out(R"(
import sys, pyarrow.parquet as pq, pyarrow.json as pj
path = sys.argv[1]
t = pq.read_table(path) if path.endswith(".parquet") else pj.read_json(path)
ids = t.column("id").to_pylist()
ok = ids == [i for i in range(200000) if i % 3] and t.column("text").to_pylist() == ["t%d" % i for i in ids]
print(len(ids), ok)
)",
                                       {(dir.path() / "out" / (type == io::FileType::kParquet
                                                                   ? "big.parquet"
                                                                   : "big.jsonl"))
                                            .string()});
    EXPECT_EQ(out, "133333 True");
  }
}

// data/docs.jsonl: 40,000 rows {"id": i, "text": "some text"} (far more than Arrow's 1 MiB
// JSON block), then `last_line`.
void write_long_jsonl(const TempDir& dir, const std::string& last_line) {
  ASSERT_OK(io::initialize_arrow());
  fs::create_directories(dir.path() / "data");
  std::ofstream out(dir.path() / "data" / "docs.jsonl");
  for (int i = 0; i < 40000; ++i) out << "{\"id\": " << i << ", \"text\": \"some text\"}\n";
  out << last_line << "\n";
}

TEST(Remove, JsonLinesWhoseLaterRowsAddAFieldAreReadWhole) {
  TempDir dir;
  write_long_jsonl(dir, R"({"id": 40000, "text": "last", "lang": "en"})");
  write_duplicates(dir.path() / "dups", {0, 39999});
  auto params = params_for(dir);
  params.input_filetype = io::FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params));
  EXPECT_EQ(result.rows_in, 40001);
  EXPECT_EQ(result.rows_out, 39999);
  EXPECT_EQ(python_out("import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); "
                       "print(t.schema.names, t.column('lang').to_pylist()[-2:])",
                       {(dir.path() / "out" / "docs.parquet").string()}),
            "['id', 'text', 'lang'] [None, 'en']");
}

TEST(Remove, JsonLinesToJsonLinesKeepEachLineAsItCame) {
  TempDir dir;
  write_long_jsonl(dir, R"({"id": 40000, "text": "last", "lang": "en"})");
  write_duplicates(dir.path() / "dups", {0, 39999});
  auto params = params_for(dir);
  params.input_filetype = io::FileType::kJsonl;
  params.output_filetype = io::FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params));
  EXPECT_EQ(result.rows_in, 40001);
  EXPECT_EQ(result.rows_out, 39999);
  const std::string text = testing::read_bytes(dir.path() / "out" / "docs.jsonl");
  EXPECT_TRUE(text.starts_with("{\"id\": 1, \"text\": \"some text\"}\n"));
  EXPECT_TRUE(text.ends_with("{\"id\": 39998, \"text\": \"some text\"}\n"
                             "{\"id\": 40000, \"text\": \"last\", \"lang\": \"en\"}\n"));
}

TEST(Remove, ABadLineLateInAJsonLinesFileLeavesNoOutputFile) {
  TempDir dir;
  write_long_jsonl(dir, R"({"id": 40000, "text": )");
  write_duplicates(dir.path() / "dups", {0});
  auto params = params_for(dir);
  params.input_filetype = io::FileType::kJsonl;
  EXPECT_THAT(remove_duplicates(Context::make_default(1), params),
              StatusIs(StatusCode::kDataError, "docs.jsonl"));
  EXPECT_FALSE(fs::exists(dir.path() / "out" / "docs.parquet"));
  if (fs::exists(dir.path() / "out")) {
    EXPECT_THAT(testing::list_files(dir.path() / "out"), ::testing::IsEmpty());
  }
}

TEST(Remove, MissingIdColumnNamesFileAndColumn) {
  TempDir dir;
  write_dataset(dir.path() / "data");
  write_duplicates(dir.path() / "dups", {1});
  auto params = params_for(dir);
  params.id_field = "doc_id";
  EXPECT_THAT(remove_duplicates(Context::make_default(1), params),
              StatusIs(StatusCode::kDataError, "column 'doc_id' not found"));
}

TEST(Remove, MissingDuplicatesDirectoryIsAnError) {
  TempDir dir;
  write_dataset(dir.path() / "data");
  EXPECT_THAT(remove_duplicates(Context::make_default(1), params_for(dir)),
              StatusIs(StatusCode::kIOError, "dups"));
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

}  // namespace
}  // namespace semdedup::dedup
