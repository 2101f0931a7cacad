#include "semdedup/pairwise/pairwise.hpp"

#include <cmath>

#include "semdedup/kernels/pairwise.hpp"

namespace semdedup::pairwise {

Result<std::pair<std::vector<float>, std::vector<int64_t>>> pairwise_cosine_similarity_batched(
    const Context& ctx, MatrixView embeddings, int64_t batch_size) {
  if (batch_size < 1) {
    return Status::invalid_argument("batch_size must be >= 1, got {}", batch_size);
  }
  if (ctx.device != Device::kCpu) {
    return Status::not_implemented("pairwise similarity on this device is not built");
  }
  const int64_t rows = embeddings.rows;
  if (rows > 0 && embeddings.cols < 1) {
    return Status::invalid_argument("embeddings have {} rows but no columns", rows);
  }
  for (int64_t row = 0; row < rows; ++row) {
    const float* values = embeddings.row(row);
    for (int64_t col = 0; col < embeddings.cols; ++col) {
      if (!std::isfinite(values[col])) {
        return Status::data_error("embeddings row {} column {}: non-finite value {}", row, col,
                                  static_cast<double>(values[col]));
      }
    }
  }
  std::vector<float> max_sim(static_cast<size_t>(rows));
  std::vector<int64_t> max_idx(static_cast<size_t>(rows));
  const int threads = std::max(1, ctx.threads);
  kernels::PairwiseWorkspace workspace(ctx.cpu_kernel);
  workspace.reserve(rows, embeddings.cols, threads);
  kernels::max_similarity_before(embeddings, threads, max_sim.data(), max_idx.data(), workspace,
                                 ctx.cancel_flag.get());
  SD_RETURN_IF_ERROR(ctx.check_cancelled());
  return std::make_pair(std::move(max_sim), std::move(max_idx));
}

}  // namespace semdedup::pairwise
