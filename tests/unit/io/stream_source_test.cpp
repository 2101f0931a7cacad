// The in-memory Arrow stream source: the same normalised bits as the file reader, the reader's
// bad-row reasons, and the C stream taken over.
#include "semdedup/io/stream_source.hpp"

#include <arrow/api.h>
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/reader.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

std::shared_ptr<arrow::Table> table_of(const std::vector<std::vector<double>>& rows) {
  auto values = std::make_shared<arrow::DoubleBuilder>();
  arrow::ListBuilder lists(arrow::default_memory_pool(), values);
  arrow::Int64Builder ids;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_TRUE(lists.Append().ok());
    EXPECT_TRUE(values->AppendValues(rows[i]).ok());
    EXPECT_TRUE(ids.Append(static_cast<int64_t>(i)).ok());
  }
  auto list_array = lists.Finish().ValueOrDie();
  auto id_array = ids.Finish().ValueOrDie();
  return arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("embeddings", list_array->type())}),
      {id_array, list_array});
}

std::vector<std::vector<double>> random_rows(int64_t n, int64_t dim) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal;
  std::vector<std::vector<double>> rows(static_cast<size_t>(n), std::vector<double>(dim));
  for (auto& row : rows) {
    for (double& v : row) v = normal(gen);
  }
  return rows;
}

class StreamSource : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }
};

TEST_F(StreamSource, NormalisesToTheFileReadersBits) {
  const auto table = table_of(random_rows(1000, 37));
  TempDir dir;
  const std::string path = (dir.path() / "rows.parquet").string();
  auto sink = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 300).ok());
  ASSERT_TRUE(sink->Close().ok());

  ReadOptions options;
  ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({path}, options));
  Matrix from_file(0, 37);
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto batch, reader->next());
    if (!batch) break;
    from_file.append(batch->embeddings.view());
  }
  ASSERT_OK_AND_ASSIGN(const Matrix in_memory, embeddings_from_table(*table, "embeddings"));
  ASSERT_EQ(in_memory.rows(), from_file.rows());
  EXPECT_EQ(std::memcmp(in_memory.data(), from_file.data(), 1000 * 37 * sizeof(float)), 0);

  ASSERT_OK_AND_ASSIGN(const Matrix copy, normalised_copy(from_file.view(), "x"));
  EXPECT_NEAR(copy.row(5)[0], from_file.row(5)[0], 1e-6);  // normalising twice keeps unit rows
}

TEST_F(StreamSource, BadRowsAreNamedAsTheReaderNamesThem) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(embeddings_from_table(*table_of({{1, 2}, {3, nan}}), "embeddings").status(),
              StatusIs(StatusCode::kDataError,
                       "column 'embeddings' row 1: non-finite value nan at index 1"));
  EXPECT_THAT(embeddings_from_table(*table_of({{1, 2}, {0, 0}}), "embeddings").status(),
              StatusIs(StatusCode::kDataError, "column 'embeddings' row 1: zero norm"));
  EXPECT_THAT(embeddings_from_table(*table_of({{1, 2}, {1, 2, 3}}), "embeddings").status(),
              StatusIs(StatusCode::kDataError,
                       "column 'embeddings' row 1: list has 3 values but the first row has 2"));
  EXPECT_THAT(embeddings_from_table(*table_of({{1, 2}}), "vectors").status(),
              StatusIs(StatusCode::kDataError, "column 'vectors' not found; available: id, embeddings"));
  EXPECT_THAT(embeddings_from_table(*table_of({{1, 2}}), "id").status(),
              StatusIs(StatusCode::kDataError, "column 'id' has type int64"));
}

TEST_F(StreamSource, ReadsEveryBatchOfACStream) {
  const auto table = table_of(random_rows(10, 4));
  arrow::TableBatchReader batches(*table);
  batches.set_chunksize(3);
  auto all = batches.ToRecordBatches();
  ASSERT_TRUE(all.ok());
  const std::vector<std::shared_ptr<arrow::RecordBatch>> parts = *all;
  ASSERT_EQ(parts.size(), 4u);
  auto reader = arrow::RecordBatchReader::Make(parts, table->schema()).ValueOrDie();
  ArrowArrayStream stream;
  ASSERT_TRUE(arrow::ExportRecordBatchReader(reader, &stream).ok());
  ASSERT_OK_AND_ASSIGN(auto read, read_arrow_stream(&stream));
  EXPECT_EQ(stream.release, nullptr);  // taken over
  EXPECT_TRUE(read->Equals(*table));
}

}  // namespace
}  // namespace semdedup::io
