#pragma once
// Random unit rows for tests and for the benchmark programs run without a data file. No gtest
// here: the benchmarks include it too.

#include <cmath>
#include <cstdint>
#include <random>

#include "semdedup/core/matrix.hpp"

namespace semdedup::testing {

/// `rows` x `dim` unit vectors with independent Gaussian coordinates (mt19937 seeded by
/// `seed`), each normalised in double and rounded to float32.
inline Matrix random_unit_rows(int64_t rows, int64_t dim, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  Matrix m(rows, dim);
  for (int64_t r = 0; r < rows; ++r) {
    double norm = 0;
    for (int64_t c = 0; c < dim; ++c) {
      m.row(r)[c] = normal(gen);
      norm += double(m.row(r)[c]) * m.row(r)[c];
    }
    for (int64_t c = 0; c < dim; ++c) m.row(r)[c] = static_cast<float>(m.row(r)[c] / std::sqrt(norm));
  }
  return m;
}

}  // namespace semdedup::testing
