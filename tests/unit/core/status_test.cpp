#include "semdedup/core/status.hpp"

#include "testing/testing.hpp"

namespace semdedup {
namespace {

using testing::StatusIs;

Result<int> parse_positive(int value) {
  if (value <= 0) return Status::invalid_argument("value {} must be > 0", value);
  return value;
}

Result<int> doubled(int value) {
  SD_ASSIGN_OR_RETURN(int v, parse_positive(value));
  return 2 * v;
}

Status check(int value) {
  SD_RETURN_IF_ERROR(parse_positive(value));
  return Status::OK();
}

TEST(Status, OkIsFreeAndEmpty) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOk);
  EXPECT_EQ(st.message(), "");
  EXPECT_EQ(st.to_string(), "OK");
}

TEST(Status, CarriesCodeAndFormattedMessage) {
  const Status st = Status::data_error("file {}: column '{}' row {}: NaN", "a.parquet", "emb", 7);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kDataError);
  EXPECT_EQ(st.message(), "file a.parquet: column 'emb' row 7: NaN");
  const Status copy = st;
  EXPECT_EQ(copy.message(), st.message());
  EXPECT_EQ(st.with_context("reading").message(), "reading: file a.parquet: column 'emb' row 7: NaN");
}

TEST(Result, PropagatesThroughMacros) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_THAT(doubled(-1), StatusIs(StatusCode::kInvalidArgument, "must be > 0"));
  EXPECT_OK(check(3));
  EXPECT_THAT(check(0), StatusIs(StatusCode::kInvalidArgument, "value 0"));
}

}  // namespace
}  // namespace semdedup
