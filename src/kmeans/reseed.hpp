#pragma once
// Deterministic re-seeding of empty clusters during Lloyd iterations.

#include <cstdint>

#include "semdedup/core/matrix.hpp"

namespace semdedup::kmeans {

/// Gives every centroid with count 0 a new position by splitting the most populated cluster
/// (faiss's rule, made deterministic): empty centroids in index order each take the cluster
/// with the largest count (ties to the lowest index), the two become that centroid scaled by
/// (1 ± 2^-10) in alternating coordinates, and the count is halved between them. A function of
/// the counts and centroids alone, which every rank holds identically after the reduction.
/// Returns Σ ||new - old||² over the centroids it moved.
/// \param counts     [k] rows per centroid (updated: split counts)
/// \param centroids  [k x dim] in/out
double reseed_empty_clusters(int64_t* counts, MutableMatrixView centroids);

}  // namespace semdedup::kmeans
