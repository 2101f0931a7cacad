// The embedding reader and the cluster reader on fp16 storage (NeMo 1.4): list<uint16> bit
// patterns and list<halffloat> decode exactly; the input embedding dtype decides what is fp16.
#include <arrow/api.h>
#include <arrow/json/from_string.h>

#include <cmath>
#include <filesystem>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/cluster.hpp"
#include "semdedup/io/half.hpp"
#include "semdedup/io/reader.hpp"
#include "semdedup/io/writer.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

namespace fs = std::filesystem;
using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

// Rows of fp16 bits: (1, 2) with an exact 0.5 step, a subnormal, a negative and the largest.
const std::vector<std::vector<uint16_t>> kBits = {
    {0x3c00, 0x4000}, {0x0001, 0x3800}, {0xbc00, 0x7bff}, {0x3555, 0xc400}};

std::shared_ptr<arrow::Table> table_of(const std::shared_ptr<arrow::DataType>& value_type) {
  auto values = arrow::MakeBuilder(value_type).ValueOrDie();
  arrow::ListBuilder lists(arrow::default_memory_pool(), std::move(values));
  for (const auto& row : kBits) {
    EXPECT_TRUE(lists.Append().ok());
    for (const uint16_t bits : row) {
      if (value_type->id() == arrow::Type::HALF_FLOAT) {
        EXPECT_TRUE(
            static_cast<arrow::HalfFloatBuilder*>(lists.value_builder())->Append(bits).ok());
      } else {
        EXPECT_TRUE(static_cast<arrow::UInt16Builder*>(lists.value_builder())->Append(bits).ok());
      }
    }
  }
  auto embeddings = lists.Finish().ValueOrDie();
  auto ids = arrow::json::ArrayFromJSONString(arrow::int64(), "[1, 2, 3, 4]").ValueOrDie();
  auto dist =
      arrow::json::ArrayFromJSONString(arrow::float32(), "[0.1, 0.2, 0.3, 0.4]").ValueOrDie();
  return arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()),
                                           arrow::field("embeddings", embeddings->type()),
                                           arrow::field("cosine_dist_to_cent", arrow::float32())}),
                            {ids, embeddings, dist});
}

TEST(HalfReader, EmbeddingReaderDecodesBitsAndHalfFloats) {
  ASSERT_OK(initialize_arrow());
  TempDir dir;
  for (const auto& value_type : {arrow::uint16(), arrow::float16()}) {
    const std::string path = dir / (value_type->ToString() + ".parquet");
    ASSERT_OK(write_parquet(path, table_of(value_type)));
    for (auto dtype : {InputEmbeddingDtype::kAuto, InputEmbeddingDtype::kFloat16}) {
      ReadOptions options;
      options.input_embedding_dtype = dtype;
      options.normalise = false;
      ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({path}, options));
      ASSERT_OK_AND_ASSIGN(auto batch, reader->next());
      ASSERT_TRUE(batch);
      ASSERT_EQ(batch->embeddings.rows(), 4);
      for (int64_t r = 0; r < 4; ++r) {
        for (int64_t c = 0; c < 2; ++c) {
          EXPECT_EQ(batch->embeddings.row(r)[c], half_to_float(kBits[r][c])) << r << " " << c;
        }
      }
      EXPECT_EQ(batch->embeddings.row(1)[0], std::ldexp(1.0f, -24));
      EXPECT_EQ(batch->embeddings.row(2)[1], 65504.0f);
    }
    ReadOptions as_float32;
    as_float32.input_embedding_dtype = InputEmbeddingDtype::kFloat32;
    ASSERT_OK_AND_ASSIGN(auto reader, DatasetReader::open({path}, as_float32));
    if (value_type->id() == arrow::Type::UINT16) {
      EXPECT_THAT(
          reader->next(),
          StatusIs(StatusCode::kDataError,
                   "file " + path + ": column 'embeddings' has type list<element: uint16>"));
    } else {
      // halffloat is unambiguous: float32 reads it too.
      EXPECT_OK(reader->next());
    }
  }
}

TEST(HalfReader, ClusterReaderDecodesBitsAndHalfFloats) {
  ASSERT_OK(initialize_arrow());
  TempDir dir;
  for (const auto& value_type : {arrow::uint16(), arrow::float16()}) {
    const std::string path = dir / (value_type->ToString() + ".parquet");
    ASSERT_OK(write_parquet(path, table_of(value_type)));
    ASSERT_OK_AND_ASSIGN(auto rows, inspect_cluster({path}, {"id"}, "embeddings"));
    EXPECT_EQ(rows, 4);
    ASSERT_OK_AND_ASSIGN(auto data, read_cluster({path}, {"id"}, "embeddings"));
    ASSERT_EQ(data.embeddings.rows(), 4);
    for (int64_t r = 0; r < 4; ++r) {
      for (int64_t c = 0; c < 2; ++c) {
        EXPECT_EQ(data.embeddings.row(r)[c], half_to_float(kBits[r][c]));
      }
    }
  }
  const std::string bits = dir / "uint16.parquet";
  EXPECT_THAT(
      inspect_cluster({bits}, {"id"}, "embeddings", InputEmbeddingDtype::kFloat32),
      StatusIs(StatusCode::kDataError, "column 'embeddings' has type list<element: uint16>"));
  // fp16 infinity is refused like any non-finite value.
  const std::string inf_path = dir / "inf.parquet";
  arrow::ListBuilder lists(arrow::default_memory_pool(), std::make_shared<arrow::UInt16Builder>());
  ASSERT_TRUE(lists.Append().ok());
  ASSERT_TRUE(static_cast<arrow::UInt16Builder*>(lists.value_builder())
                  ->AppendValues({0x3c00, 0x7c00})
                  .ok());
  auto column = lists.Finish().ValueOrDie();
  auto one = arrow::Table::Make(
      arrow::schema(
          {arrow::field("id", arrow::int64()), arrow::field("embeddings", column->type())}),
      {arrow::json::ArrayFromJSONString(arrow::int64(), "[7]").ValueOrDie(), column});
  ASSERT_OK(write_parquet(inf_path, one));
  EXPECT_THAT(read_cluster({inf_path}, {"id"}, "embeddings"),
              StatusIs(StatusCode::kDataError, "row 0: non-finite value inf at position 1"));
}

}  // namespace
}  // namespace semdedup::io
