#pragma once
// The rows one rank holds during a fit, and the steps over them that initialisation
// (kmeans/init) and the Lloyd loop (kmeans.cpp) share: assignment to centroids, exact sums
// over every rank, and gathering rows by global index. Every random decision is keyed by the
// global row index, so no result depends on the thread or rank count.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "kmeans/assigner.hpp"
#include "semdedup/core/communicator.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kernels/centroid_update.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

// Where this rank's rows sit among all ranks' rows.
struct Shard {
  int64_t rows = 0;    // this rank's
  int64_t total = 0;   // all ranks'
  int64_t offset = 0;  // global index of this rank's first row
};

/// This rank's place among the ranks' rows (collective).
inline Result<Shard> describe_shard(const Context& ctx, int64_t rows) {
  std::vector<uint8_t> mine(sizeof(int64_t));
  std::memcpy(mine.data(), &rows, sizeof(int64_t));
  std::vector<std::vector<uint8_t>> all;
  SD_RETURN_IF_ERROR(ctx.comm->allgather(mine, &all));
  Shard shard;
  shard.rows = rows;
  for (int rank = 0; rank < static_cast<int>(all.size()); ++rank) {
    int64_t count = 0;
    std::memcpy(&count, all[static_cast<size_t>(rank)].data(), sizeof(int64_t));
    if (rank < ctx.comm->rank()) shard.offset += count;
    shard.total += count;
  }
  return shard;
}

// Rows gathered from every rank, in global row order.
struct Gathered {
  Matrix rows;
  std::vector<int64_t> indices;
};

// First row (lowest index) holding a value that is not finite or exceeds kMaxAbsValue, or -1.
inline int64_t first_bad_row(MatrixView x, int threads, float max_abs) {
  int64_t bad = std::numeric_limits<int64_t>::max();
#pragma omp parallel for schedule(static) reduction(min : bad) num_threads(threads)
  for (int64_t row = 0; row < x.rows; ++row) {
    const float* v = x.row(row);
    for (int64_t j = 0; j < x.cols; ++j) {
      if (!(std::fabs(v[j]) <= max_abs)) {
        bad = std::min(bad, row);
        break;
      }
    }
  }
  return bad == std::numeric_limits<int64_t>::max() ? -1 : bad;
}

/// This rank's rows [n x dim] of a fit, with their squared norms.
class ShardRows {
 public:
  ShardRows(const Context& ctx, MatrixView x, const FitParams& params, Shard shard)
      : ctx_(ctx),
        x_(x),
        params_(params),
        shard_(shard),
        x_norms_(static_cast<size_t>(x.rows)),
        assigner_(ctx, x.cols, params.max_samples_per_batch) {
    kernels::squared_row_norms(x_, x_norms_.data(), ctx_.threads);
  }

  void assign(MatrixView centroids, int32_t* labels, float* sq_dist) {
    assigner_.run(x_, x_norms_.data(), centroids, labels, sq_dist);
  }

  // Σ values over all ranks' rows, exact.
  Result<double> total(const float* values) {
    const kernels::FixedSum local = kernels::fixed_point_sum(values, shard_.rows, ctx_.threads);
    int64_t limbs[2] = {local.hi, local.lo};
    SD_RETURN_IF_ERROR(ctx_.comm->allreduce_sum(limbs, 2));
    return kernels::FixedSum{limbs[0], limbs[1]}.value();
  }

  // The rows with the given global indices that this rank owns, gathered from every rank.
  Result<Gathered> gather_rows(std::span<const int64_t> global_rows) {
    const int64_t dim = x_.cols;
    const size_t row_bytes = sizeof(int64_t) + sizeof(float) * static_cast<size_t>(dim);
    std::vector<uint8_t> mine;
    for (const int64_t g : global_rows) {
      const int64_t local = g - shard_.offset;
      if (local < 0 || local >= shard_.rows) continue;
      const size_t at = mine.size();
      mine.resize(at + row_bytes);
      std::memcpy(mine.data() + at, &g, sizeof(int64_t));
      std::memcpy(mine.data() + at + sizeof(int64_t), x_.row(local), row_bytes - sizeof(int64_t));
    }
    std::vector<std::vector<uint8_t>> all;
    SD_RETURN_IF_ERROR(ctx_.comm->allgather(mine, &all));
    int64_t count = 0;
    for (const auto& bytes : all) count += static_cast<int64_t>(bytes.size() / row_bytes);
    Gathered out;
    out.rows = Matrix(count, dim);
    out.indices.reserve(static_cast<size_t>(count));
    int64_t row = 0;
    for (const auto& bytes : all) {
      for (size_t at = 0; at < bytes.size(); at += row_bytes, ++row) {
        int64_t g = 0;
        std::memcpy(&g, bytes.data() + at, sizeof(int64_t));
        out.indices.push_back(g);
        std::memcpy(out.rows.row(row), bytes.data() + at + sizeof(int64_t),
                    row_bytes - sizeof(int64_t));
      }
    }
    return out;
  }

  const Context& ctx() const { return ctx_; }
  MatrixView x() const { return x_; }
  const FitParams& params() const { return params_; }
  const Shard& shard() const { return shard_; }
  const float* norms() const { return x_norms_.data(); }
  Assigner& assigner() { return assigner_; }

 private:
  const Context& ctx_;
  MatrixView x_;
  const FitParams& params_;
  Shard shard_;
  std::vector<float> x_norms_;
  Assigner assigner_;
};

}  // namespace semdedup::kmeans
