#include "kmeans/bounded_assign.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/exact_rescore.hpp"
#include "semdedup/kernels/assign_bf16.hpp"

namespace semdedup::kmeans {

namespace {

// Relative slack on squared distances. It covers, many times over, the float64 rounding of the
// kernel's distances (about dim · 2^-53 relative to the squared norms), of the bounds' sums,
// square roots and subtractions, and of the filter's float32 lower bounds.
constexpr double kSlack = 1e-6;

// A margin on squared distances for a row of squared norm x_sq and centroids of squared norm at
// most c_sq_max.
double margin(double x_sq, double c_sq_max) { return kSlack * (1.0 + x_sq + c_sq_max); }

}  // namespace

BoundedAssignment::BoundedAssignment(ShardRows& rows, bool enabled)
    : rows_(rows), enabled_(enabled) {}

void BoundedAssignment::set_lower(int64_t row, double second, double c_sq_max) {
  const double x_sq = rows_.norms()[row];
  const double floor = second - margin(x_sq, c_sq_max);
  lower_[static_cast<size_t>(row)] = floor > 0.0 ? std::sqrt(floor) : 0.0;
}

void BoundedAssignment::assign(MatrixView centroids, int32_t* labels, float* sq_dist) {
  const MatrixView x = rows_.x();
  const int64_t n = x.rows;
  const int64_t dim = x.cols;
  const int threads = rows_.ctx().threads;
  assigned_ = n;
  if (!enabled_) {
    rows_.assign(centroids, labels, sq_dist);
    return;
  }
  const int64_t k = centroids.rows;
  c_sq_.resize(static_cast<size_t>(k));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t c = 0; c < k; ++c) {
    c_sq_[static_cast<size_t>(c)] =
        kernels::fixed_order_dot(centroids.row(c), centroids.row(c), dim);
  }
  const double c_sq_max = *std::max_element(c_sq_.begin(), c_sq_.end());
  Assigner& assigner = rows_.assigner();
  if (!valid_) {
    std::vector<double> second(static_cast<size_t>(n));
    assigner.run(x, rows_.norms(), centroids, labels, sq_dist, second.data());
    lower_.resize(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) set_lower(r, second[static_cast<size_t>(r)], c_sq_max);
    valid_ = true;
    return;
  }

  // The float64 distance of each row to its own centroid, by the kernel's function; a row keeps
  // its label when that distance is below its bound with the margin to spare.
  const bool bf16 = assigner.kernel() == CpuKernel::kAvx512Bf16;
  if (!bf16 && row_sq_.empty()) {
    row_sq_.resize(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t r = 0; r < n; ++r) {
      row_sq_[static_cast<size_t>(r)] = kernels::fixed_order_dot(x.row(r), x.row(r), dim);
    }
  }
  std::vector<uint8_t> keep(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < n; ++r) {
    const float* row = x.row(r);
    const int32_t label = labels[r];
    const float* centroid = centroids.row(label);
    const double d = bf16 ? kernels::assign_bf16_distance(row, centroid, dim)
                          : kernels::squared_distance_from_dots(
                                row_sq_[static_cast<size_t>(r)], c_sq_[static_cast<size_t>(label)],
                                kernels::fixed_order_dot(row, centroid, dim));
    const bool skip =
        std::sqrt(d + margin(rows_.norms()[r], c_sq_max)) < lower_[static_cast<size_t>(r)];
    keep[static_cast<size_t>(r)] = skip ? 1 : 0;
    if (skip) sq_dist[r] = static_cast<float>(d);
  }
  std::vector<int64_t> pending;
  for (int64_t r = 0; r < n; ++r) {
    if (!keep[static_cast<size_t>(r)]) pending.push_back(r);
  }
  assigned_ = static_cast<int64_t>(pending.size());

  // The other rows, gathered a batch at a time, through the kernel.
  const int64_t batch = std::min<int64_t>(assigner.batch_rows(), assigned_);
  Matrix block(batch, dim);
  std::vector<float> norms(static_cast<size_t>(batch)), sq(static_cast<size_t>(batch));
  std::vector<int32_t> block_labels(static_cast<size_t>(batch));
  std::vector<double> second(static_cast<size_t>(batch));
  for (int64_t first = 0; first < assigned_; first += batch) {
    const int64_t count = std::min(batch, assigned_ - first);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < count; ++i) {
      const int64_t r = pending[static_cast<size_t>(first + i)];
      std::memcpy(block.row(i), x.row(r), sizeof(float) * static_cast<size_t>(dim));
      norms[static_cast<size_t>(i)] = rows_.norms()[r];
    }
    assigner.run(block.view().slice_rows(0, count), norms.data(), centroids, block_labels.data(),
                 sq.data(), second.data());
    for (int64_t i = 0; i < count; ++i) {
      const int64_t r = pending[static_cast<size_t>(first + i)];
      labels[r] = block_labels[static_cast<size_t>(i)];
      sq_dist[r] = sq[static_cast<size_t>(i)];
      set_lower(r, second[static_cast<size_t>(i)], c_sq_max);
    }
  }
}

void BoundedAssignment::moved(MatrixView before, MatrixView after, const int32_t* labels) {
  if (!enabled_ || !valid_) return;
  const int64_t k = after.rows;
  const int64_t dim = after.cols;
  const int threads = rows_.ctx().threads;
  std::vector<double> drift(static_cast<size_t>(k));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t c = 0; c < k; ++c) {
    double sum = 0.0;
    for (int64_t j = 0; j < dim; ++j) {
      const double diff = static_cast<double>(after.row(c)[j]) - before.row(c)[j];
      sum += diff * diff;
    }
    // Rounded up: the sum and the root are each within a few units in the last place.
    drift[static_cast<size_t>(c)] = std::sqrt(sum) * (1.0 + kSlack);
  }
  // The largest drift, and the largest of every centroid but the one holding it.
  int64_t top = 0;
  for (int64_t c = 1; c < k; ++c) {
    if (drift[static_cast<size_t>(c)] > drift[static_cast<size_t>(top)]) top = c;
  }
  double runner_up = 0.0;
  for (int64_t c = 0; c < k; ++c) {
    if (c != top) runner_up = std::max(runner_up, drift[static_cast<size_t>(c)]);
  }
  const double top_drift = drift[static_cast<size_t>(top)];
  const int64_t n = rows_.x().rows;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < n; ++r) {
    lower_[static_cast<size_t>(r)] -= labels[r] == top ? runner_up : top_drift;
  }
}

}  // namespace semdedup::kmeans
