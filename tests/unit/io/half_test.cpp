// fp16 bit conversions against the compiler's own _Float16 arithmetic, and the dtype rules.
#include "semdedup/io/half.hpp"

#include <arrow/type.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

using testing::StatusIs;

uint16_t bits_of(_Float16 value) {
  uint16_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

_Float16 half_of(uint16_t bits) {
  _Float16 value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

uint32_t float_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

TEST(Half, EveryBitPatternDecodesExactly) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float expected = static_cast<float>(half_of(h));
    const float decoded = io::half_to_float(h);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(decoded)) << bits;
      ASSERT_EQ(std::signbit(decoded), std::signbit(expected)) << bits;
      continue;
    }
    ASSERT_EQ(float_bits(decoded), float_bits(expected)) << bits;
    // Round trip: every fp16 value is a float32 that encodes back to itself.
    ASSERT_EQ(io::float_to_half(decoded), h) << bits;
  }
}

// The compiler rounds float -> _Float16 to nearest even (IEEE default).
void expect_encodes_like_the_compiler(float value) {
  ASSERT_EQ(io::float_to_half(value), bits_of(static_cast<_Float16>(value)))
      << value << " bits " << float_bits(value);
}

TEST(Half, EncodingRoundsToNearestEvenAtEveryBoundary) {
  // Each fp16 value, the midpoint to its successor (a tie) and the floats either side of it.
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    const float low = io::half_to_float(static_cast<uint16_t>(bits));
    const float high = io::half_to_float(static_cast<uint16_t>(bits + 1));
    const float mid = low + (high - low) / 2;  // exact: fp16 spacing is far above float32's
    for (float value : {low, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, high)}) {
      expect_encodes_like_the_compiler(value);
      expect_encodes_like_the_compiler(-value);
    }
  }
  for (float value : {65504.0f, 65519.99f, 65520.0f, 1e10f, std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::denorm_min(), 1e-8f, 2.9802322e-08f}) {
    expect_encodes_like_the_compiler(value);
    expect_encodes_like_the_compiler(-value);
  }
  EXPECT_EQ(io::float_to_half(std::numeric_limits<float>::quiet_NaN()) & 0x7e00u, 0x7e00u);
}

TEST(Half, RandomFloatsEncodeLikeTheCompiler) {
  std::mt19937 gen(3);
  for (int i = 0; i < 2000000; ++i) {
    const uint32_t bits = gen();
    float value;
    std::memcpy(&value, &bits, sizeof value);
    if (std::isnan(value)) continue;
    expect_encodes_like_the_compiler(value);
  }
  std::vector<float> floats(1000), back(1000);
  std::vector<uint16_t> halves(1000);
  std::normal_distribution<float> normal;
  for (float& value : floats) value = normal(gen);
  io::floats_to_halves(floats.data(), halves.data(), 1000);
  io::halves_to_floats(halves.data(), back.data(), 1000);
  for (size_t i = 0; i < floats.size(); ++i) {
    EXPECT_EQ(halves[i], bits_of(static_cast<_Float16>(floats[i])));
    EXPECT_EQ(back[i], static_cast<float>(static_cast<_Float16>(floats[i])));
  }
}

TEST(Half, DtypeRulesAndNames) {
  using io::InputEmbeddingDtype;
  const auto check = [](const std::shared_ptr<arrow::DataType>& value_type,
                        InputEmbeddingDtype dtype) {
    return io::is_half_storage(*value_type, dtype, "f.parquet", "embeddings",
                               arrow::list(value_type)->ToString());
  };
  for (auto dtype : {InputEmbeddingDtype::kAuto, InputEmbeddingDtype::kFloat16}) {
    EXPECT_EQ(check(arrow::uint16(), dtype).value(), true);
    EXPECT_EQ(check(arrow::float16(), dtype).value(), true);
  }
  EXPECT_EQ(check(arrow::float32(), InputEmbeddingDtype::kAuto).value(), false);
  EXPECT_EQ(check(arrow::int16(), InputEmbeddingDtype::kAuto).value(), false);
  EXPECT_EQ(check(arrow::float64(), InputEmbeddingDtype::kFloat32).value(), false);
  EXPECT_THAT(check(arrow::uint16(), InputEmbeddingDtype::kFloat32),
              StatusIs(StatusCode::kDataError,
                       "file f.parquet: column 'embeddings' has type list<item: uint16>"));
  EXPECT_THAT(check(arrow::float32(), InputEmbeddingDtype::kFloat16),
              StatusIs(StatusCode::kDataError, "expects fp16 storage"));

  for (auto name : {"auto", "float16", "float32"}) {
    ASSERT_OK_AND_ASSIGN(auto dtype, io::parse_input_embedding_dtype(name));
    EXPECT_EQ(io::input_embedding_dtype_name(dtype), name);
  }
  for (auto name : {"float16", "float32"}) {
    ASSERT_OK_AND_ASSIGN(auto dtype, io::parse_embedding_output_dtype(name));
    EXPECT_EQ(io::embedding_output_dtype_name(dtype), name);
  }
  EXPECT_THAT(io::parse_input_embedding_dtype("bfloat16"),
              StatusIs(StatusCode::kInvalidArgument, "auto, float16 or float32"));
  EXPECT_THAT(io::parse_embedding_output_dtype("auto"),
              StatusIs(StatusCode::kInvalidArgument, "float16 or float32"));
}

}  // namespace
}  // namespace semdedup
