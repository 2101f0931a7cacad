#pragma once
// The fp32 family of the pairwise kernel one column tile at a time, for
// max_similarity_before and for the AVX512-BF16 family, which hands it the panels whose
// bfloat16 candidates overflow (pairwise_bf16.hpp).

#include <atomic>
#include <cstdint>

#include "semdedup/core/matrix.hpp"
#include "semdedup/kernels/pairwise.hpp"

namespace semdedup::kernels {

/// The fp32 family's tiling and GEMM error bound for one cluster.
struct Fp32Plan {
  int64_t tile = 0;           ///< pairwise_tile(rows)
  int64_t band_tiles = 0;     ///< pairwise_band_tiles(rows, dim)
  int64_t tiles = 0;          ///< column tiles
  int64_t last_rows = 0;      ///< rows of the last tile
  double bound_factor = 0.0;  ///< per-column bound = bound_factor * ‖e_j‖ + bound_slack
  double bound_slack = 0.0;
};

/// The plan for `embeddings`, whose largest row norm (sqrt of fixed_order_dot) is `max_norm`.
Fp32Plan plan_fp32(MatrixView embeddings, double max_norm);

/// Outputs of the columns of column tile `col_tile`, on thread `thread`'s fp32 scratch of
/// `workspace`. Every BLAS call runs on the calling thread alone: call it from an OpenMP team
/// whose threads did omp_set_num_threads(1).
void fp32_column_tile(MatrixView embeddings, const Fp32Plan& plan, int64_t col_tile,
                      PairwiseWorkspace& workspace, int thread, float* max_sim, int64_t* max_idx,
                      const std::atomic<bool>* cancel);

}  // namespace semdedup::kernels
