#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "semdedup/kernels/centroid_update.hpp"
#include "testing/testing.hpp"

namespace semdedup::kernels {
namespace {

struct Sums {
  std::vector<int64_t> sums;
  std::vector<int64_t> counts;
};

Sums accumulate(MatrixView x, const std::vector<int32_t>& labels, int64_t k, int threads,
                Sums into = {}) {
  if (into.sums.empty()) {
    into.sums.assign(static_cast<size_t>(k * x.cols), 0);
    into.counts.assign(static_cast<size_t>(k), 0);
  }
  std::vector<int64_t> workspace(static_cast<size_t>(accumulate_workspace_size(x.rows, k, x.cols, threads)));
  accumulate_centroid_sums(x, labels.data(), k, into.sums.data(), into.counts.data(),
                           workspace.data(), threads);
  return into;
}

TEST(AccumulateCentroidSums, AnySplitOfRowsGivesTheSameIntegers) {
  const int64_t n = 1000, dim = 19, k = 13;
  const Matrix x = testing::random_unit_rows(n, dim, 1);
  std::vector<int32_t> labels(n);
  for (int64_t r = 0; r < n; ++r)
    labels[static_cast<size_t>(r)] = static_cast<int32_t>((r * r) % 11);
  const Sums whole = accumulate(x.view(), labels, k, 1);
  const Sums threaded = accumulate(x.view(), labels, k, 2);
  EXPECT_EQ(whole.sums, threaded.sums);
  EXPECT_EQ(whole.counts, threaded.counts);
  // Two batches added in turn (as two ranks would be summed).
  const int64_t cut = 377;
  const std::vector<int32_t> head(labels.begin(), labels.begin() + cut),
      tail(labels.begin() + cut, labels.end());
  Sums split = accumulate(x.view().slice_rows(0, cut), head, k, 2);
  split = accumulate(x.view().slice_rows(cut, n - cut), tail, k, 1, std::move(split));
  EXPECT_EQ(whole.sums, split.sums);
  EXPECT_EQ(whole.counts, split.counts);
  EXPECT_EQ(whole.counts[11], 0);
  EXPECT_EQ(whole.counts[12], 0);
}

TEST(UpdateCentroids, MeansEmptyCentroidsAndShift) {
  const int64_t n = 500, dim = 16, k = 4;
  const Matrix x = testing::random_unit_rows(n, dim, 2);
  std::vector<int32_t> labels(n);
  for (int64_t r = 0; r < n; ++r) labels[static_cast<size_t>(r)] = static_cast<int32_t>(r % 3);
  const Sums s = accumulate(x.view(), labels, k, 2);
  Matrix centroids = testing::random_unit_rows(k, dim, 3);
  const Matrix before = centroids;
  const double shift = update_centroids(s.sums.data(), s.counts.data(), centroids.mutable_view());
  double expected_shift = 0;
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t j = 0; j < dim; ++j) {
      double mean = 0;
      for (int64_t r = c; r < n; r += 3) mean += x.row(r)[j];
      mean /= static_cast<double>(s.counts[static_cast<size_t>(c)]);
      // Fixed-point terms round to 2^-30 each, far below float resolution of the mean.
      EXPECT_NEAR(centroids.row(c)[j], mean, 1e-7);
      const double diff = static_cast<double>(centroids.row(c)[j]) - before.row(c)[j];
      expected_shift += diff * diff;
    }
  }
  // Centroid 3 had no rows: it keeps its value bit for bit.
  EXPECT_EQ(std::memcmp(centroids.row(3), before.row(3), sizeof(float) * dim), 0);
  EXPECT_DOUBLE_EQ(shift, expected_shift);
}

TEST(FixedPointSum, IsExactAndOrderFree) {
  // Multiples of 2^-10 are exact in fixed point: the sum is exact.
  std::vector<float> values(100001);
  double expected = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(i % 4096) / 1024.0f;
    expected += values[i];
  }
  const FixedSum one = fixed_point_sum(values.data(), static_cast<int64_t>(values.size()), 1);
  const FixedSum two = fixed_point_sum(values.data(), static_cast<int64_t>(values.size()), 2);
  EXPECT_EQ(one.hi, two.hi);
  EXPECT_EQ(one.lo, two.lo);
  EXPECT_EQ(one.value(), expected);
  // Split in two and recombined through the limbs, as an integer allreduce would.
  const FixedSum a = fixed_point_sum(values.data(), 12345, 2);
  const FixedSum b =
      fixed_point_sum(values.data() + 12345, static_cast<int64_t>(values.size()) - 12345, 1);
  EXPECT_EQ((FixedSum{a.hi + b.hi, a.lo + b.lo}.value()), expected);
  EXPECT_EQ(fixed_point_sum(values.data(), 0, 2).value(), 0.0);
}

}  // namespace
}  // namespace semdedup::kernels
