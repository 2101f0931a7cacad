#pragma once
// The pairwise kernel's AVX512-BF16 family (CpuKernel::kAvx512Bf16): bfloat16 dot products
// propose, the fixed-order double dot of the fp32 family decides. Reached through
// max_similarity_before with a workspace of that family (semdedup/kernels/pairwise.hpp).
//
// The cluster is rounded to bfloat16 once (values below 2^-60 in magnitude become 0, so no
// operand or product is subnormal, and values are at most 2^50, so no float32 sum overflows).
// Columns are taken 256 at a time (a panel, packed for `vdpbf16ps`); rows 6 at a time against 64
// columns in 24 accumulators, over all of dim, and the masked column maximum (rows i < j only) is
// folded in as each register block finishes, so the N x 256 product never goes to memory. A row
// whose bfloat16 product is within 2·E_j of its column's running maximum is kept as a candidate (up
// to kPairwiseBf16Candidates per column; a column past that is rescanned at the end, and a panel
// with more than 8 such columns, a dense cluster, is handed to the fp32 family's column tile
// instead). Finally every candidate within 2·E_j of the column's final bfloat16 maximum is rescored
// by fixed_order_dot in ascending row order, a strictly larger score replacing the best: exactly
// what the fp32 family computes, so the outputs of the two families are identical.
//
// The bound E_j, for rows a_i, a_j, their bfloat16 roundings ã, the rounding residues
// δ = a - ã (‖δ‖ computed exactly per row: 0.43·u‖a‖ on average for random unit rows, u = 2^-8,
// never above u‖a‖):
//   a_i·a_j = ã_i·ã_j + δ_i·a_j + ã_i·δ_j                     (exact identity)
//   |δ_i·a_j| <= ‖δ_i‖ ‖a_j‖,  |ã_i·δ_j| <= ‖ã_i‖ ‖δ_j‖         (Cauchy-Schwarz)
//   |fl32(ã_i·ã_j) - ã_i·ã_j| <= γ ‖ã_i‖ ‖ã_j‖ + dim·2^-125
//       (bfloat16 products are exact in float32; dim float32 additions in any order, each
//       rounded by at most 2^-23 relative, γ = 2·dim·2^-24 / (1 - 2·dim·2^-24): twice the
//       round-to-nearest factor, so any rounding of the hardware's pair sums is covered; the
//       last term covers partial sums flushed to zero)
//   |fixed_order_dot - a_i·a_j| <= γ53 ‖a_i‖ ‖a_j‖              (double_dot_error_factor)
// so |bf16 score - rescored score| <= E_j with
//   E_j = D ‖a_j‖ + M ‖δ_j‖ + γ M ‖ã_j‖ + γ53 N ‖a_j‖ + dim·2^-125,
// D, M, N the largest ‖δ_i‖, ‖ã_i‖, ‖a_i‖ of the cluster. (For unit rows the worst case is
// E_j <= 2u + u² + γ + γ53; for random unit rows of 768 it is about 0.9u = 3.5e-3.) The best
// rescored row i* then has a bfloat16 score
//   >= r(i*) - E_j >= r(any row) - E_j >= (that row's bfloat16 score) - 2·E_j,
// so it is within 2·E_j of the column's bfloat16 maximum and always rescored; so is every row
// tying with it. The float32 threshold max - 2·E_j is widened by a relative 2^-21 of its
// operands to cover its own rounding, and the norms (double sums) by a relative 1e-6.
//
// A row byte-identical to an earlier row is never a candidate: the earlier copy has the same
// score and wins the tie, so groups of exact duplicates cost one candidate each.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "semdedup/core/matrix.hpp"
#include "semdedup/kernels/pairwise.hpp"

namespace semdedup::kernels {

/// Candidates kept per column before a column is rescanned at the end of its panel.
inline constexpr int kPairwiseBf16Candidates = 32;
/// Largest value magnitude and width the family takes: squared norms stay below 2^126.
inline constexpr double kPairwiseBf16MaxValue = 0x1p50;
inline constexpr int64_t kPairwiseBf16MaxDim = int64_t{1} << 24;

/// Bytes of scratch the AVX512-BF16 family needs shared by all threads (the bfloat16 copy
/// and per-row norms of a cluster of `rows` x `dim`) and per thread (one packed panel).
int64_t pairwise_bf16_shared_bytes(int64_t rows, int64_t dim);
int64_t pairwise_bf16_thread_bytes(int64_t dim);

/// max_similarity_before (semdedup/kernels/pairwise.hpp) on the AVX512-BF16 family, same
/// outputs. `workspace` must fit (rows, dim, threads) for this family. Requires a CPU with
/// AVX512-BF16. Returns false, having written nothing, when a value exceeds
/// kPairwiseBf16MaxValue in magnitude or dim exceeds kPairwiseBf16MaxDim (float32 sums could
/// overflow), or the cluster has 2^31 rows or more; the caller then runs the fp32 family.
bool max_similarity_before_bf16(MatrixView embeddings, int threads, float* max_sim,
                                int64_t* max_idx, PairwiseWorkspace& workspace,
                                const std::atomic<bool>* cancel);

}  // namespace semdedup::kernels
