#pragma once
/// \file The max-similarity computation of one cluster as a library call, mirroring NeMo's
/// `pairwise_cosine_similarity_batched(cluster_reps, device, batch_size)`.

#include <cstdint>
#include <utility>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::pairwise {

/// For the row ranked j of `embeddings` ([N x dim], row-major, L2-normalised, in ranked order):
/// first = max_{i<j} e_i . e_j (float32, negative when every earlier row points away), second =
/// the lowest i attaining it; row 0 gets (0, 0). NeMo 1.4's -inf masking, spec section 19.
///
/// `batch_size` is NeMo's column batch (>= 1). Results never depend on it nor on ctx.threads:
/// the kernel works on fixed tiles whose scratch memory, ctx.threads x T x (T + dim) floats
/// with T <= 256, stays within NeMo's N x batch_size bound for batch_size >= T.
/// invalid_argument for batch_size < 1 or dim 0 with rows; data_error naming the row and
/// column of a non-finite value; cancelled when ctx's cancel flag was raised.
Result<std::pair<std::vector<float>, std::vector<int64_t>>> pairwise_cosine_similarity_batched(
    const Context& ctx, MatrixView embeddings, int64_t batch_size = 1024);

}  // namespace semdedup::pairwise
