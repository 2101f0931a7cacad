#include "semdedup/io/reader.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <fmt/format.h>
#include <parquet/arrow/writer.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <random>

#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Rows = std::vector<std::optional<std::vector<float>>>;

std::shared_ptr<arrow::Array> json_array(const std::shared_ptr<arrow::DataType>& type,
                                         const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return array.ValueOrDie();
}

/// list<float32> with a null entry for each nullopt; NaN and inf allowed.
std::shared_ptr<arrow::Array> float_lists(const Rows& rows) {
  auto values = std::make_shared<arrow::FloatBuilder>();
  arrow::ListBuilder lists(arrow::default_memory_pool(), values);
  for (const auto& row : rows) {
    if (!row) {
      EXPECT_TRUE(lists.AppendNull().ok());
      continue;
    }
    EXPECT_TRUE(lists.Append().ok());
    EXPECT_TRUE(values->AppendValues(*row).ok());
  }
  return lists.Finish().ValueOrDie();
}

std::shared_ptr<arrow::Array> int_ids(int64_t first, int64_t count) {
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < count; ++i) EXPECT_TRUE(builder.Append(first + i).ok());
  return builder.Finish().ValueOrDie();
}

std::shared_ptr<arrow::Table> make_table(
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::Array>>>& columns) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (const auto& [name, array] : columns) {
    fields.push_back(arrow::field(name, array->type()));
    arrays.push_back(array);
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

/// Writes `table` with its Arrow schema stored, so large_list and fixed_size_list read back
/// as such.
void write_parquet(const std::string& path, const arrow::Table& table,
                   int64_t row_group_rows = 1 << 20) {
  auto sink = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ASSERT_TRUE(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), sink,
                                         row_group_rows, parquet::default_writer_properties(),
                                         arrow_properties)
                  .ok());
  ASSERT_TRUE(sink->Close().ok());
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

Result<std::vector<Batch>> read_all(const std::vector<std::string>& files,
                                    const ReadOptions& options) {
  SD_ASSIGN_OR_RETURN(auto reader, DatasetReader::open(files, options));
  std::vector<Batch> batches;
  while (true) {
    SD_ASSIGN_OR_RETURN(auto batch, reader->next());
    if (!batch) break;
    batches.push_back(std::move(*batch));
  }
  return batches;
}

/// The embeddings of all batches, stacked.
std::vector<std::vector<float>> stacked(const std::vector<Batch>& batches) {
  std::vector<std::vector<float>> rows;
  for (const Batch& batch : batches) {
    for (int64_t row = 0; row < batch.embeddings.rows(); ++row) {
      const float* values = batch.embeddings.row(row);
      rows.emplace_back(values, values + batch.embeddings.cols());
    }
  }
  return rows;
}

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }
  std::string path(const std::string& name) const { return dir_ / name; }

  TempDir dir_;
};

// ---------------------------------------------------------------------------------------------
// Normalisation

TEST_F(ReaderTest, NemoNormalisationVector) {
  const std::string file = path("nemo.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, 3)},
                                   {"embeddings", json_array(arrow::list(arrow::float32()),
                                                             "[[3,4,5],[1,2,2],[1,0,0]]")}}));
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, {}));
  ASSERT_EQ(batches.size(), 1u);
  const Matrix& m = batches[0].embeddings;
  ASSERT_EQ(m.rows(), 3);
  ASSERT_EQ(m.cols(), 3);
  const float norm = std::sqrt(50.0f);
  EXPECT_EQ(m.row(0)[0], 3.0f / norm);
  EXPECT_EQ(m.row(0)[1], 4.0f / norm);
  EXPECT_EQ(m.row(0)[2], 5.0f / norm);
  EXPECT_NEAR(m.row(0)[0], 0.42426407f, 1e-7);
  EXPECT_NEAR(m.row(0)[1], 0.565685f, 1e-6);
  EXPECT_NEAR(m.row(0)[2], 0.707107f, 1e-6);
  EXPECT_EQ(m.row(1)[0], 1.0f / 3.0f);
  EXPECT_EQ(m.row(1)[1], 2.0f / 3.0f);
  EXPECT_EQ(m.row(1)[2], 2.0f / 3.0f);
  EXPECT_EQ(m.row(2)[0], 1.0f);
  EXPECT_EQ(m.row(2)[1], 0.0f);
  EXPECT_EQ(m.row(2)[2], 0.0f);
}

TEST_F(ReaderTest, NormalisedRowsMatchTheFloat32OracleAndDoNotDependOnBatching) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  constexpr int kRows = 53;
  constexpr int kDim = 37;
  Rows rows;
  for (int row = 0; row < kRows; ++row) {
    std::vector<float> values(kDim);
    for (float& value : values) value = normal(gen);
    rows.push_back(values);
  }
  const std::string file = path("random.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, kRows)}, {"embeddings", float_lists(rows)}}),
                /*row_group_rows=*/10);
  for (const int64_t batch_rows : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{1000}}) {
    ReadOptions options;
    options.batch_rows = batch_rows;
    ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, options));
    const auto got = stacked(batches);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kRows));
    for (int row = 0; row < kRows; ++row) {
      // Bit-identical to the oracle, whatever the batch (and so the group of 8) a row is in.
      EXPECT_EQ(got[row], testing::float32_normalised(*rows[row])) << "row " << row << " batch_rows " << batch_rows;
      double norm = 0.0;
      for (const float value : got[row]) norm += double{value} * value;
      EXPECT_NEAR(norm, 1.0, 1e-6);
    }
  }
}

TEST_F(ReaderTest, WithoutNormaliseValuesAreOnlyConvertedAndZeroRowsAreKept) {
  const std::string file = path("raw.parquet");
  write_parquet(file,
                *make_table({{"id", int_ids(0, 2)},
                             {"embeddings", json_array(arrow::list(arrow::float64()),
                                                       "[[0.1, -2.5, 1e10], [0, 0, 0]]")}}));
  ReadOptions options;
  options.normalise = false;
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, options));
  EXPECT_THAT(stacked(batches),
              ElementsAre(ElementsAre(static_cast<float>(0.1), -2.5f, 1e10f),
                          ElementsAre(0.0f, 0.0f, 0.0f)));
}

// ---------------------------------------------------------------------------------------------
// Types

struct TypeCase {
  std::string name;
  std::shared_ptr<arrow::DataType> type;
};

class EmbeddingTypeTest : public ReaderTest, public ::testing::WithParamInterface<TypeCase> {};

TEST_P(EmbeddingTypeTest, ParquetListTypesConvertToFloat32) {
  const auto& type = GetParam().type;
  const bool integers = arrow::is_integer(type->field(0)->type()->id());
  const std::string json = integers ? "[[1,-2,3],[4,0,0],[0,5,-6]]"
                                    : "[[0.5,-1.25,3],[4,0.1,0],[0,5,-6e-3]]";
  const std::vector<std::vector<float>> expected =
      integers ? std::vector<std::vector<float>>{{1, -2, 3}, {4, 0, 0}, {0, 5, -6}}
               : std::vector<std::vector<float>>{{0.5f, -1.25f, 3.0f},
                                                 {4.0f, static_cast<float>(0.1), 0.0f},
                                                 {0.0f, 5.0f, static_cast<float>(-6e-3)}};
  const std::string file = path("types.parquet");
  write_parquet(file, *make_table({{"id", int_ids(10, 3)}, {"embeddings", json_array(type, json)}}));

  ReadOptions options;
  options.normalise = false;
  ASSERT_OK_AND_ASSIGN(auto raw, read_all({file}, options));
  EXPECT_EQ(stacked(raw), expected);

  options.normalise = true;
  ASSERT_OK_AND_ASSIGN(auto unit, read_all({file}, options));
  const auto got = stacked(unit);
  ASSERT_EQ(got.size(), 3u);
  for (int row = 0; row < 3; ++row) EXPECT_EQ(got[row], testing::float32_normalised(expected[row]));
}

INSTANTIATE_TEST_SUITE_P(
    Types, EmbeddingTypeTest,
    ::testing::Values(TypeCase{"list_float32", arrow::list(arrow::float32())},
                      TypeCase{"list_float64", arrow::list(arrow::float64())},
                      TypeCase{"large_list_float32", arrow::large_list(arrow::float32())},
                      TypeCase{"large_list_float64", arrow::large_list(arrow::float64())},
                      TypeCase{"fixed_size_list_float32", arrow::fixed_size_list(arrow::float32(), 3)},
                      TypeCase{"fixed_size_list_float64", arrow::fixed_size_list(arrow::float64(), 3)},
                      TypeCase{"list_int32", arrow::list(arrow::int32())},
                      TypeCase{"list_int64", arrow::list(arrow::int64())}),
    [](const ::testing::TestParamInfo<TypeCase>& info) { return info.param.name; });

TEST_F(ReaderTest, FixedSizeListGivesTheWidthBeforeAnyRow) {
  const std::string file = path("fixed.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, 0)},
                                   {"embeddings",
                                    json_array(arrow::fixed_size_list(arrow::float32(), 4), "[]")}}));
  ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({file}, {}));
  ASSERT_OK_AND_ASSIGN(auto batch, reader->next());
  EXPECT_FALSE(batch.has_value());
  EXPECT_EQ(reader->dim(), 4);
}

TEST_F(ReaderTest, ParquetStringIdsAndMetadataKeepTheirTypes) {
  const std::string file = path("meta.parquet");
  write_parquet(file,
                *make_table({{"text", json_array(arrow::utf8(), R"(["a", "b", "c"])")},
                             {"embeddings",
                              json_array(arrow::list(arrow::float32()), "[[1,0],[0,2],[3,4]]")},
                             {"score", json_array(arrow::float64(), "[0.5, null, 2.5]")},
                             {"doc", json_array(arrow::large_utf8(), R"(["x", "y", "z"])")},
                             {"n", json_array(arrow::int32(), "[7, 8, 9]")}}));
  ReadOptions options;
  options.columns.id_field = "doc";
  options.columns.metadata_fields = {"n", "score"};
  ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({file}, options));
  ASSERT_OK_AND_ASSIGN(auto batch, reader->next());
  ASSERT_TRUE(batch.has_value());
  const auto expected = make_table({{"doc", json_array(arrow::large_utf8(), R"(["x", "y", "z"])")},
                                    {"n", json_array(arrow::int32(), "[7, 8, 9]")},
                                    {"score", json_array(arrow::float64(), "[0.5, null, 2.5]")}});
  const auto expected_batch = expected->CombineChunksToBatch().ValueOrDie();
  EXPECT_TRUE(batch->columns->Equals(*expected_batch)) << batch->columns->ToString();
  EXPECT_TRUE(reader->columns_schema()->Equals(*expected->schema()));
  EXPECT_THAT(stacked({*batch}), ElementsAre(ElementsAre(1.0f, 0.0f), ElementsAre(0.0f, 1.0f),
                                             ElementsAre(0.6f, 0.8f)));
  EXPECT_THAT(batch->input_rows, ElementsAre(0, 1, 2));
  EXPECT_EQ(batch->rejected, nullptr);
}

TEST_F(ReaderTest, JsonlIntegerIdsStringIdsIntegerLeavesAndMetadata) {
  const std::string ints = path("ints.jsonl");
  write_text(ints,
             "{\"id\": 5, \"embeddings\": [3, 4], \"lang\": \"en\", \"n\": 1}\n"
             "\n"
             "{\"id\": 6, \"embeddings\": [0, 2.5], \"lang\": null, \"n\": 2}\n");
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  options.columns.metadata_fields = {"lang", "n"};
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({ints}, options));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_THAT(stacked(batches), ElementsAre(ElementsAre(0.6f, 0.8f), ElementsAre(0.0f, 1.0f)));
  const auto& columns = *batches[0].columns;
  EXPECT_EQ(columns.schema()->field(0)->name(), "id");
  EXPECT_TRUE(columns.column(0)->Equals(*json_array(arrow::int64(), "[5, 6]")));
  EXPECT_TRUE(columns.column(1)->Equals(*json_array(arrow::utf8(), R"(["en", null])")));
  EXPECT_TRUE(columns.column(2)->Equals(*json_array(arrow::int64(), "[1, 2]")));

  const std::string strings = path("strings.json");
  write_text(strings, "{\"key\": \"a\", \"vec\": [1, 1]}\n{\"key\": \"b\", \"vec\": [2, 2]}");
  options.columns = {"key", "vec", {}};
  ASSERT_OK_AND_ASSIGN(batches, read_all({strings}, options));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0].columns->column(0)->Equals(*json_array(arrow::utf8(), R"(["a", "b"])")));
  const float half = 1.0f / std::sqrt(2.0f);
  EXPECT_THAT(stacked(batches), ElementsAre(ElementsAre(half, half), ElementsAre(half, half)));
}

TEST_F(ReaderTest, EmbeddingsOnlyReadsNothingElse) {
  const std::string file = path("noid.parquet");
  write_parquet(file, *make_table({{"embeddings", json_array(arrow::list(arrow::float32()),
                                                             "[[1,0],[0,1]]")}}));
  ReadOptions options;
  options.embeddings_only = true;
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, options));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].columns, nullptr);
  EXPECT_EQ(batches[0].embeddings.rows(), 2);
  options.embeddings_only = false;
  EXPECT_THAT(read_all({file}, options),
              StatusIs(StatusCode::kDataError, "column 'id' not found; available: embeddings"));
}

// ---------------------------------------------------------------------------------------------
// Batches and bookkeeping

TEST_F(ReaderTest, BatchesNeverSpanFilesAndCountRowsAcrossFiles) {
  // File a: 5 rows in row groups of 2; file b: 0 rows; file c (JSONL would need another
  // filetype, so Parquet again): 7 rows in one row group.
  auto rows_of = [](int first, int count) {
    Rows rows;
    for (int i = 0; i < count; ++i) rows.push_back(std::vector<float>{1.0f, float(first + i)});
    return rows;
  };
  const std::string a = path("a.parquet");
  const std::string b = path("b.parquet");
  const std::string c = path("c.parquet");
  write_parquet(a, *make_table({{"id", int_ids(0, 5)}, {"embeddings", float_lists(rows_of(0, 5))}}),
                2);
  write_parquet(b, *make_table({{"id", int_ids(5, 0)}, {"embeddings", float_lists({})}}));
  write_parquet(c, *make_table({{"id", int_ids(5, 7)}, {"embeddings", float_lists(rows_of(5, 7))}}));

  ReadOptions options;
  options.batch_rows = 3;
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({a, b, c}, options));
  std::vector<std::vector<int64_t>> bookkeeping;
  for (const Batch& batch : batches) {
    bookkeeping.push_back({batch.file_index, batch.file_row, batch.global_row,
                           batch.input_row_count, batch.embeddings.rows()});
    for (std::size_t i = 0; i < batch.input_rows.size(); ++i) {
      EXPECT_EQ(batch.input_rows[i], batch.global_row + static_cast<int64_t>(i));
    }
    // ids follow the global row here, so they check the id column travels with its rows.
    const auto& ids = static_cast<const arrow::Int64Array&>(*batch.columns->column(0));
    for (int64_t i = 0; i < ids.length(); ++i) EXPECT_EQ(ids.Value(i), batch.global_row + i);
  }
  EXPECT_EQ(bookkeeping, (std::vector<std::vector<int64_t>>{{0, 0, 0, 3, 3},
                                                            {0, 3, 3, 2, 2},
                                                            {2, 0, 5, 3, 3},
                                                            {2, 3, 8, 3, 3},
                                                            {2, 6, 11, 1, 1}}));

  options.batch_rows = 1000;
  ASSERT_OK_AND_ASSIGN(auto whole, read_all({a, b, c}, options));
  ASSERT_EQ(whole.size(), 2u);
  EXPECT_EQ(stacked(whole), stacked(batches));
  EXPECT_EQ(stacked(whole).size(), 12u);
}

TEST_F(ReaderTest, ReaderReportsProgressAndWidth) {
  const std::string file = path("p.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, 4)},
                                   {"embeddings", json_array(arrow::list(arrow::float32()),
                                                             "[[1,2,3],[1,2,3],[1,2,3],[1,2,3]]")}}));
  ReadOptions options;
  options.batch_rows = 3;
  options.unique_ids = false;  // the same file twice
  ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({file, file}, options));
  EXPECT_EQ(reader->dim(), 0);
  EXPECT_EQ(reader->files().size(), 2u);
  int64_t batches = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, reader->next());
    if (!batch) break;
    ++batches;
  }
  EXPECT_EQ(batches, 4);
  EXPECT_EQ(reader->dim(), 3);
  EXPECT_EQ(reader->rows_read(), 8);
  EXPECT_EQ(reader->rows_rejected(), 0);
}

TEST_F(ReaderTest, JsonlBatchesAndEmptyFiles) {
  std::string text;
  for (int row = 0; row < 10; ++row) {
    text += fmt::format("{{\"id\": {}, \"embeddings\": [{}, 1]}}\n", row, row);
  }
  const std::string full = path("full.jsonl");
  const std::string empty = path("empty.jsonl");
  const std::string blank = path("blank.jsonl");
  write_text(full, text);
  write_text(empty, "");
  write_text(blank, "\n  \n");
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  options.batch_rows = 4;
  options.unique_ids = false;  // the same file twice
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({empty, full, blank, full}, options));
  std::vector<std::vector<int64_t>> bookkeeping;
  for (const Batch& batch : batches) {
    bookkeeping.push_back({batch.file_index, batch.file_row, batch.global_row,
                           batch.embeddings.rows()});
  }
  EXPECT_EQ(bookkeeping, (std::vector<std::vector<int64_t>>{{1, 0, 0, 4},
                                                            {1, 4, 4, 4},
                                                            {1, 8, 8, 2},
                                                            {3, 0, 10, 4},
                                                            {3, 4, 14, 4},
                                                            {3, 8, 18, 2}}));
}

TEST_F(ReaderTest, CountRows) {
  const std::string parquet_file = path("count.parquet");
  write_parquet(parquet_file,
                *make_table({{"id", int_ids(0, 5)},
                             {"embeddings", float_lists(Rows(5, std::vector<float>{1.0f}))}}),
                2);
  ASSERT_OK_AND_ASSIGN(const int64_t parquet_rows, count_rows(parquet_file, FileType::kParquet));
  EXPECT_EQ(parquet_rows, 5);

  const std::string jsonl = path("count.jsonl");
  write_text(jsonl, "{\"a\": 1}\n\n  \n{\"a\": 2}\r\n{\"a\": 3}");
  ASSERT_OK_AND_ASSIGN(const int64_t jsonl_rows, count_rows(jsonl, FileType::kJsonl));
  EXPECT_EQ(jsonl_rows, 3);
  const std::string empty = path("empty.jsonl");
  write_text(empty, "");
  ASSERT_OK_AND_ASSIGN(const int64_t empty_rows, count_rows(empty, FileType::kJsonl));
  EXPECT_EQ(empty_rows, 0);

  EXPECT_THAT(count_rows(path("missing.parquet"), FileType::kParquet),
              StatusIs(StatusCode::kIOError, path("missing.parquet")));
  EXPECT_THAT(count_rows(path("missing.jsonl"), FileType::kJsonl),
              StatusIs(StatusCode::kIOError, path("missing.jsonl")));
}

TEST_F(ReaderTest, ReadsParquetWrittenByPyarrow) {
  const std::string file = path("py.parquet");
  const auto result = ::semdedup::testing::run_python(
      "import sys, pyarrow as pa, pyarrow.parquet as pq\n"
      "t = pa.table({'id': pa.array(['u', 'v'], pa.large_string()),\n"
      "              'embeddings': pa.array([[3.0, 4.0], [0.0, 7.0]],\n"
      "                                     pa.large_list(pa.float64())),\n"
      "              'k': pa.array([1, 2], pa.int16())})\n"
      "pq.write_table(t, sys.argv[1], row_group_size=1)\n",
      {file});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ReadOptions options;
  options.columns.metadata_fields = {"k"};
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, options));
  EXPECT_THAT(stacked(batches), ElementsAre(ElementsAre(0.6f, 0.8f), ElementsAre(0.0f, 1.0f)));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0].columns->column(0)->Equals(
      *json_array(arrow::large_utf8(), R"(["u", "v"])")));
  EXPECT_TRUE(batches[0].columns->column(1)->Equals(*json_array(arrow::int16(), "[1, 2]")));
}

// ---------------------------------------------------------------------------------------------
// Bad input: one line naming file, column and row

TEST_F(ReaderTest, OptionsAreValidated) {
  ReadOptions options;
  options.batch_rows = 0;
  EXPECT_THAT(DatasetReader::open({}, options), StatusIs(StatusCode::kInvalidArgument, "batch_rows"));
  options = {};
  options.columns.id_field = "embeddings";
  EXPECT_THAT(DatasetReader::open({}, options),
              StatusIs(StatusCode::kInvalidArgument, "column 'embeddings' is asked for twice"));
  options = {};
  options.columns.metadata_fields = {"a", "a"};
  EXPECT_THAT(DatasetReader::open({}, options),
              StatusIs(StatusCode::kInvalidArgument, "column 'a' is asked for twice"));
}

TEST_F(ReaderTest, MissingColumnNamesFileColumnAndAvailableColumns) {
  const std::string file = path("cols.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, 1)},
                                   {"text", json_array(arrow::utf8(), R"(["t"])")}}));
  EXPECT_THAT(read_all({file}, {}),
              StatusIs(StatusCode::kDataError,
                       "file " + file + ": column 'embeddings' not found; available: id, text"));
  const std::string jsonl = path("cols.jsonl");
  write_text(jsonl, "{\"id\": 1, \"embeddings\": [1, 2]}\n");
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  options.columns.metadata_fields = {"lang"};
  EXPECT_THAT(read_all({jsonl}, options),
              StatusIs(StatusCode::kDataError,
                       "file " + jsonl + ": column 'lang' not found; available: id, embeddings"));
}

TEST_F(ReaderTest, WrongColumnTypesAreDataErrors) {
  const std::string strings = path("strings.parquet");
  write_parquet(strings, *make_table({{"id", int_ids(0, 1)},
                                      {"embeddings", json_array(arrow::utf8(), R"(["1,2"])")}}));
  EXPECT_THAT(read_all({strings}, {}),
              StatusIs(StatusCode::kDataError,
                       "file " + strings + ": column 'embeddings' has type string; expected a "
                                           "list of numbers"));
  const std::string nested = path("nested.parquet");
  write_parquet(nested, *make_table({{"id", int_ids(0, 1)},
                                     {"embeddings",
                                      json_array(arrow::list(arrow::utf8()), R"([["a"]])")}}));
  EXPECT_THAT(read_all({nested}, {}),
              StatusIs(StatusCode::kDataError, "column 'embeddings' has type list<"));
  const std::string float_ids = path("float_ids.parquet");
  write_parquet(float_ids,
                *make_table({{"id", json_array(arrow::float64(), "[1.5]")},
                             {"embeddings", json_array(arrow::list(arrow::float32()), "[[1]]")}}));
  EXPECT_THAT(read_all({float_ids}, {}),
              StatusIs(StatusCode::kDataError,
                       "file " + float_ids + ": column 'id' has type double; expected an "
                                             "integer or string id"));
}

struct BadRowCase {
  std::string name;
  Rows rows;
  int64_t bad_row;
  std::string reason;
};

class BadRowTest : public ReaderTest, public ::testing::WithParamInterface<BadRowCase> {};

TEST_P(BadRowTest, ErrorNamesFileColumnAndRow) {
  const auto& param = GetParam();
  const std::string file = path("bad.parquet");
  const auto rows = static_cast<int64_t>(param.rows.size());
  write_parquet(file, *make_table({{"id", int_ids(0, rows)}, {"vec", float_lists(param.rows)}}));
  for (const int64_t batch_rows : {int64_t{2}, int64_t{1000}}) {
    ReadOptions options;
    options.columns.embedding_field = "vec";
    options.batch_rows = batch_rows;
    EXPECT_THAT(read_all({file}, options),
                StatusIs(StatusCode::kDataError,
                         fmt::format("file {}: column 'vec' row {}: {}", file, param.bad_row,
                                     param.reason)));
  }
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
const std::vector<float> kGood{1.0f, 2.0f, 2.0f};

INSTANTIATE_TEST_SUITE_P(
    BadRows, BadRowTest,
    ::testing::Values(
        BadRowCase{"null", {kGood, kGood, std::nullopt, kGood}, 2, "null embedding"},
        BadRowCase{"ragged", {kGood, kGood, kGood, std::vector<float>{1, 2}}, 3,
                   "list has 2 values but the first row has 3"},
        BadRowCase{"longer", {kGood, std::vector<float>{1, 2, 3, 4}}, 1,
                   "list has 4 values but the first row has 3"},
        BadRowCase{"empty", {kGood, std::vector<float>{}}, 1, "empty embedding list"},
        BadRowCase{"nan", {kGood, kGood, kGood, std::vector<float>{1, kNaN, 0}}, 3,
                   "non-finite value nan at index 1"},
        BadRowCase{"inf", {std::vector<float>{0, 0, -kInf}}, 0,
                   "non-finite value -inf at index 2"},
        BadRowCase{"zero_norm", {kGood, kGood, kGood, kGood, std::vector<float>{0, 0, 0}}, 4,
                   "zero norm"},
        // The first bad row is reported whichever check finds it.
        BadRowCase{"first_of_several",
                   {kGood, kGood, std::vector<float>{0, 0, 0}, std::nullopt, std::vector<float>{1, 2}},
                   2,
                   "zero norm"}),
    [](const ::testing::TestParamInfo<BadRowCase>& info) { return info.param.name; });

TEST_F(ReaderTest, NullValueInsideAList) {
  const std::string file = path("nullvalue.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, 2)},
                                   {"embeddings", json_array(arrow::list(arrow::float32()),
                                                             "[[1, 2], [3, null]]")}}));
  EXPECT_THAT(read_all({file}, {}),
              StatusIs(StatusCode::kDataError,
                       "file " + file + ": column 'embeddings' row 1: null value at index 1"));
}

TEST_F(ReaderTest, RowNumbersAreCountedInsideEachFile) {
  const std::string good = path("good.parquet");
  const std::string bad = path("bad.parquet");
  write_parquet(good, *make_table({{"id", int_ids(0, 4)}, {"embeddings", float_lists(Rows(4, kGood))}}));
  write_parquet(bad, *make_table({{"id", int_ids(0, 3)},
                                  {"embeddings", float_lists({kGood, std::nullopt, kGood})}}));
  ReadOptions options;
  options.batch_rows = 3;
  EXPECT_THAT(read_all({good, bad}, options),
              StatusIs(StatusCode::kDataError, "file " + bad + ": column 'embeddings' row 1: "));
}

TEST_F(ReaderTest, WidthMustMatchAcrossFiles) {
  const std::string three = path("three.parquet");
  const std::string four = path("four.parquet");
  write_parquet(three, *make_table({{"id", int_ids(0, 2)}, {"embeddings", float_lists(Rows(2, kGood))}}));
  write_parquet(four, *make_table({{"id", int_ids(0, 1)},
                                   {"embeddings", float_lists({std::vector<float>{1, 1, 1, 1}})}}));
  EXPECT_THAT(read_all({three, four}, {}),
              StatusIs(StatusCode::kDataError,
                       "file " + four + ": column 'embeddings' row 0: list has 4 values but the "
                                        "first row has 3"));
}

TEST_F(ReaderTest, IdTypeMustMatchAcrossFiles) {
  const std::string ints = path("ints.parquet");
  const std::string strings = path("strings.parquet");
  write_parquet(ints, *make_table({{"id", int_ids(0, 1)}, {"embeddings", float_lists({kGood})}}));
  write_parquet(strings, *make_table({{"id", json_array(arrow::utf8(), R"(["a"])")},
                                      {"embeddings", float_lists({kGood})}}));
  EXPECT_THAT(read_all({ints, strings}, {}),
              StatusIs(StatusCode::kDataError, "file " + strings + ": column 'id' has type "
                                               "string but file " + ints + " has int64"));
}

TEST_F(ReaderTest, CorruptAndTruncatedParquetAreIoErrors) {
  const std::string random = path("random.parquet");
  std::string bytes(4096, '\0');
  std::mt19937 gen(1);
  for (char& byte : bytes) byte = static_cast<char>(gen());
  write_text(random, bytes);
  EXPECT_THAT(read_all({random}, {}), StatusIs(StatusCode::kIOError, "file " + random + ": "));

  const std::string good = path("good.parquet");
  write_parquet(good, *make_table({{"id", int_ids(0, 100)},
                                   {"embeddings", float_lists(Rows(100, kGood))}}));
  const std::string whole = ::semdedup::testing::read_bytes(good);
  const std::string truncated = path("truncated.parquet");
  write_text(truncated, whole.substr(0, whole.size() / 2));
  EXPECT_THAT(read_all({truncated}, {}),
              StatusIs(StatusCode::kIOError, "file " + truncated + ": "));
  EXPECT_THAT(count_rows(truncated, FileType::kParquet),
              StatusIs(StatusCode::kIOError, "file " + truncated + ": "));

  EXPECT_THAT(read_all({path("absent.parquet")}, {}),
              StatusIs(StatusCode::kIOError, "file " + path("absent.parquet") + ": cannot open"));
}

TEST_F(ReaderTest, JsonlLineThatIsNotJsonNamesItsRow) {
  const std::string file = path("broken.jsonl");
  write_text(file,
             "{\"id\": 1, \"embeddings\": [1, 2]}\n"
             "\n"
             "{\"id\": 2, \"embeddings\": [1, 2]}\n"
             "{\"id\": 3, \"embeddings\": [1, \n"
             "{\"id\": 4, \"embeddings\": [1, 2]}\n");
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  // Rows count non-blank lines from 0: the broken object is row 2, on line 4.
  EXPECT_THAT(read_all({file}, options),
              StatusIs(StatusCode::kIOError, "file " + file + ": row 2 (line 4): not a valid "
                                             "JSON object"));
}

TEST_F(ReaderTest, JsonlTypeConflictsAreDataErrors) {
  const std::string file = path("conflict.jsonl");
  write_text(file,
             "{\"id\": 1, \"embeddings\": [1, 2]}\n"
             "{\"id\": \"two\", \"embeddings\": [1, 2]}\n");
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  EXPECT_THAT(read_all({file}, options),
              StatusIs(StatusCode::kDataError, "file " + file + ": row 1 (line 2): column 'id' "
                                               "holds a string but row 0 holds a number"));
  const std::string mixed = path("mixed.jsonl");
  write_text(mixed,
             "{\"id\": 1, \"embeddings\": [1, 2]}\n"
             "{\"id\": 2, \"embeddings\": [1, \"x\"]}\n");
  EXPECT_THAT(read_all({mixed}, options),
              StatusIs(StatusCode::kDataError, "file " + mixed + ": row 1 (line 2): "
                                               "inconsistent JSON types"));
}

/// JSONL rows {"id": i, "embeddings": [...], "n": i} (whole-number embeddings for the first
/// `integer_rows`), with `extra` added from row `extra_from` on.
std::string jsonl_rows(int64_t rows, int64_t integer_rows, int64_t extra_from,
                       const std::string& extra) {
  std::string text;
  for (int64_t row = 0; row < rows; ++row) {
    const std::string values = row < integer_rows
                                   ? fmt::format("{}, 1, 0, 2", row % 7 + 1)
                                   : fmt::format("{}.5, -0.25, 1.75, {}", row % 5, row);
    text += fmt::format(R"({{"id": {}, "embeddings": [{}], "n": {}{}}})", row, values, row,
                        row >= extra_from ? ", " + extra : "");
    text += "\n";
  }
  return text;
}

TEST_F(ReaderTest, JsonlIsStreamedInBlocksWithTheSameRowsAsOneBlock) {
  const std::string file = path("blocks.jsonl");
  // Whole numbers only in the first block, a field the first block lacks later on.
  write_text(file, jsonl_rows(400, 60, 250, R"("source": {"url": "x"})"));
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  options.columns.metadata_fields = {"n"};
  ASSERT_OK_AND_ASSIGN(const auto whole, read_all({file}, options));
  options.json_block_bytes = 1024;  // about 20 rows a block
  options.batch_rows = 64;
  ASSERT_OK_AND_ASSIGN(const auto blocks, read_all({file}, options));
  ASSERT_EQ(stacked(blocks).size(), 400u);
  EXPECT_EQ(stacked(blocks), stacked(whole));
  EXPECT_GE(blocks.size(), 7u);
  int64_t row = 0;
  for (const Batch& batch : blocks) {
    EXPECT_EQ(batch.file_row, row);
    const auto& columns = *batch.columns;
    ASSERT_EQ(columns.num_columns(), 2);
    ASSERT_TRUE(columns.column(0)->type()->Equals(arrow::int64()));
    ASSERT_TRUE(columns.column(1)->type()->Equals(arrow::int64()));
    const auto& ids = static_cast<const arrow::Int64Array&>(*columns.column(0));
    for (int64_t k = 0; k < ids.length(); ++k) ASSERT_EQ(ids.Value(k), row + k);
    row += batch.input_row_count;
  }
}

TEST_F(ReaderTest, JsonlRowContradictingTheFirstBlockNamesItsRow) {
  const std::string file = path("later.jsonl");
  std::string text = jsonl_rows(300, 0, 300, "");
  text += R"({"id": 300, "embeddings": [1, 2, 3, 4], "n": "three hundred"})" "\n";
  write_text(file, text);
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  options.columns.metadata_fields = {"n"};
  options.json_block_bytes = 1024;
  EXPECT_THAT(read_all({file}, options),
              StatusIs(StatusCode::kDataError, "file " + file + ": row 300 (line 301): types "
                                               "differ from the file's first rows"));
  // A column that is not read may change type freely.
  options.columns.metadata_fields = {};
  ASSERT_OK_AND_ASSIGN(const auto batches, read_all({file}, options));
  EXPECT_EQ(stacked(batches).size(), 301u);
}

TEST_F(ReaderTest, JsonlColumnNullThroughoutTheFirstBlockTakesItsTypeFromLaterRows) {
  const std::string file = path("late_type.jsonl");
  write_text(file, jsonl_rows(200, 0, 120, R"("lang": "en")"));
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  options.columns.metadata_fields = {"lang"};
  options.json_block_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(const auto batches, read_all({file}, options));
  int64_t rows = 0, english = 0;
  for (const Batch& batch : batches) {
    const auto& lang = *batch.columns->column(1);
    ASSERT_TRUE(lang.type()->Equals(arrow::utf8()));
    rows += lang.length();
    english += lang.length() - lang.null_count();
  }
  EXPECT_EQ(rows, 200);
  EXPECT_EQ(english, 80);
}

TEST_F(ReaderTest, JsonlNullAndRaggedRows) {
  const std::string file = path("rows.jsonl");
  write_text(file,
             "{\"id\": 1, \"embeddings\": [1, 2]}\n"
             "{\"id\": 2}\n"
             "{\"id\": 3, \"embeddings\": [1, 2, 3]}\n");
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  EXPECT_THAT(read_all({file}, options),
              StatusIs(StatusCode::kDataError,
                       "file " + file + ": column 'embeddings' row 1: null embedding"));
  options.invalid_rows = InvalidRows::kSkip;
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, options));
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_NE(batches[0].rejected, nullptr);
  EXPECT_TRUE(batches[0].rejected->column(2)->Equals(*json_array(arrow::int64(), "[1, 2]")));
}

// ---------------------------------------------------------------------------------------------
// InvalidRows::kSkip

TEST_F(ReaderTest, SkipDropsAndReportsExactlyTheBadRows) {
  const std::string first = path("first.parquet");
  const std::string second = path("second.parquet");
  const Rows first_rows{kGood,                            // 0 ok
                        std::nullopt,                     // 1 null
                        std::vector<float>{3, 4, 0},      // 2 ok
                        std::vector<float>{1, 2},         // 3 ragged
                        std::vector<float>{1, kNaN, 1},   // 4 NaN
                        std::vector<float>{0, 0, 0},      // 5 zero norm
                        std::vector<float>{0, 0, 5},      // 6 ok
                        std::vector<float>{}};            // 7 empty
  write_parquet(first, *make_table({{"id", int_ids(100, 8)}, {"embeddings", float_lists(first_rows)}}));
  write_parquet(second, *make_table({{"id", int_ids(200, 3)},
                                     {"embeddings",
                                      float_lists({std::vector<float>{kInf, 0, 0}, kGood, kGood})}}));

  for (const int64_t batch_rows : {int64_t{3}, int64_t{1000}}) {
    ReadOptions options;
    options.invalid_rows = InvalidRows::kSkip;
    options.batch_rows = batch_rows;
    ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({first, second}, options));
    std::vector<int64_t> ids;
    std::vector<int64_t> input_rows;
    std::vector<int64_t> rejected_ids;
    std::vector<std::string> rejected_files;
    std::vector<int64_t> rejected_rows;
    std::vector<std::string> reasons;
    std::vector<std::vector<float>> embeddings;
    while (true) {
      ASSERT_OK_AND_ASSIGN(auto batch, reader->next());
      if (!batch) break;
      ASSERT_EQ(batch->columns->num_rows(), batch->embeddings.rows());
      const auto& id_column = static_cast<const arrow::Int64Array&>(*batch->columns->column(0));
      for (int64_t i = 0; i < id_column.length(); ++i) ids.push_back(id_column.Value(i));
      input_rows.insert(input_rows.end(), batch->input_rows.begin(), batch->input_rows.end());
      for (const auto& row : stacked({*batch})) embeddings.push_back(row);
      int64_t rejected = 0;
      if (batch->rejected) {
        const auto& r = *batch->rejected;
        EXPECT_THAT(r.schema()->field_names(), ElementsAre("id", "file", "row", "reason"));
        rejected = r.num_rows();
        for (int64_t i = 0; i < r.num_rows(); ++i) {
          rejected_ids.push_back(static_cast<const arrow::Int64Array&>(*r.column(0)).Value(i));
          rejected_files.push_back(static_cast<const arrow::StringArray&>(*r.column(1)).GetString(i));
          rejected_rows.push_back(static_cast<const arrow::Int64Array&>(*r.column(2)).Value(i));
          reasons.push_back(static_cast<const arrow::StringArray&>(*r.column(3)).GetString(i));
        }
      }
      EXPECT_EQ(batch->input_row_count, batch->embeddings.rows() + rejected);
    }
    EXPECT_THAT(ids, ElementsAre(100, 102, 106, 201, 202));
    EXPECT_THAT(input_rows, ElementsAre(0, 2, 6, 9, 10));
    EXPECT_EQ(embeddings, (std::vector<std::vector<float>>{testing::float32_normalised(kGood),
                                                          {0.6f, 0.8f, 0.0f},
                                                          {0.0f, 0.0f, 1.0f},
                                                          testing::float32_normalised(kGood),
                                                          testing::float32_normalised(kGood)}));
    EXPECT_THAT(rejected_ids, ElementsAre(101, 103, 104, 105, 107, 200));
    EXPECT_THAT(rejected_files, ElementsAre(first, first, first, first, first, second));
    EXPECT_THAT(rejected_rows, ElementsAre(1, 3, 4, 5, 7, 0));
    EXPECT_THAT(reasons, ElementsAre("null embedding", "list has 2 values but the first row has 3",
                                     "non-finite value nan at index 1", "zero norm",
                                     "empty embedding list", "non-finite value inf at index 0"));
    EXPECT_EQ(reader->rows_rejected(), 6);
    EXPECT_EQ(reader->rows_read(), 11);
  }
}

TEST_F(ReaderTest, SkipWithEmbeddingsOnlyReportsRowsWithoutIds) {
  const std::string file = path("skip.parquet");
  write_parquet(file, *make_table({{"embeddings", float_lists({kGood, std::nullopt})}}));
  ReadOptions options;
  options.invalid_rows = InvalidRows::kSkip;
  options.embeddings_only = true;
  ASSERT_OK_AND_ASSIGN(auto batches, read_all({file}, options));
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_NE(batches[0].rejected, nullptr);
  EXPECT_THAT(batches[0].rejected->schema()->field_names(), ElementsAre("file", "row", "reason"));
  EXPECT_THAT(batches[0].input_rows, ElementsAre(0));
}

TEST_F(ReaderTest, SkipStillFailsOnStructuralProblems) {
  const std::string file = path("nocol.parquet");
  write_parquet(file, *make_table({{"id", int_ids(0, 1)}}));
  ReadOptions options;
  options.invalid_rows = InvalidRows::kSkip;
  EXPECT_THAT(read_all({file}, options),
              StatusIs(StatusCode::kDataError, "column 'embeddings' not found"));
  const std::string random = path("random.parquet");
  write_text(random, "definitely not parquet, but long enough to have a footer");
  EXPECT_THAT(read_all({random}, options), StatusIs(StatusCode::kIOError, random));
}

}  // namespace
}  // namespace semdedup::io
