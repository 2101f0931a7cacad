#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "semdedup/kernels/assign_bf16.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kernels/isa.hpp"
#include "testing/random_rows.hpp"
#include "testing/testing.hpp"

namespace semdedup::kernels {
namespace {

struct Assignment {
  std::vector<int32_t> labels;
  std::vector<float> sq_dist;
};

Assignment assign_with(CpuKernel kernel, MatrixView x, MatrixView centroids, int threads) {
  std::vector<float> x_norms(static_cast<size_t>(x.rows)),
      c_norms(static_cast<size_t>(centroids.rows));
  squared_row_norms(x, x_norms.data(), threads);
  squared_row_norms(centroids, c_norms.data(), threads);
  Assignment out;
  out.labels.assign(static_cast<size_t>(x.rows), -1);
  out.sq_dist.assign(static_cast<size_t>(x.rows), -1.0f);
  if (kernel == CpuKernel::kAvx512Bf16) {
    AlignedVector<float> workspace(
        static_cast<size_t>(assign_bf16_workspace_floats(centroids.rows, x.cols, threads)));
    assign_nearest_bf16(x, x_norms.data(), centroids, c_norms.data(), out.labels.data(),
                        out.sq_dist.data(), workspace.data(), threads);
  } else {
    AlignedVector<float> workspace(static_cast<size_t>(assign_workspace_floats(x.cols, threads)));
    assign_nearest(x, x_norms.data(), centroids, c_norms.data(), out.labels.data(),
                   out.sq_dist.data(), workspace.data(), threads);
  }
  return out;
}

// The float64 oracle: every row's label is a centroid whose float64 distance is within 1e-6
// (relative) of the best, and the lowest-index centroid at exactly the best when no other is
// that close; sq_dist is the label's float64 distance rounded to float.
void expect_float64_nearest(MatrixView x, MatrixView centroids, const Assignment& got) {
  for (int64_t r = 0; r < x.rows; ++r) {
    std::vector<double> d(static_cast<size_t>(centroids.rows));
    double best = std::numeric_limits<double>::infinity();
    int64_t best_index = -1;
    for (int64_t c = 0; c < centroids.rows; ++c) {
      d[static_cast<size_t>(c)] = squared_distance(x.row(r), centroids.row(c), x.cols);
      if (d[static_cast<size_t>(c)] < best) {
        best = d[static_cast<size_t>(c)];
        best_index = c;
      }
    }
    const double tolerance = 1e-6 * std::max(best, 1e-12);
    bool near_tie = false;
    for (int64_t c = 0; c < centroids.rows; ++c) {
      if (c != best_index && d[static_cast<size_t>(c)] <= best + tolerance) near_tie = true;
    }
    const int32_t label = got.labels[static_cast<size_t>(r)];
    ASSERT_GE(label, 0) << "row " << r;
    ASSERT_LT(label, centroids.rows) << "row " << r;
    if (near_tie) {
      ASSERT_LE(d[static_cast<size_t>(label)], best + tolerance) << "row " << r;
    } else {
      ASSERT_EQ(label, best_index) << "row " << r;
    }
    ASSERT_NEAR(got.sq_dist[static_cast<size_t>(r)], d[static_cast<size_t>(label)],
                1e-6 * d[static_cast<size_t>(label)] + 1e-30)
        << "row " << r;
  }
}

// Means of `per_centroid` random rows each: centroids of the norms k-means produces.
Matrix centroids_from(MatrixView x, int64_t k, int64_t per_centroid, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> pick(0, x.rows - 1);
  Matrix c(k, x.cols);
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t i = 0; i < per_centroid; ++i) {
      const float* row = x.row(pick(gen));
      for (int64_t col = 0; col < x.cols; ++col) {
        c.row(j)[col] += row[col] / static_cast<float>(per_centroid);
      }
    }
  }
  return c;
}

class AssignBf16 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_kernel_available(CpuKernel::kAvx512Bf16)) GTEST_SKIP() << "no AVX512-BF16";
  }
};

class AssignBf16Shapes : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t>> {
 protected:
  void SetUp() override {
    if (!cpu_kernel_available(CpuKernel::kAvx512Bf16)) GTEST_SKIP() << "no AVX512-BF16";
  }
};

// Shapes off every internal size: rows not a multiple of the 6-row group or 96-row tile,
// centroids not a multiple of the 64-centroid block, dim odd or not a multiple of 32.
TEST_P(AssignBf16Shapes, EqualsTheFloat64Oracle) {
  const auto [n, k, dim] = GetParam();
  const Matrix x = testing::random_unit_rows(n, dim, 21);
  for (const int64_t per_centroid : {1, 4, 50}) {
    const Matrix c = centroids_from(x.view(), k, per_centroid, 22);
    expect_float64_nearest(x.view(), c.view(), assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), 2));
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AssignBf16Shapes,
                         ::testing::Values(std::make_tuple(1, 1, 1), std::make_tuple(7, 3, 5),
                                           std::make_tuple(97, 65, 33),
                                           std::make_tuple(200, 130, 64),
                                           std::make_tuple(301, 200, 384),
                                           std::make_tuple(150, 64, 770)));

// Near-ties: centroids in pairs differing by ~1e-5 per value and rows built on the bisector of
// each pair, far inside the bfloat16 error; every decision must still be float64's.
TEST_F(AssignBf16, NearTiesAreDecidedInFloat64) {
  const int64_t dim = 128, pairs = 40;
  const Matrix base = testing::random_unit_rows(pairs, dim, 31);
  std::mt19937 gen(32);
  std::normal_distribution<float> tiny(0.0f, 1e-5f);
  Matrix c(2 * pairs, dim);
  for (int64_t p = 0; p < pairs; ++p) {
    for (int64_t j = 0; j < dim; ++j) {
      c.row(2 * p)[j] = base.row(p)[j];
      c.row(2 * p + 1)[j] = base.row(p)[j] + tiny(gen);
    }
  }
  Matrix x(pairs * 10, dim);
  for (int64_t r = 0; r < x.rows(); ++r) {
    const int64_t p = r % pairs;
    for (int64_t j = 0; j < dim; ++j) {
      x.row(r)[j] = 0.5f * (c.row(2 * p)[j] + c.row(2 * p + 1)[j]) + 3.0f * tiny(gen);
    }
  }
  expect_float64_nearest(x.view(), c.view(), assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), 2));
}

// Hundreds of identical centroids overflow every row's candidate list (the full float64 scan
// then decides) and tie exactly: the lowest index of the group wins. (The fp32 GEMM path need
// not: a BLAS may round the same dot product differently in different columns of a block.)
TEST_F(AssignBf16, ExactDuplicateCentroidsGoToTheLowestIndex) {
  const int64_t dim = 96;
  const Matrix x = testing::random_unit_rows(300, dim, 41);
  Matrix c(400, dim);
  const Matrix shared = centroids_from(x.view(), 1, 20, 42);
  for (int64_t j = 1; j < c.rows(); ++j) {
    std::memcpy(c.row(j), shared.row(0), sizeof(float) * static_cast<size_t>(dim));
  }
  // Centroid 0 is the nearest for rows close to a third random direction only.
  const Matrix other = testing::random_unit_rows(1, dim, 43);
  for (int64_t j = 0; j < dim; ++j) c.row(0)[j] = 0.3f * other.row(0)[j];
  const Assignment got = assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), 2);
  int64_t to_group = 0;
  for (int64_t r = 0; r < x.rows(); ++r) {
    const int32_t label = got.labels[static_cast<size_t>(r)];
    const double d0 = squared_distance(x.row(r), c.row(0), dim);
    const double d1 = squared_distance(x.row(r), c.row(1), dim);
    EXPECT_EQ(label, d1 < d0 ? 1 : 0) << "row " << r;
    to_group += label == 1;
  }
  EXPECT_GT(to_group, 0);
  EXPECT_LT(to_group, x.rows());
  expect_float64_nearest(x.view(), c.view(), got);
}

// Hundreds of identical rows get identical labels and distances.
TEST_F(AssignBf16, ExactDuplicateRowsAgree) {
  const int64_t dim = 200;
  const Matrix distinct = testing::random_unit_rows(3, dim, 51);
  Matrix x(600, dim);
  for (int64_t r = 0; r < x.rows(); ++r) {
    std::memcpy(x.row(r), distinct.row(r % 3), sizeof(float) * static_cast<size_t>(dim));
  }
  const Matrix c = centroids_from(testing::random_unit_rows(500, dim, 52).view(), 70, 3, 53);
  const Assignment got = assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), 2);
  for (int64_t r = 3; r < x.rows(); ++r) {
    EXPECT_EQ(got.labels[static_cast<size_t>(r)], got.labels[static_cast<size_t>(r % 3)]);
    EXPECT_EQ(got.sq_dist[static_cast<size_t>(r)], got.sq_dist[static_cast<size_t>(r % 3)]);
  }
  expect_float64_nearest(x.view(), c.view(), got);
}

TEST_F(AssignBf16, SameBitsForAnyThreadCount) {
  const Matrix x = testing::random_unit_rows(1000, 100, 61);
  const Matrix c = centroids_from(x.view(), 150, 5, 62);
  const Assignment one = assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), 1);
  for (const int threads : {2, 3}) {
    const Assignment many = assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), threads);
    EXPECT_EQ(one.labels, many.labels);
    EXPECT_EQ(0, std::memcmp(one.sq_dist.data(), many.sq_dist.data(),
                             one.sq_dist.size() * sizeof(float)));
  }
}

// The fp32 reference and the filter agree wherever the float64 gap between the two nearest
// centroids exceeds the fp32 path's own rounding.
TEST_F(AssignBf16, AgreesWithTheFp32ReferenceOutsideItsRounding) {
  const int64_t dim = 256;
  const Matrix x = testing::random_unit_rows(800, dim, 71);
  const Matrix c = centroids_from(x.view(), 120, 8, 72);
  const Assignment fast = assign_with(CpuKernel::kAvx512Bf16, x.view(), c.view(), 2);
  const Assignment reference = assign_with(CpuKernel::kFp32, x.view(), c.view(), 2);
  int64_t compared = 0;
  for (int64_t r = 0; r < x.rows(); ++r) {
    double first = std::numeric_limits<double>::infinity(), second = first;
    for (int64_t j = 0; j < c.rows(); ++j) {
      const double d = squared_distance(x.row(r), c.row(j), dim);
      if (d < first) {
        second = first;
        first = d;
      } else if (d < second) {
        second = d;
      }
    }
    if (second - first <= 1e-4 * second) continue;
    ++compared;
    EXPECT_EQ(fast.labels[static_cast<size_t>(r)], reference.labels[static_cast<size_t>(r)]);
  }
  EXPECT_GT(compared, x.rows() / 2);
}

TEST(CpuKernelNames, RoundTripAndRefuseUnknown) {
  for (const CpuKernel kernel : {CpuKernel::kAuto, CpuKernel::kFp32}) {
    const auto parsed = parse_cpu_kernel(cpu_kernel_name(kernel));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kernel);
  }
  EXPECT_FALSE(parse_cpu_kernel("avx9000").ok());
  EXPECT_NE(resolve_cpu_kernel(CpuKernel::kAuto), CpuKernel::kAuto);
  EXPECT_EQ(parse_cpu_kernel("avx512-bf16").ok(), cpu_kernel_available(CpuKernel::kAvx512Bf16));
}

}  // namespace
}  // namespace semdedup::kernels
