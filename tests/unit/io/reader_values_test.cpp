// The reader on values at the edges of float32, null ids, and JSON lines that Arrow alone
// would misread: a byte order mark, deep nesting, unread fields that change type.
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fmt/format.h>
#include <parquet/arrow/writer.h>

#include <cmath>
#include <fstream>
#include <random>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/reader.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

template <typename Builder, typename T>
std::shared_ptr<arrow::Array> lists(const std::vector<std::vector<T>>& rows,
                                    std::shared_ptr<arrow::DataType> type) {
  auto values = std::make_shared<Builder>(type, arrow::default_memory_pool());
  arrow::ListBuilder builder(arrow::default_memory_pool(), values);
  for (const auto& row : rows) {
    EXPECT_TRUE(builder.Append().ok());
    EXPECT_TRUE(values->AppendValues(row).ok());
  }
  return builder.Finish().ValueOrDie();
}

void write_parquet(const std::string& path, const std::shared_ptr<arrow::Array>& ids,
                   const std::shared_ptr<arrow::Array>& embeddings) {
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", ids->type()),
                                                 arrow::field("embeddings", embeddings->type())}),
                                  {ids, embeddings});
  auto sink = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 1 << 20).ok());
  ASSERT_TRUE(sink->Close().ok());
}

std::shared_ptr<arrow::Array> ids(int64_t count, int64_t null_at = -1) {
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < count; ++i) {
    EXPECT_TRUE((i == null_at ? builder.AppendNull() : builder.Append(i)).ok());
  }
  return builder.Finish().ValueOrDie();
}

Result<std::vector<std::vector<float>>> read_rows(const std::string& path, ReadOptions options) {
  SD_ASSIGN_OR_RETURN(auto reader, DatasetReader::open({path}, options));
  std::vector<std::vector<float>> rows;
  while (true) {
    SD_ASSIGN_OR_RETURN(auto batch, reader->next());
    if (!batch) break;
    for (int64_t row = 0; row < batch->embeddings.rows(); ++row) {
      const float* values = batch->embeddings.row(row);
      rows.emplace_back(values, values + batch->embeddings.cols());
    }
  }
  return rows;
}

class ReaderValuesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }
  std::string path(const std::string& name) const { return dir_.path() / name; }
  TempDir dir_;
};

// Rows whose float32 sum of squares is a normal number keep NeMo's float32 arithmetic bit for
// bit, at every scale where that holds (1e-15 .. 1e15 here).
TEST_F(ReaderValuesTest, OrdinaryRowsKeepTheFloat32Bits) {
  std::mt19937 gen(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> rows;
  for (const float scale : {1e-15f, 1e-6f, 1.0f, 3.0f, 1e6f, 1e15f}) {
    for (int r = 0; r < 9; ++r) {
      std::vector<float> row(19);
      for (float& value : row) value = normal(gen) * scale;
      rows.push_back(row);
    }
  }
  const std::string file = path("ordinary.parquet");
  write_parquet(file, ids(static_cast<int64_t>(rows.size())),
                lists<arrow::FloatBuilder>(rows, arrow::float32()));
  ASSERT_OK_AND_ASSIGN(auto got, read_rows(file, {}));
  ASSERT_EQ(got.size(), rows.size());
  for (size_t row = 0; row < rows.size(); ++row) {
    EXPECT_EQ(got[row], testing::float32_normalised(rows[row])) << "row " << row;
  }
}

// Where float32 squares under- or overflow, the row still normalises (in double): unit norm
// and the direction of the input; only an all-zero row is refused.
TEST_F(ReaderValuesTest, ExtremeScalesNormaliseAndOnlyZeroRowsAreRefused) {
  const std::vector<std::vector<float>> rows = {
      {1e-30f, 2e-30f, -3e-30f},
      {1e-44f, 0.0f, 1e-45f},  // subnormal values
      {3e38f, 3e38f, -1e38f},
      {3.4e38f, 1e-30f, 0.0f},
  };
  const std::string file = path("extreme.parquet");
  write_parquet(file, ids(4), lists<arrow::FloatBuilder>(rows, arrow::float32()));
  ASSERT_OK_AND_ASSIGN(auto got, read_rows(file, {}));
  ASSERT_EQ(got.size(), rows.size());
  for (size_t row = 0; row < rows.size(); ++row) {
    double input_norm = 0.0, output_norm = 0.0;
    for (size_t k = 0; k < rows[row].size(); ++k) {
      input_norm += double{rows[row][k]} * rows[row][k];
      output_norm += double{got[row][k]} * got[row][k];
    }
    EXPECT_NEAR(output_norm, 1.0, 1e-6) << "row " << row;
    for (size_t k = 0; k < rows[row].size(); ++k) {
      EXPECT_NEAR(got[row][k], rows[row][k] / std::sqrt(input_norm), 1e-7) << row << "," << k;
    }
  }
  const std::string zero = path("zero.parquet");
  write_parquet(zero, ids(2),
                lists<arrow::FloatBuilder>(std::vector<std::vector<float>>{{1e-30f, 0}, {0, 0}},
                                           arrow::float32()));
  EXPECT_THAT(read_rows(zero, {}),
              StatusIs(StatusCode::kDataError, "column 'embeddings' row 1: zero norm"));
}

TEST_F(ReaderValuesTest, ValueBeyondFloat32RangeIsNamedAsSuch) {
  const std::string file = path("wide.parquet");
  write_parquet(file, ids(2),
                lists<arrow::DoubleBuilder>(std::vector<std::vector<double>>{{1, 2}, {3, -1e300}},
                                            arrow::float64()));
  EXPECT_THAT(read_rows(file, {}),
              StatusIs(StatusCode::kDataError,
                       "file " + file +
                           ": column 'embeddings' row 1: value -1e+300 is out of float32 range "
                           "at index 1"));
  const std::string jsonl = path("wide.jsonl");
  std::ofstream(jsonl)
      << "{\"id\": 0, \"embeddings\": [1, 2]}\n{\"id\": 1, \"embeddings\": [1e39, 2]}\n";
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  EXPECT_THAT(
      read_rows(jsonl, options),
      StatusIs(StatusCode::kDataError, "row 1: value 1e+39 is out of float32 range at index 0"));
}

TEST_F(ReaderValuesTest, NullIdIsRefusedNamingFileAndRow) {
  const std::string file = path("null_id.parquet");
  write_parquet(file, ids(3, 2),
                lists<arrow::FloatBuilder>(std::vector<std::vector<float>>{{1, 2}, {3, 4}, {5, 6}},
                                           arrow::float32()));
  for (const InvalidRows mode : {InvalidRows::kError, InvalidRows::kSkip}) {
    ReadOptions options;
    options.invalid_rows = mode;
    options.batch_rows = 2;
    EXPECT_THAT(read_rows(file, options),
                StatusIs(StatusCode::kDataError, "file " + file + ": column 'id' row 2: null id"));
  }
  ReadOptions fit_pass;
  fit_pass.embeddings_only = true;  // the fit pass reads no ids
  EXPECT_OK(read_rows(file, fit_pass).status());
}

TEST_F(ReaderValuesTest, JsonlByteOrderMarkIsSkipped) {
  const std::string file = path("bom.jsonl");
  std::ofstream(file, std::ios::binary)
      << "\xEF\xBB\xBF{\"id\": 1, \"embeddings\": [3, 4]}\n{\"id\": 2, \"embeddings\": [0, 2]}\n";
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(auto got, read_rows(file, options));
  EXPECT_EQ(got, (std::vector<std::vector<float>>{{0.6f, 0.8f}, {0.0f, 1.0f}}));
}

// The row count (what mpirun splits by) agrees with the reader: the mark and blank lines are
// not rows. A form feed is not JSON white space: its line is refused, not skipped.
TEST_F(ReaderValuesTest, JsonlRowCountIgnoresTheByteOrderMarkAndBlankLines) {
  const std::string file = path("count.jsonl");
  std::ofstream(file, std::ios::binary) << "\xEF\xBB\xBF\n{\"id\": 1, \"embeddings\": [1]}\n \t\r\n"
                                           "{\"id\": 2, \"embeddings\": [2]}";
  ASSERT_OK_AND_ASSIGN(const int64_t rows, count_rows(file, FileType::kJsonl));
  EXPECT_EQ(rows, 2);
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(auto got, read_rows(file, options));
  EXPECT_EQ(got.size(), 2u);
  std::ofstream(file, std::ios::binary) << "{\"id\": 1, \"embeddings\": [1]}\n\f\n";
  EXPECT_THAT(read_rows(file, options),
              StatusIs(StatusCode::kIOError, "row 1 (line 2): not a JSON object"));
}

TEST_F(ReaderValuesTest, JsonlNestingIsBoundedBeforeArrowParsesIt) {
  const std::string file = path("deep.jsonl");
  const auto nested = [](int depth) {
    return fmt::format("{{\"id\": 1, \"embeddings\": [1, 2], \"x\": {}{}}}\n",
                       std::string(depth, '['), std::string(depth, ']'));
  };
  ReadOptions options;
  options.filetype = FileType::kJsonl;
  std::ofstream(file) << nested(126);  // 128 levels with the object and "x"'s outer list
  EXPECT_OK(read_rows(file, options).status());
  std::ofstream(file) << "{\"id\": 0, \"embeddings\": [1, 2]}\n\n" << nested(20000);
  EXPECT_THAT(read_rows(file, options),
              StatusIs(StatusCode::kIOError,
                       "file " + file + ": row 1 (line 3): JSON nested deeper than 128 levels"));
  // Brackets inside strings do not count.
  std::ofstream(file) << "{\"id\": 1, \"embeddings\": [1, 2], \"x\": \"" << std::string(300, '[')
                      << "\\\"\"}\n";
  EXPECT_OK(read_rows(file, options).status());
}

// A field that is not read may change type anywhere in the file: the same rows come out
// whether the change falls inside the first parse block or far after it.
TEST_F(ReaderValuesTest, JsonlUnreadFieldChangingTypeIsIgnoredWhateverTheBlockSize) {
  const std::string file = path("late.jsonl");
  {
    std::ofstream out(file);
    for (int row = 0; row < 2000; ++row) {
      out << fmt::format("{{\"id\": {}, \"embeddings\": [{}, 1], \"note\": {}}}\n", row, row,
                         row < 1990 ? std::to_string(row) : "\"text\"");
    }
  }
  for (const int32_t block : {1 << 10, 1 << 24}) {
    ReadOptions options;
    options.filetype = FileType::kJsonl;
    options.json_block_bytes = block;
    ASSERT_OK_AND_ASSIGN(auto got, read_rows(file, options));
    EXPECT_EQ(got.size(), 2000u) << block;
  }
}

}  // namespace
}  // namespace semdedup::io
