#include <omp.h>

#include <algorithm>
#include <cmath>

#include "semdedup/core/status.hpp"
#include "semdedup/kernels/centroid_update.hpp"

namespace semdedup::kernels {

namespace {

// Rounds value × 2^29 (exact in float) half away from zero to an int32 (|value| <= 2 keeps it
// within 2^30). A pure function of the value, and it vectorises with SSE2 already.
inline int64_t to_fixed(float value) {
  const float scaled = value * static_cast<float>(kSumScale);
  return static_cast<int32_t>(scaled + (scaled >= 0.0f ? 0.5f : -0.5f));
}

// One row added to its centroid's sums; cloned so the conversions use the widest vectors.
__attribute__((target_clones("avx512f", "avx2", "default"))) void add_row(const float* row,
                                                                          int64_t dim,
                                                                          int64_t* sum) {
  for (int64_t j = 0; j < dim; ++j) sum[j] += to_fixed(row[j]);
}

constexpr double kMaxDistTerm = 0x1p62;
constexpr int64_t kSumChunk = 1024;

}  // namespace

int64_t accumulate_workspace_size(int64_t n, int64_t k, int64_t dim, int threads) {
  return n + k + 1 + static_cast<int64_t>(threads) * dim;
}

void accumulate_centroid_sums(MatrixView x, const int32_t* labels, int64_t k, int64_t* sums,
                              int64_t* counts, int64_t* workspace, int threads) {
  const int64_t n = x.rows;
  const int64_t dim = x.cols;
  // Counting sort of the rows by label (stable). Fixed chunks of that order are then summed in
  // parallel, each run of one centroid's rows into a private vector that is added to the
  // centroid's sums atomically: integer addition in any order gives the same bits, and big
  // clusters are shared between threads.
  int64_t* offsets = workspace;
  int64_t* order = workspace + k + 1;
  int64_t* locals = order + n;
  std::fill(offsets, offsets + k + 1, 0);
  for (int64_t row = 0; row < n; ++row) {
    SD_DCHECK(labels[row] >= 0 && labels[row] < k);
    ++offsets[labels[row] + 1];
  }
  for (int64_t c = 0; c < k; ++c) {
    counts[c] += offsets[c + 1];
    offsets[c + 1] += offsets[c];
  }
  for (int64_t row = 0; row < n; ++row) order[offsets[labels[row]]++] = row;

  const int64_t n_chunks = (n + kSumChunk - 1) / kSumChunk;
#pragma omp parallel num_threads(threads)
  {
    int64_t* local = locals + static_cast<int64_t>(omp_get_thread_num()) * dim;
    auto flush = [&](int64_t centroid) {
      int64_t* sum = sums + centroid * dim;
      for (int64_t j = 0; j < dim; ++j) {
#pragma omp atomic
        sum[j] += local[j];
      }
      std::fill(local, local + dim, 0);
    };
#pragma omp for schedule(dynamic, 1)
    for (int64_t chunk = 0; chunk < n_chunks; ++chunk) {
      const int64_t begin = chunk * kSumChunk, end = std::min(n, begin + kSumChunk);
      std::fill(local, local + dim, 0);
      int64_t current = labels[order[begin]];
      for (int64_t i = begin; i < end; ++i) {
        const int64_t centroid = labels[order[i]];
        if (centroid != current) {
          flush(current);
          current = centroid;
        }
        // Rows come in label order, scattered over memory: fetch the next one early.
        if (i + 1 < end) {
          const float* next = x.row(order[i + 1]);
          for (int64_t j = 0; j < dim; j += 16) __builtin_prefetch(next + j);
        }
        add_row(x.row(order[i]), dim, local);
      }
      flush(current);
    }
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
