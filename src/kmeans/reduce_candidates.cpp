#include <cstring>
#include <limits>

#include "kmeans/assigner.hpp"
#include "semdedup/core/rng.hpp"

namespace semdedup::kmeans {

namespace {

constexpr uint64_t kStreamReduce = 3;  // CounterRng stream (the fit's others are in kmeans.cpp)
constexpr int kReduceLloydSteps = 10;

}  // namespace

Matrix reduce_candidates(const Context& ctx, const Matrix& candidates,
                         const std::vector<int64_t>& weights, int64_t k, uint64_t seed) {
  const int64_t m = candidates.rows();
  const int64_t dim = candidates.cols();
  const CounterRng rng(seed, kStreamReduce);
  uint64_t draw = 0;
  Matrix centres(k, dim);
  std::vector<double> nearest(static_cast<size_t>(m), std::numeric_limits<double>::infinity());
  std::vector<uint8_t> taken(static_cast<size_t>(m), 0);

  auto take = [&](int64_t index, int64_t slot) {
    taken[static_cast<size_t>(index)] = 1;
    std::memcpy(centres.row(slot), candidates.row(index), sizeof(float) * static_cast<size_t>(dim));
    const float* centre = centres.row(slot);
#pragma omp parallel for schedule(static) num_threads(ctx.threads)
    for (int64_t i = 0; i < m; ++i) {
      const double d = kernels::squared_distance_fast(candidates.row(i), centre, dim);
      nearest[static_cast<size_t>(i)] = std::min(nearest[static_cast<size_t>(i)], d);
    }
  };

  // First centre: probability proportional to weight (exact integer arithmetic).
  int64_t total_weight = 0;
  for (const int64_t w : weights) total_weight += w;
  {
    const auto target =
        static_cast<int64_t>(rng.below(draw++, static_cast<uint64_t>(total_weight)));
    int64_t cumulative = 0, first = m - 1;
    for (int64_t i = 0; i < m; ++i) {
      cumulative += weights[static_cast<size_t>(i)];
      if (cumulative > target) {
        first = i;
        break;
      }
    }
    take(first, 0);
  }
  // Next centres: probability proportional to weight × squared distance to the nearest centre.
  for (int64_t slot = 1; slot < k; ++slot) {
    double total = 0.0;
    int64_t last_positive = -1;
    for (int64_t i = 0; i < m; ++i) {
      if (taken[static_cast<size_t>(i)]) continue;
      const double mass =
          static_cast<double>(weights[static_cast<size_t>(i)]) * nearest[static_cast<size_t>(i)];
      if (mass > 0) {
        total += mass;
        last_positive = i;
      }
    }
    int64_t pick = -1;
    if (total > 0) {
      const double target = rng.uniform(draw++) * total;
      double cumulative = 0.0;
      for (int64_t i = 0; i < m && pick < 0; ++i) {
        if (taken[static_cast<size_t>(i)]) continue;
        const double mass =
            static_cast<double>(weights[static_cast<size_t>(i)]) * nearest[static_cast<size_t>(i)];
        if (mass <= 0) continue;
        cumulative += mass;
        if (cumulative > target) pick = i;
      }
      if (pick < 0) pick = last_positive;
    } else {
      // Every remaining candidate coincides with a centre: take one uniformly at random.
      auto nth = static_cast<int64_t>(rng.below(draw++, static_cast<uint64_t>(m - slot)));
      for (int64_t i = 0; i < m; ++i) {
        if (taken[static_cast<size_t>(i)]) continue;
        if (nth-- == 0) {
          pick = i;
          break;
        }
      }
    }
    take(pick, slot);
  }

  // Weighted Lloyd on the candidates; sums in double in candidate order (deterministic).
  std::vector<float> candidate_norms(static_cast<size_t>(m));
  kernels::squared_row_norms(candidates.view(), candidate_norms.data(), ctx.threads);
  Assigner assigner(ctx, dim, m);
  std::vector<int32_t> labels(static_cast<size_t>(m), -1), previous;
  std::vector<double> sums(static_cast<size_t>(k * dim));
  std::vector<int64_t> mass(static_cast<size_t>(k));
  for (int step = 0; step < kReduceLloydSteps; ++step) {
    previous = labels;
    assigner.run(candidates.view(), candidate_norms.data(), centres.view(), labels.data(), nullptr);
    if (labels == previous) break;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(mass.begin(), mass.end(), 0);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t c = labels[static_cast<size_t>(i)];
      const int64_t w = weights[static_cast<size_t>(i)];
      if (w == 0) continue;
      mass[static_cast<size_t>(c)] += w;
      const float* v = candidates.row(i);
      double* sum = sums.data() + c * dim;
      for (int64_t j = 0; j < dim; ++j) sum[j] += static_cast<double>(w) * v[j];
    }
    for (int64_t c = 0; c < k; ++c) {
      if (mass[static_cast<size_t>(c)] == 0) continue;
      const double inv = 1.0 / static_cast<double>(mass[static_cast<size_t>(c)]);
      for (int64_t j = 0; j < dim; ++j) {
        centres.row(c)[j] = static_cast<float>(sums[static_cast<size_t>(c * dim + j)] * inv);
      }
    }
  }
  return centres;
}


}  // namespace semdedup::kmeans
