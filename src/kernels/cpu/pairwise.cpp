#include "semdedup/kernels/pairwise.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/blas_api.hpp"
#include "kernels/cpu/exact_rescore.hpp"
#include "kernels/cpu/pairwise_bf16.hpp"
#include "kernels/cpu/pairwise_fp32.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kernels/isa.hpp"

namespace semdedup::kernels {

namespace {

constexpr int64_t kFloatAlign = 16;  // 64 bytes

int64_t round_up(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// Folds a [rows x tile] block of products into column maxima. Rows are visited in ascending
// order and only a strictly larger value replaces the running one, so among equal values the
// lowest row wins. `hit[j]` receives the block row of the last improvement. On a diagonal block
// (rows == tile) only rows above the column count (i < j). Built for AVX-512, AVX2 and the
// baseline, picked once at load time; comparisons only, so every build gives the same result.
__attribute__((target_clones("avx512f", "avx2", "default"))) void fold_block(
    const float* product, int64_t rows, int64_t tile, bool diagonal, float* col_max, int32_t* hit) {
  for (int64_t row = 0; row < rows; ++row) {
    const float* values = product + row * tile;
    const int64_t first = diagonal ? row + 1 : 0;
    const auto block_row = static_cast<int32_t>(row);
    for (int64_t col = first; col < tile; ++col) {
      const bool better = values[col] > col_max[col];
      col_max[col] = better ? values[col] : col_max[col];
      hit[col] = better ? block_row : hit[col];
    }
  }
}

// count[j] += the rows of the block whose product with column j is at least limit[j] (on a
// diagonal block, rows above j only).
__attribute__((target_clones("avx512f", "avx2", "default"))) void count_at_least(
    const float* product, int64_t rows, int64_t tile, bool diagonal, const float* limit,
    int32_t* count) {
  for (int64_t row = 0; row < rows; ++row) {
    const float* values = product + row * tile;
    for (int64_t col = diagonal ? row + 1 : 0; col < tile; ++col) {
      count[col] += values[col] >= limit[col] ? 1 : 0;
    }
  }
}

// The largest float at most `value`.
float round_down_to_float(double value) {
  const auto f = static_cast<float>(value);
  return static_cast<double>(f) <= value
             ? f
             : std::nextafter(f, -std::numeric_limits<float>::infinity());
}

// Euclidean norm of a row, from the fixed-order double sum.
double row_norm(const float* row, int64_t dim) { return std::sqrt(fixed_order_dot(row, row, dim)); }

}  // namespace

int64_t pairwise_tile(int64_t rows) {
  return std::min(kPairwiseMaxTile, round_up(std::max<int64_t>(rows, 1), kPairwiseTileAlign));
}

int64_t pairwise_band_tiles(int64_t rows, int64_t dim) {
  // A band is used only by column tiles past the first kPairwiseBandTiles.
  const bool has_bands = rows > kPairwiseBandTiles * kPairwiseMaxTile;
  return has_bands && dim >= kPairwiseBandMinDim ? kPairwiseBandTiles : 1;
}

PairwiseWorkspace::PairwiseWorkspace(CpuKernel kernel) {
  const CpuKernel resolved = resolve_cpu_kernel(kernel);
  kernel_ = cpu_kernel_available(resolved) ? resolved : best_cpu_kernel();
}

int64_t PairwiseWorkspace::floats_per_thread(int64_t tile, int64_t band_tiles, int64_t dim) {
  return round_up(band_tiles * tile * tile, kFloatAlign) + round_up(tile * dim, kFloatAlign) +
         round_up(tile, kFloatAlign);
}

void PairwiseWorkspace::reserve(int64_t rows, int64_t dim, int threads) {
  if (fits(rows, dim, threads)) return;
  tile_ = std::max(tile_, pairwise_tile(rows));
  band_tiles_ = std::max(band_tiles_, pairwise_band_tiles(rows, dim));
  dim_ = std::max(dim_, dim);
  threads_ = std::max(threads_, threads);
  floats_per_thread_ = floats_per_thread(tile_, band_tiles_, dim_);
  floats_.assign(static_cast<size_t>(floats_per_thread_ * threads_), 0.0f);
  rows_.assign(static_cast<size_t>(tile_ * threads_), 0);
  if (kernel_ == CpuKernel::kAvx512Bf16) {
    const int64_t shared = pairwise_bf16_shared_bytes(rows, dim);
    if (shared > static_cast<int64_t>(bf16_shared_.size())) {
      bf16_shared_.resize(static_cast<size_t>(shared));
    }
    bf16_threads_.resize(static_cast<size_t>(pairwise_bf16_thread_bytes(dim_) * threads_));
  }
}

bool PairwiseWorkspace::fits(int64_t rows, int64_t dim, int threads) const {
  const bool bf16_fits =
      kernel_ != CpuKernel::kAvx512Bf16 ||
      (pairwise_bf16_shared_bytes(rows, dim) <= static_cast<int64_t>(bf16_shared_.size()) &&
       pairwise_bf16_thread_bytes(dim) * threads <= static_cast<int64_t>(bf16_threads_.size()));
  return pairwise_tile(rows) <= tile_ && pairwise_band_tiles(rows, dim) <= band_tiles_ &&
         dim <= dim_ && threads <= threads_ && bf16_fits;
}

int64_t PairwiseWorkspace::bytes() const {
  return static_cast<int64_t>(floats_.size() * sizeof(float) + rows_.size() * sizeof(int32_t) +
                              bf16_shared_.size() + bf16_threads_.size());
}

Fp32Plan plan_fp32(MatrixView embeddings, double max_norm) {
  const int64_t n = embeddings.rows;
  const int64_t dim = embeddings.cols;
  Fp32Plan plan;
  plan.tile = pairwise_tile(n);
  plan.band_tiles = pairwise_band_tiles(n, dim);
  plan.tiles = (n + plan.tile - 1) / plan.tile;
  plan.last_rows = n - (plan.tiles - 1) * plan.tile;
  // |GEMM product - rescored product| <= (γ_d + the double factor) ‖e_i‖ ‖e_j‖ (plus slack
  // for underflow); with the largest row norm for ‖e_i‖ it becomes a bound per column. The
  // norms come from double sums (relative error ~ d 2^-53), covered by the 1e-6 margin.
  plan.bound_factor =
      (float_dot_error_factor(dim) + double_dot_error_factor(dim)) * (1.0 + 1e-6) * max_norm;
  plan.bound_slack = 2.0 * float_underflow_slack(dim);
  return plan;
}

void fp32_column_tile(MatrixView embeddings, const Fp32Plan& plan, int64_t col_tile,
                      PairwiseWorkspace& workspace, int thread, float* max_sim, int64_t* max_idx,
                      const std::atomic<bool>* cancel) {
  const int64_t n = embeddings.rows;
  const int64_t dim = embeddings.cols;
  const int64_t tile = plan.tile;
  const int64_t band_tiles = plan.band_tiles;
  const int64_t tiles = plan.tiles;
  const int64_t last_rows = plan.last_rows;
  const double bound_factor = plan.bound_factor;
  const double bound_slack = plan.bound_slack;
  const auto stopped = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
  const auto row_bytes = static_cast<size_t>(dim) * sizeof(float);
  [[maybe_unused]] const int64_t per_thread_floats =
      PairwiseWorkspace::floats_per_thread(tile, band_tiles, dim);
  float* scratch = workspace.thread_floats(thread);
  float* product = scratch;
  float* padded = product + round_up(band_tiles * tile * tile, kFloatAlign);
  float* col_max = padded + round_up(tile * dim, kFloatAlign);
  int32_t* hit = workspace.thread_rows(thread);
  SD_DCHECK(col_max + tile <= scratch + per_thread_floats);
  // Per column of the tile: the error bound of its GEMM products, the best rescored product
  // so far, and this block's rescoring limit and count of rows reaching it.
  double bound[kPairwiseMaxTile];
  double rescored[kPairwiseMaxTile];
  float limit[kPairwiseMaxTile];
  int32_t count[kPairwiseMaxTile];

  // The last tile is copied with zero rows up to the full tile edge, so that its GEMMs have
  // the tile shape too. It is needed only by the last column tile.
  const bool pad_last = col_tile == tiles - 1 && last_rows < tile;
  if (pad_last) {
    for (int64_t row = 0; row < last_rows; ++row) {
      std::memcpy(padded + row * dim, embeddings.row(col_tile * tile + row),
                  static_cast<size_t>(dim) * sizeof(float));
    }
    std::memset(padded + last_rows * dim, 0,
                static_cast<size_t>((tile - last_rows) * dim) * sizeof(float));
  }
  const auto tile_data = [&](int64_t index) {
    return pad_last && index == col_tile ? padded : embeddings.row(index * tile);
  };
  const auto tile_ld = [&](int64_t index) {
    return static_cast<int>(pad_last && index == col_tile ? dim : embeddings.stride);
  };
  const int64_t col_first = col_tile * tile;
  const int64_t col_count = std::min(tile, n - col_first);
  int64_t* best = max_idx + col_first;
  std::fill(best, best + col_count, int64_t{-1});
  for (int64_t col = 0; col < col_count; ++col) {
    bound[col] = bound_factor * row_norm(embeddings.row(col_first + col), dim) + bound_slack;
    rescored[col] = -std::numeric_limits<double>::infinity();
  }

  // Multiplies rows [first_row, first_row + rows) of `data` by the column tile; blocks
  // arrive in ascending row order. The GEMM only proposes: a row can beat the block's
  // GEMM maximum only within twice the bound of it, and the best rescored product so far
  // only within the bound of it. Those rows are rescored in ascending order and a
  // strictly larger rescored product replaces the best, so the result is the largest
  // rescored product with its earliest row, whatever the BLAS kernel or the row's place
  // in the GEMM.
  const auto multiply_and_fold = [&](const float* data, int ld, int64_t first_row, int64_t rows,
                                     bool diagonal) {
    gemm_abt(static_cast<int>(rows), static_cast<int>(tile), static_cast<int>(dim), data, ld,
             tile_data(col_tile), tile_ld(col_tile), product, static_cast<int>(tile));
    std::fill(col_max, col_max + tile, -std::numeric_limits<float>::infinity());
    std::fill(hit, hit + tile, int32_t{-1});
    fold_block(product, rows, tile, diagonal, col_max, hit);
    bool any = false;
    for (int64_t col = 0; col < tile; ++col) {
      const double block_max = col_max[col];
      const double needed = std::max(block_max - 2.0 * bound[col], rescored[col] - bound[col]);
      const bool open = col < col_count && hit[col] >= 0 && block_max >= needed;
      limit[col] = open ? round_down_to_float(needed) : std::numeric_limits<float>::infinity();
      count[col] = 0;
      any = any || open;
    }
    if (!any) return;
    count_at_least(product, rows, tile, diagonal, limit, count);
    for (int64_t col = 0; col < col_count; ++col) {
      if (count[col] == 0) continue;
      const float* column = embeddings.row(col_first + col);
      const auto rescore = [&](int64_t row) {
        // A copy of the best row so far has its rescored product and cannot replace it;
        // comparing the bytes is cheaper than the product (large groups of duplicates).
        const float* data = embeddings.row(first_row + row);
        if (best[col] >= 0 && std::memcmp(data, embeddings.row(best[col]), row_bytes) == 0) {
          return;
        }
        const double value = fixed_order_dot(data, column, dim);
        if (value > rescored[col]) {
          rescored[col] = value;
          best[col] = first_row + row;
        }
      };
      if (count[col] == 1) {
        rescore(hit[col]);
        continue;
      }
      const int64_t row_end = diagonal ? std::min(rows, col) : rows;
      for (int64_t row = 0; row < row_end; ++row) {
        if (product[row * tile + col] >= limit[col]) rescore(row);
      }
    }
  };
  // Whole bands first (all above the diagonal, never the padded tile), then single tiles.
  int64_t row_tile = 0;
  for (; row_tile + band_tiles <= col_tile; row_tile += band_tiles) {
    if (stopped()) break;
    multiply_and_fold(embeddings.row(row_tile * tile), static_cast<int>(embeddings.stride),
                      row_tile * tile, band_tiles * tile, false);
  }
  for (; row_tile <= col_tile; ++row_tile) {
    if (stopped()) break;
    multiply_and_fold(tile_data(row_tile), tile_ld(row_tile), row_tile * tile, tile,
                      row_tile == col_tile);
  }

  // NeMo 1.4 masks the diagonal and later rows with -inf: the best earlier similarity is
  // kept even when negative, with its earliest row. Position 0 has no earlier row and gets
  // (0, itself).
  for (int64_t col = 0; col < col_count; ++col) {
    const bool has_match = best[col] >= 0;
    max_sim[col_first + col] = has_match ? static_cast<float>(rescored[col]) : 0.0f;
    if (!has_match) best[col] = col_first + col;
  }
}

void max_similarity_before(MatrixView embeddings, int threads, float* max_sim, int64_t* max_idx,
                           PairwiseWorkspace& workspace, const std::atomic<bool>* cancel) {
  const int64_t n = embeddings.rows;
  const int64_t dim = embeddings.cols;
  if (n == 0) return;
  SD_DCHECK(dim >= 1 && threads >= 1);
  SD_DCHECK(workspace.fits(n, dim, threads));
  if (workspace.kernel() == CpuKernel::kAvx512Bf16 &&
      max_similarity_before_bf16(embeddings, threads, max_sim, max_idx, workspace, cancel)) {
    return;
  }
  double max_norm = 0.0;
  for (int64_t row = 0; row < n; ++row)
    max_norm = std::max(max_norm, row_norm(embeddings.row(row), dim));
  const Fp32Plan plan = plan_fp32(embeddings, max_norm);

#pragma omp parallel num_threads(threads)
  {
    // A team of one is not an active parallel region, so OpenBLAS would otherwise start its
    // own threads; every GEMM here must run on the calling thread alone.
    omp_set_num_threads(1);
    const int thread = omp_get_thread_num();
    // Column tiles from the most expensive (the last: it needs every row tile) to the cheapest;
    // which thread takes which tile does not change any result.
#pragma omp for schedule(dynamic, 1)
    for (int64_t order = 0; order < plan.tiles; ++order) {
      if (cancel && cancel->load(std::memory_order_relaxed)) continue;
      fp32_column_tile(embeddings, plan, plan.tiles - 1 - order, workspace, thread, max_sim,
                       max_idx, cancel);
    }
  }
}

}  // namespace semdedup::kernels
