// The BLAS proposes, a fixed-order double sum decides: the assignment and pairwise kernels
// against float64 brute force on adversarial data (near-ties below the float32 GEMM error,
// exact duplicate groups of hundreds spread over every kind of tile position), under whichever
// OpenBLAS core the environment names (CTest runs this binary once per core).
#include "kernels/cpu/exact_rescore.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "semdedup/kernels/blas.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kernels/pairwise.hpp"
#include "testing/testing.hpp"

namespace semdedup::kernels {
namespace {

uint32_t bits_of(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

uint64_t bits_of(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

TEST(BlasCore, IsTheOneTheEnvironmentNames) {
  const char* wanted = std::getenv("OPENBLAS_CORETYPE");
  if (!wanted) GTEST_SKIP() << "OPENBLAS_CORETYPE is not set";
  std::string description = blas_description(), core = std::string("core=") + wanted;
  for (auto* s : {&description, &core}) {
    for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  EXPECT_NE(description.find(core), std::string::npos) << blas_description();
}

TEST(ExactRescore, SumsMatchLongDoubleAndIgnoreWhereTheVectorsLie) {
  std::mt19937 gen(1);
  std::normal_distribution<float> normal;
  for (const int64_t dim : {1, 7, 8, 33, 768}) {
    std::vector<float> storage(static_cast<size_t>(3 * dim + 5));
    for (float& v : storage) v = normal(gen);
    const float* a = storage.data();
    const float* b = storage.data() + dim;
    long double dot = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < dim; ++j) {
      dot += static_cast<long double>(a[j]) * b[j];
      aa += static_cast<long double>(a[j]) * a[j];
      bb += static_cast<long double>(b[j]) * b[j];
    }
    const double scale = static_cast<double>(aa + bb);
    EXPECT_NEAR(fixed_order_dot(a, b, dim), static_cast<double>(dot), 1e-14 * scale) << dim;
    EXPECT_NEAR(fixed_order_squared_distance(a, b, dim), static_cast<double>(aa + bb - 2 * dot),
                1e-14 * scale)
        << dim;
    // A copy at another alignment, and the operands swapped: the same bits.
    std::vector<float> shifted(static_cast<size_t>(dim + 3));
    std::memcpy(shifted.data() + 3, a, static_cast<size_t>(dim) * sizeof(float));
    EXPECT_EQ(bits_of(fixed_order_dot(shifted.data() + 3, b, dim)),
              bits_of(fixed_order_dot(a, b, dim)));
    EXPECT_EQ(bits_of(fixed_order_dot(b, a, dim)), bits_of(fixed_order_dot(a, b, dim)));
    EXPECT_EQ(bits_of(fixed_order_squared_distance(b, a, dim)),
              bits_of(fixed_order_squared_distance(a, b, dim)));
  }
  const float same[4] = {0.1f, -3.0f, 7.5f, 1e-3f};
  EXPECT_EQ(fixed_order_squared_distance(same, same, 4), 0.0);
}

// Unit rows (in float) that all lie within ~1e-7 of a few base directions, so that their dot
// products with each other differ by about as much as a float32 GEMM's rounding error.
Matrix near_tie_rows(int64_t rows, int64_t dim, int64_t bases, float spread, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> base(static_cast<size_t>(bases * dim));
  for (double& v : base) v = normal(gen);
  Matrix m(rows, dim);
  std::vector<double> row(static_cast<size_t>(dim));
  for (int64_t r = 0; r < rows; ++r) {
    const double* b = base.data() + (r % bases) * dim;
    double norm = 0;
    for (int64_t j = 0; j < dim; ++j) {
      row[j] = b[j] + spread * normal(gen);
      norm += row[j] * row[j];
    }
    for (int64_t j = 0; j < dim; ++j) m.row(r)[j] = static_cast<float>(row[j] / std::sqrt(norm));
  }
  return m;
}

void copy_row(Matrix& m, int64_t from, int64_t to) {
  std::memcpy(m.row(to), m.row(from), static_cast<size_t>(m.cols()) * sizeof(float));
}

struct PairwiseOut {
  std::vector<float> sim;
  std::vector<int64_t> idx;
};

PairwiseOut run_pairwise(MatrixView e, int threads) {
  PairwiseOut out{std::vector<float>(static_cast<size_t>(e.rows)),
                  std::vector<int64_t>(static_cast<size_t>(e.rows))};
  PairwiseWorkspace workspace;
  workspace.reserve(e.rows, e.cols, threads);
  max_similarity_before(e, threads, out.sim.data(), out.idx.data(), workspace);
  return out;
}

// Every pair in float64: column j's largest product with an earlier row, the earliest row
// reaching it; the kernel must return exactly that row and that product rounded to float.
void expect_pairwise_matches_brute_force(const Matrix& e, const PairwiseOut& got) {
  for (int64_t j = 1; j < e.rows(); ++j) {
    double best = -std::numeric_limits<double>::infinity();
    int64_t best_row = -1;
    for (int64_t i = 0; i < j; ++i) {
      const double value = fixed_order_dot(e.row(i), e.row(j), e.cols());
      if (value > best) {
        best = value;
        best_row = i;
      }
    }
    ASSERT_EQ(got.idx[static_cast<size_t>(j)], best_row) << "row " << j;
    ASSERT_EQ(bits_of(got.sim[static_cast<size_t>(j)]), bits_of(static_cast<float>(best)))
        << "row " << j;
  }
  EXPECT_EQ(got.idx[0], 0);
  EXPECT_EQ(got.sim[0], 0.0f);
}

TEST(ExactRescorePairwise, NearTiesAndDuplicateGroupsMatchFloat64BruteForce) {
  // 2,400 x 64: column tiles 8 and 9 take rows [0, 2048) as one band, the last tile is padded.
  const int64_t n = 2400, dim = kPairwiseBandMinDim;
  ASSERT_EQ(pairwise_band_tiles(n, dim), kPairwiseBandTiles);
  Matrix e = near_tie_rows(n, dim, 3, 1e-7f, 5);
  // Three groups of 300, 200 and 150 exact copies spread over every tile, band and diagonal
  // position, the sources at the start of tile 0, the middle of tile 3 and in the band.
  for (int64_t c = 1; c <= 300; ++c) copy_row(e, 0, std::min(n - 1, c * 7 + c % 5));
  for (int64_t c = 1; c <= 200; ++c) copy_row(e, 800, 801 + c * 7);
  for (int64_t c = 1; c <= 150; ++c) copy_row(e, 2049, 2050 + c * 2);
  const PairwiseOut one = run_pairwise(e.view(), 1);
  expect_pairwise_matches_brute_force(e, one);
  const PairwiseOut three = run_pairwise(e.view(), 3);
  EXPECT_EQ(three.idx, one.idx);
  for (size_t j = 0; j < one.sim.size(); ++j) ASSERT_EQ(bits_of(three.sim[j]), bits_of(one.sim[j]));
  // The same rows from row 37 on: other tiles, other places in them, same answers (shifted).
  const MatrixView tail = e.view().slice_rows(37, n - 37);
  const PairwiseOut shifted = run_pairwise(tail, 2);
  Matrix tail_copy(n - 37, dim);
  for (int64_t r = 0; r < n - 37; ++r) {
    std::memcpy(tail_copy.row(r), tail.row(r), static_cast<size_t>(dim) * sizeof(float));
  }
  expect_pairwise_matches_brute_force(tail_copy, shifted);
}

TEST(ExactRescorePairwise, SmallClusterOfNearTiesAndSingleTiles) {
  Matrix e = near_tie_rows(500, 24, 2, 3e-8f, 9);
  for (int64_t c = 1; c < 248; ++c) copy_row(e, 3, 3 + 2 * c);
  expect_pairwise_matches_brute_force(e, run_pairwise(e.view(), 2));
}

struct AssignOut {
  std::vector<int32_t> labels;
  std::vector<float> sq_dist;
};

AssignOut run_assign(MatrixView x, MatrixView c, int threads) {
  std::vector<float> x_norms(static_cast<size_t>(x.rows)), c_norms(static_cast<size_t>(c.rows));
  squared_row_norms(x, x_norms.data(), threads);
  squared_row_norms(c, c_norms.data(), threads);
  AlignedVector<float> workspace(static_cast<size_t>(assign_workspace_floats(x.cols, threads)));
  AssignOut out{std::vector<int32_t>(static_cast<size_t>(x.rows)),
                std::vector<float>(static_cast<size_t>(x.rows))};
  assign_nearest(x, x_norms.data(), c, c_norms.data(), out.labels.data(), out.sq_dist.data(),
                 workspace.data(), threads);
  return out;
}

void expect_assign_matches_brute_force(MatrixView x, MatrixView c, const AssignOut& got,
                                       int64_t offset = 0) {
  for (int64_t r = 0; r < x.rows; ++r) {
    double best = std::numeric_limits<double>::infinity();
    int32_t label = -1;
    for (int64_t k = 0; k < c.rows; ++k) {
      const double d = fixed_order_squared_distance(x.row(r), c.row(k), x.cols);
      if (d < best) {
        best = d;
        label = static_cast<int32_t>(k);
      }
    }
    ASSERT_EQ(got.labels[static_cast<size_t>(r + offset)], label) << "row " << r;
    ASSERT_EQ(bits_of(got.sq_dist[static_cast<size_t>(r + offset)]),
              bits_of(static_cast<float>(best)))
        << "row " << r;
  }
}

TEST(ExactRescoreAssign, NearTiesAndDuplicatesMatchFloat64BruteForce) {
  // 2,100 rows (three row tiles, the last padded) against 1,100 centroids (a full block and a
  // padded one), all within ~1e-7 of two directions; centroid 5 has copies in both blocks
  // and row 0 has 400 copies at every place in the row tiles.
  const int64_t n = 2100, k = 1100, dim = 32;
  Matrix c = near_tie_rows(k, dim, 2, 1e-7f, 21);
  for (const int64_t copy : {6, 700, 1023, 1024, 1050, 1099}) copy_row(c, 5, copy);
  Matrix x = near_tie_rows(n, dim, 2, 1e-7f, 22);
  for (int64_t r = 1; r <= 400; ++r) copy_row(x, 0, r * 5 + r % 3);
  std::memcpy(x.row(11), c.row(5), static_cast<size_t>(dim) * sizeof(float));
  const AssignOut one = run_assign(x.view(), c.view(), 1);
  expect_assign_matches_brute_force(x.view(), c.view(), one);
  EXPECT_EQ(one.labels[11], 5);
  EXPECT_EQ(one.sq_dist[11], 0.0f);
  const AssignOut two = run_assign(x.view(), c.view(), 2);
  EXPECT_EQ(two.labels, one.labels);
  for (size_t r = 0; r < one.sq_dist.size(); ++r) {
    ASSERT_EQ(bits_of(two.sq_dist[r]), bits_of(one.sq_dist[r]));
  }
  for (const int64_t offset : {int64_t{1}, int64_t{333}, int64_t{1023}}) {
    const AssignOut part = run_assign(x.view().slice_rows(offset, n - offset), c.view(), 2);
    for (int64_t r = 0; r < n - offset; ++r) {
      ASSERT_EQ(part.labels[static_cast<size_t>(r)], one.labels[static_cast<size_t>(r + offset)]);
      ASSERT_EQ(bits_of(part.sq_dist[static_cast<size_t>(r)]),
                bits_of(one.sq_dist[static_cast<size_t>(r + offset)]));
    }
  }
}

}  // namespace
}  // namespace semdedup::kernels
