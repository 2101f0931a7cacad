#include "semdedup/kernels/assign_bf16.hpp"

#include "kernels/cpu/avx512_bf16.hpp"
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "semdedup/core/status.hpp"

namespace semdedup::kernels {

namespace {

constexpr int kLanes = 16;
constexpr int kVectors = 4;
// Centroids per block: kVectors registers of kLanes accumulators per row.
constexpr int64_t kBlock = kLanes * kVectors;
// Rows per register block: kGroupRows x kVectors = 24 accumulators of the 32 zmm registers.
constexpr int kGroupRows = 6;
// Rows converted to bfloat16 at a time (16 register blocks); with one block of centroids both
// stay in L2.
constexpr int64_t kRowTile = 96;
// Candidates kept per row before a row falls back to rescoring every centroid.
constexpr int kMaxCandidates = 32;
// Squared norm of the padding centroids of the last block: never within reach of a real one.
constexpr float kPadNorm = 1e30f;
constexpr int64_t kAlignFloats = 16;

constexpr int64_t align_up(int64_t value, int64_t to) { return (value + to - 1) / to * to; }

// uint32 (bfloat16 pairs) per converted row: a multiple of 16, so rows convert 32 values at a
// time, the tail padded with zeros.
int64_t pairs_of(int64_t dim) { return align_up(dim, 32) / 2; }

int64_t blocks_of(int64_t k) { return (k + kBlock - 1) / kBlock; }

int64_t shared_floats(int64_t k, int64_t dim) {
  return align_up(blocks_of(k) * pairs_of(dim) * kBlock, kAlignFloats) + 2 * blocks_of(k) * kBlock;
}

int64_t thread_floats(int64_t dim) {
  return align_up(kRowTile * pairs_of(dim), kAlignFloats) + 3 * kRowTile +
         2 * kRowTile * kMaxCandidates;
}

// Round to nearest even bfloat16 (finite input).
uint32_t bf16_bits(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return bits >> 16;
}

// The constants a and b of the per-pair bound in assign_bf16.hpp, with the 1.001 safety
// factor folded in.
struct BoundTerms {
  float a = 0.0f;
  float b = 0.0f;
};

BoundTerms bound_terms(int64_t dim) {
  const double eps = 0x1p-24, u = 0x1p-8;
  const double n_eps = static_cast<double>(dim) * eps;
  const double gamma = n_eps / (1.0 - n_eps);
  BoundTerms terms;
  terms.a = static_cast<float>(1.001 * (2.0 * (2.0 * u + u * u + gamma * (1 + u) * (1 + u)) + 16 * eps));
  terms.b = static_cast<float>(1.001 * (gamma + 4 * eps));
  return terms;
}

// The running filter state of one row.
struct RowState {
  float* upper;      // smallest upper bound so far
  int32_t* count;    // candidates held, or -1 once they overflowed
  int32_t* index;    // [kMaxCandidates] candidate centroids, ascending
  float* lower;      // [kMaxCandidates] their lower bounds
  float* dropped;    // smallest lower bound of the centroids that are no longer candidates
};

SD_BF16_TARGET double squared_distance_lanes(const float* a, const float* b, int64_t dim) {
  __m512d sum = _mm512_setzero_pd();
  int64_t j = 0;
  for (; j + 8 <= dim; j += 8) {
    const __m512d diff = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + j)),
                                       _mm512_cvtps_pd(_mm256_loadu_ps(b + j)));
    sum = _mm512_fmadd_pd(diff, diff, sum);
  }
  if (j < dim) {
    const __mmask8 mask = static_cast<__mmask8>((1u << (dim - j)) - 1u);
    const __m512d diff = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(mask, a + j)),
                                       _mm512_cvtps_pd(_mm256_maskz_loadu_ps(mask, b + j)));
    sum = _mm512_fmadd_pd(diff, diff, sum);
  }
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, sum);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// Rows [first, first + rows) of x as bfloat16 pairs, `pairs` uint32 per row.
SD_BF16_TARGET void convert_rows(MatrixView x, int64_t first, int64_t rows, int64_t pairs,
                                 uint32_t* out) {
  const int64_t dim = x.cols;
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x.row(first + r);
    uint32_t* dst = out + r * pairs;
    for (int64_t j = 0; j < 2 * pairs; j += 32) {
      const int64_t left = dim - j;
      const __mmask16 lo_mask =
          left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1u);
      const int64_t left_hi = left - 16;
      const __mmask16 hi_mask = left_hi >= 16  ? __mmask16(0xFFFF)
                                : left_hi <= 0 ? __mmask16(0)
                                               : __mmask16((1u << left_hi) - 1u);
      const __m512 lo = _mm512_maskz_loadu_ps(lo_mask, src + j);
      const __m512 hi = _mm512_maskz_loadu_ps(hi_mask, src + j + 16);
      _mm512_storeu_si512(dst + j / 2, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo)));
    }
  }
}

// Centroid block `block` packed for the dot-product instruction: for pair p, lane l holds
// centroid (block·kBlock + l)'s values 2p (low half) and 2p+1 (high half). Padding centroids
// are zero with squared norm kPadNorm and length 0.
void pack_block(MatrixView centroids, const float* c_norms, int64_t block, int64_t pairs,
                uint32_t* packed, float* norms, float* lengths) {
  const int64_t dim = centroids.cols;
  uint32_t* out = packed + block * pairs * kBlock;
  for (int64_t lane = 0; lane < kBlock; ++lane) {
    const int64_t c = block * kBlock + lane;
    const bool real = c < centroids.rows;
    norms[block * kBlock + lane] = real ? c_norms[c] : kPadNorm;
    lengths[block * kBlock + lane] = real ? std::sqrt(c_norms[c]) : 0.0f;
    const float* v = real ? centroids.row(c) : nullptr;
    for (int64_t p = 0; p < pairs; ++p) {
      const uint32_t lo = real && 2 * p < dim ? bf16_bits(v[2 * p]) : 0u;
      const uint32_t hi = real && 2 * p + 1 < dim ? bf16_bits(v[2 * p + 1]) : 0u;
      out[p * kBlock + lane] = lo | (hi << 16);
    }
  }
}

// acc[r][v] = dots of rows a[r] with the 16 centroids of vector v of a packed block, over all
// pairs in ascending order: the same instruction sequence for a pair wherever it sits.
template <int M>
SD_BF16_TARGET void block_dots(const uint32_t* a, int64_t pairs, const uint32_t* b,
                               __m512 (&acc)[kGroupRows][kVectors]) {
  __m512 c[M][kVectors];
  for (int r = 0; r < M; ++r) {
    for (int v = 0; v < kVectors; ++v) c[r][v] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < pairs; ++p) {
    const uint32_t* bp = b + p * kBlock;
    __m512bh bv[kVectors];
    for (int v = 0; v < kVectors; ++v) {
      bv[v] = reinterpret_cast<__m512bh>(_mm512_load_si512(bp + v * kLanes));
    }
    for (int r = 0; r < M; ++r) {
      const __m512bh av =
          reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(a[r * pairs + p])));
      for (int v = 0; v < kVectors; ++v) c[r][v] = _mm512_dpbf16_ps(c[r][v], av, bv[v]);
    }
  }
  for (int r = 0; r < M; ++r) {
    for (int v = 0; v < kVectors; ++v) acc[r][v] = c[r][v];
  }
}

SD_BF16_TARGET void dots_for_group(int m, const uint32_t* a, int64_t pairs, const uint32_t* b,
                                   __m512 (&acc)[kGroupRows][kVectors]) {
  switch (m) {
    case 1:
      return block_dots<1>(a, pairs, b, acc);
    case 2:
      return block_dots<2>(a, pairs, b, acc);
    case 3:
      return block_dots<3>(a, pairs, b, acc);
    case 4:
      return block_dots<4>(a, pairs, b, acc);
    case 5:
      return block_dots<5>(a, pairs, b, acc);
    default:
      return block_dots<6>(a, pairs, b, acc);
  }
}

// Keeps the candidates of `state` whose lower bound is within `upper`.
void compact(const RowState& state, float upper) {
  int32_t kept = 0;
  for (int32_t i = 0; i < *state.count; ++i) {
    if (state.lower[i] <= upper) {
      state.index[kept] = state.index[i];
      state.lower[kept] = state.lower[i];
      ++kept;
    } else {
      *state.dropped = std::min(*state.dropped, state.lower[i]);
    }
  }
  *state.count = kept;
}

// Folds one row's dots with a centroid block into its filter state.
SD_BF16_TARGET void fold_row(const __m512 (&acc)[kVectors], float x_norm, const float* norms,
                             const float* lengths, int64_t first_centroid, BoundTerms terms,
                             const RowState& state) {
  const __m512 xn = _mm512_set1_ps(x_norm);
  const __m512 xa = _mm512_set1_ps(terms.a * std::sqrt(x_norm));
  const __m512 b = _mm512_set1_ps(terms.b);
  const __m512 tiny = _mm512_set1_ps(1e-30f);
  const __m512 two = _mm512_set1_ps(2.0f);
  __m512 lower[kVectors];
  __m512 upper_min = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  for (int v = 0; v < kVectors; ++v) {
    const __m512 cn = _mm512_load_ps(norms + v * kLanes);
    const __m512 cl = _mm512_load_ps(lengths + v * kLanes);
    const __m512 sum = _mm512_add_ps(xn, cn);
    const __m512 d = _mm512_fnmadd_ps(two, acc[v], sum);
    const __m512 bound = _mm512_fmadd_ps(xa, cl, _mm512_fmadd_ps(b, sum, tiny));
    upper_min = _mm512_min_ps(upper_min, _mm512_add_ps(d, bound));
    lower[v] = _mm512_sub_ps(d, bound);
  }
  const float upper = std::min(*state.upper, _mm512_reduce_min_ps(upper_min));
  *state.upper = upper;
  if (*state.count < 0) return;
  const __m512 limit = _mm512_set1_ps(upper);
  __m512 dropped = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  unsigned masks[kVectors];
  for (int v = 0; v < kVectors; ++v) {
    masks[v] = _mm512_cmp_ps_mask(lower[v], limit, _CMP_LE_OQ);
    dropped = _mm512_mask_min_ps(dropped, static_cast<__mmask16>(~masks[v]), dropped, lower[v]);
  }
  *state.dropped = std::min(*state.dropped, _mm512_reduce_min_ps(dropped));
  for (int v = 0; v < kVectors; ++v) {
    unsigned mask = masks[v];
    if (!mask) continue;
    alignas(64) float lows[kLanes];
    _mm512_store_ps(lows, lower[v]);
    while (mask) {
      const int lane = __builtin_ctz(mask);
      mask &= mask - 1;
      if (*state.count == kMaxCandidates) compact(state, upper);
      if (*state.count == kMaxCandidates) {
        *state.count = -1;
        return;
      }
      state.index[*state.count] = static_cast<int32_t>(first_centroid + v * kLanes + lane);
      state.lower[*state.count] = lows[lane];
      ++*state.count;
    }
  }
}

// The float64-nearest centroid among the row's candidates (all centroids after an overflow),
// and a lower bound on the float64 distance to every other centroid: the second smallest
// rescored distance, or the lower bound of a centroid that was never rescored.
SD_BF16_TARGET void decide_row(const float* row, MatrixView centroids, const RowState& state,
                               int32_t* label, float* sq_dist, double* second) {
  const int64_t dim = centroids.cols;
  double best = std::numeric_limits<double>::infinity();
  double runner_up = std::numeric_limits<double>::infinity();
  int32_t best_index = 0;
  auto consider = [&](int32_t c) {
    const double d = squared_distance_lanes(row, centroids.row(c), dim);
    if (d < best) {
      runner_up = std::min(runner_up, best);
      best = d;
      best_index = c;
    } else {
      runner_up = std::min(runner_up, d);
    }
  };
  if (*state.count < 0) {
    for (int64_t c = 0; c < centroids.rows; ++c) consider(static_cast<int32_t>(c));
  } else {
    runner_up = *state.dropped;
    for (int32_t i = 0; i < *state.count; ++i) {
      if (state.lower[i] <= *state.upper) {
        consider(state.index[i]);
      } else {
        runner_up = std::min(runner_up, static_cast<double>(state.lower[i]));
      }
    }
  }
  *label = best_index;
  if (sq_dist) *sq_dist = static_cast<float>(best);
  if (second) *second = runner_up;
}

SD_BF16_TARGET void assign_impl(MatrixView x, const float* x_norms, MatrixView centroids,
                                const float* c_norms, int32_t* labels, float* sq_dist,
                                double* second, float* workspace, int threads) {
  const int64_t dim = x.cols;
  const int64_t k = centroids.rows;
  const int64_t pairs = pairs_of(dim);
  const int64_t n_blocks = blocks_of(k);
  const int64_t n_tiles = (x.rows + kRowTile - 1) / kRowTile;
  const BoundTerms terms = bound_terms(dim);
  auto* packed = reinterpret_cast<uint32_t*>(workspace);
  float* norms = workspace + align_up(n_blocks * pairs * kBlock, kAlignFloats);
  float* lengths = norms + n_blocks * kBlock;
  float* thread_base = workspace + shared_floats(k, dim);

#pragma omp parallel num_threads(threads)
  {
#pragma omp for schedule(static)
    for (int64_t block = 0; block < n_blocks; ++block) {
      pack_block(centroids, c_norms, block, pairs, packed, norms, lengths);
    }
    float* mine = thread_base + omp_get_thread_num() * thread_floats(dim);
    auto* a_tile = reinterpret_cast<uint32_t*>(mine);
    float* upper = mine + align_up(kRowTile * pairs, kAlignFloats);
    auto* count = reinterpret_cast<int32_t*>(upper + kRowTile);
    auto* index = reinterpret_cast<int32_t*>(upper + 2 * kRowTile);
    float* lower = upper + 2 * kRowTile + kRowTile * kMaxCandidates;
    float* dropped = lower + kRowTile * kMaxCandidates;
    auto state_of = [&](int64_t r) {
      return RowState{upper + r, count + r, index + r * kMaxCandidates, lower + r * kMaxCandidates,
                      dropped + r};
    };

#pragma omp for schedule(dynamic, 1)
    for (int64_t tile = 0; tile < n_tiles; ++tile) {
      const int64_t first = tile * kRowTile;
      const int64_t rows = std::min(kRowTile, x.rows - first);
      convert_rows(x, first, rows, pairs, a_tile);
      for (int64_t r = 0; r < rows; ++r) {
        upper[r] = std::numeric_limits<float>::infinity();
        dropped[r] = std::numeric_limits<float>::infinity();
        count[r] = 0;
      }
      for (int64_t block = 0; block < n_blocks; ++block) {
        const uint32_t* b = packed + block * pairs * kBlock;
        for (int64_t group = 0; group < rows; group += kGroupRows) {
          const int m = static_cast<int>(std::min<int64_t>(kGroupRows, rows - group));
          __m512 acc[kGroupRows][kVectors];
          dots_for_group(m, a_tile + group * pairs, pairs, b, acc);
          for (int r = 0; r < m; ++r) {
            fold_row(acc[r], x_norms[first + group + r], norms + block * kBlock,
                     lengths + block * kBlock, block * kBlock, terms, state_of(group + r));
          }
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        decide_row(x.row(first + r), centroids, state_of(r), &labels[first + r],
                   sq_dist ? &sq_dist[first + r] : nullptr, second ? &second[first + r] : nullptr);
      }
    }
  }
}

}  // namespace

int64_t assign_bf16_workspace_floats(int64_t k, int64_t dim, int threads) {
  return shared_floats(k, dim) + static_cast<int64_t>(threads) * thread_floats(dim);
}

void assign_nearest_bf16(MatrixView x, const float* x_norms, MatrixView centroids,
                         const float* c_norms, int32_t* labels, float* sq_dist, float* workspace,
                         int threads, double* second) {
  SD_DCHECK(x.cols == centroids.cols);
  SD_DCHECK(centroids.rows >= 1);
  if (x.rows == 0) return;
  assign_impl(x, x_norms, centroids, c_norms, labels, sq_dist, second, workspace, threads);
}

double assign_bf16_distance(const float* a, const float* b, int64_t dim) {
  return squared_distance_lanes(a, b, dim);
}

}  // namespace semdedup::kernels
