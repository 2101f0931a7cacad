#pragma once
/// \file IEEE binary16 (fp16) storage of embeddings, as NeMo Curator 1.4 writes it: cuDF has no
/// fp16 column, so half-precision embeddings are `list<uint16>` holding the bit patterns. Arrow
/// `halffloat` lists are the same bits under their own type. Spec section 19.

#include <cstdint>
#include <string>
#include <string_view>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/status.hpp"

namespace arrow {
class DataType;
}  // namespace arrow

namespace semdedup::io {

/// How the values of an embedding list are read (NeMo's `input_embedding_dtype`).
enum class InputEmbeddingDtype {
  kAuto,     ///< list<uint16> and list<halffloat> are fp16; other numbers as stored (default)
  kFloat16,  ///< the column must hold fp16: list<uint16> bit patterns or list<halffloat>
  kFloat32,  ///< the column must hold numbers; list<uint16> is an error (ambiguous bits)
};
/// The names of InputEmbeddingDtype (NeMo's spellings).
inline constexpr std::array<EnumName<InputEmbeddingDtype>, 3> kInputEmbeddingDtypeNames{
    {{InputEmbeddingDtype::kAuto, "auto"},
     {InputEmbeddingDtype::kFloat16, "float16"},
     {InputEmbeddingDtype::kFloat32, "float32"}}};
Result<InputEmbeddingDtype> parse_input_embedding_dtype(std::string_view name);
std::string_view input_embedding_dtype_name(InputEmbeddingDtype dtype);

/// How the KMeans output stores its `embeddings` column (NeMo's `embedding_output_dtype`).
enum class EmbeddingOutputDtype {
  kFloat32,  ///< list<float32>, exact (default)
  kFloat16,  ///< list<uint16> fp16 bit patterns, rounded to nearest even, as NeMo 1.4 writes
};
/// The names of EmbeddingOutputDtype (NeMo's spellings).
inline constexpr std::array<EnumName<EmbeddingOutputDtype>, 2> kEmbeddingOutputDtypeNames{
    {{EmbeddingOutputDtype::kFloat32, "float32"}, {EmbeddingOutputDtype::kFloat16, "float16"}}};
Result<EmbeddingOutputDtype> parse_embedding_output_dtype(std::string_view name);
std::string_view embedding_output_dtype_name(EmbeddingOutputDtype dtype);

/// Whether an embedding column whose list values have type `value_type` holds fp16 under
/// `dtype`: true for fp16 storage, false for numbers read as stored. A data_error naming `path`,
/// `column` and `column_type` (the list type, as shown to the user) when `dtype` forbids it.
Result<bool> is_half_storage(const arrow::DataType& value_type, InputEmbeddingDtype dtype,
                             const std::string& path, const std::string& column,
                             const std::string& column_type);

/// The float32 value of fp16 bits `bits` (exact: every fp16 value is a float32).
float half_to_float(uint16_t bits);

/// `value` rounded to the nearest fp16, ties to even; beyond the fp16 range it becomes +-inf,
/// NaN stays NaN.
uint16_t float_to_half(float value);

/// dst[i] = half_to_float(src[i]) for i in [0, count).
void halves_to_floats(const uint16_t* src, float* dst, int64_t count);

/// dst[i] = float_to_half(src[i]) for i in [0, count).
void floats_to_halves(const float* src, uint16_t* dst, int64_t count);

}  // namespace semdedup::io
