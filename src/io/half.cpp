#include "semdedup/io/half.hpp"

#include <arrow/type.h>

#include <cmath>
#include <cstring>

namespace semdedup::io {

namespace {

uint32_t bits_of(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float float_of(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

constexpr uint32_t kExponentRebias = (127 - 15) << 23;  // float32 bias minus fp16 bias
constexpr uint32_t kFloatInf = 0x7f800000;
constexpr uint32_t kHalfOverflow = 0x477ff000;        // 65520: rounds to fp16 infinity
constexpr uint32_t kHalfSmallestNormal = 0x38800000;  // 2^-14

}  // namespace

Result<InputEmbeddingDtype> parse_input_embedding_dtype(std::string_view name) {
  if (auto dtype = enum_from_name(kInputEmbeddingDtypeNames, name)) return *dtype;
  return Status::invalid_argument(
      "input embedding dtype must be auto, float16 or float32, got '{}'", name);
}

std::string_view input_embedding_dtype_name(InputEmbeddingDtype dtype) {
  return enum_name(kInputEmbeddingDtypeNames, dtype);
}

Result<EmbeddingOutputDtype> parse_embedding_output_dtype(std::string_view name) {
  if (auto dtype = enum_from_name(kEmbeddingOutputDtypeNames, name)) return *dtype;
  return Status::invalid_argument("embedding output dtype must be float16 or float32, got '{}'",
                                  name);
}

std::string_view embedding_output_dtype_name(EmbeddingOutputDtype dtype) {
  return enum_name(kEmbeddingOutputDtypeNames, dtype);
}

Result<bool> is_half_storage(const arrow::DataType& value_type, InputEmbeddingDtype dtype,
                             const std::string& path, const std::string& column,
                             const std::string& column_type) {
  const bool half = value_type.id() == arrow::Type::HALF_FLOAT;
  const bool bits = value_type.id() == arrow::Type::UINT16;
  if (dtype == InputEmbeddingDtype::kFloat32 && bits) {
    return Status::data_error(
        "file {}: column '{}' has type {}: 16-bit integers are read as fp16 bit patterns (NeMo "
        "1.4's fp16 storage), not with input embedding dtype float32; use auto or float16",
        path, column, column_type);
  }
  if (dtype == InputEmbeddingDtype::kFloat16 && !half && !bits) {
    return Status::data_error(
        "file {}: column '{}' has type {}; input embedding dtype float16 expects fp16 storage "
        "(list<uint16> bit patterns or list<halffloat>)",
        path, column, column_type);
  }
  return half || bits;
}

float half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) return float_of(sign | kFloatInf | (mantissa << 13));
  if (exponent == 0) {
    // Zero or subnormal: mantissa x 2^-24, exact in float32.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return float_of(sign | ((exponent << 23) + kExponentRebias) | (mantissa << 13));
}

uint16_t float_to_half(float value) {
  const uint32_t bits = bits_of(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= kFloatInf) {  // inf, or NaN kept quiet with the top payload bits
    const uint32_t payload = magnitude > kFloatInf ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0;
    return static_cast<uint16_t>(sign | 0x7c00u | payload);
  }
  if (magnitude >= kHalfOverflow) return static_cast<uint16_t>(sign | 0x7c00u);
  if (magnitude < kHalfSmallestNormal) {
    // fp16 subnormal or zero: the count of 2^-24 steps, rounded to nearest even (the default
    // rounding mode of nearbyint); scaling by 2^24 is exact. 1024 steps is the smallest normal.
    const float steps = std::nearbyint(std::ldexp(float_of(magnitude), 24));
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(steps));
  }
  // Normal: drop 13 mantissa bits rounding to nearest even; a carry into the exponent is the
  // correct next binade.
  const uint32_t odd = (magnitude >> 13) & 1u;
  const uint32_t rounded = magnitude + 0x0fffu + odd - kExponentRebias;
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

void halves_to_floats(const uint16_t* src, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = half_to_float(src[i]);
}

void floats_to_halves(const float* src, uint16_t* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = float_to_half(src[i]);
}

}  // namespace semdedup::io
