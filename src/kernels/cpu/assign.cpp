#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/blas_api.hpp"
#include "kernels/cpu/exact_rescore.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kernels/distance.hpp"

namespace semdedup::kernels {

namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes

constexpr int64_t align_up(int64_t value, int64_t to) { return (value + to - 1) / to * to; }

// The smallest float at least `value`.
float round_up_to_float(double value) {
  const auto f = static_cast<float>(value);
  return static_cast<double>(f) >= value
             ? f
             : std::nextafter(f, std::numeric_limits<float>::infinity());
}

// Per-thread slice: a zero-padded copy of a partial row tile and the tile's dot products.
int64_t thread_workspace_floats(int64_t dim) {
  return align_up(kTileRows * dim, kAlignFloats) + kTileRows * kCentroidBlock;
}

// Shared head of the workspace: the zero-padded last centroid block and its norms.
int64_t shared_workspace_floats(int64_t dim) {
  return align_up(kCentroidBlock * dim, kAlignFloats) + kCentroidBlock;
}

// Turns one row's dot products with a block of `count` centroids into GEMM distances and
// returns the smallest, with the first centroid reaching it in *arg. The distance is formed
// without any multiplication, (x_norm + c_norm) - (dot + dot), so an FMA-contracting compiler
// cannot change its bits between the clones below. The minimum is found over 16 lanes.
__attribute__((target_clones("avx512f", "avx2", "default"))) float fold_row(
    float* dots, const float* c_norms, float x_norm, int64_t count, int64_t* arg) {
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
  int64_t first = 0;
  while (dots[first] != block_min) ++first;
  *arg = first;
  return block_min;
}

// How many GEMM distances of the block are at most `limit`.
__attribute__((target_clones("avx512f", "avx2", "default"))) int64_t count_at_most(
    const float* dots, int64_t count, float limit) {
  int64_t n = 0;
  for (int64_t c = 0; c < count; ++c) n += dots[c] <= limit ? 1 : 0;
  return n;
}

// A bound on |GEMM distance - rescored distance| for a row of squared norm `x_norm` and any
// centroid of squared norm at most `c_norm_max`. The GEMM distance (x_norm + c_norm) - 2 x·c
// carries the errors of the two float norms and the float dot (each at most γ_d times the
// product of the norms, so γ_d (‖x‖ + ‖c‖)² <= 2 γ_d (‖x‖² + ‖c‖²) together), and two float
// roundings of sums at most 2 (‖x‖² + ‖c‖²); the rescored double distance is off by at most
// the double factor on the same sum. The float norms stand in for the true ones divided by
// (1 - γ_d).
double distance_error_bound(double x_norm, double c_norm_max, int64_t dim) {
  const double g = float_dot_error_factor(dim);
  const double u = std::ldexp(1.0, -24);
  const double factor =
      (2.0 * g + 4.0 * u * (1.0 + g) + 2.0 * double_dot_error_factor(dim)) / (1.0 - g);
  return factor * (x_norm + c_norm_max) + 4.0 * float_underflow_slack(dim);
}

// The smallest GEMM distance of the block above `limit` (+inf when there is none).
__attribute__((target_clones("avx512f", "avx2", "default"))) float min_above(const float* dots,
                                                                             int64_t count,
                                                                             float limit) {
  float m = std::numeric_limits<float>::infinity();
  for (int64_t c = 0; c < count; ++c) m = dots[c] > limit && dots[c] < m ? dots[c] : m;
  return m;
}

// Rescores the candidates of one block: every centroid whose GEMM distance is at most `limit`,
// in ascending order, with a strict '<' against the running best (ties keep the lowest index).
// `row_sq` and `c_sq` are the fixed_order_dot squared norms of the row and of every centroid.
void rescore_block(const float* dots, int64_t count, float limit, int64_t block_arg,
                   const float* row, double row_sq, MatrixView centroids, const double* c_sq,
                   int64_t first_centroid, double* best, double* second, int32_t* label) {
  const auto row_bytes = static_cast<size_t>(centroids.cols) * sizeof(float);
  const auto rescore = [&](int64_t c) {
    const float* centroid = centroids.row(first_centroid + c);
    // A copy of the best centroid so far has its distance and cannot replace it; comparing
    // the bytes is cheaper than the distance (duplicate centroids).
    if (*best < std::numeric_limits<double>::infinity() &&
        std::memcmp(centroid, centroids.row(*label), row_bytes) == 0) {
      *second = std::min(*second, *best);
      return;
    }
    const double d = squared_distance_from_dots(row_sq, c_sq[first_centroid + c],
                                                fixed_order_dot(row, centroid, centroids.cols));
    if (d < *best) {
      *second = std::min(*second, *best);
      *best = d;
      *label = static_cast<int32_t>(first_centroid + c);
    } else {
      *second = std::min(*second, d);
    }
  };
  if (count_at_most(dots, count, limit) == 1) {
    rescore(block_arg);
    return;
  }
  for (int64_t c = 0; c < count; ++c) {
    if (dots[c] <= limit) rescore(c);
  }
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
                    int32_t* labels, float* sq_dist, float* workspace, int threads,
                    double* second) {
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
  const double c_norm_max = *std::max_element(c_norms, c_norms + k);
  // The centroids' squared norms for rescoring, summed like every rescored dot product.
  std::vector<double> c_sq(static_cast<size_t>(k));

#pragma omp parallel num_threads(threads)
  {
    // The GEMMs below run on this thread alone, also when the team has a single thread (in
    // which case OpenBLAS would otherwise start threads of its own).
    omp_set_num_threads(1);
    float* mine = thread_workspace + omp_get_thread_num() * thread_workspace_floats(dim);
    float* padded_rows = mine;
    float* dots = mine + align_up(kTileRows * dim, kAlignFloats);
    // Per row of the tile: the smallest rescored distance so far and its error bound.
    double best[kTileRows];
    double bound[kTileRows];
    double row_sq[kTileRows];
    // Per row: a lower bound on the rescored distance to every centroid but the best.
    double runner_up[kTileRows];
#pragma omp for schedule(static)
    for (int64_t c = 0; c < k; ++c)
      c_sq[c] = fixed_order_dot(centroids.row(c), centroids.row(c), dim);

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
      for (int64_t r = 0; r < rows; ++r) {
        best[r] = std::numeric_limits<double>::infinity();
        runner_up[r] = std::numeric_limits<double>::infinity();
        bound[r] = distance_error_bound(x_norms[first_row + r], c_norm_max, dim);
        row_sq[r] = fixed_order_dot(x.row(first_row + r), x.row(first_row + r), dim);
      }

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
          float* row_dots = dots + r * block_width;
          int64_t arg = 0;
          const double block_min =
              fold_row(row_dots, block_norms, x_norms[first_row + r], count, &arg);
          // A centroid can beat the block's GEMM minimum only within twice the bound of it,
          // and the running best only within the bound of it.
          const double limit = std::min(block_min + 2.0 * bound[r], best[r] + bound[r]);
          if (block_min > limit) {
            // Every centroid of the block is at least its GEMM distance less the bound away.
            if (second) runner_up[r] = std::min(runner_up[r], block_min - bound[r]);
            continue;
          }
          const float float_limit = round_up_to_float(limit);
          if (second) {
            runner_up[r] =
                std::min(runner_up[r],
                         static_cast<double>(min_above(row_dots, count, float_limit)) - bound[r]);
          }
          rescore_block(row_dots, count, float_limit, arg, x.row(first_row + r), row_sq[r],
                        centroids, c_sq.data(), first_centroid, &best[r], &runner_up[r],
                        &labels[first_row + r]);
        }
      }
      if (sq_dist) {
        for (int64_t r = 0; r < rows; ++r) sq_dist[first_row + r] = static_cast<float>(best[r]);
      }
      if (second) {
        for (int64_t r = 0; r < rows; ++r) second[first_row + r] = runner_up[r];
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
