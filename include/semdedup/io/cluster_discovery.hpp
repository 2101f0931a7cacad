#pragma once
/// \file The Pairwise stage's input: the `centroid=K/` partitions of a KMeans output
/// (semdedup's or NeMo's) and their Parquet files.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// One `centroid=K` entry of a KMeans output directory.
struct ClusterFiles {
  int64_t centroid = 0;            ///< K, the integer after the last "centroid=" of the name
  std::string dir;                 ///< path of the entry
  std::vector<std::string> files;  ///< its `.parquet` files (any case) at any depth, sorted
};

/// The top-level entries of `kmeans_dir` whose name contains "centroid=" (other entries are
/// ignored), with their Parquet files, sorted by K. A centroid entry with no Parquet file is
/// listed with no files. io_error if `kmeans_dir` is not a readable directory; data_error
/// "No centroid directories found in: <path>" if there is no such entry, and naming the entry
/// when K is not a non-negative integer or two entries have the same K.
Result<std::vector<ClusterFiles>> discover_clusters(const std::string& kmeans_dir);

}  // namespace semdedup::io
