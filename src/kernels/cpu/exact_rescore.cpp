#include "kernels/cpu/exact_rescore.hpp"

#include <cmath>

namespace semdedup::kernels {

namespace {

constexpr int kLanes = 32;

// Halves the partial sums until one is left: s[l] += s[l + half] for half = 16, 8, 4, 2, 1.
// The same tree in every build.
double reduce(double* s) {
  for (int half = kLanes / 2; half >= 1; half /= 2) {
    for (int l = 0; l < half; ++l) s[l] += s[l + half];
  }
  return s[0];
}

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) double fixed_order_dot(const float* a,
                                                                                    const float* b,
                                                                                    int64_t dim) {
  double sums[kLanes] = {};
  const int64_t full = dim / kLanes * kLanes;
  for (int64_t j = 0; j < full; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      sums[l] += static_cast<double>(a[j + l]) * static_cast<double>(b[j + l]);
    }
  }
  for (int64_t j = full; j < dim; ++j) {
    sums[j - full] += static_cast<double>(a[j]) * static_cast<double>(b[j]);
  }
  return reduce(sums);
}

double squared_distance_from_dots(double aa, double bb, double ab) {
  const double d = (aa + bb) - (ab + ab);
  return d > 0.0 ? d : 0.0;
}

double fixed_order_squared_distance(const float* a, const float* b, int64_t dim) {
  return squared_distance_from_dots(fixed_order_dot(a, a, dim), fixed_order_dot(b, b, dim),
                                    fixed_order_dot(a, b, dim));
}

double float_dot_error_factor(int64_t dim) {
  const double du = static_cast<double>(dim) * std::ldexp(1.0, -24);
  return du / (1.0 - du);
}

double double_dot_error_factor(int64_t dim) {
  const double du = static_cast<double>(dim + 2) * std::ldexp(1.0, -53);
  return du / (1.0 - du);
}

double float_underflow_slack(int64_t dim) {
  return static_cast<double>(dim) * std::ldexp(1.0, -148);
}

}  // namespace semdedup::kernels
