// The one list-column -> float32 extractor every reader uses, and the one Parquet opener:
// values of every type to the same floats, bad rows named with their fault and position, kept
// rows packed in input order, and opening errors that name the file.
#include "io/embedding_extract.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <parquet/arrow/writer.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "io/parquet_open.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/io/half.hpp"
#include "testing/testing.hpp"

namespace semdedup::io {
namespace {

using ::semdedup::testing::StatusIs;
using ::semdedup::testing::TempDir;

std::shared_ptr<arrow::Array> array_of(const std::shared_ptr<arrow::DataType>& type,
                                       const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

struct Extracted {
  Matrix rows;
  std::vector<int64_t> source_rows;
  std::vector<Reject> rejects;
};

Extracted extract(const arrow::Array& column, int64_t dim, bool normalise, int64_t row0 = 0) {
  Extracted out{Matrix(column.length(), dim), {}, {}};
  EmbeddingExtractor extractor(out.rows.data(), column.length(), dim, normalise);
  extractor.add(column, row0);
  extractor.finish();
  out.rows.resize_rows(extractor.kept());
  out.source_rows = extractor.source_rows();
  out.rejects = extractor.rejects();
  return out;
}

TEST(EmbeddingExtract, EveryValueTypeGivesTheSameFloats) {
  const std::string values = "[[1, 2, 3], [4, 5, 6]]";
  for (const auto& value_type :
       {arrow::float32(), arrow::float64(), arrow::int8(), arrow::int16(), arrow::int32(),
        arrow::int64(), arrow::uint8(), arrow::uint32(), arrow::uint64()}) {
    for (const auto& list_type : {arrow::list(value_type), arrow::large_list(value_type),
                                  arrow::fixed_size_list(value_type, 3)}) {
      const Extracted got = extract(*array_of(list_type, values), 3, /*normalise=*/false);
      ASSERT_EQ(got.rows.rows(), 2) << list_type->ToString();
      for (int64_t r = 0; r < 2; ++r) {
        for (int64_t c = 0; c < 3; ++c) {
          EXPECT_EQ(got.rows.row(r)[c], static_cast<float>(3 * r + c + 1)) << list_type->ToString();
        }
      }
    }
  }
  // fp16: uint16 bit patterns and halffloat decode to the same exact floats.
  const std::string bits = fmt::format("[[{}, {}]]", float_to_half(1.0f), float_to_half(0.5f));
  for (const auto& [list_type, json] :
       {std::pair{arrow::list(arrow::uint16()), bits},
        std::pair{arrow::list(arrow::float16()), std::string("[[1, 0.5]]")}}) {
    const Extracted got = extract(*array_of(list_type, json), 2, /*normalise=*/false);
    ASSERT_EQ(got.rows.rows(), 1);
    EXPECT_EQ(got.rows.row(0)[0], 1.0f) << list_type->ToString();
    EXPECT_EQ(got.rows.row(0)[1], 0.5f) << list_type->ToString();
  }
}

TEST(EmbeddingExtract, BadRowsAreListedWithTheirFaultAndTheRestPackedInOrder) {
  const auto column = array_of(arrow::list(arrow::float64()),
                               "[[3, 4], null, [], [1, 2, 3], [1, null], [0, 0], [0, 2]]");
  const Extracted got = extract(*column, 2, /*normalise=*/true, /*row0=*/10);
  ASSERT_EQ(got.rows.rows(), 2);
  EXPECT_EQ(got.source_rows, (std::vector<int64_t>{10, 16}));
  EXPECT_EQ(got.rows.row(0)[0], 0.6f);
  EXPECT_EQ(got.rows.row(0)[1], 0.8f);
  EXPECT_EQ(got.rows.row(1)[0], 0.0f);
  EXPECT_EQ(got.rows.row(1)[1], 1.0f);
  ASSERT_EQ(got.rejects.size(), 5u);
  const std::vector<std::pair<int64_t, RowFault>> expected{{11, RowFault::kNullEmbedding},
                                                           {12, RowFault::kEmptyList},
                                                           {13, RowFault::kWidth},
                                                           {14, RowFault::kNullValue},
                                                           {15, RowFault::kZeroNorm}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(got.rejects[i].row, expected[i].first);
    EXPECT_EQ(got.rejects[i].fault, expected[i].second);
  }
  EXPECT_EQ(got.rejects[2].width, 3);
  EXPECT_EQ(got.rejects[2].reason, "list has 3 values but the first row has 2");
  EXPECT_EQ(got.rejects[3].index, 1);
  EXPECT_EQ(got.rejects[3].reason, "null value at index 1");
  EXPECT_EQ(got.rejects[4].reason, "zero norm");
}

TEST(EmbeddingExtract, AValueBeyondFloat32IsNamedAndItsPositionKept) {
  const auto column = array_of(arrow::list(arrow::float64()), "[[1, 1e300], [1, NaN]]");
  const Extracted got = extract(*column, 2, /*normalise=*/false);
  ASSERT_EQ(got.rejects.size(), 2u);
  EXPECT_EQ(got.rejects[0].fault, RowFault::kNonFinite);
  EXPECT_EQ(got.rejects[0].index, 1);
  EXPECT_TRUE(std::isinf(got.rejects[0].value));
  EXPECT_EQ(got.rejects[0].reason, "value 1e+300 is out of float32 range at index 1");
  EXPECT_EQ(got.rejects[1].fault, RowFault::kNonFinite);
  EXPECT_TRUE(std::isnan(got.rejects[1].value));
  EXPECT_EQ(got.rejects[1].reason, "non-finite value nan at index 1");
  // Without normalising, an all-zero row is kept.
  const Extracted zeros = extract(*array_of(arrow::list(arrow::float32()), "[[0, 0]]"), 2, false);
  EXPECT_EQ(zeros.rows.rows(), 1);
  EXPECT_TRUE(zeros.rejects.empty());
}

TEST(EmbeddingExtract, FirstWidthSkipsNullAndEmptyRows) {
  EXPECT_EQ(first_width(*array_of(arrow::list(arrow::float32()), "[null, [], [1, 2, 3], [1]]")), 3);
  EXPECT_EQ(first_width(*array_of(arrow::list(arrow::float32()), "[null, []]")), 0);
  EXPECT_EQ(first_width(*array_of(arrow::null(), "[null, null]")), 0);
  const Extracted nulls = extract(*array_of(arrow::null(), "[null, null]"), 0, true);
  ASSERT_EQ(nulls.rejects.size(), 2u);
  EXPECT_EQ(nulls.rejects[1].fault, RowFault::kNullEmbedding);
}

TEST(ParquetOpen, OpensByHandleOrMappedAndNamesTheFileOnFailure) {
  TempDir dir;
  const std::string path = (dir.path() / "a.parquet").string();
  const auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64())}),
                                        {array_of(arrow::int64(), "[1, 2, 3]")});
  auto sink = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 2).ok());
  ASSERT_TRUE(sink->Close().ok());
  for (const bool mapped : {false, true}) {
    ParquetOpenOptions options;
    options.memory_map = mapped;
    ASSERT_OK_AND_ASSIGN(auto reader, open_parquet_file(path, options));
    EXPECT_EQ(reader->parquet_reader()->metadata()->num_rows(), 3);
    EXPECT_EQ(reader->num_row_groups(), 2);
  }
  EXPECT_THAT(open_parquet_file((dir.path() / "missing.parquet").string()).status(),
              StatusIs(StatusCode::kIOError, "missing.parquet: cannot open"));
  const std::string text = (dir.path() / "notes.parquet").string();
  std::ofstream(text) << "not parquet at all\n";
  EXPECT_THAT(open_parquet_file(text).status(),
              StatusIs(StatusCode::kIOError, "notes.parquet: cannot read Parquet"));
}

}  // namespace
}  // namespace semdedup::io
