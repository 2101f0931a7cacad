#include <algorithm>
#include <cmath>

#include "semdedup/core/status.hpp"
#include "semdedup/kernels/centroid_update.hpp"

namespace semdedup::kernels {

namespace {

inline int64_t to_fixed(float value) {
  return static_cast<int64_t>(std::nearbyint(static_cast<double>(value) * kSumScale));
}

constexpr double kMaxDistTerm = 0x1p62;

}  // namespace

int64_t accumulate_workspace_size(int64_t n, int64_t k) { return n + k + 1; }

void accumulate_centroid_sums(MatrixView x, const int32_t* labels, int64_t k, int64_t* sums,
                              int64_t* counts, int64_t* workspace, int threads) {
  const int64_t n = x.rows;
  const int64_t dim = x.cols;
  // Counting sort of the rows by label (stable), so that each centroid's rows can be summed by
  // one thread without atomics.
  int64_t* offsets = workspace;
  int64_t* order = workspace + k + 1;
  std::fill(offsets, offsets + k + 1, 0);
  for (int64_t row = 0; row < n; ++row) {
    SD_DCHECK(labels[row] >= 0 && labels[row] < k);
    ++offsets[labels[row] + 1];
  }
  for (int64_t c = 0; c < k; ++c) offsets[c + 1] += offsets[c];
  for (int64_t row = 0; row < n; ++row) order[offsets[labels[row]]++] = row;
  for (int64_t c = k; c > 0; --c) offsets[c] = offsets[c - 1];
  offsets[0] = 0;

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t c = 0; c < k; ++c) {
    int64_t* sum = sums + c * dim;
    for (int64_t i = offsets[c]; i < offsets[c + 1]; ++i) {
      const float* v = x.row(order[i]);
      for (int64_t j = 0; j < dim; ++j) sum[j] += to_fixed(v[j]);
    }
    counts[c] += offsets[c + 1] - offsets[c];
  }
}

double update_centroids(const int64_t* sums, const int64_t* counts, MutableMatrixView centroids) {
  const int64_t dim = centroids.cols;
  double shift = 0.0;
  for (int64_t c = 0; c < centroids.rows; ++c) {
    if (counts[c] == 0) continue;
    const double scale = 1.0 / (static_cast<double>(counts[c]) * kSumScale);
    float* centroid = centroids.row(c);
    const int64_t* sum = sums + c * dim;
    for (int64_t j = 0; j < dim; ++j) {
      const float updated = static_cast<float>(static_cast<double>(sum[j]) * scale);
      const double diff = static_cast<double>(updated) - static_cast<double>(centroid[j]);
      shift += diff * diff;
      centroid[j] = updated;
    }
  }
  return shift;
}

double FixedSum::value() const {
  const __int128 total = (static_cast<__int128>(hi) << 32) + static_cast<__int128>(lo);
  return static_cast<double>(total) / kDistScale;
}

FixedSum fixed_point_sum(const float* values, int64_t n, int threads) {
  // Integer addition is associative, so the per-thread partial sums may be combined in any
  // order.
  __int128 total = 0;
#pragma omp parallel num_threads(threads)
  {
    __int128 sum = 0;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const double term = std::min(static_cast<double>(values[i]) * kDistScale, kMaxDistTerm);
      sum += static_cast<int64_t>(std::nearbyint(term));
    }
#pragma omp critical
    total += sum;
  }
  FixedSum result;
  result.hi = static_cast<int64_t>(total >> 32);
  result.lo = static_cast<int64_t>(total & 0xffffffff);
  return result;
}

}  // namespace semdedup::kernels
