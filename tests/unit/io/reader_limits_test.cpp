// DatasetReader's whole-input checks: ids unique over every file, embedding width bounded.
#include <arrow/api.h>

#include <filesystem>
#include <optional>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/reader.hpp"
#include "semdedup/io/writer.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

class ReaderLimits : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(initialize_arrow()); }

  // A Parquet file of `ids` whose embedding row i is (i + 1, 1, ..., 1) of width `dim`, or a
  // zero row (a bad row) where `zero_rows` says so.
  std::string write(const std::string& name, Column::Values ids, int64_t dim = 3,
                    std::vector<int64_t> zero_rows = {}) {
    const int64_t n = std::visit([](const auto& v) -> int64_t {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, MatrixView>) {
        return v.rows;
      } else {
        return static_cast<int64_t>(v.size());
      }
    }, ids);
    Matrix m(n, dim);
    for (int64_t row = 0; row < n; ++row) {
      for (int64_t col = 0; col < dim; ++col) m.mutable_view().row(row)[col] = 1.0f;
      m.mutable_view().row(row)[0] = static_cast<float>(row + 1);
    }
    for (int64_t row : zero_rows) {
      for (int64_t col = 0; col < dim; ++col) m.mutable_view().row(row)[col] = 0.0f;
    }
    std::vector<Column> columns;
    columns.push_back({"id", std::move(ids)});
    columns.push_back({"embeddings", m.view()});
    auto table = make_table(std::move(columns));
    EXPECT_TRUE(table.ok()) << table.status().to_string();
    const std::string path = dir_ / name;
    EXPECT_OK(write_parquet(path, *table, {.row_group_rows = 2, .durable = false}));
    return path;
  }

  // Reads every batch; the first failure, or the number of valid rows.
  Result<int64_t> read_all(std::vector<std::string> files, ReadOptions options) {
    SD_ASSIGN_OR_RETURN(auto reader, DatasetReader::open(std::move(files), std::move(options)));
    int64_t rows = 0;
    while (true) {
      SD_ASSIGN_OR_RETURN(std::optional<Batch> batch, reader->next());
      if (!batch) return rows;
      rows += batch->embeddings.rows();
    }
  }

  TempDir dir_;
};

int64_t rows_or_error(const Result<int64_t>& rows) {
  EXPECT_OK(rows);
  return rows.ok() ? *rows : -1;
}

TEST_F(ReaderLimits, AnIdRepeatedInALaterFileNamesBothRows) {
  const auto a = write("a.parquet", std::vector<int64_t>{0, 1, 2, 3, 4});
  const auto b = write("b.parquet", std::vector<int64_t>{10, 3, 11});
  ReadOptions options;
  options.batch_rows = 2;  // the repeat is found across batches as well as files
  EXPECT_THAT(read_all({a, b}, options),
              StatusIs(StatusCode::kDataError,
                       "file " + b + ": column 'id' row 1: duplicate id 3 (first at " + a +
                           " row 3)"));
  options.unique_ids = false;
  EXPECT_EQ(rows_or_error(read_all({a, b}, options)), 8);
}

TEST_F(ReaderLimits, RepeatsInsideOneBatchAndStringIdsAreFound) {
  const auto a = write("a.parquet", std::vector<std::string>{"x", "y", "z", "y"});
  EXPECT_THAT(read_all({a}, {}),
              StatusIs(StatusCode::kDataError, "row 3: duplicate id 'y' (first at " + a + " row 1)"));
  const auto narrow = write("narrow.parquet", std::vector<int32_t>{-1, 7, -1});
  EXPECT_THAT(read_all({narrow}, {}),
              StatusIs(StatusCode::kDataError, "row 2: duplicate id -1 (first at"));
}

TEST_F(ReaderLimits, OnlyValidRowsClaimTheirIds) {
  // Row 1 (id 5) is zero-norm: skipped, so the valid row 2 may carry id 5.
  const auto a = write("a.parquet", std::vector<int64_t>{1, 5, 5}, 3, {1});
  ReadOptions options;
  options.invalid_rows = InvalidRows::kSkip;
  EXPECT_EQ(rows_or_error(read_all({a}, options)), 2);
  // Reading embeddings only never looks at ids.
  const auto dup = write("dup.parquet", std::vector<int64_t>{1, 1});
  options.embeddings_only = true;
  EXPECT_EQ(rows_or_error(read_all({dup}, options)), 2);
}

TEST_F(ReaderLimits, EmbeddingsWiderThanMaxDimAreADataError) {
  const auto a = write("a.parquet", std::vector<int64_t>{1, 2}, 9);
  ReadOptions options;
  options.max_dim = 8;
  EXPECT_THAT(read_all({a}, options),
              StatusIs(StatusCode::kDataError,
                       "file " + a + ": column 'embeddings': embeddings have 9 values; at most 8"));
  options.max_dim = 9;
  EXPECT_EQ(rows_or_error(read_all({a}, options)), 2);
}

}  // namespace
}  // namespace semdedup::io
