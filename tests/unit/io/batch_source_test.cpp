// The three batch sources (Parquet files, JSON-lines files, an in-memory Arrow C stream) behind
// one converter: the same rows give the same batches, bits, ids and rejected rows from each.
#include "semdedup/io/batch_source.hpp"

#include <arrow/api.h>
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/io/file.h>
#include <fmt/format.h>
#include <parquet/arrow/writer.h>

#include <cstring>
#include <fstream>

#include "semdedup/io/arrow_runtime.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

/// Rows [id, embeddings]: row r is (r + 1, 2r - 3, (r % 5) - 2), row 7 all zeros and row 11
/// holding a value beyond float32's range, so kSkip rejects exactly those two.
struct Rows {
  std::vector<int64_t> ids;
  std::vector<std::vector<double>> values;
};

Rows sample_rows(int64_t n) {
  Rows rows;
  for (int64_t r = 0; r < n; ++r) {
    rows.ids.push_back(100 + r);
    const auto x = static_cast<double>(r);
    rows.values.push_back({x + 1, 2 * x - 3, static_cast<double>(r % 5) - 2});
  }
  rows.values[7] = {0, 0, 0};
  rows.values[11] = {1, 1e300, 2};
  return rows;
}

std::shared_ptr<arrow::Table> table_of(const Rows& rows) {
  auto values = std::make_shared<arrow::DoubleBuilder>();
  arrow::ListBuilder lists(arrow::default_memory_pool(), values);
  arrow::Int64Builder ids;
  for (size_t i = 0; i < rows.ids.size(); ++i) {
    EXPECT_TRUE(lists.Append().ok());
    EXPECT_TRUE(values->AppendValues(rows.values[i]).ok());
    EXPECT_TRUE(ids.Append(rows.ids[i]).ok());
  }
  auto list_array = lists.Finish().ValueOrDie();
  auto id_array = ids.Finish().ValueOrDie();
  return arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()),
                                           arrow::field("embeddings", list_array->type())}),
                            {id_array, list_array});
}

std::string write_parquet_file(const arrow::Table& table, const std::filesystem::path& path) {
  auto sink = arrow::io::FileOutputStream::Open(path.string()).ValueOrDie();
  EXPECT_TRUE(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), sink, 4).ok());
  EXPECT_TRUE(sink->Close().ok());
  return path.string();
}

std::string write_jsonl_file(const Rows& rows, const std::filesystem::path& path) {
  std::ofstream out(path);
  for (size_t i = 0; i < rows.ids.size(); ++i) {
    std::string values;
    for (const double v : rows.values[i]) {
      if (!values.empty()) values += ", ";
      values += fmt::format("{}", v);
    }
    out << fmt::format("{{\"id\": {}, \"embeddings\": [{}]}}\n", rows.ids[i], values);
  }
  return path.string();
}

/// Moves `table`, cut into record batches of `chunk` rows, into a C stream.
void export_stream(const std::shared_ptr<arrow::Table>& table, int64_t chunk,
                   ArrowArrayStream* stream) {
  arrow::TableBatchReader batches(*table);
  batches.set_chunksize(chunk);
  auto parts = batches.ToRecordBatches().ValueOrDie();
  auto reader = arrow::RecordBatchReader::Make(parts, table->schema()).ValueOrDie();
  ASSERT_TRUE(arrow::ExportRecordBatchReader(reader, stream).ok());
}

/// Everything a source handed out, batch boundaries aside.
struct Drained {
  Matrix embeddings{0, 3};
  std::vector<int64_t> ids;
  std::vector<int64_t> input_rows;
  std::vector<int64_t> rejected_rows;
  std::vector<std::string> reasons;
};

Drained drain(BatchSource& source) {
  Drained out;
  while (true) {
    auto batch = source.next();
    EXPECT_TRUE(batch.ok()) << batch.status().to_string();
    if (!batch.ok() || !*batch) break;
    out.embeddings.append((*batch)->embeddings.view());
    const auto& ids = static_cast<const arrow::Int64Array&>(*(*batch)->columns->column(0));
    for (int64_t r = 0; r < ids.length(); ++r) out.ids.push_back(ids.Value(r));
    out.input_rows.insert(out.input_rows.end(), (*batch)->input_rows.begin(),
                          (*batch)->input_rows.end());
    if (const auto& rejected = (*batch)->rejected) {
      const auto& rows = static_cast<const arrow::Int64Array&>(*rejected->GetColumnByName("row"));
      const auto& reasons =
          static_cast<const arrow::StringArray&>(*rejected->GetColumnByName("reason"));
      for (int64_t r = 0; r < rows.length(); ++r) {
        out.rejected_rows.push_back(rows.Value(r));
        out.reasons.push_back(reasons.GetString(r));
      }
    }
  }
  return out;
}

class BatchSources : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }
  TempDir dir_;
};

TEST_F(BatchSources, GiveTheSameRowsBitsAndRejectsFromEachInput) {
  const Rows rows = sample_rows(23);
  const auto table = table_of(rows);
  ReadOptions options;
  options.batch_rows = 5;
  options.invalid_rows = InvalidRows::kSkip;

  ASSERT_OK_AND_ASSIGN(
      auto parquet,
      open_file_source({write_parquet_file(*table, dir_.path() / "a.parquet")}, options));
  ReadOptions jsonl_options = options;
  jsonl_options.filetype = FileType::kJsonl;
  ASSERT_OK_AND_ASSIGN(
      auto jsonl,
      open_file_source({write_jsonl_file(rows, dir_.path() / "a.jsonl")}, jsonl_options));
  ArrowArrayStream stream;
  export_stream(table, 4, &stream);
  ASSERT_OK_AND_ASSIGN(auto in_memory, open_arrow_stream_source(&stream, options));
  EXPECT_EQ(stream.release, nullptr);  // taken over

  const Drained from_parquet = drain(*parquet);
  const Drained from_jsonl = drain(*jsonl);
  const Drained from_stream = drain(*in_memory);

  // The oracle: rows 7 (zero norm) and 11 (out of range) refused, every other row kept, unit
  // length.
  ASSERT_EQ(from_parquet.embeddings.rows(), 21);
  EXPECT_EQ(from_parquet.rejected_rows, (std::vector<int64_t>{7, 11}));
  EXPECT_EQ(
      from_parquet.reasons,
      (std::vector<std::string>{"zero norm", "value 1e+300 is out of float32 range at index 1"}));
  for (int64_t r = 0; r < 21; ++r) {
    const float* row = from_parquet.embeddings.row(r);
    EXPECT_NEAR(row[0] * row[0] + row[1] * row[1] + row[2] * row[2], 1.0, 1e-6);
  }
  for (const Drained* other : {&from_jsonl, &from_stream}) {
    ASSERT_EQ(other->embeddings.rows(), 21);
    EXPECT_EQ(std::memcmp(other->embeddings.data(), from_parquet.embeddings.data(),
                          21 * 3 * sizeof(float)),
              0);
    EXPECT_EQ(other->ids, from_parquet.ids);
    EXPECT_EQ(other->input_rows, from_parquet.input_rows);
    EXPECT_EQ(other->rejected_rows, from_parquet.rejected_rows);
    EXPECT_EQ(other->reasons, from_parquet.reasons);
  }
  EXPECT_EQ(in_memory->files(), (std::vector<std::string>{"<Arrow stream>"}));
  EXPECT_EQ(in_memory->rows_read(), 23);
  EXPECT_EQ(in_memory->rows_rejected(), 2);
  EXPECT_EQ(in_memory->dim(), 3);
}

TEST_F(BatchSources, AStreamIsCheckedAsAFileIs) {
  const Rows rows = sample_rows(12);
  ReadOptions options;  // kError: the first bad row fails
  ArrowArrayStream stream;
  export_stream(table_of(rows), 5, &stream);
  ASSERT_OK_AND_ASSIGN(auto source, open_arrow_stream_source(&stream, options));
  Status failure;
  while (failure.ok()) {
    auto batch = source->next();
    if (!batch.ok()) failure = batch.status();
    if (batch.ok() && !*batch) break;
  }
  EXPECT_THAT(failure, StatusIs(StatusCode::kDataError,
                                "file <Arrow stream>: column 'embeddings' row 7: zero norm"));

  options.columns.embedding_field = "vectors";
  export_stream(table_of(rows), 5, &stream);
  ASSERT_OK_AND_ASSIGN(source, open_arrow_stream_source(&stream, options));
  EXPECT_THAT(
      source->next().status(),
      StatusIs(StatusCode::kDataError, "column 'vectors' not found; available: id, embeddings"));
}

}  // namespace
}  // namespace semdedup::io
