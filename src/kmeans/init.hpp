#pragma once
// Initialisation of a k-means run, kept apart from the Lloyd loop (kmeans.cpp): k-means||
// (on a seeded sample of the rows when there are many), random rows, or given centroids.

#include <cstdint>
#include <string>

#include "kmeans/fit_rows.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::kmeans {

/// k distinct rows chosen at random over every rank (Floyd's algorithm, in row order).
Result<Matrix> init_random(ShardRows& rows, uint64_t seed);

/// k-means|| (spec section 5), run on a seeded sample of about 256 rows per cluster when the
/// rows are more than twice as many; the sample does not depend on the rank count.
Result<Matrix> init_kmeans_parallel(ShardRows& rows, uint64_t seed);

/// invalid_argument when `init` is not [n_clusters x dim] or holds a NaN or infinity; `source`
/// names the centroids in the message (the file, or "array").
Status check_initial_centroids(MatrixView init, const FitParams& params, int64_t dim,
                               const std::string& source);

}  // namespace semdedup::kmeans
