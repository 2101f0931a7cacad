// Lloyd with Hamerly's bound (kmeans/bounded_assign) against Lloyd assigning every row in every
// pass: the same labels, centroids, inertia and per-iteration history, bit for bit, on data made
// to break the bounds (exact ties, copies of rows and of centroids, clusters that empty and are
// re-seeded), under each kernel family this machine runs and any thread count.

#include "kmeans/bounded_assign.hpp"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kmeans_testing.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/kernels/isa.hpp"
#include "semdedup/kmeans/kmeans.hpp"
#include "testing/testing.hpp"

namespace semdedup::kmeans {
namespace {

using ::semdedup::testing::make_blobs;

std::vector<CpuKernel> kernel_families() {
  std::vector<CpuKernel> out{CpuKernel::kFp32};
  if (kernels::cpu_kernel_available(CpuKernel::kAvx512Bf16)) out.push_back(CpuKernel::kAvx512Bf16);
  return out;
}

Context context(int threads, CpuKernel kernel) {
  Context ctx = Context::make_default(threads);
  ctx.cpu_kernel = kernel;
  return ctx;
}

void normalise(float* row, int64_t dim) {
  double norm = 0.0;
  for (int64_t j = 0; j < dim; ++j) norm += static_cast<double>(row[j]) * row[j];
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (int64_t j = 0; j < dim; ++j) row[j] *= inv;
}

// Random unit rows, then hundreds of copies of a few of them, and rows mirrored in their first
// coordinate (so that centroids symmetric in it are exactly as far from both).
Matrix adversarial_rows(int64_t random_rows, int64_t dim, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t copies = 3 * 150, mirrored = 200;
  Matrix x(random_rows + copies + mirrored, dim);
  for (int64_t r = 0; r < random_rows; ++r) {
    for (int64_t j = 0; j < dim; ++j) x.row(r)[j] = normal(gen) + (j == r % 5 ? 2.0f : 0.0f);
    normalise(x.row(r), dim);
  }
  for (int64_t i = 0; i < copies; ++i) {
    std::memcpy(x.row(random_rows + i), x.row(i % 3), sizeof(float) * static_cast<size_t>(dim));
  }
  for (int64_t i = 0; i < mirrored; ++i) {
    float* row = x.row(random_rows + copies + i);
    std::memcpy(row, x.row(10 + i / 2), sizeof(float) * static_cast<size_t>(dim));
    if (i % 2) row[0] = -row[0];
  }
  return x;
}

bool same_bits(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(),
                     sizeof(float) * static_cast<size_t>(a.rows() * a.cols())) == 0;
}

// Fits with and without the bounds under every kernel family and 1, 2 and 3 threads, and
// expects every result field to be the same bits as the unbounded fit on one thread.
void expect_same_fits(MatrixView x, FitParams params, const std::string& what) {
  for (const CpuKernel kernel : kernel_families()) {
    params.bounded_assignment = false;
    ASSERT_OK_AND_ASSIGN(const FitResult reference, fit(context(1, kernel), x, params));
    for (const int threads : {1, 2, 3}) {
      params.bounded_assignment = true;
      ASSERT_OK_AND_ASSIGN(const FitResult bounded, fit(context(threads, kernel), x, params));
      const std::string where = what + ", " + kernels::cpu_kernel_name(kernel) + ", " +
                                std::to_string(threads) + " threads";
      EXPECT_EQ(bounded.labels, reference.labels) << where;
      EXPECT_TRUE(same_bits(bounded.centroids, reference.centroids)) << where;
      EXPECT_EQ(bounded.inertia, reference.inertia) << where;
      EXPECT_EQ(bounded.n_iter, reference.n_iter) << where;
      EXPECT_EQ(bounded.best_run, reference.best_run) << where;
      ASSERT_EQ(bounded.history.size(), reference.history.size()) << where;
      int64_t skipped = 0;
      for (const IterationStats& it : bounded.history) skipped += x.rows - it.assigned_rows;
      EXPECT_GT(skipped, 0) << where << ": the bound never held";
      for (size_t i = 0; i < bounded.history.size(); ++i) {
        EXPECT_EQ(bounded.history[i].inertia, reference.history[i].inertia) << where << " it " << i;
        EXPECT_EQ(bounded.history[i].shift, reference.history[i].shift) << where << " it " << i;
      }
    }
  }
}

TEST(BoundedLloyd, SameBitsAsAssigningEveryRowOnSeparatedBlobs) {
  const auto blobs = make_blobs(300, 12, 48, 4.0f, 21);
  FitParams p;
  p.n_clusters = 12;
  p.tol = 0.0;
  expect_same_fits(blobs.x.view(), p, "blobs, k-means||");
  p.n_clusters = 40;
  p.init = InitMethod::kRandom;
  p.n_init = 2;
  expect_same_fits(blobs.x.view(), p, "blobs, random init, k 40");
}

TEST(BoundedLloyd, SameBitsWithTiesCopiesAndMirroredRows) {
  const Matrix x = adversarial_rows(1500, 24, 22);
  FitParams p;
  p.n_clusters = 30;
  p.max_iter = 60;
  p.tol = 0.0;
  expect_same_fits(x.view(), p, "adversarial, k-means||");
  p.init = InitMethod::kRandom;
  p.n_init = 2;
  expect_same_fits(x.view(), p, "adversarial, random init");
}

TEST(BoundedLloyd, SameBitsWithCopiedCentroidsThatEmptyAndAreReseeded) {
  const Matrix x = adversarial_rows(1200, 16, 23);
  // Every centroid twice (the lower index wins every row, the copy empties and is re-seeded),
  // a centroid mirrored in the first coordinate, and one far from every row.
  const int64_t k = 24, dim = x.cols();
  Matrix init(k, dim);
  for (int64_t c = 0; c < k; ++c) {
    std::memcpy(init.row(c), x.row(c < 20 ? c / 2 : 40 + c),
                sizeof(float) * static_cast<size_t>(dim));
  }
  std::memcpy(init.row(21), init.row(20), sizeof(float) * static_cast<size_t>(dim));
  init.row(21)[0] = -init.row(20)[0];
  for (int64_t j = 0; j < dim; ++j) init.row(k - 1)[j] = 1.5f;
  FitParams p;
  p.n_clusters = k;
  p.init = InitMethod::kArray;
  p.init_centroids = init;
  p.tol = 0.0;
  p.max_iter = 80;
  expect_same_fits(x.view(), p, "copied centroids");
}

TEST(BoundedAssignment, SkipsMostRowsOnceCentroidsSettleAndMatchesEveryPass) {
  const auto blobs = make_blobs(400, 8, 32, 1.0f, 24);
  const int64_t n = blobs.x.rows(), dim = blobs.x.cols(), k = 8;
  for (const CpuKernel kernel : kernel_families()) {
    const Context ctx = context(2, kernel);
    FitParams p;
    p.n_clusters = k;
    ASSERT_OK_AND_ASSIGN(const Shard shard, describe_shard(ctx, n));
    ShardRows rows(ctx, blobs.x.view(), p, shard);
    BoundedAssignment bounded(rows, true);
    // Centres on the first row of each blob, then moved to the blob's mean: the second pass
    // must keep nearly every row without the full pass, and give the bits a full pass gives.
    Matrix centroids(k, dim), moved(k, dim);
    for (int64_t c = 0; c < k; ++c) {
      std::memcpy(centroids.row(c), blobs.x.row(c), sizeof(float) * static_cast<size_t>(dim));
    }
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t j = 0; j < dim; ++j) {
        moved.row(r % k)[j] += blobs.x.row(r)[j] / static_cast<float>(n / k);
      }
    }
    std::vector<int32_t> labels(static_cast<size_t>(n)), expected(static_cast<size_t>(n));
    std::vector<float> sq(static_cast<size_t>(n)), expected_sq(static_cast<size_t>(n));
    bounded.assign(centroids.view(), labels.data(), sq.data());
    EXPECT_EQ(bounded.assigned_rows(), n);
    bounded.moved(centroids.view(), moved.view(), labels.data());
    bounded.assign(moved.view(), labels.data(), sq.data());
    rows.assign(moved.view(), expected.data(), expected_sq.data());
    EXPECT_EQ(labels, expected) << kernels::cpu_kernel_name(kernel);
    EXPECT_EQ(std::memcmp(sq.data(), expected_sq.data(), sizeof(float) * sq.size()), 0);
    EXPECT_LT(bounded.assigned_rows(), n / 10) << kernels::cpu_kernel_name(kernel);
    // A centroid jumping across the data leaves no bound standing.
    Matrix jumped = moved;
    for (int64_t j = 0; j < dim; ++j) jumped.row(0)[j] = -moved.row(0)[j];
    bounded.moved(moved.view(), jumped.view(), labels.data());
    bounded.assign(jumped.view(), labels.data(), sq.data());
    rows.assign(jumped.view(), expected.data(), expected_sq.data());
    EXPECT_EQ(labels, expected);
    EXPECT_EQ(std::memcmp(sq.data(), expected_sq.data(), sizeof(float) * sq.size()), 0);
    EXPECT_EQ(bounded.assigned_rows(), n);
  }
}

}  // namespace
}  // namespace semdedup::kmeans
