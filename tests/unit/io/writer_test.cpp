#include "semdedup/io/writer.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <parquet/arrow/reader.h>

#include <filesystem>

#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using semdedup::testing::list_files;
using semdedup::testing::read_bytes;
using semdedup::testing::read_parquet_table;
using semdedup::testing::run_python;
using semdedup::testing::StatusIs;
using semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::shared_ptr<arrow::Array> from_json(const std::shared_ptr<arrow::DataType>& type,
                                        const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }

  // id int64 [0, n), score = id / 4 as float32, name "row<id>".
  static std::shared_ptr<arrow::Table> sample_table(int64_t n) {
    std::vector<int64_t> ids;
    std::vector<float> scores;
    std::vector<std::string> names;
    for (int64_t i = 0; i < n; ++i) {
      ids.push_back(i);
      scores.push_back(static_cast<float>(i) / 4.0f);
      names.push_back("row" + std::to_string(i));
    }
    auto table = make_table({{"id", std::move(ids)},
                             {"score", std::move(scores)},
                             {"name", std::move(names)}});
    EXPECT_TRUE(table.ok()) << table.status().to_string();
    return *table;
  }

  TempDir dir_;
};

TEST_F(WriterTest, WriteFileAtomicWritesExactBytesAndLeavesNoTemporary) {
  const std::string path = dir_ / "summary.json";
  const std::string bytes = std::string("{\"a\": 1}\n") + std::string(1, '\0') + "tail";
  ASSERT_OK(write_file_atomic(path, bytes));
  EXPECT_EQ(read_bytes(path), bytes);
  EXPECT_THAT(list_files(dir_.path()), ElementsAre("summary.json"));
}

TEST_F(WriterTest, WriteFileAtomicReplacesAnExistingFile) {
  const std::string path = dir_ / "a.txt";
  ASSERT_OK(write_file_atomic(path, "first version, longer"));
  ASSERT_OK(write_file_atomic(path, "second"));
  EXPECT_EQ(read_bytes(path), "second");
  EXPECT_THAT(list_files(dir_.path()), ElementsAre("a.txt"));
}

TEST_F(WriterTest, MissingDirectoryIsAnIoErrorNamingThePath) {
  const std::string path = dir_ / "no/such/dir/x.json";
  EXPECT_THAT(write_file_atomic(path, "x"), StatusIs(StatusCode::kIOError, path));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(WriterTest, UncommittedFileIsRemovedAndNeverAppears) {
  const std::string path = dir_ / "part.bin";
  std::string temp;
  {
    ASSERT_OK_AND_ASSIGN(AtomicFile file, AtomicFile::create(path));
    temp = file.temp_path();
    EXPECT_EQ(fs::path(temp).parent_path(), dir_.path());
    EXPECT_EQ(fs::path(temp).filename().string().rfind(".part.bin.tmp-", 0), 0u) << temp;
    ASSERT_OK(file.write("half of the bytes"));
    EXPECT_TRUE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(WriterTest, CommitRenamesIntoPlace) {
  const std::string path = dir_ / "part.bin";
  ASSERT_OK_AND_ASSIGN(AtomicFile file, AtomicFile::create(path));
  ASSERT_OK(file.write("abc"));
  ASSERT_OK(file.write("def"));
  ASSERT_OK(file.commit());
  EXPECT_EQ(read_bytes(path), "abcdef");
  EXPECT_THAT(list_files(dir_.path()), ElementsAre("part.bin"));
}

TEST_F(WriterTest, ParquetRoundTripsThroughArrow) {
  const std::string path = dir_ / "t.parquet";
  auto table = sample_table(10);
  ASSERT_OK(write_parquet(path, table));
  EXPECT_THAT(list_files(dir_.path()), ElementsAre("t.parquet"));
  auto back = read_parquet_table(path);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->Equals(*table)) << back->ToString();
}

TEST_F(WriterTest, ParquetHonoursRowGroupSizeAndUsesSnappy) {
  const std::string path = dir_ / "t.parquet";
  ASSERT_OK(write_parquet(path, sample_table(10), {.row_group_rows = 3}));
  // 10 rows in groups of at most 3: 3 + 3 + 3 + 1.
  const auto r = run_python(
      "import sys, pyarrow.parquet as pq\n"
      "f = pq.ParquetFile(sys.argv[1])\n"
      "md = f.metadata\n"
      "print(md.num_rows, md.num_row_groups,\n"
      "      [md.row_group(i).num_rows for i in range(md.num_row_groups)],\n"
      "      md.row_group(0).column(0).compression, f.schema_arrow)\n",
      {path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("10 4 [3, 3, 3, 1] SNAPPY"));
  EXPECT_THAT(r.out, HasSubstr("id: int64"));
  EXPECT_THAT(r.out, HasSubstr("score: float"));
  EXPECT_THAT(r.out, HasSubstr("name: string"));
}

TEST_F(WriterTest, ParquetBytesDependOnlyOnTheData) {
  ASSERT_OK(write_parquet(dir_ / "a.parquet", sample_table(100)));
  ASSERT_OK(write_parquet(dir_ / "b.parquet", sample_table(100)));
  EXPECT_EQ(read_bytes(dir_ / "a.parquet"), read_bytes(dir_ / "b.parquet"));
}

TEST_F(WriterTest, ParquetBytesDoNotDependOnChunkLayout) {
  // 300000 rows (several 1 MiB pages per column) once in one chunk, once in uneven chunks.
  auto table = sample_table(300000);
  arrow::TableBatchReader reader(*table);
  reader.set_chunksize(77777);
  auto chunked = arrow::Table::FromRecordBatchReader(&reader).ValueOrDie();
  ASSERT_GT(chunked->column(0)->num_chunks(), 1);
  ASSERT_OK(write_parquet(dir_ / "one.parquet", table, {.row_group_rows = 200000}));
  ASSERT_OK(write_parquet(dir_ / "many.parquet", chunked, {.row_group_rows = 200000}));
  EXPECT_EQ(read_bytes(dir_ / "one.parquet"), read_bytes(dir_ / "many.parquet"));
}

TEST_F(WriterTest, FailedParquetWriteLeavesNothingBehind) {
  // Parquet cannot store a union column: the write fails after the temporary file exists.
  auto union_type = arrow::dense_union({arrow::field("a", arrow::int32())});
  auto array = arrow::MakeArrayOfNull(union_type, 0).ValueOrDie();
  auto table = arrow::Table::Make(arrow::schema({arrow::field("u", union_type)}), {array});
  const std::string path = dir_ / "bad.parquet";
  const Status st = write_parquet(path, table);
  EXPECT_THAT(st, StatusIs(StatusCode::kIOError, path));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(WriterTest, FailedRenameLeavesOnlyWhatWasThere) {
  // The final path is a directory: everything succeeds up to the rename, which fails.
  const fs::path target = dir_.path() / "t.parquet";
  fs::create_directories(target / "inside");
  EXPECT_THAT(write_parquet(target.string(), sample_table(3)),
              StatusIs(StatusCode::kIOError, "cannot rename"));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
  EXPECT_TRUE(fs::is_directory(target / "inside"));
}

TEST_F(WriterTest, MakeTableBuildsTypedColumns) {
  const float m[] = {1, 2, 3, 4, 5, 6};
  ASSERT_OK_AND_ASSIGN(auto table, make_table({{"i64", std::vector<int64_t>{7, 8}},
                                               {"i32", std::vector<int32_t>{-1, 2}},
                                               {"f32", std::vector<float>{0.5f, 1.5f}},
                                               {"f64", std::vector<double>{0.25, 2.0}},
                                               {"s", std::vector<std::string>{"a", "\"b\""}},
                                               {"e", MatrixView(m, 2, 3)}}));
  EXPECT_EQ(table->num_rows(), 2);
  EXPECT_EQ(table->schema()->ToString(),
            "i64: int64\ni32: int32\nf32: float\nf64: double\ns: string\ne: list<item: float>");
  auto expected_e = from_json(arrow::list(arrow::float32()), "[[1, 2, 3], [4, 5, 6]]");
  EXPECT_TRUE(table->GetColumnByName("e")->Equals(arrow::ChunkedArray(expected_e)));
  auto expected_s = from_json(arrow::utf8(), R"(["a", "\"b\""])");
  EXPECT_TRUE(table->GetColumnByName("s")->Equals(arrow::ChunkedArray(expected_s)));
}

TEST_F(WriterTest, MakeTableRejectsColumnsOfDifferentLengths) {
  EXPECT_THAT(make_table({{"a", std::vector<int64_t>{1, 2}}, {"b", std::vector<float>{1}}}),
              StatusIs(StatusCode::kInternal, "column b has 1 rows, expected 2"));
}

TEST_F(WriterTest, EmbeddingColumnGathersRowsFromAStridedView) {
  // 3 rows of 2 values inside a 3 x 4 buffer (stride 4).
  const float buffer[] = {1, 2, -1, -1, 3, 4, -1, -1, 5, 6, -1, -1};
  const MatrixView view(buffer, 3, 2, 4);
  ASSERT_OK_AND_ASSIGN(auto all, make_embedding_column(view));
  auto expected_all = from_json(arrow::list(arrow::float32()), "[[1, 2], [3, 4], [5, 6]]");
  EXPECT_TRUE(all->Equals(arrow::ChunkedArray(expected_all))) << all->ToString();
  const std::vector<int64_t> rows{2, 0, 2};
  ASSERT_OK_AND_ASSIGN(auto picked, make_embedding_column(view, rows));
  auto expected_picked =
      from_json(arrow::list(arrow::float32()), "[[5, 6], [1, 2], [5, 6]]");
  EXPECT_TRUE(picked->Equals(arrow::ChunkedArray(expected_picked))) << picked->ToString();
}

TEST_F(WriterTest, EmptyTableWritesAReadableZeroRowFile) {
  const std::string path = dir_ / "empty.parquet";
  ASSERT_OK(write_parquet(path, sample_table(0)));
  auto back = read_parquet_table(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->num_rows(), 0);
  EXPECT_EQ(back->num_columns(), 3);
}

}  // namespace
}  // namespace semdedup::io
