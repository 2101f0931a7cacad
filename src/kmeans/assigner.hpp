#pragma once
// Internals of the k-means fit shared by its files: batched nearest-centroid assignment and the
// k-means|| candidate reduction.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/kernels/assign_bf16.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kernels/isa.hpp"

namespace semdedup::kmeans {

// Assignment of `rows` to `centroids` in batches of whole GEMM tiles, by the kernel family
// chosen once per run (ctx.cpu_kernel); the batch size bounds how many tiles are in flight,
// never the bits of a result.
class Assigner {
 public:
  Assigner(const Context& ctx, int64_t dim, int64_t batch_rows)
      : threads_(ctx.threads),
        kernel_(kernels::resolve_cpu_kernel(ctx.cpu_kernel)),
        dim_(dim),
        batch_rows_(
            std::max<int64_t>(1, (batch_rows + kernels::kTileRows - 1) / kernels::kTileRows) *
            kernels::kTileRows) {}

  // `second`, when not null, receives per row a lower bound on the kernel's float64 distance to
  // every centroid but the chosen one (kernels/distance.hpp, kernels/assign_bf16.hpp).
  void run(MatrixView rows, const float* row_norms, MatrixView centroids, int32_t* labels,
           float* sq_dist, double* second = nullptr) {
    centroid_norms_.resize(static_cast<size_t>(centroids.rows));
    kernels::squared_row_norms(centroids, centroid_norms_.data(), threads_);
    const bool bf16 = kernel_ == CpuKernel::kAvx512Bf16;
    const int64_t floats =
        bf16 ? kernels::assign_bf16_workspace_floats(centroids.rows, dim_, threads_)
             : kernels::assign_workspace_floats(dim_, threads_);
    if (static_cast<int64_t>(workspace_.size()) < floats) workspace_.resize(static_cast<size_t>(floats));
    for (int64_t first = 0; first < rows.rows; first += batch_rows_) {
      const int64_t count = std::min(batch_rows_, rows.rows - first);
      const MatrixView batch = rows.slice_rows(first, count);
      float* batch_sq = sq_dist ? sq_dist + first : nullptr;
      double* batch_second = second ? second + first : nullptr;
      if (bf16) {
        kernels::assign_nearest_bf16(batch, row_norms + first, centroids, centroid_norms_.data(),
                                     labels + first, batch_sq, workspace_.data(), threads_,
                                     batch_second);
      } else {
        kernels::assign_nearest(batch, row_norms + first, centroids, centroid_norms_.data(),
                                labels + first, batch_sq, workspace_.data(), threads_,
                                batch_second);
      }
    }
  }

  CpuKernel kernel() const { return kernel_; }
  int64_t batch_rows() const { return batch_rows_; }

 private:
  int threads_;
  CpuKernel kernel_;
  int64_t dim_;
  int64_t batch_rows_;
  AlignedVector<float> workspace_;
  std::vector<float> centroid_norms_;
};

// Weighted k-means++ over the k-means|| candidates, then a few weighted Lloyd steps. Every rank
// holds the same candidates and weights, so every rank computes the same centres.
Matrix reduce_candidates(const Context& ctx, const Matrix& candidates,
                         const std::vector<int64_t>& weights, int64_t k, uint64_t seed);

}  // namespace semdedup::kmeans
