// The triangular max-similarity kernel against spec section 10 and a brute-force oracle.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "semdedup/kernels/isa.hpp"
#include "semdedup/kernels/pairwise.hpp"
#include "semdedup/pairwise/pairwise.hpp"
#include "testing/testing.hpp"

namespace semdedup {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::random_unit_rows;
using testing::StatusIs;

struct KernelOutput {
  std::vector<float> sim;
  std::vector<int64_t> idx;
};

KernelOutput run_family(CpuKernel kernel, MatrixView e, int threads) {
  KernelOutput out{std::vector<float>(e.rows, -7.0f), std::vector<int64_t>(e.rows, -7)};
  kernels::PairwiseWorkspace workspace(kernel);
  workspace.reserve(e.rows, e.cols, threads);
  kernels::max_similarity_before(e, threads, out.sim.data(), out.idx.data(), workspace);
  return out;
}

uint32_t bits_of(float value);

// The fp32 family's output, after checking that every other family this CPU runs gives the
// same bits.
KernelOutput run_kernel(MatrixView e, int threads) {
  KernelOutput out = run_family(CpuKernel::kFp32, e, threads);
  if (kernels::cpu_kernel_available(CpuKernel::kAvx512Bf16)) {
    const KernelOutput bf16 = run_family(CpuKernel::kAvx512Bf16, e, threads);
    EXPECT_EQ(bf16.idx, out.idx) << "avx512-bf16 vs fp32, " << threads << " threads";
    for (size_t j = 0; j < out.sim.size(); ++j) {
      EXPECT_EQ(bits_of(bf16.sim[j]), bits_of(out.sim[j])) << "avx512-bf16 vs fp32, row " << j;
    }
  }
  return out;
}

Matrix normalised(const std::vector<std::vector<float>>& rows) {
  Matrix m(static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    double norm = 0;
    for (float v : rows[r]) norm += double(v) * v;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      m.row(static_cast<int64_t>(r))[c] = static_cast<float>(rows[r][c] / std::sqrt(norm));
    }
  }
  return m;
}

uint32_t bits_of(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// NeMo's 6x3 example (spec section 10, test item 27).
Matrix six_by_three() {
  return normalised({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}, {1, 2, 3}, {1, 2, 3}});
}

void expect_six_by_three(const std::vector<float>& sim, const std::vector<int64_t>& idx) {
  const std::vector<float> expected{0.0f, 0.974631f, 0.998190f, 0.999618f, 1.0f, 1.0f};
  ASSERT_EQ(sim.size(), expected.size());
  for (size_t j = 0; j < expected.size(); ++j) EXPECT_NEAR(sim[j], expected[j], 1e-6) << j;
  EXPECT_THAT(idx, ElementsAre(0, 0, 1, 2, 0, 0));
}

TEST(PairwiseKernel, NemoSixByThreeExampleForEveryBatchSize) {
  const Matrix e = six_by_three();
  Context ctx = Context::make_default(2);
  for (int64_t batch = 1; batch <= 6; ++batch) {
    SCOPED_TRACE(batch);
    ASSERT_OK_AND_ASSIGN(auto result, pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), batch));
    expect_six_by_three(result.first, result.second);
  }
  const KernelOutput direct = run_kernel(e.view(), 1);
  expect_six_by_three(direct.sim, direct.idx);
}

Matrix from_rows(const std::vector<std::vector<float>>& rows) {
  Matrix e(static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    std::memcpy(e.row(static_cast<int64_t>(r)), rows[r].data(), rows[r].size() * sizeof(float));
  }
  return e;
}

// NeMo 1.4 (spec section 19): later rows are masked with -inf, so a negative best match is kept
// with its row; ties go to the earliest row; position 0 alone gets (0, itself). Checked through
// the batched call at every batch size and through the kernel at two thread counts.
void expect_at_every_batch_size(const Matrix& e, const std::vector<float>& sim,
                                const std::vector<int64_t>& idx) {
  for (int threads : {1, 2}) {
    Context ctx = Context::make_default(threads);
    for (int64_t batch = 1; batch <= e.rows() + 1; ++batch) {
      SCOPED_TRACE(::testing::Message() << "threads " << threads << " batch " << batch);
      ASSERT_OK_AND_ASSIGN(auto result,
                           pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), batch));
      EXPECT_EQ(result.first, sim);
      EXPECT_EQ(result.second, idx);
    }
    const KernelOutput out = run_kernel(e.view(), threads);
    EXPECT_EQ(out.sim, sim);
    EXPECT_EQ(out.idx, idx);
  }
}

TEST(PairwiseKernel, OppositeRowsGiveTheNegativeScoreAndTheEarlierRow) {
  // The example: [[1,0],[-1,0]] -> max_id [0, 0], scores [0, -1].
  expect_at_every_batch_size(from_rows({{1, 0}, {-1, 0}}), {0.0f, -1.0f}, {0, 0});
}

TEST(PairwiseKernel, NegativeMaximaOrthogonalRowsAndTies) {
  // Row 1 is opposite to row 0: (-1, 0). Rows 2 and 3 are orthogonal to rows 0 and 1: an exact
  // 0 with both, the earliest (row 0) wins. Row 4 = (-0.6, -0.8): -0.6 with row 0, 0.6 with
  // row 1, -0.8 with row 2, 0.8 with row 3.
  const Matrix e = from_rows({{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {-0.6f, -0.8f}});
  const KernelOutput out = run_kernel(e.view(), 1);
  EXPECT_FLOAT_EQ(out.sim[4], 0.8f);
  expect_at_every_batch_size(e, {0.0f, -1.0f, 0.0f, 0.0f, out.sim[4]}, {0, 0, 0, 0, 3});
  // A row opposite to two copies: the tie at -1 goes to the earlier copy.
  expect_at_every_batch_size(from_rows({{1, 0}, {1, 0}, {-1, 0}}), {0.0f, 1.0f, -1.0f},
                             {0, 0, 0});
  // Three orthogonal axes, then the row pointing away from all three: -1/sqrt(3) with each,
  // an exact three-way tie at a negative score that the first axis wins.
  const Matrix away = normalised({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-1, -1, -1}});
  EXPECT_NEAR(away.row(3)[0], -1.0 / std::sqrt(3.0), 1e-6);
  expect_at_every_batch_size(away, {0.0f, 0.0f, 0.0f, away.row(3)[0]}, {0, 0, 0, 0});
}

// Random unit rows with a first coordinate above 0.5 / norm, and row `negative` replaced by
// (-1, 0, ...): every earlier row points away from it, so its best match is negative.
Matrix with_negative_row(int64_t rows, int64_t dim, uint32_t seed, int64_t negative) {
  Matrix e = random_unit_rows(rows, dim, seed);
  for (int64_t r = 0; r < rows; ++r) {
    e.row(r)[0] = std::fabs(e.row(r)[0]) + 0.5f;
    double norm = 0;
    for (int64_t c = 0; c < dim; ++c) norm += double(e.row(r)[c]) * e.row(r)[c];
    for (int64_t c = 0; c < dim; ++c) e.row(r)[c] = static_cast<float>(e.row(r)[c] / std::sqrt(norm));
  }
  std::fill(e.row(negative), e.row(negative) + dim, 0.0f);
  e.row(negative)[0] = -1.0f;
  return e;
}

TEST(PairwiseKernel, SingleRowAndEmptyInput) {
  const Matrix one = normalised({{3, 4}});
  const KernelOutput out = run_kernel(one.view(), 2);
  EXPECT_THAT(out.sim, ElementsAre(0.0f));
  EXPECT_THAT(out.idx, ElementsAre(0));

  Context ctx = Context::make_default(1);
  ASSERT_OK_AND_ASSIGN(auto empty, pairwise::pairwise_cosine_similarity_batched(ctx, MatrixView(nullptr, 0, 8), 4));
  EXPECT_TRUE(empty.first.empty());
  EXPECT_TRUE(empty.second.empty());
}

// The oracle: every dot product in double precision, NeMo's masked column max.
struct Oracle {
  std::vector<double> best;
  std::vector<int64_t> best_row;
  std::vector<double> runner_up;  // second-largest candidate, to tell clear winners from near-ties
};

double dot_double(const Matrix& e, int64_t a, int64_t b) {
  double dot = 0;
  for (int64_t c = 0; c < e.cols(); ++c) dot += double(e.row(a)[c]) * e.row(b)[c];
  return dot;
}

// NeMo 1.4's column j: the dot products of the rows before j, -inf for j and every row after
// it; the maximum and the first row attaining it. Position 0 gets (0, 0).
Oracle brute_force(const Matrix& e) {
  const int64_t n = e.rows();
  Oracle oracle{std::vector<double>(n), std::vector<int64_t>(n), std::vector<double>(n)};
  for (int64_t j = 0; j < n; ++j) {
    std::vector<double> column(static_cast<size_t>(n), -std::numeric_limits<double>::infinity());
    if (j == 0) column[0] = 0.0;
    for (int64_t i = 0; i < j; ++i) column[i] = dot_double(e, i, j);
    const auto best = std::max_element(column.begin(), column.end());
    oracle.best[j] = *best;
    oracle.best_row[j] = best - column.begin();
    double second = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < n; ++i) {
      if (i != oracle.best_row[j]) second = std::max(second, column[i]);
    }
    oracle.runner_up[j] = second;
  }
  return oracle;
}

void expect_matches_oracle(const Matrix& e, const std::vector<float>& sim,
                           const std::vector<int64_t>& idx) {
  const Oracle oracle = brute_force(e);
  for (int64_t j = 0; j < e.rows(); ++j) {
    ASSERT_NEAR(sim[j], oracle.best[j], 1e-5) << "row " << j;
    ASSERT_LE(idx[j], std::max<int64_t>(j - 1, 0));
    if (oracle.best[j] - oracle.runner_up[j] > 1e-5) {
      ASSERT_EQ(idx[j], oracle.best_row[j]) << "row " << j;
    } else {
      ASSERT_NEAR(dot_double(e, idx[j], j), oracle.best[j], 1e-5) << "row " << j;
    }
  }
}

TEST(PairwiseKernel, MatchesBruteForceForEveryBatchSizeAndThreadCountBitForBit) {
  for (const auto& [rows, dim, seed] : {std::tuple{40, 16, 1u}, std::tuple{37, 5, 2u},
                                         std::tuple{33, 64, 3u}}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << dim);
    const Matrix e = random_unit_rows(rows, dim, seed);
    Context reference_ctx = Context::make_default(1);
    ASSERT_OK_AND_ASSIGN(auto reference,
                         pairwise::pairwise_cosine_similarity_batched(reference_ctx, e.view(), 1));
    expect_matches_oracle(e, reference.first, reference.second);
    for (int threads : {1, 2, 3}) {
      Context ctx = Context::make_default(threads);
      for (int64_t batch = 1; batch <= rows; ++batch) {
        ASSERT_OK_AND_ASSIGN(auto result,
                             pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), batch));
        ASSERT_EQ(result.second, reference.second) << "threads " << threads << " batch " << batch;
        for (int64_t j = 0; j < rows; ++j) {
          ASSERT_EQ(bits_of(result.first[j]), bits_of(reference.first[j]))
              << "threads " << threads << " batch " << batch << " row " << j;
        }
      }
    }
  }
}

TEST(PairwiseKernel, ManyTilesMatchBruteForceAndEveryThreadCount) {
  // 600 rows: three 256-row tiles, the last one partial (padded).
  const Matrix e = random_unit_rows(600, 24, 7);
  const KernelOutput one = run_kernel(e.view(), 1);
  expect_matches_oracle(e, one.sim, one.idx);
  for (int threads : {2, 3, 5}) {
    const KernelOutput many = run_kernel(e.view(), threads);
    EXPECT_EQ(many.idx, one.idx);
    for (size_t j = 0; j < one.sim.size(); ++j) ASSERT_EQ(bits_of(many.sim[j]), bits_of(one.sim[j]));
  }
}

TEST(PairwiseKernel, StridedViewGivesTheSameBitsAsAContiguousCopy) {
  const Matrix wide = random_unit_rows(300, 40, 11);
  // The first 24 columns, renormalised in place so both views hold the same unit vectors.
  Matrix padded(300, 40), dense(300, 24);
  for (int64_t r = 0; r < 300; ++r) {
    double norm = 0;
    for (int c = 0; c < 24; ++c) norm += double(wide.row(r)[c]) * wide.row(r)[c];
    for (int c = 0; c < 24; ++c) {
      dense.row(r)[c] = padded.row(r)[c] = static_cast<float>(wide.row(r)[c] / std::sqrt(norm));
    }
    for (int c = 24; c < 40; ++c) padded.row(r)[c] = 99.0f;
  }
  const KernelOutput a = run_kernel(MatrixView(padded.data(), 300, 24, 40), 2);
  const KernelOutput b = run_kernel(dense.view(), 2);
  EXPECT_EQ(a.idx, b.idx);
  for (size_t j = 0; j < a.sim.size(); ++j) ASSERT_EQ(bits_of(a.sim[j]), bits_of(b.sim[j]));
}

// Rows copied from `source` to each of `copies` (all after it).
struct CopyGroup {
  int64_t source = 0;
  std::vector<int64_t> copies;
};

// Every copy's best earlier match is its group's source (the lowest position among equal
// vectors), with the same bits for every copy of the group, at each thread count.
void expect_copies_tie_to_their_source(Matrix& e, const std::vector<CopyGroup>& groups,
                                       std::initializer_list<int> thread_counts) {
  const auto row_bytes = static_cast<size_t>(e.cols()) * sizeof(float);
  for (const CopyGroup& group : groups) {
    for (int64_t p : group.copies) std::memcpy(e.row(p), e.row(group.source), row_bytes);
  }
  for (int threads : thread_counts) {
    SCOPED_TRACE(threads);
    const KernelOutput out = run_kernel(e.view(), threads);
    for (const CopyGroup& group : groups) {
      const int64_t first = group.copies.front();
      for (int64_t p : group.copies) {
        EXPECT_EQ(out.idx[p], group.source) << p;
        EXPECT_EQ(bits_of(out.sim[p]), bits_of(out.sim[first])) << p;
      }
      EXPECT_NEAR(out.sim[first], 1.0, 1e-6);
    }
  }
}

TEST(PairwiseKernel, ExactDuplicatesTieExactlyAndTheLowestPositionWins) {
  // Copies of row 5 at positions in the same tile and in later tiles (tiles of 256 rows), and
  // a second group whose first member sits in the second tile.
  Matrix e = random_unit_rows(700, 32, 13);
  expect_copies_tie_to_their_source(
      e, {{5, {40, 255, 256, 300, 511, 520, 699}}, {260, {270, 400, 640}}}, {1, 2, 4});
}

// Column tiles 8 and 9 of a 2,400-row cluster take rows [0, 2048) as one band GEMM; tile 9
// (partial, padded) also takes row tile 8 as a single tile.
TEST(PairwiseKernel, BandsMatchBruteForceAndEveryThreadCount) {
  const int64_t dim = kernels::kPairwiseBandMinDim;
  const Matrix e = random_unit_rows(2400, dim, 19);
  ASSERT_EQ(kernels::pairwise_band_tiles(e.rows(), dim), 8);
  const KernelOutput one = run_kernel(e.view(), 1);
  expect_matches_oracle(e, one.sim, one.idx);
  for (int threads : {2, 3}) {
    const KernelOutput many = run_kernel(e.view(), threads);
    EXPECT_EQ(many.idx, one.idx);
    for (size_t j = 0; j < one.sim.size(); ++j) ASSERT_EQ(bits_of(many.sim[j]), bits_of(one.sim[j]));
  }
}

TEST(PairwiseKernel, ExactDuplicatesTieExactlyAcrossBandsAndSingleTiles) {
  Matrix e = random_unit_rows(2400, 96, 23);
  // Row 5 meets its copies in single tiles (columns 40 to 2047: column tiles below 8 have
  // single tiles only) and in the band of rows [0, 2048) (columns 2100, 2310 and 2399, the
  // last in the padded tile). Row 2050 (row tile 8: a single tile for column tile 9) meets its
  // copies on a diagonal, in column tile 9 and in the padded last tile.
  expect_copies_tie_to_their_source(
      e, {{5, {40, 1000, 1500, 2047, 2100, 2310, 2399}}, {2050, {2060, 2304, 2398}}}, {1, 2});
}

TEST(PairwiseKernel, RandomBatchSizesGiveIdenticalResults) {
  // NeMo's test item 28: 1024 x 512, batch sizes 100/512/1024/2048 vs 1024, identical indices.
  const Matrix e = random_unit_rows(1024, 512, 17);
  Context ctx = Context::make_default(2);
  ASSERT_OK_AND_ASSIGN(auto reference, pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), 1024));
  for (int64_t batch : {100, 512, 2048}) {
    ASSERT_OK_AND_ASSIGN(auto result, pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), batch));
    EXPECT_EQ(result.second, reference.second);
    for (size_t j = 0; j < result.first.size(); ++j) ASSERT_EQ(result.first[j], reference.first[j]);
  }
  for (size_t j = 0; j < reference.first.size(); ++j) {
    ASSERT_GE(reference.first[j], -1.0f - 1e-6f);
    ASSERT_LE(reference.first[j], 1.0f + 1e-6f);
    ASSERT_LE(reference.second[j], static_cast<int64_t>(j));
  }
}

TEST(PairwiseKernel, NegativeMaximaInLaterTilesAndBandsMatchBruteForce) {
  // 600 rows (three 256-row tiles, the last padded): the negative row in the second tile or in
  // the padded last one. 2,400 x 64: column tiles 8 and 9 take rows [0, 2048) as one band.
  for (const auto& [rows, dim, negative] :
       {std::tuple<int64_t, int64_t, int64_t>{600, 24, 300}, {600, 24, 599},
        {2400, kernels::kPairwiseBandMinDim, 2100}, {2400, kernels::kPairwiseBandMinDim, 2399}}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << dim << " row " << negative);
    const Matrix e = with_negative_row(rows, dim, 29, negative);
    const KernelOutput one = run_kernel(e.view(), 1);
    expect_matches_oracle(e, one.sim, one.idx);
    EXPECT_LT(one.sim[negative], 0.0f);
    Context ctx = Context::make_default(2);
    for (int64_t batch : {1, 7, 256, 1024, 4096}) {
      ASSERT_OK_AND_ASSIGN(auto result,
                           pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), batch));
      EXPECT_EQ(result.second, one.idx) << batch;
      for (size_t j = 0; j < one.sim.size(); ++j) {
        ASSERT_EQ(bits_of(result.first[j]), bits_of(one.sim[j])) << batch;
      }
    }
  }
}

TEST(PairwiseKernel, TileIsAFunctionOfTheRowCountOnly) {
  EXPECT_EQ(kernels::pairwise_tile(1), kernels::kPairwiseTileAlign);
  EXPECT_EQ(kernels::pairwise_tile(33), 2 * kernels::kPairwiseTileAlign);
  EXPECT_EQ(kernels::pairwise_tile(kernels::kPairwiseMaxTile), kernels::kPairwiseMaxTile);
  EXPECT_EQ(kernels::pairwise_tile(100000), kernels::kPairwiseMaxTile);
  EXPECT_EQ(kernels::pairwise_band_tiles(100000, 768), kernels::kPairwiseBandTiles);
  EXPECT_EQ(kernels::pairwise_band_tiles(100000, kernels::kPairwiseBandMinDim - 1), 1);
  EXPECT_EQ(kernels::pairwise_band_tiles(2048, 768), 1);  // no column tile past the 8th
  EXPECT_EQ(kernels::pairwise_band_tiles(2049, 768), kernels::kPairwiseBandTiles);
  kernels::PairwiseWorkspace workspace(CpuKernel::kFp32);
  workspace.reserve(3000, 768, 2);
  EXPECT_TRUE(workspace.fits(50000, 768, 2));
  EXPECT_FALSE(workspace.fits(1000, 769, 2));
  EXPECT_FALSE(workspace.fits(1000, 768, 3));
  // Two threads, each: a 2048 x 256 product band, a 256 x 768 padded tile, 256 maxima and rows.
  EXPECT_EQ(workspace.bytes(), 2 * (8 * 256 * 256 + 256 * 768 + 256) * 4 + 2 * 256 * 4);
  kernels::PairwiseWorkspace single(CpuKernel::kFp32);
  single.reserve(2000, 768, 1);
  EXPECT_EQ(single.bytes(), (256 * 256 + 256 * 768 + 256) * 4 + 256 * 4);
  EXPECT_FALSE(single.fits(3000, 768, 1));
  EXPECT_EQ(kernels::PairwiseWorkspace().kernel(), kernels::best_cpu_kernel());
  if (kernels::cpu_kernel_available(CpuKernel::kAvx512Bf16)) {
    kernels::PairwiseWorkspace bf16(CpuKernel::kAvx512Bf16);
    bf16.reserve(3000, 768, 2);
    EXPECT_EQ(bf16.kernel(), CpuKernel::kAvx512Bf16);
    EXPECT_TRUE(bf16.fits(3000, 768, 2));
    EXPECT_FALSE(bf16.fits(3001, 768, 2));  // the bfloat16 copy of the cluster grows with it
    EXPECT_GE(bf16.bytes(), workspace.bytes() + 3000 * 768 * 2);
  }
}

TEST(PairwiseKernel, BatchedCallRejectsBadInput) {
  Context ctx = Context::make_default(1);
  const Matrix e = six_by_three();
  EXPECT_THAT(pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), 0),
              StatusIs(StatusCode::kInvalidArgument, "batch_size must be >= 1"));
  Matrix bad = six_by_three();
  bad.row(4)[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(pairwise::pairwise_cosine_similarity_batched(ctx, bad.view(), 2),
              StatusIs(StatusCode::kDataError, "row 4 column 1"));
  auto flag = std::make_shared<std::atomic<bool>>(true);
  ctx.cancel_flag = flag;
  EXPECT_THAT(pairwise::pairwise_cosine_similarity_batched(ctx, e.view(), 2),
              StatusIs(StatusCode::kCancelled, ""));
}

}  // namespace
}  // namespace semdedup
