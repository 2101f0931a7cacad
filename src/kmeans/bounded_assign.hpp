#pragma once
// Lloyd's assignment pass with Hamerly's bound: a row whose label provably cannot change skips
// the distance pass over all centroids.
//
// After a full assignment each row keeps a lower bound on its Euclidean distance to every
// centroid but its own, from the kernel's own filter (kernels/distance.hpp, `second`). When the
// centroids move, the bound drops by the largest drift of any other centroid (triangle
// inequality). In the next pass the row's float64 distance to its own (moved) centroid is
// computed by the very function the kernel decides by; when that distance, plus a margin that
// covers every rounding, stays below the bound, every other centroid is strictly farther, so the
// kernel would give the same label and the same distance: the row keeps both without the pass.
// Every other row is gathered and goes through the kernel, which also gives its fresh bound.
// Near-ties are never skipped, so the decision rule (nearest by float64 distance, lowest index
// among ties) and every written bit are the same as without the bounds, whatever the threads or
// ranks (each rank bounds its own rows).

#include <cstdint>
#include <vector>

#include "kmeans/fit_rows.hpp"
#include "semdedup/core/matrix.hpp"

namespace semdedup::kmeans {

class BoundedAssignment {
 public:
  /// `enabled` false: every pass assigns every row (the reference the bounds are tested against).
  BoundedAssignment(ShardRows& rows, bool enabled);

  /// labels[r] and sq_dist[r] for every row of `rows` against `centroids`, the same bits as
  /// ShardRows::assign. `labels` holds the previous pass's labels from the second call on.
  void assign(MatrixView centroids, int32_t* labels, float* sq_dist);

  /// The centroids moved from `before` to `after` (update and re-seeding together); `labels`
  /// are those of the last pass.
  void moved(MatrixView before, MatrixView after, const int32_t* labels);

  /// Rows the last pass computed against every centroid.
  int64_t assigned_rows() const { return assigned_; }

 private:
  void set_lower(int64_t row, double second, double c_sq_max);

  ShardRows& rows_;
  bool enabled_;
  bool valid_ = false;
  int64_t assigned_ = 0;
  // Per row: a lower bound on the Euclidean distance to every centroid but its label.
  std::vector<double> lower_;
  // Per row, fp32 kernel family: fixed_order_dot(row, row), as the kernel rescores with it.
  std::vector<double> row_sq_;
  // Per centroid: fixed_order_dot(c, c).
  std::vector<double> c_sq_;
};

}  // namespace semdedup::kmeans
