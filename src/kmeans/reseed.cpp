#include "kmeans/reseed.hpp"

#include <vector>

namespace semdedup::kmeans {

double reseed_empty_clusters(int64_t* counts, MutableMatrixView centroids,
                             std::vector<uint8_t>& reseeded) {
  constexpr double kSplit = 1.0 / 1024.0;
  const int64_t k = centroids.rows;
  const int64_t dim = centroids.cols;
  double moved = 0.0;
  std::vector<float> old(static_cast<size_t>(dim));
  for (int64_t empty = 0; empty < k; ++empty) {
    if (counts[empty] != 0 || reseeded[static_cast<size_t>(empty)]) continue;
    int64_t largest = 0;
    for (int64_t c = 1; c < k; ++c) {
      if (counts[c] > counts[largest]) largest = c;
    }
    if (counts[largest] < 2) break;  // nothing left to split
    float* big = centroids.row(largest);
    float* fresh = centroids.row(empty);
    for (int64_t j = 0; j < dim; ++j) old[static_cast<size_t>(j)] = fresh[j];
    for (int64_t j = 0; j < dim; ++j) {
      const double sign = j % 2 == 0 ? 1.0 : -1.0;
      const double value = big[j];
      fresh[j] = static_cast<float>(value * (1.0 + sign * kSplit));
      const float moved_big = static_cast<float>(value * (1.0 - sign * kSplit));
      moved += (static_cast<double>(moved_big) - value) * (static_cast<double>(moved_big) - value);
      big[j] = moved_big;
      const double diff = static_cast<double>(fresh[j]) - old[static_cast<size_t>(j)];
      moved += diff * diff;
    }
    reseeded[static_cast<size_t>(empty)] = 1;
    counts[empty] = counts[largest] / 2;
    counts[largest] -= counts[empty];
  }
  return moved;
}

}  // namespace semdedup::kmeans
