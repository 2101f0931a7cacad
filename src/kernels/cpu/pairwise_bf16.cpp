#include "kernels/cpu/pairwise_bf16.hpp"

#include "kernels/cpu/avx512_bf16.hpp"
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/exact_rescore.hpp"
#include "kernels/cpu/pairwise_fp32.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::kernels {

namespace {

constexpr int kLanes = 16;
constexpr int kVectors = 4;
// Columns per register block: kVectors registers of kLanes accumulators per row.
constexpr int64_t kBlock = kLanes * kVectors;
// Rows per register block: kGroupRows x kVectors = 24 accumulators of the 32 zmm registers.
constexpr int kGroupRows = 6;
// Register blocks of columns per panel: 4 x 64 columns, packed, stay in L2 while the rows
// stream past them.
constexpr int64_t kPanelBlocks = 4;
constexpr int64_t kPanel = kBlock * kPanelBlocks;
constexpr int kCandidates = kPairwiseBf16Candidates;
static_assert(kPanel == kPairwiseMaxTile, "a panel is one column tile of the fp32 family");
// Columns of a panel whose candidates may overflow (each then rescanned with bfloat16 row
// products) before the panel goes to the fp32 family instead.
constexpr int64_t kMaxRescans = 8;
// Row groups between two looks at the cancellation flag.
constexpr int64_t kCancelCheckGroups = 256;
constexpr int64_t kAlign = 64;

constexpr int64_t align_up(int64_t value, int64_t to) { return (value + to - 1) / to * to; }

// uint32 (bfloat16 pairs) per converted row: a multiple of 16, so rows convert 32 values at a
// time, the tail padded with zeros.
int64_t pairs_of(int64_t dim) { return align_up(dim, 32) / 2; }

// A row's hash and index, sorted to find byte-identical rows.
struct CopyKey {
  uint64_t hash;
  uint64_t row;
};

// The cluster-wide scratch, carved from one buffer.
struct Shared {
  uint32_t* rows;   // [n x pairs] bfloat16 pairs
  double* norm;     // [n] ‖a_i‖
  double* rounded;  // [n] ‖ã_i‖
  double* residue;  // [n] ‖a_i - ã_i‖
  float* max_abs;   // [n] largest |value| of the row
  CopyKey* keys;    // [n] to find byte-identical rows
  int32_t* root;    // [n] the lowest row with the same bytes
};

// One thread's scratch for a panel.
struct Panel {
  uint32_t* packed;        // [kPanelBlocks x pairs x kBlock]
  float* col_max;          // [kPanel] running bfloat16 maximum
  float* reach;            // [kPanel] 2·E_j widened, as float
  int32_t* count;          // [kPanel] candidates held, -1 once they overflowed
  int32_t* cand_row;       // [kPanel x kCandidates]
  float* cand_value;       // [kPanel x kCandidates]
  int64_t overflowed = 0;  // columns whose candidates overflowed
};

// Carves consecutive 64-byte aligned arrays from a buffer (or, with a null base, only counts
// their bytes).
class Carver {
 public:
  explicit Carver(std::byte* base) : base_(base) {}
  template <typename T>
  T* take(int64_t count) {
    T* out = base_ ? reinterpret_cast<T*>(base_ + offset_) : nullptr;
    offset_ += align_up(count * static_cast<int64_t>(sizeof(T)), kAlign);
    return out;
  }
  int64_t bytes() const { return offset_; }

 private:
  std::byte* base_;
  int64_t offset_ = 0;
};

Shared carve_shared(Carver& carver, int64_t n, int64_t dim) {
  Shared s{};
  s.rows = carver.take<uint32_t>(n * pairs_of(dim));
  s.norm = carver.take<double>(n);
  s.rounded = carver.take<double>(n);
  s.residue = carver.take<double>(n);
  s.max_abs = carver.take<float>(n);
  s.keys = carver.take<CopyKey>(n);
  s.root = carver.take<int32_t>(n);
  return s;
}

Panel carve_panel(Carver& carver, int64_t dim) {
  Panel p{};
  p.packed = carver.take<uint32_t>(kPanelBlocks * pairs_of(dim) * kBlock);
  p.col_max = carver.take<float>(kPanel);
  p.reach = carver.take<float>(kPanel);
  p.count = carver.take<int32_t>(kPanel);
  p.cand_row = carver.take<int32_t>(kPanel * kCandidates);
  p.cand_value = carver.take<float>(kPanel * kCandidates);
  return p;
}

// 16 lanes with index < count.
__mmask16 lanes_below(int64_t count) {
  return count >= kLanes ? __mmask16(0xFFFF)
         : count <= 0    ? __mmask16(0)
                         : __mmask16((1u << count) - 1u);
}

// 16 lanes with index > first.
__mmask16 lanes_above(int64_t first) {
  return first < 0             ? __mmask16(0xFFFF)
         : first >= kLanes - 1 ? __mmask16(0)
                               : __mmask16(~((1u << (first + 1)) - 1u));
}

// Adds the squares of x's rounding r and of the residue x - r (exact: r is x rounded to 8
// significant bits) to two double sums.
SD_BF16_TARGET inline void accumulate_squares(__m512 x, __m512 r, __m512d& sum_r, __m512d& sum_d) {
  const __m512 d = _mm512_sub_ps(x, r);
  for (int half = 0; half < 2; ++half) {
    const __m256 rh = half ? _mm512_extractf32x8_ps(r, 1) : _mm512_castps512_ps256(r);
    const __m256 dh = half ? _mm512_extractf32x8_ps(d, 1) : _mm512_castps512_ps256(d);
    const __m512d rd = _mm512_cvtps_pd(rh), dd = _mm512_cvtps_pd(dh);
    sum_r = _mm512_fmadd_pd(rd, rd, sum_r);
    sum_d = _mm512_fmadd_pd(dd, dd, sum_d);
  }
}

// Converts row `src` to bfloat16 pairs (values below 2^-60 in magnitude to 0, round to
// nearest even) and records its norms, its largest magnitude and a hash of its bytes.
SD_BF16_TARGET void convert_row(const float* src, int64_t dim, int64_t pairs, uint32_t* dst,
                                double* norm, double* rounded, double* residue, float* max_abs,
                                uint64_t* hash) {
  const __m512 tiny = _mm512_set1_ps(0x1p-60f);
  __m512d sum_r = _mm512_setzero_pd(), sum_d = _mm512_setzero_pd();
  __m512 top = _mm512_setzero_ps();
  __m512i mix = _mm512_set_epi32(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
  const __m512i prime = _mm512_set1_epi32(static_cast<int>(0x9E3779B1u));
  for (int64_t j = 0; j < 2 * pairs; j += 32) {
    const __mmask16 lo_mask = lanes_below(dim - j);
    const __mmask16 hi_mask = lanes_below(dim - j - 16);
    const __m512 lo_raw = _mm512_maskz_loadu_ps(lo_mask, src + j);
    const __m512 hi_raw = _mm512_maskz_loadu_ps(hi_mask, src + j + 16);
    mix = _mm512_mullo_epi32(_mm512_xor_si512(mix, _mm512_castps_si512(lo_raw)), prime);
    mix = _mm512_xor_si512(mix, _mm512_srli_epi32(mix, 15));
    mix = _mm512_mullo_epi32(_mm512_xor_si512(mix, _mm512_castps_si512(hi_raw)), prime);
    mix = _mm512_xor_si512(mix, _mm512_srli_epi32(mix, 15));
    const __m512 lo_abs = _mm512_abs_ps(lo_raw), hi_abs = _mm512_abs_ps(hi_raw);
    top = _mm512_max_ps(top, _mm512_max_ps(lo_abs, hi_abs));
    const __m512 lo = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(lo_abs, tiny, _CMP_GE_OQ), lo_raw);
    const __m512 hi = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(hi_abs, tiny, _CMP_GE_OQ), hi_raw);
    const __m512i packed = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
    _mm512_storeu_si512(dst + j / 2, packed);
    // bfloat16 back to float: the first 16 values are the low 256 bits, the next 16 the high.
    const __m512 lo_back = _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(packed)), 16));
    const __m512 hi_back = _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(packed, 1)), 16));
    accumulate_squares(lo_raw, lo_back, sum_r, sum_d);
    accumulate_squares(hi_raw, hi_back, sum_r, sum_d);
  }
  *norm = std::sqrt(fixed_order_dot(src, src, dim));  // as the fp32 family's bound
  *rounded = std::sqrt(_mm512_reduce_add_pd(sum_r));
  *residue = std::sqrt(_mm512_reduce_add_pd(sum_d));
  *max_abs = _mm512_reduce_max_ps(top);
  alignas(64) uint32_t lanes[kLanes];
  _mm512_store_si512(lanes, mix);
  uint64_t h = 0x243F6A8885A308D3ull;
  for (const uint32_t lane : lanes) h = (h ^ lane) * 0x100000001B3ull;
  *hash = h;
}

// root[r] = the lowest row byte-identical to row r (r itself if none), from the (hash, row)
// keys, sorted here.
void find_copies(MatrixView e, CopyKey* begin, int32_t* root) {
  const int64_t n = e.rows;
  std::sort(begin, begin + n, [](const CopyKey& a, const CopyKey& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.row < b.row;
  });
  const auto row_bytes = static_cast<size_t>(e.cols) * sizeof(float);
  for (int64_t run = 0; run < n;) {
    int64_t end = run + 1;
    while (end < n && begin[end].hash == begin[run].hash) ++end;
    // The roots of the run found so far are moved to its front (over entries already read),
    // so a group of g copies costs g comparisons, not g².
    int64_t roots = 0;
    for (int64_t k = run; k < end; ++k) {
      const auto row = static_cast<int64_t>(begin[k].row);
      root[row] = static_cast<int32_t>(row);
      for (int64_t prior = run; prior < run + roots; ++prior) {
        const auto other = static_cast<int64_t>(begin[prior].row);
        if (std::memcmp(e.row(row), e.row(other), row_bytes) == 0) {
          root[row] = static_cast<int32_t>(other);
          break;
        }
      }
      if (root[row] == row) begin[run + roots++].row = static_cast<uint64_t>(row);
    }
    run = end;
  }
}

// The constants of E_j (pairwise_bf16.hpp) for a cluster.
struct Bound {
  double max_residue = 0.0;  // D
  double max_rounded = 0.0;  // M
  double max_norm = 0.0;     // N
  double gamma = 0.0;
  double gamma53 = 0.0;
  double slack = 0.0;
};

// 2·E_j widened for the rounding of the float32 threshold, rounded up to float.
float reach_of(const Bound& b, double norm, double rounded, double residue) {
  const double e = (b.max_residue * norm + b.max_rounded * residue +
                    b.gamma * b.max_rounded * rounded + b.gamma53 * b.max_norm * norm) *
                       (1.0 + 1e-6) +
                   b.slack;
  const double reach = 2.0 * e + 0x1p-21 * (b.max_rounded * rounded * (1.0 + b.gamma) + 2.0 * e);
  const auto f = static_cast<float>(reach);
  return static_cast<double>(f) >= reach
             ? f
             : std::nextafter(f, std::numeric_limits<float>::infinity());
}

// Packs columns [first, first + count) (count <= kPanel) for the dot-product instruction: in
// block b, for pair p, lane l holds column first + b·kBlock + l. Missing columns are zero.
void pack_panel(const uint32_t* rows, int64_t pairs, int64_t first, int64_t count,
                uint32_t* packed) {
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  for (int64_t block = 0; block < blocks; ++block) {
    uint32_t* out = packed + block * pairs * kBlock;
    for (int64_t lane = 0; lane < kBlock; ++lane) {
      const int64_t col = block * kBlock + lane;
      const uint32_t* src = col < count ? rows + (first + col) * pairs : nullptr;
      for (int64_t p = 0; p < pairs; ++p) out[p * kBlock + lane] = src ? src[p] : 0u;
    }
  }
}

// Keeps the candidates of panel column c within its current threshold.
void compact(Panel& panel, int64_t c) {
  const float threshold = panel.col_max[c] - panel.reach[c];
  int32_t* rows = panel.cand_row + c * kCandidates;
  float* values = panel.cand_value + c * kCandidates;
  int32_t kept = 0;
  for (int32_t k = 0; k < panel.count[c]; ++k) {
    if (values[k] >= threshold) {
      rows[kept] = rows[k];
      values[kept] = values[k];
      ++kept;
    }
  }
  panel.count[c] = kept;
}

// Records row `row` as a candidate of the panel columns first_col + lane for each lane of
// `hit`, with the values in `values`.
__attribute__((noinline)) void add_candidates(Panel& panel, unsigned hit, const float* values,
                                              int64_t first_col, int64_t row) {
  while (hit) {
    const int lane = __builtin_ctz(hit);
    hit &= hit - 1;
    const int64_t c = first_col + lane;
    if (panel.count[c] < 0) continue;
    if (panel.count[c] == kCandidates) compact(panel, c);
    if (panel.count[c] == kCandidates) {
      panel.count[c] = -1;
      ++panel.overflowed;
      continue;
    }
    panel.cand_row[c * kCandidates + panel.count[c]] = static_cast<int32_t>(row);
    panel.cand_value[c * kCandidates + panel.count[c]] = values[lane];
    ++panel.count[c];
  }
}

// Rows [first_row, first_row + M) against one packed block of 64 columns starting at
// first_col (panel index panel_col), over every pair in ascending order (the same
// instruction sequence for a pair wherever it sits), then folded into the running column
// maxima, rows i < j only, and candidates recorded.
template <int M>
SD_BF16_TARGET void group_block(const uint32_t* a, int64_t pairs, const uint32_t* b,
                                int64_t first_row, int64_t first_col, int64_t panel_col, int64_t n,
                                const int32_t* root, Panel& panel) {
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
    const int64_t row = first_row + r;
    for (int v = 0; v < kVectors; ++v) {
      const int64_t col = first_col + v * kLanes;
      const __mmask16 valid = lanes_below(n - col) & lanes_above(row - col);
      if (!valid) continue;
      float* max_at = panel.col_max + panel_col + v * kLanes;
      const __m512 best =
          _mm512_mask_max_ps(_mm512_load_ps(max_at), valid, _mm512_load_ps(max_at), c[r][v]);
      _mm512_store_ps(max_at, best);
      const __m512 threshold =
          _mm512_sub_ps(best, _mm512_load_ps(panel.reach + panel_col + v * kLanes));
      const __mmask16 hit = _mm512_mask_cmp_ps_mask(valid, c[r][v], threshold, _CMP_GE_OQ);
      if (hit && root[row] == row) {
        alignas(64) float values[kLanes];
        _mm512_store_ps(values, c[r][v]);
        add_candidates(panel, hit, values, panel_col + v * kLanes, row);
      }
    }
  }
}

SD_BF16_TARGET void group_block_any(int m, const uint32_t* a, int64_t pairs, const uint32_t* b,
                                    int64_t first_row, int64_t first_col, int64_t panel_col,
                                    int64_t n, const int32_t* root, Panel& panel) {
  switch (m) {
    case 1:
      return group_block<1>(a, pairs, b, first_row, first_col, panel_col, n, root, panel);
    case 2:
      return group_block<2>(a, pairs, b, first_row, first_col, panel_col, n, root, panel);
    case 3:
      return group_block<3>(a, pairs, b, first_row, first_col, panel_col, n, root, panel);
    case 4:
      return group_block<4>(a, pairs, b, first_row, first_col, panel_col, n, root, panel);
    case 5:
      return group_block<5>(a, pairs, b, first_row, first_col, panel_col, n, root, panel);
    default:
      return group_block<6>(a, pairs, b, first_row, first_col, panel_col, n, root, panel);
  }
}

// The bfloat16 dot product of two converted rows (any summation order is within E_j): four
// independent sums, then one.
SD_BF16_TARGET inline __m512 dot(__m512 sum, const uint32_t* x, const uint32_t* y) {
  return _mm512_dpbf16_ps(sum, reinterpret_cast<__m512bh>(_mm512_loadu_si512(x)),
                          reinterpret_cast<__m512bh>(_mm512_loadu_si512(y)));
}

SD_BF16_TARGET float row_dot(const uint32_t* a, const uint32_t* b, int64_t pairs) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(),
         s3 = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + 4 * kLanes <= pairs; p += 4 * kLanes) {
    s0 = dot(s0, a + p, b + p);
    s1 = dot(s1, a + p + kLanes, b + p + kLanes);
    s2 = dot(s2, a + p + 2 * kLanes, b + p + 2 * kLanes);
    s3 = dot(s3, a + p + 3 * kLanes, b + p + 3 * kLanes);
  }
  for (; p < pairs; p += kLanes) s0 = dot(s0, a + p, b + p);
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

// The columns [first, first + count) of one panel, every row before them. Returns false,
// having written nothing, as soon as more than kMaxRescans columns overflowed their
// candidates: the panel then goes to the fp32 family, whose tighter bound keeps dense clusters
// (every row within 2·E_j of the best) from rescoring nearly every row in float64.
SD_BF16_TARGET bool run_panel(MatrixView e, const Shared& shared, const Bound& bound, int64_t first,
                              int64_t count, Panel& panel, float* max_sim, int64_t* max_idx,
                              const std::atomic<bool>* cancel) {
  const int64_t n = e.rows;
  const int64_t dim = e.cols;
  const int64_t pairs = pairs_of(dim);
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  pack_panel(shared.rows, pairs, first, count, panel.packed);
  for (int64_t c = 0; c < kPanel; ++c) {
    const int64_t j = first + c;
    panel.col_max[c] = -std::numeric_limits<float>::infinity();
    panel.count[c] = 0;
    panel.reach[c] =
        j < n ? reach_of(bound, shared.norm[j], shared.rounded[j], shared.residue[j]) : 0.0f;
  }
  panel.overflowed = 0;
  // Rows i < j for the panel's last column j = first + count - 1.
  const int64_t row_end = first + count - 1;
  for (int64_t group = 0, step = 0; group < row_end; group += kGroupRows, ++step) {
    if (step % kCancelCheckGroups == 0 && cancel && cancel->load(std::memory_order_relaxed)) {
      return true;
    }
    if (panel.overflowed > kMaxRescans) return false;
    const int m = static_cast<int>(std::min<int64_t>(kGroupRows, row_end - group));
    // The next group's rows into L2 while this one computes: a large cluster's bfloat16 copy
    // streams from memory, and six interleaved row streams defeat the hardware prefetcher.
    const int64_t next_rows = std::clamp<int64_t>(row_end - group - kGroupRows, 0, kGroupRows);
    if (next_rows > 0) {
      const auto* next = reinterpret_cast<const char*>(shared.rows + (group + kGroupRows) * pairs);
      for (int64_t offset = 0; offset < next_rows * pairs * 4; offset += 64) {
        _mm_prefetch(next + offset, _MM_HINT_T1);
      }
    }
    for (int64_t block = 0; block < blocks; ++block) {
      const int64_t block_first = first + block * kBlock;
      const int64_t block_last = std::min(block_first + kBlock, n) - 1;
      if (block_last <= group) continue;  // no column of the block after any row of the group
      group_block_any(m, shared.rows + group * pairs, pairs, panel.packed + block * pairs * kBlock,
                      group, block_first, block * kBlock, n, shared.root, panel);
    }
  }
  if (panel.overflowed > kMaxRescans) return false;
  for (int64_t c = 0; c < count; ++c) {
    const int64_t j = first + c;
    if (j == 0) {  // no earlier row: (0, itself), as NeMo 1.4 and the fp32 family
      max_sim[0] = 0.0f;
      max_idx[0] = 0;
      continue;
    }
    const float threshold = panel.col_max[c] - panel.reach[c];
    double best = -std::numeric_limits<double>::infinity();
    int64_t best_row = -1;
    const auto rescore = [&](int64_t row) {
      const double value = fixed_order_dot(e.row(row), e.row(j), dim);
      if (value > best) {
        best = value;
        best_row = row;
      }
    };
    if (panel.count[c] >= 0) {
      for (int32_t k = 0; k < panel.count[c]; ++k) {
        if (panel.cand_value[c * kCandidates + k] >= threshold) {
          rescore(panel.cand_row[c * kCandidates + k]);
        }
      }
    } else {
      const uint32_t* column = shared.rows + j * pairs;
      for (int64_t row = 0; row < j; ++row) {
        if (shared.root[row] != row) continue;
        if (row_dot(shared.rows + row * pairs, column, pairs) >= threshold) rescore(row);
      }
    }
    SD_DCHECK(best_row >= 0);
    max_sim[j] = static_cast<float>(best);
    max_idx[j] = best_row;
  }
  return true;
}

}  // namespace

int64_t pairwise_bf16_shared_bytes(int64_t rows, int64_t dim) {
  Carver carver(nullptr);
  carve_shared(carver, rows, dim);
  return carver.bytes();
}

int64_t pairwise_bf16_thread_bytes(int64_t dim) {
  Carver carver(nullptr);
  carve_panel(carver, dim);
  return carver.bytes();
}

bool max_similarity_before_bf16(MatrixView embeddings, int threads, float* max_sim,
                                int64_t* max_idx, PairwiseWorkspace& workspace,
                                const std::atomic<bool>* cancel) {
  const int64_t n = embeddings.rows;
  const int64_t dim = embeddings.cols;
  if (n == 0) return true;
  if (dim > kPairwiseBf16MaxDim || n > std::numeric_limits<int32_t>::max()) return false;
  SD_DCHECK(dim >= 1 && threads >= 1);
  const int64_t pairs = pairs_of(dim);
  Carver shared_carver(workspace.bf16_shared());
  const Shared shared = carve_shared(shared_carver, n, dim);
  const int64_t panels = (n + kPanel - 1) / kPanel;
  const int64_t thread_bytes = pairwise_bf16_thread_bytes(dim);
  bool fits = true;
  Bound bound;
  Fp32Plan fallback;

#pragma omp parallel num_threads(threads)
  {
    // A team of one is not an active parallel region, so OpenBLAS would otherwise start its
    // own threads; the fp32 family's GEMMs must run on the calling thread alone.
    omp_set_num_threads(1);
    const int thread = omp_get_thread_num();
#pragma omp for schedule(static)
    for (int64_t row = 0; row < n; ++row) {
      convert_row(embeddings.row(row), dim, pairs, shared.rows + row * pairs, &shared.norm[row],
                  &shared.rounded[row], &shared.residue[row], &shared.max_abs[row],
                  &shared.keys[row].hash);
      shared.keys[row].row = static_cast<uint64_t>(row);
    }
#pragma omp single
    {
      for (int64_t row = 0; row < n; ++row) {
        fits = fits && static_cast<double>(shared.max_abs[row]) <= kPairwiseBf16MaxValue;
        bound.max_norm = std::max(bound.max_norm, shared.norm[row]);
        bound.max_rounded = std::max(bound.max_rounded, shared.rounded[row]);
        bound.max_residue = std::max(bound.max_residue, shared.residue[row]);
      }
      bound.gamma = float_dot_error_factor(2 * dim);
      bound.gamma53 = double_dot_error_factor(dim);
      bound.slack = static_cast<double>(dim) * 0x1p-125;
      if (fits) find_copies(embeddings, shared.keys, shared.root);
      fallback = plan_fp32(embeddings, bound.max_norm);
    }
    if (fits) {
      Carver panel_carver(workspace.bf16_threads() + thread * thread_bytes);
      Panel panel = carve_panel(panel_carver, dim);
      // Panels from the most expensive (the last: it needs every row) to the cheapest; which
      // thread takes which panel changes no result.
#pragma omp for schedule(dynamic, 1)
      for (int64_t order = 0; order < panels; ++order) {
        if (cancel && cancel->load(std::memory_order_relaxed)) continue;
        const int64_t first = (panels - 1 - order) * kPanel;
        if (!run_panel(embeddings, shared, bound, first, std::min(kPanel, n - first), panel,
                       max_sim, max_idx, cancel)) {
          fp32_column_tile(embeddings, fallback, first / kPanel, workspace, thread, max_sim,
                           max_idx, cancel);
        }
      }
    }
  }
  return fits;
}

}  // namespace semdedup::kernels
