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

}  // namespace semdedup::io
