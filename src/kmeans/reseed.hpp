#pragma once
// Deterministic re-seeding of empty clusters during Lloyd iterations.

#include <cstdint>
#include <vector>

#include "semdedup/core/matrix.hpp"

namespace semdedup::kmeans {

/// Gives every centroid with count 0 that was never re-seeded before a new position by
/// splitting the most populated cluster (faiss's rule, made deterministic): empty centroids in
/// index order each take the cluster with the largest count (ties to the lowest index), the two
/// become that centroid scaled by (1 ± 2^-10) in alternating coordinates, and the count is
/// halved between them. Each centroid is re-seeded at most once per run, so exact duplicates
/// that cannot be split never make the fit cycle. A function of the counts, centroids and
/// flags alone, which every rank holds identically after the reduction.
/// Returns Σ ||new - old||² over the centroids it moved.
/// \param counts     [k] rows per centroid (updated: split counts)
/// \param centroids  [k x dim] in/out
/// \param reseeded   [k] in/out: 1 for a centroid already re-seeded in this run
double reseed_empty_clusters(int64_t* counts, MutableMatrixView centroids,
                             std::vector<uint8_t>& reseeded);

}  // namespace semdedup::kmeans
