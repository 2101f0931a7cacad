// The pairwise kernel's AVX512-BF16 family against a float64 oracle and against the fp32
// family, on data made to defeat a bfloat16 filter: near-ties far inside the bfloat16 error,
// exact ties between different rows, groups of hundreds of exact copies at every panel, block
// and row-group position, an all-identical cluster, negative maxima, tiny clusters, shapes that
// are no multiple of any block, values the family must hand to the fp32 family, and values
// below its flush threshold. Every case runs at 1, 2 and 3 threads.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "semdedup/kernels/isa.hpp"
#include "semdedup/kernels/pairwise.hpp"
#include "testing/random_rows.hpp"
#include "testing/testing.hpp"

namespace semdedup::kernels {
namespace {

using testing::random_unit_rows;

struct Output {
  std::vector<float> sim;
  std::vector<int64_t> idx;
};

Output run(CpuKernel kernel, MatrixView e, int threads) {
  Output out{std::vector<float>(e.rows, -7.0f), std::vector<int64_t>(e.rows, -7)};
  PairwiseWorkspace workspace(kernel);
  workspace.reserve(e.rows, e.cols, threads);
  max_similarity_before(e, threads, out.sim.data(), out.idx.data(), workspace);
  return out;
}

uint32_t bits_of(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Plain sequential float64 dot product: an oracle independent of the kernels' summation.
double dot64(MatrixView e, int64_t a, int64_t b) {
  double sum = 0.0;
  for (int64_t c = 0; c < e.cols; ++c) sum += double(e.row(a)[c]) * double(e.row(b)[c]);
  return sum;
}

// Against the float64 oracle, for every row j >= 1: the score is the best earlier dot product
// rounded to float; max_idx attains the best (to float64 summation-order rounding), and no
// earlier row lies clearly above it (so the lowest row wins exact ties: see the tie tests).
// Row 0 gets (0, 0).
void expect_oracle(MatrixView e, const Output& got) {
  ASSERT_EQ(static_cast<int64_t>(got.sim.size()), e.rows);
  if (e.rows == 0) return;
  EXPECT_EQ(got.idx[0], 0);
  EXPECT_EQ(got.sim[0], 0.0f);
  std::vector<double> norms(static_cast<size_t>(e.rows));
  for (int64_t i = 0; i < e.rows; ++i) norms[i] = std::sqrt(dot64(e, i, i));
  for (int64_t j = 1; j < e.rows; ++j) {
    double best = -std::numeric_limits<double>::infinity();
    double scale = 0.0;
    for (int64_t i = 0; i < j; ++i) {
      best = std::max(best, dot64(e, i, j));
      scale = std::max(scale, norms[i] * norms[j]);
    }
    const double rounding = 1e-12 * scale;
    ASSERT_GE(got.idx[j], 0) << "row " << j;
    ASSERT_LT(got.idx[j], j) << "row " << j;
    ASSERT_NEAR(double(got.sim[j]), best, std::abs(best) * 0x1p-23 + rounding) << "row " << j;
    ASSERT_GE(dot64(e, got.idx[j], j), best - rounding) << "row " << j;
  }
}

// The bf16 family against the oracle and bit for bit against the fp32 family, at 1, 2 and 3
// threads (the fp32 family's own thread-independence is tested in pairwise_kernel_test).
void expect_same_bits(const Output& got, const Output& reference) {
  EXPECT_EQ(got.idx, reference.idx);
  for (size_t j = 0; j < got.sim.size(); ++j) {
    ASSERT_EQ(bits_of(got.sim[j]), bits_of(reference.sim[j])) << "row " << j;
  }
}

Output expect_families_agree(MatrixView e) {
  const Output reference = run(CpuKernel::kFp32, e, 1);
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(::testing::Message() << threads << " threads");
    const Output got = run(CpuKernel::kAvx512Bf16, e, threads);
    expect_same_bits(got, reference);
    if (threads == 1) expect_oracle(e, got);
  }
  return reference;
}

class PairwiseBf16 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_kernel_available(CpuKernel::kAvx512Bf16)) GTEST_SKIP() << "no AVX512-BF16";
  }
};

void normalise_rows(Matrix& m) {
  for (int64_t r = 0; r < m.rows(); ++r) {
    double norm = 0;
    for (int64_t c = 0; c < m.cols(); ++c) norm += double(m.row(r)[c]) * m.row(r)[c];
    for (int64_t c = 0; c < m.cols(); ++c) {
      m.row(r)[c] = static_cast<float>(m.row(r)[c] / std::sqrt(norm));
    }
  }
}

TEST_F(PairwiseBf16, TinyClustersAndOddWidths) {
  for (int64_t rows : {1, 2, 3}) {
    for (int64_t dim : {1, 2, 3, 17, 768}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << dim);
      const Matrix e = random_unit_rows(rows, dim, static_cast<uint32_t>(rows * 1000 + dim));
      expect_families_agree(e.view());
    }
  }
}

TEST_F(PairwiseBf16, NegativeMaximaKeepTheEarliestRow) {
  Matrix opposite(2, 2);
  opposite.row(0)[0] = 1.0f;
  opposite.row(1)[0] = -1.0f;
  const Output out = expect_families_agree(opposite.view());
  EXPECT_EQ(out.sim, (std::vector<float>{0.0f, -1.0f}));
  EXPECT_EQ(out.idx, (std::vector<int64_t>{0, 0}));
  // Every earlier row points away from the last one: its best match is negative.
  Matrix away = random_unit_rows(300, 40, 3);
  for (int64_t r = 0; r < 299; ++r) away.row(r)[0] = std::fabs(away.row(r)[0]) + 1.0f;
  normalise_rows(away);
  std::fill(away.row(299), away.row(299) + 40, 0.0f);
  away.row(299)[0] = -1.0f;
  EXPECT_LT(expect_families_agree(away.view()).sim[299], 0.0f);
}

TEST_F(PairwiseBf16, ShapesThatAreNoMultipleOfAnyBlock) {
  // Register blocks are 6 rows x 64 columns, panels 256 columns.
  uint32_t seed = 100;
  for (int64_t rows : {5, 6, 7, 63, 64, 65, 255, 257, 513}) {
    for (int64_t dim : {5, 31, 33, 100}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << dim);
      expect_families_agree(random_unit_rows(rows, dim, ++seed).view());
    }
  }
}

TEST_F(PairwiseBf16, AllIdenticalRows) {
  Matrix e = random_unit_rows(700, 64, 5);
  for (int64_t r = 1; r < e.rows(); ++r) std::memcpy(e.row(r), e.row(0), 64 * sizeof(float));
  const Output out = expect_families_agree(e.view());
  for (int64_t j = 1; j < e.rows(); ++j) {
    ASSERT_EQ(out.idx[j], 0) << j;
    ASSERT_EQ(bits_of(out.sim[j]), bits_of(out.sim[1])) << j;
  }
  EXPECT_NEAR(out.sim[1], 1.0, 1e-6);
}

TEST_F(PairwiseBf16, GroupsOfHundredsOfCopiesAtEveryPosition) {
  // 1,500 rows x 96: three sources, 300 copies each at random positions after the source, so
  // copies fall in every panel, register block and row group, on and off the diagonal.
  Matrix e = random_unit_rows(1500, 96, 7);
  std::mt19937 gen(11);
  std::vector<int64_t> owner(1500, -1);
  for (int64_t source : {0, 250, 600}) {
    owner[source] = source;
    int placed = 0;
    while (placed < 300) {
      const auto p = static_cast<int64_t>(gen() % 1500);
      if (p <= source || owner[p] >= 0) continue;
      owner[p] = source;
      std::memcpy(e.row(p), e.row(source), 96 * sizeof(float));
      ++placed;
    }
  }
  const Output out = expect_families_agree(e.view());
  for (int64_t j = 0; j < 1500; ++j) {
    if (owner[j] >= 0 && owner[j] != j) {
      EXPECT_EQ(out.idx[j], owner[j]) << j;
    }
  }
}

TEST_F(PairwiseBf16, NearTiesFarInsideTheBfloat16Error) {
  // Every row is one direction plus noise of 1e-4: all dot products lie within about 1e-8 of
  // each other, 300 000 times closer than the bfloat16 bound, so every earlier row stays a
  // candidate of every column (past the per-column list: the column is rescanned).
  const int64_t rows = 700, dim = 128;
  const Matrix base = random_unit_rows(1, dim, 13);
  Matrix e = random_unit_rows(rows, dim, 17);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < dim; ++c) e.row(r)[c] = base.row(0)[c] + 1e-4f * e.row(r)[c];
  }
  normalise_rows(e);
  expect_families_agree(e.view());
}

TEST_F(PairwiseBf16, ExactTiesBetweenDifferentRowsGoToTheLowestRow) {
  // Rows share their first value (0.5) and differ elsewhere; the axis rows (1, 0, ...) after
  // them have the exact product 0.5 with each, a tie among different rows that the first wins.
  // Not normalised: the kernel takes any finite rows.
  const int64_t rows = 600, dim = 32;
  Matrix e = random_unit_rows(rows, dim, 19);
  std::vector<int64_t> axes;
  for (int64_t r = 0; r < rows; ++r) {
    e.row(r)[0] = 0.5f;
    if (r >= 40 && r % 37 == 3) {
      std::fill(e.row(r), e.row(r) + dim, 0.0f);
      e.row(r)[0] = 1.0f;
      axes.push_back(r);
    }
  }
  // The first axis row ties at 0.5 with every row before it; a later axis row has product 1
  // with every earlier axis row, the first of them winning.
  const Output out = expect_families_agree(e.view());
  EXPECT_EQ(out.idx[axes[0]], 0);
  EXPECT_EQ(out.sim[axes[0]], 0.5f);
  for (size_t k = 1; k < axes.size(); ++k) {
    EXPECT_EQ(out.idx[axes[k]], axes[0]);
    EXPECT_EQ(out.sim[axes[k]], 1.0f);
  }
}

TEST_F(PairwiseBf16, LargeValuesGoToTheFp32Family) {
  // Values above 2^50 could overflow float32 sums of bfloat16 products: the fp32 family runs.
  Matrix e = random_unit_rows(200, 16, 23);
  for (int64_t r = 0; r < e.rows(); ++r) {
    for (int64_t c = 0; c < 16; ++c) e.row(r)[c] *= 0x1p55f;
  }
  expect_families_agree(e.view());
}

TEST_F(PairwiseBf16, ValuesBelowTheFlushThreshold) {
  // Values near 2^-70 become 0 in bfloat16; the bound (from each row's exact residue) still
  // keeps every row within reach, and float64 decides.
  Matrix e = random_unit_rows(300, 24, 29);
  for (int64_t r = 0; r < e.rows(); ++r) {
    for (int64_t c = 0; c < 24; ++c) e.row(r)[c] *= (r % 3 == 0) ? 0x1p-70f : 1.0f;
  }
  expect_families_agree(e.view());
}

TEST_F(PairwiseBf16, RandomClustersOfManyPanels) {
  // 2,000 x 768 (8 panels, the last partial) with a sprinkling of exact and near copies.
  Matrix e = random_unit_rows(2000, 768, 31);
  std::mt19937 gen(37);
  for (int k = 0; k < 200; ++k) {
    const auto dst = static_cast<int64_t>(gen() % 2000);
    const auto src = static_cast<int64_t>(gen() % 2000);
    for (int64_t c = 0; c < 768; ++c) {
      e.row(dst)[c] = e.row(src)[c] + (k % 2 ? 1e-3f * e.row(dst)[c] : 0.0f);
    }
  }
  normalise_rows(e);
  expect_families_agree(e.view());
}

TEST_F(PairwiseBf16, CancelledRunStops) {
  const Matrix e = random_unit_rows(3000, 64, 41);
  PairwiseWorkspace workspace(CpuKernel::kAvx512Bf16);
  workspace.reserve(e.rows(), e.cols(), 2);
  std::vector<float> sim(3000, -7.0f);
  std::vector<int64_t> idx(3000, -7);
  const std::atomic<bool> cancel{true};
  max_similarity_before(e.view(), 2, sim.data(), idx.data(), workspace, &cancel);
  EXPECT_EQ(idx[2999], -7);  // the last panel was never finished
}

}  // namespace
}  // namespace semdedup::kernels
