// The per-row bound each assignment family returns for Lloyd's bound (`second`): never above
// the family's own float64 distance to any centroid but the chosen one, on random rows, rows
// between centroids, exact copies of centroids and centroids given many times.

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/exact_rescore.hpp"
#include "semdedup/kernels/assign_bf16.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kernels/isa.hpp"
#include "testing/random_rows.hpp"
#include "testing/testing.hpp"

namespace semdedup::kernels {
namespace {

// Rows: random unit rows, then rows halfway between two centroids, then copies of centroids.
// Centroids: random rows, the first few given three times each.
struct Case {
  Matrix x;
  Matrix centroids;
};

Case make_case(int64_t n, int64_t k, int64_t dim, uint32_t seed) {
  Case out{testing::random_unit_rows(n, dim, seed), Matrix(k, dim)};
  const Matrix c = testing::random_unit_rows(k, dim, seed + 1);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t from = i < 12 ? i / 3 : i;
    std::memcpy(out.centroids.row(i), c.row(from), sizeof(float) * static_cast<size_t>(dim));
  }
  for (int64_t r = 0; r < n / 4; ++r) {
    const float* a = out.centroids.row(r % k);
    const float* b = out.centroids.row((r * 7 + 3) % k);
    for (int64_t j = 0; j < dim; ++j) out.x.row(r)[j] = 0.5f * a[j] + 0.5f * b[j];
  }
  for (int64_t r = n / 4; r < n / 2; ++r) {
    std::memcpy(out.x.row(r), out.centroids.row(r % k), sizeof(float) * static_cast<size_t>(dim));
  }
  return out;
}

void expect_rigorous_second(CpuKernel kernel, const Case& data, int threads) {
  const MatrixView x = data.x.view(), centroids = data.centroids.view();
  const int64_t n = x.rows, k = centroids.rows, dim = x.cols;
  std::vector<float> x_norms(static_cast<size_t>(n)), c_norms(static_cast<size_t>(k));
  squared_row_norms(x, x_norms.data(), threads);
  squared_row_norms(centroids, c_norms.data(), threads);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  std::vector<float> sq(static_cast<size_t>(n));
  std::vector<double> second(static_cast<size_t>(n), -1.0);
  const bool bf16 = kernel == CpuKernel::kAvx512Bf16;
  if (bf16) {
    AlignedVector<float> workspace(
        static_cast<size_t>(assign_bf16_workspace_floats(k, dim, threads)));
    assign_nearest_bf16(x, x_norms.data(), centroids, c_norms.data(), labels.data(), sq.data(),
                        workspace.data(), threads, second.data());
  } else {
    AlignedVector<float> workspace(static_cast<size_t>(assign_workspace_floats(dim, threads)));
    assign_nearest(x, x_norms.data(), centroids, c_norms.data(), labels.data(), sq.data(),
                   workspace.data(), threads, second.data());
  }
  int64_t tight = 0;
  for (int64_t r = 0; r < n; ++r) {
    double others = std::numeric_limits<double>::infinity();
    double own = 0.0;
    for (int64_t c = 0; c < k; ++c) {
      const double d = bf16 ? assign_bf16_distance(x.row(r), centroids.row(c), dim)
                            : fixed_order_squared_distance(x.row(r), centroids.row(c), dim);
      if (c == labels[static_cast<size_t>(r)]) {
        own = d;
      } else {
        others = std::min(others, d);
      }
    }
    const double bound = second[static_cast<size_t>(r)];
    ASSERT_LE(bound, others) << cpu_kernel_name(kernel) << " row " << r;
    EXPECT_LE(own, others) << "row " << r;
    EXPECT_EQ(sq[static_cast<size_t>(r)], static_cast<float>(own)) << "row " << r;
    tight += bound > own ? 1 : 0;
  }
  // Useful as well as rigorous: random rows lie clearly nearer one centroid than the others.
  EXPECT_GT(tight, n / 4) << cpu_kernel_name(kernel);
}

TEST(AssignSecond, NeverAboveTheDistanceToAnyOtherCentroid) {
  std::vector<CpuKernel> families{CpuKernel::kFp32};
  if (cpu_kernel_available(CpuKernel::kAvx512Bf16)) families.push_back(CpuKernel::kAvx512Bf16);
  for (const CpuKernel kernel : families) {
    for (const int64_t dim : {int64_t{7}, int64_t{64}, int64_t{300}}) {
      expect_rigorous_second(kernel, make_case(600, 80, dim, 31), 2);
    }
    expect_rigorous_second(kernel, make_case(300, 1, 16, 32), 1);
  }
}

}  // namespace
}  // namespace semdedup::kernels
