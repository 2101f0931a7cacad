#include "io/row_norm.hpp"

#include <fmt/format.h>

#include <cmath>

namespace semdedup::io {

double norm_in_double(const float* values, int64_t dim) {
  double sum = 0.0;
  for (int64_t k = 0; k < dim; ++k) sum += static_cast<double>(values[k]) * values[k];
  return std::sqrt(sum);
}

void divide_in_double(float* values, int64_t dim, double norm) {
  for (int64_t k = 0; k < dim; ++k) values[k] = static_cast<float>(values[k] / norm);
}

std::string non_finite_reason(const float* values, const double* source, int64_t dim) {
  for (int64_t k = 0; k < dim; ++k) {
    if (std::isfinite(values[k])) continue;
    if (source && std::isfinite(source[k])) {
      return fmt::format("value {} is out of float32 range at index {}", source[k], k);
    }
    return fmt::format("non-finite value {} at index {}", values[k], k);
  }
  return {};
}

float squared_norm(const float* values, int64_t dim) {
  float sum = 0.0f;
  for (int64_t k = 0; k < dim; ++k) sum += values[k] * values[k];
  return sum;
}

std::string normalise_row(float* values, int64_t dim, float squared, const double* source,
                          bool normalise) {
  if (!std::isfinite(squared)) {
    std::string reason = non_finite_reason(values, source, dim);
    if (!reason.empty()) return reason;
  }
  if (!normalise) return {};
  if (!std::isnormal(squared)) {
    // A float32 sum of squares that under- or overflows (values near 1e-23 or 1e19 and beyond)
    // is redone in double; only an all-zero row has no direction.
    const double wide_norm = norm_in_double(values, dim);
    if (wide_norm == 0.0) return "zero norm";
    divide_in_double(values, dim, wide_norm);
    return {};
  }
  // Division (not multiplication by 1/norm), as x / ||x|| is written in spec section 4: float32
  // throughout, as NeMo does, whenever the float32 sum of squares is a normal number.
  const float norm = std::sqrt(squared);
  for (int64_t k = 0; k < dim; ++k) values[k] /= norm;
  return {};
}

}  // namespace semdedup::io
