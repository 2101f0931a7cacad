#pragma once
/// \file The triangular max-similarity kernel of the Pairwise stage (NeMo's
/// `pairwise_cosine_similarity_batched`, spec section 10), on fixed square GEMM tiles.
///
/// For the row ranked j of a cluster, the kernel finds `max_{i<j} e_i . e_j` (negative too: NeMo
/// 1.4 masks with -inf, spec section 19) and the lowest position i attaining it. Only tiles on or below the diagonal are computed: column
/// tile [s, s + T) needs rows [0, s + T) only. Row tiles well above the diagonal are multiplied
/// a band of kPairwiseBandTiles at a time (one [band x T] GEMM: BLAS packs the column tile once
/// per band instead of once per tile); the rest as single [T x T] tiles, the last tile padded
/// with zero rows. The GEMM only proposes: in each block, the rows whose float product lies
/// within twice a rigorous error bound of the block's best (and within the bound of the best
/// so far) are rescored with a fixed-order double dot product, and the maximum, its row and the
/// value written come from the rescored products alone, ascending rows with a strict '>'. So a
/// pair of vectors has the same score wherever it sits and whatever the BLAS kernel, exact
/// duplicates tie exactly (the earliest wins), and results are identical for any thread count.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"

namespace semdedup::kernels {

/// Largest GEMM tile edge (rows and columns) of the pairwise kernel.
inline constexpr int64_t kPairwiseMaxTile = 256;
/// Tiles of small clusters are rounded up to a multiple of this many rows.
inline constexpr int64_t kPairwiseTileAlign = 32;
/// Full-size row tiles multiplied per GEMM above the diagonal (a band of 2,048 rows).
inline constexpr int64_t kPairwiseBandTiles = 8;
/// Narrowest embeddings multiplied in bands. A [T x T x dim] GEMM of under 2^20 multiply-adds
/// may take a BLAS's small-matrix code path, whose rounding need not match the blocked path
/// that a band takes; narrower embeddings use single tiles only.
inline constexpr int64_t kPairwiseBandMinDim = 64;

/// The tile edge used for a cluster of `rows` rows: kPairwiseMaxTile, or for a smaller cluster
/// `rows` rounded up to kPairwiseTileAlign. A function of the row count only, never of threads
/// or batch sizes.
int64_t pairwise_tile(int64_t rows);

/// Row tiles per band for a cluster of `rows` x `dim`: kPairwiseBandTiles for clusters of more
/// than kPairwiseBandTiles full-size tiles, at least kPairwiseBandMinDim wide; else 1 (single
/// tiles only). A function of the shape only.
int64_t pairwise_band_tiles(int64_t rows, int64_t dim);

/// Scratch memory of the kernel, for one kernel family (kernels/isa.hpp). fp32: per worker
/// thread one [band x T] product block, one [T x dim] zero-padded edge tile and the running
/// column maxima. avx512-bf16 (src/kernels/cpu/pairwise_bf16.hpp): the same (for clusters
/// whose values are too large for float32 sums of bfloat16 products), plus the cluster in
/// bfloat16 with its row norms, and per thread one packed panel of 256 columns with its
/// candidates. Sized by the caller (this allocates); the kernel itself never allocates.
class PairwiseWorkspace {
 public:
  /// A workspace for `kernel`'s family: kAuto, or a family this CPU cannot run, resolve to
  /// the best one it can (kernels::best_cpu_kernel()).
  explicit PairwiseWorkspace(CpuKernel kernel = CpuKernel::kAuto);

  /// The family max_similarity_before runs with this workspace (never kAuto).
  CpuKernel kernel() const { return kernel_; }

  /// Makes room for `threads` workers on clusters of up to `rows` rows of width `dim`.
  void reserve(int64_t rows, int64_t dim, int threads);

  /// True when reserve() was called with at least this tile, width and thread count.
  bool fits(int64_t rows, int64_t dim, int threads) const;

  /// Bytes held.
  int64_t bytes() const;

  /// Floats of scratch per thread for tile edge `tile`, `band_tiles` tiles per band and width
  /// `dim`.
  static int64_t floats_per_thread(int64_t tile, int64_t band_tiles, int64_t dim);

  float* thread_floats(int thread) { return floats_.data() + thread * floats_per_thread_; }
  int32_t* thread_rows(int thread) { return rows_.data() + thread * tile_; }
  std::byte* bf16_shared() { return bf16_shared_.data(); }
  std::byte* bf16_threads() { return bf16_threads_.data(); }

 private:
  CpuKernel kernel_;
  int64_t tile_ = 0;
  int64_t band_tiles_ = 0;
  int64_t dim_ = 0;
  int threads_ = 0;
  int64_t floats_per_thread_ = 0;
  AlignedVector<float> floats_;
  AlignedVector<int32_t> rows_;
  AlignedVector<std::byte> bf16_shared_;
  AlignedVector<std::byte> bf16_threads_;
};

/// For each row j of `embeddings` (the cluster in ranked order):
///   max_sim[j] = max_{i<j} e_i . e_j   (the vectors as given, may be < 0; the dot products
///                summed in double in a fixed order, the maximum rounded to float)
///   max_idx[j] = the lowest i < j attaining it; row 0 gets (0, 0).
///
/// `embeddings`: [N x dim] row-major, any stride, rows finite (L2-normalised by the caller for
/// cosine similarity). `max_sim`, `max_idx`: [N], caller-owned. `threads` >= 1 OpenMP workers,
/// each running single-threaded BLAS on whole column tiles; called from inside an OpenMP
/// parallel region it nests (pass 1). `workspace` must fit (N, dim, threads); its family
/// computes the products that propose candidates, and since every family decides by the same
/// fixed-order double rescoring, every family gives the same outputs, bit for bit. If `cancel`
/// is set and becomes true the kernel stops at the next tile and the outputs are unspecified.
void max_similarity_before(MatrixView embeddings, int threads, float* max_sim, int64_t* max_idx,
                           PairwiseWorkspace& workspace, const std::atomic<bool>* cancel = nullptr);

}  // namespace semdedup::kernels
