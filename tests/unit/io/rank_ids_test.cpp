// The cross-rank id check on one rank: which repeat it reports and how it names the rows.
#include "semdedup/io/rank_ids.hpp"

#include <arrow/api.h>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/reader.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using ::semdedup::testing::StatusIs;

template <typename Builder, typename T>
Batch batch_of(const std::vector<T>& ids, std::vector<int64_t> rows) {
  Builder builder;
  for (const T& id : ids) EXPECT_TRUE(builder.Append(id).ok());
  auto array = builder.Finish().ValueOrDie();
  Batch batch;
  batch.columns = arrow::RecordBatch::Make(arrow::schema({arrow::field("id", array->type())}),
                                           array->length(), {array});
  batch.input_rows = std::move(rows);
  return batch;
}

const std::vector<std::string> kFiles{"a.parquet", "b.parquet", "c.parquet"};
const std::vector<int64_t> kFileRows{10, 10, 10};

TEST(RankIds, UniqueIdsPass) {
  auto comm = make_local_communicator();
  RankIds ids(1);
  ids.add(batch_of<arrow::Int64Builder, int64_t>({1, 2, 3}, {0, 1, 2}));
  ids.add(batch_of<arrow::Int64Builder, int64_t>({4, 5}, {12, 25}));
  EXPECT_OK(ids.check(*comm, kFiles, kFileRows, "id"));
}

TEST(RankIds, TheRepeatWhoseSecondRowComesFirstIsReportedWithFileRows) {
  auto comm = make_local_communicator();
  RankIds ids(1);
  // Batches need not arrive in row order: 7 repeats at rows 3 and 27, 9 at rows 14 and 22, and
  // 9 again at row 5 (the lowest row of 9 is 5, its second 14).
  ids.add(batch_of<arrow::Int64Builder, int64_t>({7, 9}, {27, 22}));
  ids.add(batch_of<arrow::Int64Builder, int64_t>({7, 9, 9}, {3, 14, 5}));
  EXPECT_THAT(ids.check(*comm, kFiles, kFileRows, "doc_id"),
              StatusIs(StatusCode::kDataError,
                       "file b.parquet: column 'doc_id' row 4: duplicate id 9 (first at "
                       "a.parquet row 5); ids must be unique"));
}

TEST(RankIds, StringIdsAreQuotedAndNullsAreNotIds) {
  auto comm = make_local_communicator();
  RankIds ids(1);
  arrow::StringBuilder builder;
  ASSERT_TRUE(builder.Append("x").ok());
  ASSERT_TRUE(builder.AppendNull().ok());
  ASSERT_TRUE(builder.AppendNull().ok());
  ASSERT_TRUE(builder.Append("x").ok());
  auto array = builder.Finish().ValueOrDie();
  Batch batch;
  batch.columns =
      arrow::RecordBatch::Make(arrow::schema({arrow::field("id", arrow::utf8())}), 4, {array});
  batch.input_rows = {0, 1, 2, 29};
  ids.add(batch);
  EXPECT_THAT(ids.check(*comm, kFiles, kFileRows, "id"),
              StatusIs(StatusCode::kDataError,
                       "file c.parquet: column 'id' row 9: duplicate id 'x' (first at a.parquet "
                       "row 0)"));
}

}  // namespace
}  // namespace semdedup::io
