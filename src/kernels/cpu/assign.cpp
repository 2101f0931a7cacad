#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "kernels/cpu/blas_api.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kernels/distance.hpp"

namespace semdedup::kernels {

namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes

constexpr int64_t align_up(int64_t value, int64_t to) { return (value + to - 1) / to * to; }

// Per-thread slice: a zero-padded copy of a partial row tile, the tile's dot products, and the
// running minimum of each row.
int64_t thread_workspace_floats(int64_t dim) {
  return align_up(kTileRows * dim, kAlignFloats) + kTileRows * kCentroidBlock +
         align_up(kTileRows, kAlignFloats);
}

// Shared head of the workspace: the zero-padded last centroid block and its norms.
int64_t shared_workspace_floats(int64_t dim) {
  return align_up(kCentroidBlock * dim, kAlignFloats) + kCentroidBlock;
}

// Folds one row's dot products with a block of `count` centroids into the running minimum.
// The distance is formed without any multiplication, (x_norm + c_norm) - (dot + dot), so an
// FMA-contracting compiler cannot change its bits between the clones below. The minimum is
// found over 16 lanes, then the first centroid reaching it is taken, which equals a sequential
// scan with strict '<' (ties go to the lowest index).
__attribute__((target_clones("avx512f", "avx2", "default"))) void fold_row(
    float* dots, const float* c_norms, float x_norm, int64_t count, int64_t first_centroid,
    float* best, int32_t* label) {
  for (int64_t c = 0; c < count; ++c) {
    const float d = (x_norm + c_norms[c]) - (dots[c] + dots[c]);
    dots[c] = d > 0.0f ? d : 0.0f;
  }
  constexpr int kLanes = 16;
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = std::numeric_limits<float>::infinity();
  const int64_t full = count / kLanes * kLanes;
  for (int64_t c = 0; c < full; c += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] = dots[c + l] < lanes[l] ? dots[c + l] : lanes[l];
  }
  float block_min = std::numeric_limits<float>::infinity();
  for (int l = 0; l < kLanes; ++l) block_min = lanes[l] < block_min ? lanes[l] : block_min;
  for (int64_t c = full; c < count; ++c) block_min = dots[c] < block_min ? dots[c] : block_min;
  if (!(block_min < *best)) return;
  int64_t arg = 0;
  while (dots[arg] != block_min) ++arg;
  *best = block_min;
  *label = static_cast<int32_t>(first_centroid + arg);
}

}  // namespace

void squared_row_norms(MatrixView x, float* out, int threads) {
  const int64_t n_tiles = (x.rows + kTileRows - 1) / kTileRows;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t tile = 0; tile < n_tiles; ++tile) {
    const int64_t end = std::min(x.rows, (tile + 1) * kTileRows);
    for (int64_t row = tile * kTileRows; row < end; ++row) {
      const float* v = x.row(row);
      float sum = 0.0f;
      for (int64_t j = 0; j < x.cols; ++j) sum += v[j] * v[j];
      out[row] = sum;
    }
  }
}

int64_t centroid_block(int64_t k) { return std::min(kCentroidBlock, align_up(k, kCentroidAlign)); }

int64_t assign_workspace_floats(int64_t dim, int threads) {
  return shared_workspace_floats(dim) +
         static_cast<int64_t>(threads) * thread_workspace_floats(dim);
}

void assign_nearest(MatrixView x, const float* x_norms, MatrixView centroids, const float* c_norms,
                    int32_t* labels, float* sq_dist, float* workspace, int threads) {
  SD_DCHECK(x.cols == centroids.cols);
  SD_DCHECK(centroids.rows >= 1);
  const int64_t dim = x.cols;
  const int64_t k = centroids.rows;
  const int64_t n_tiles = (x.rows + kTileRows - 1) / kTileRows;
  const int64_t block_width = centroid_block(k);
  const int64_t n_blocks = (k + block_width - 1) / block_width;
  const int64_t last_block_rows = k - (n_blocks - 1) * block_width;

  // The last centroid block, zero-padded to the full block shape so that every GEMM has the
  // same dimensions. The padding columns are never read by the reduction.
  float* padded_centroids = workspace;
  float* padded_c_norms = workspace + align_up(kCentroidBlock * dim, kAlignFloats);
  const bool pad_centroids = last_block_rows < block_width;
  if (pad_centroids) {
    const MatrixView last = centroids.slice_rows((n_blocks - 1) * block_width, last_block_rows);
    for (int64_t c = 0; c < block_width; ++c) {
      float* dst = padded_centroids + c * dim;
      if (c < last_block_rows) {
        std::memcpy(dst, last.row(c), sizeof(float) * static_cast<size_t>(dim));
        padded_c_norms[c] = c_norms[(n_blocks - 1) * block_width + c];
      } else {
        std::memset(dst, 0, sizeof(float) * static_cast<size_t>(dim));
        padded_c_norms[c] = 0.0f;
      }
    }
  }
  float* thread_workspace = workspace + shared_workspace_floats(dim);

#pragma omp parallel num_threads(threads)
  {
    // The GEMMs below run on this thread alone, also when the team has a single thread (in
    // which case OpenBLAS would otherwise start threads of its own).
    omp_set_num_threads(1);
    float* mine = thread_workspace + omp_get_thread_num() * thread_workspace_floats(dim);
    float* padded_rows = mine;
    float* dots = mine + align_up(kTileRows * dim, kAlignFloats);
    float* best = dots + kTileRows * kCentroidBlock;

#pragma omp for schedule(dynamic, 1)
    for (int64_t tile = 0; tile < n_tiles; ++tile) {
      const int64_t first_row = tile * kTileRows;
      const int64_t rows = std::min(kTileRows, x.rows - first_row);
      const float* a = x.row(first_row);
      int64_t lda = x.stride;
      if (rows < kTileRows) {
        for (int64_t r = 0; r < kTileRows; ++r) {
          float* dst = padded_rows + r * dim;
          if (r < rows) {
            std::memcpy(dst, x.row(first_row + r), sizeof(float) * static_cast<size_t>(dim));
          } else {
            std::memset(dst, 0, sizeof(float) * static_cast<size_t>(dim));
          }
        }
        a = padded_rows;
        lda = dim;
      }
      for (int64_t r = 0; r < rows; ++r) best[r] = std::numeric_limits<float>::infinity();

      for (int64_t block = 0; block < n_blocks; ++block) {
        const int64_t first_centroid = block * block_width;
        const bool padded = pad_centroids && block == n_blocks - 1;
        const float* b = padded ? padded_centroids : centroids.row(first_centroid);
        const int64_t ldb = padded ? dim : centroids.stride;
        const float* block_norms = padded ? padded_c_norms : c_norms + first_centroid;
        const int64_t count = padded ? last_block_rows : block_width;
        gemm_abt(static_cast<int>(kTileRows), static_cast<int>(block_width), static_cast<int>(dim),
                 a, static_cast<int>(lda), b, static_cast<int>(ldb), dots,
                 static_cast<int>(block_width));
        for (int64_t r = 0; r < rows; ++r) {
          fold_row(dots + r * block_width, block_norms, x_norms[first_row + r], count,
                   first_centroid, &best[r], &labels[first_row + r]);
        }
      }
      if (sq_dist) {
        for (int64_t r = 0; r < rows; ++r) sq_dist[first_row + r] = best[r];
      }
    }
  }
}

double squared_distance(const float* a, const float* b, int64_t dim) {
  double sum = 0.0;
  for (int64_t j = 0; j < dim; ++j) {
    const double diff = static_cast<double>(a[j]) - static_cast<double>(b[j]);
    sum += diff * diff;
  }
  return sum;
}

double dot(const float* a, const float* b, int64_t dim) {
  double sum = 0.0;
  for (int64_t j = 0; j < dim; ++j) sum += static_cast<double>(a[j]) * static_cast<double>(b[j]);
  return sum;
}

float squared_distance_fast(const float* a, const float* b, int64_t dim) {
  constexpr int kLanes = 16;
  float partial[kLanes] = {};
  const int64_t full = dim / kLanes * kLanes;
  for (int64_t j = 0; j < full; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float diff = a[j + l] - b[j + l];
      partial[l] += diff * diff;
    }
  }
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += partial[l];
  for (int64_t j = full; j < dim; ++j) {
    const float diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

}  // namespace semdedup::kernels
