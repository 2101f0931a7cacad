#include "semdedup/io/jsonl_writer.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>
#include <arrow/json/from_string.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/writer.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using semdedup::testing::list_files;
using semdedup::testing::read_bytes;
using semdedup::testing::run_python;
using semdedup::testing::StatusIs;
using semdedup::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::shared_ptr<arrow::Array> from_json(const std::shared_ptr<arrow::DataType>& type,
                                        const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

std::shared_ptr<arrow::Table> table_of(
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::Array>>>& columns) {
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (const auto& [name, array] : columns) {
    fields.push_back(arrow::field(name, array->type()));
    arrays.push_back(array);
  }
  return arrow::Table::Make(arrow::schema(fields), arrays);
}

// Reads a JSON lines file with Arrow's own reader, the columns typed by `schema`.
std::shared_ptr<arrow::Table> read_jsonl(const std::string& path,
                                         const std::shared_ptr<arrow::Schema>& schema) {
  auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto parse = arrow::json::ParseOptions::Defaults();
  parse.explicit_schema = schema;
  parse.unexpected_field_behavior = arrow::json::UnexpectedFieldBehavior::Error;
  auto reader = arrow::json::TableReader::Make(arrow::default_memory_pool(), input,
                                               arrow::json::ReadOptions::Defaults(), parse)
                    .ValueOrDie();
  return reader->Read().ValueOrDie();
}

class JsonlWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }
  TempDir dir_;
};

TEST_F(JsonlWriterTest, WritesTheExpectedText) {
  arrow::FloatBuilder x;
  ASSERT_TRUE(x.AppendValues({0.1f, 1.0f, std::numeric_limits<float>::quiet_NaN()}).ok());
  auto table = table_of({
      {"id", from_json(arrow::int64(), "[1, -2, null]")},
      {"x", x.Finish().ValueOrDie()},
      {"d", from_json(arrow::float64(), "[1e300, 2.5, -0.0]")},
      {"s", from_json(arrow::utf8(), R"(["a\"b\\c\n\t\u0001\u00e9", "", null])")},
      {"flag", from_json(arrow::boolean(), "[true, false, null]")},
      {"e", from_json(arrow::list(arrow::float32()), "[[1, 0.5], [], null]")},
      {"u", from_json(arrow::uint64(), "[18446744073709551615, 0, 7]")},
  });
  const std::string path = dir_ / "t.jsonl";
  ASSERT_OK(write_jsonl(path, table));
  EXPECT_EQ(read_bytes(path),
            "{\"id\":1,\"x\":0.1,\"d\":1e+300,\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\","
            "\"flag\":true,\"e\":[1.0,0.5],\"u\":18446744073709551615}\n"
            "{\"id\":-2,\"x\":1.0,\"d\":2.5,\"s\":\"\",\"flag\":false,\"e\":[],\"u\":0}\n"
            "{\"id\":null,\"x\":null,\"d\":-0.0,\"s\":null,\"flag\":null,\"e\":null,\"u\":7}\n");
  EXPECT_THAT(list_files(dir_.path()), ElementsAre("t.jsonl"));
}

TEST_F(JsonlWriterTest, ListKindsStructsAndDictionariesAreWrittenAsTheirValues) {
  auto values = from_json(arrow::float32(), "[1, 2.5, 3, 4]");
  auto fixed = arrow::FixedSizeListArray::FromArrays(values, 2).ValueOrDie();
  auto large = from_json(arrow::large_list(arrow::float32()), "[[1, 2.5], [3, 4]]");
  auto structs = from_json(arrow::struct_({arrow::field("a", arrow::int32()),
                                           arrow::field("b\"", arrow::utf8())}),
                           R"([{"a": 1, "b\"": "x"}, null])");
  auto dict = arrow::json::DictArrayFromJSONString(arrow::dictionary(arrow::int32(), arrow::utf8()),
                                                   "[1, 0]", R"(["lo", "hi"])")
                  .ValueOrDie();
  auto table = table_of({{"fixed", fixed}, {"large", large}, {"st", structs}, {"dict", dict}});
  const std::string path = dir_ / "t.jsonl";
  ASSERT_OK(write_jsonl(path, table));
  EXPECT_EQ(read_bytes(path),
            "{\"fixed\":[1.0,2.5],\"large\":[1.0,2.5],\"st\":{\"a\":1,\"b\\\"\":\"x\"},"
            "\"dict\":\"hi\"}\n"
            "{\"fixed\":[3.0,4.0],\"large\":[3.0,4.0],\"st\":null,\"dict\":\"lo\"}\n");
}

TEST_F(JsonlWriterTest, ArrowsJsonReaderReadsBackEqualValues) {
  // Random finite float bit patterns (every magnitude, subnormals included) exercise the
  // shortest round-trip formatting; strings carry every ASCII control character and UTF-8.
  std::mt19937_64 rng(7);
  const int64_t rows = 3000;
  arrow::Int64Builder ids;
  arrow::ListBuilder embeddings(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>());
  auto& values = static_cast<arrow::FloatBuilder&>(*embeddings.value_builder());
  arrow::DoubleBuilder scores;
  arrow::StringBuilder names;
  arrow::BooleanBuilder flags;
  std::string controls;
  for (int c = 0; c < 0x80; ++c) controls.push_back(static_cast<char>(c));
  for (int64_t row = 0; row < rows; ++row) {
    const bool null_row = row % 17 == 5;
    ASSERT_TRUE((null_row ? ids.AppendNull() : ids.Append(static_cast<int64_t>(rng()))).ok());
    if (null_row) {
      ASSERT_TRUE(embeddings.AppendNull().ok());
    } else {
      ASSERT_TRUE(embeddings.Append().ok());
      for (int k = 0; k < 4; ++k) {
        float f;
        do {
          f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
        } while (!std::isfinite(f));
        ASSERT_TRUE(values.Append(f).ok());
      }
    }
    double d;
    do {
      d = std::bit_cast<double>(rng());
    } while (!std::isfinite(d));
    ASSERT_TRUE((null_row ? scores.AppendNull() : scores.Append(d)).ok());
    ASSERT_TRUE((null_row ? names.AppendNull()
                          : names.Append(controls.substr(row % 0x80) + "\xc3\xa9\xe2\x82\xac"))
                    .ok());
    ASSERT_TRUE((null_row ? flags.AppendNull() : flags.Append(row % 2 == 0)).ok());
  }
  auto table = table_of({{"id", ids.Finish().ValueOrDie()},
                         {"embeddings", embeddings.Finish().ValueOrDie()},
                         {"score", scores.Finish().ValueOrDie()},
                         {"name", names.Finish().ValueOrDie()},
                         {"flag", flags.Finish().ValueOrDie()}});
  const std::string path = dir_ / "t.jsonl";
  ASSERT_OK(write_jsonl(path, table, {.threads = 3}));
  auto back = read_jsonl(path, table->schema());
  ASSERT_EQ(back->num_rows(), rows);
  auto combined = back->CombineChunks().ValueOrDie();
  for (int c = 0; c < table->num_columns(); ++c) {
    EXPECT_TRUE(combined->column(c)->Equals(table->column(c)))
        << table->field(c)->name();
  }

  // Python's strict json module accepts every line too (no raw control characters).
  const auto r = run_python(
      "import sys, json\n"
      "n = 0\n"
      "for line in open(sys.argv[1], encoding='utf-8'):\n"
      "    json.loads(line)\n"
      "    n += 1\n"
      "print(n)\n",
      {path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "3000\n");
}

TEST_F(JsonlWriterTest, PyarrowInfersFloatListsForIntegralEmbeddings) {
  // Integral floats carry ".0", so type inference sees doubles, not integers.
  const float m[] = {1, 2, 3, 4};
  ASSERT_OK_AND_ASSIGN(auto table, make_table({{"id", std::vector<int64_t>{0, 1}},
                                               {"embeddings", MatrixView(m, 2, 2)}}));
  ASSERT_OK(write_jsonl(dir_ / "t.jsonl", table));
  const auto r = run_python(
      "import sys, pyarrow.json as pj\n"
      "t = pj.read_json(sys.argv[1])\n"
      "print(t.schema.field('id').type, t.schema.field('embeddings').type, "
      "t.column('embeddings').to_pylist())\n",
      {dir_ / "t.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "int64 list<item: double> [[1.0, 2.0], [3.0, 4.0]]\n");
}

TEST_F(JsonlWriterTest, BytesDoNotDependOnThreadsOrChunking) {
  const int64_t rows = 5000;  // several formatting blocks
  std::vector<int64_t> ids(rows);
  std::vector<float> values(rows * 3);
  for (int64_t i = 0; i < rows; ++i) ids[i] = i;
  for (int64_t i = 0; i < rows * 3; ++i) values[i] = static_cast<float>(i) / 3.0f;
  ASSERT_OK_AND_ASSIGN(auto table, make_table({{"id", ids}, {"e", MatrixView(values.data(), rows, 3)}}));
  ASSERT_OK(write_jsonl(dir_ / "one.jsonl", table, {.threads = 1}));
  ASSERT_OK(write_jsonl(dir_ / "four.jsonl", table, {.threads = 4}));
  // The same rows cut into three chunks.
  arrow::TableBatchReader reader(*table);
  reader.set_chunksize(1700);
  auto chunked = arrow::Table::FromRecordBatchReader(&reader).ValueOrDie();
  ASSERT_GT(chunked->column(0)->num_chunks(), 1);
  ASSERT_OK(write_jsonl(dir_ / "chunked.jsonl", chunked, {.threads = 2}));
  const std::string one = read_bytes(dir_ / "one.jsonl");
  EXPECT_EQ(one, read_bytes(dir_ / "four.jsonl"));
  EXPECT_EQ(one, read_bytes(dir_ / "chunked.jsonl"));
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), rows);
  EXPECT_EQ(one.substr(0, one.find('\n')), "{\"id\":0,\"e\":[0.0,0.33333334,0.6666667]}");
}

TEST_F(JsonlWriterTest, UnsupportedTypeNamesTheColumnAndLeavesNothing) {
  auto table = table_of({{"id", from_json(arrow::int64(), "[1]")},
                         {"blob", from_json(arrow::binary(), R"(["abc"])")}});
  const std::string path = dir_ / "t.jsonl";
  const Status st = write_jsonl(path, table);
  EXPECT_THAT(st, StatusIs(StatusCode::kInvalidArgument, "column 'blob' has type binary"));
  EXPECT_THAT(st, StatusIs(StatusCode::kInvalidArgument, path));
  EXPECT_THAT(list_files(dir_.path()), IsEmpty());
}

TEST_F(JsonlWriterTest, EmptyTableWritesAnEmptyFile) {
  auto table = table_of({{"id", from_json(arrow::int64(), "[]")}});
  ASSERT_OK(write_jsonl(dir_ / "t.jsonl", table));
  EXPECT_EQ(read_bytes(dir_ / "t.jsonl"), "");
}

}  // namespace
}  // namespace semdedup::io
