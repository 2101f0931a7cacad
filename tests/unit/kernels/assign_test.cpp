#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "semdedup/kernels/distance.hpp"
#include "testing/testing.hpp"

namespace semdedup::kernels {
namespace {

Matrix random_matrix(int64_t rows, int64_t cols, uint32_t seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) m.data()[i] = normal(gen);
  return m;
}

struct Assignment {
  std::vector<int32_t> labels;
  std::vector<float> sq_dist;
};

Assignment assign(MatrixView x, MatrixView centroids, int threads) {
  std::vector<float> x_norms(static_cast<size_t>(x.rows)),
      c_norms(static_cast<size_t>(centroids.rows));
  squared_row_norms(x, x_norms.data(), threads);
  squared_row_norms(centroids, c_norms.data(), threads);
  AlignedVector<float> workspace(static_cast<size_t>(assign_workspace_floats(x.cols, threads)));
  Assignment out;
  out.labels.assign(static_cast<size_t>(x.rows), -1);
  out.sq_dist.assign(static_cast<size_t>(x.rows), -1.0f);
  assign_nearest(x, x_norms.data(), centroids, c_norms.data(), out.labels.data(),
                 out.sq_dist.data(), workspace.data(), threads);
  return out;
}

std::vector<uint32_t> bits_of(const std::vector<float>& values) {
  std::vector<uint32_t> bits(values.size());
  std::memcpy(bits.data(), values.data(), values.size() * sizeof(float));
  return bits;
}

TEST(SquaredRowNorms, MatchDoublePrecision) {
  const Matrix x = random_matrix(300, 33, 1);
  std::vector<float> norms(300);
  squared_row_norms(x.view(), norms.data(), 2);
  for (int64_t r = 0; r < 300; ++r) {
    EXPECT_NEAR(norms[static_cast<size_t>(r)], dot(x.row(r), x.row(r), 33),
                1e-5 * norms[static_cast<size_t>(r)]);
  }
}

TEST(CentroidBlock, IsAFunctionOfKAlone) {
  EXPECT_EQ(centroid_block(1), kCentroidAlign);
  EXPECT_EQ(centroid_block(kCentroidAlign + 1), 2 * kCentroidAlign);
  EXPECT_EQ(centroid_block(kCentroidBlock), kCentroidBlock);
  EXPECT_EQ(centroid_block(1000), 1008);
  EXPECT_EQ(centroid_block(5000), kCentroidBlock);
}

// Against a brute-force argmin in double precision: the chosen centroid is optimal up to float
// rounding of the expanded distance, and the reported distance is that centroid's distance.
class AssignNearestVsBruteForce
    : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t>> {};

TEST_P(AssignNearestVsBruteForce, PicksTheNearestCentroid) {
  const auto [n, k, dim] = GetParam();
  const Matrix x = random_matrix(n, dim, 11);
  const Matrix c = random_matrix(k, dim, 12);
  const Assignment got = assign(x.view(), c.view(), 2);
  for (int64_t r = 0; r < n; ++r) {
    double best = std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < k; ++j)
      best = std::min(best, squared_distance(x.row(r), c.row(j), dim));
    const int32_t label = got.labels[static_cast<size_t>(r)];
    ASSERT_GE(label, 0);
    ASSERT_LT(label, k);
    const double chosen = squared_distance(x.row(r), c.row(label), dim);
    // float32 expanded distances of vectors of norm² ~ dim carry errors ~ dim · 2^-23.
    const double tolerance = 1e-5 * static_cast<double>(dim);
    EXPECT_LE(chosen, best + tolerance) << "row " << r;
    EXPECT_NEAR(got.sq_dist[static_cast<size_t>(r)], chosen, tolerance) << "row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AssignNearestVsBruteForce,
                         ::testing::Values(std::make_tuple(int64_t{1}, int64_t{1}, int64_t{3}),
                                           std::make_tuple(int64_t{257}, int64_t{7}, int64_t{16}),
                                           std::make_tuple(int64_t{700}, int64_t{300}, int64_t{37}),
                                           std::make_tuple(int64_t{513}, int64_t{513}, int64_t{64}),
                                           std::make_tuple(int64_t{1100}, int64_t{1100},
                                                           int64_t{8})));

TEST(AssignNearest, ExactLabelsOnSeparatedPoints) {
  // Centroids on the coordinate axes, rows small perturbations of them: the label is exact.
  const int64_t k = 40, dim = 48, n = 600;
  Matrix c(k, dim);
  for (int64_t j = 0; j < k; ++j) c.row(j)[j] = 1.0f;
  Matrix x(n, dim);
  std::vector<int32_t> truth(static_cast<size_t>(n));
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> noise(-0.05f, 0.05f);
  for (int64_t r = 0; r < n; ++r) {
    truth[static_cast<size_t>(r)] = static_cast<int32_t>((r * 7) % k);
    for (int64_t j = 0; j < dim; ++j) x.row(r)[j] = noise(gen);
    x.row(r)[truth[static_cast<size_t>(r)]] += 1.0f;
  }
  EXPECT_EQ(assign(x.view(), c.view(), 2).labels, truth);
}

TEST(AssignNearest, TiesGoToTheLowestCentroidIndex) {
  const int64_t dim = 8;
  Matrix c = random_matrix(300, dim, 5);
  // Centroids 3, 150 and 299 are identical, and every row is one of them.
  std::memcpy(c.row(150), c.row(3), sizeof(float) * dim);
  std::memcpy(c.row(299), c.row(3), sizeof(float) * dim);
  Matrix x(10, dim);
  for (int64_t r = 0; r < 10; ++r)
    std::memcpy(x.row(r), c.row(r % 2 ? 150 : 299), sizeof(float) * dim);
  for (const int32_t label : assign(x.view(), c.view(), 2).labels) EXPECT_EQ(label, 3);
}

TEST(AssignNearest, DistancesAreClampedAtZero) {
  const Matrix x = random_matrix(20, 24, 8);
  const Assignment got = assign(x.view(), x.view(), 1);
  for (int64_t r = 0; r < 20; ++r) {
    EXPECT_GE(got.sq_dist[static_cast<size_t>(r)], 0.0f);
    EXPECT_LT(got.sq_dist[static_cast<size_t>(r)], 1e-4f);
  }
}

TEST(AssignNearest, SameBitsForAnyThreadCountAndRowPosition) {
  const int64_t n = 2500, k = 1500, dim = 40;
  const Matrix x = random_matrix(n, dim, 21, 0.2f);
  const Matrix c = random_matrix(k, dim, 22, 0.2f);
  const Assignment one = assign(x.view(), c.view(), 1);
  const Assignment two = assign(x.view(), c.view(), 2);
  EXPECT_EQ(one.labels, two.labels);
  EXPECT_EQ(bits_of(one.sq_dist), bits_of(two.sq_dist));
  // The same rows starting at other offsets land at other positions inside their tiles.
  for (const int64_t offset :
       {int64_t{1}, int64_t{7}, int64_t{100}, int64_t{1023}, int64_t{1700}}) {
    const Assignment part = assign(x.view().slice_rows(offset, n - offset), c.view(), 2);
    for (int64_t r = 0; r < n - offset; ++r) {
      ASSERT_EQ(part.labels[static_cast<size_t>(r)], one.labels[static_cast<size_t>(r + offset)]);
      ASSERT_EQ(bits_of({part.sq_dist[static_cast<size_t>(r)]}),
                bits_of({one.sq_dist[static_cast<size_t>(r + offset)]}))
          << "row " << r + offset << " at offset " << offset;
    }
  }
}

TEST(AssignNearest, ReadsStridedViews) {
  const int64_t n = 300, dim = 20, k = 17;
  const Matrix wide = random_matrix(n, dim + 5, 31);
  const MatrixView strided(wide.data(), n, dim, dim + 5);
  Matrix packed(n, dim);
  for (int64_t r = 0; r < n; ++r) std::memcpy(packed.row(r), wide.row(r), sizeof(float) * dim);
  const Matrix c = random_matrix(k, dim, 32);
  const Assignment a = assign(strided, c.view(), 2);
  const Assignment b = assign(packed.view(), c.view(), 2);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(bits_of(a.sq_dist), bits_of(b.sq_dist));
}

TEST(PairDistances, MatchTheirDefinitions) {
  const float a[3] = {1.0f, 2.0f, 2.0f};
  const float b[3] = {0.0f, 2.0f, 4.0f};
  EXPECT_DOUBLE_EQ(squared_distance(a, b, 3), 5.0);
  EXPECT_DOUBLE_EQ(dot(a, b, 3), 12.0);
  const Matrix x = random_matrix(2, 100, 41);
  EXPECT_NEAR(squared_distance_fast(x.row(0), x.row(1), 100),
              squared_distance(x.row(0), x.row(1), 100), 1e-4);
}

}  // namespace
}  // namespace semdedup::kernels
