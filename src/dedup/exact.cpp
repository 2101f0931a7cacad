#include "semdedup/dedup/exact.hpp"

#include <bit>
#include <cstring>
#include <unordered_set>

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/cluster.hpp"
#include "semdedup/io/cluster_discovery.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::dedup {

std::string kmeans_dir_beside(const std::string& pairwise_dir) {
  return io::join_path(io::parent_path(io::file_name(pairwise_dir).empty()
                                           ? io::parent_path(pairwise_dir)
                                           : pairwise_dir),
                       io::kKMeansResultsDir);
}

Result<ExactCopies> ExactCopies::open(const std::string& kmeans_dir, const std::string& id_field,
                                      const std::string& embedding_field) {
  SD_ASSIGN_OR_RETURN(auto clusters, io::discover_clusters(kmeans_dir));
  ExactCopies copies;
  for (auto& cluster : clusters) copies.files_[cluster.centroid] = std::move(cluster.files);
  copies.dir_ = kmeans_dir;
  copies.id_field_ = id_field;
  copies.embedding_field_ = embedding_field;
  return copies;
}

namespace {

// Hash and equality of embedding rows by value: -0.0 hashes as 0.0 and compares equal to it.
struct RowHash {
  int64_t dim;
  size_t operator()(const float* row) const {
    uint64_t hash = 1469598103934665603ull;
    for (int64_t i = 0; i < dim; ++i) {
      const float value = row[i] == 0.0f ? 0.0f : row[i];
      hash = (hash ^ std::bit_cast<uint32_t>(value)) * 1099511628211ull;
    }
    return static_cast<size_t>(hash);
  }
};

struct RowEqual {
  int64_t dim;
  bool operator()(const float* a, const float* b) const {
    for (int64_t i = 0; i < dim; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
};

}  // namespace

Result<std::vector<uint8_t>> ExactCopies::flags(int64_t cluster,
                                                const io::PairwiseRows& rows) const {
  const auto it = files_.find(cluster);
  if (it == files_.end()) {
    return Status::data_error("{}: no {} partition for {}", dir_,
                              io::centroid_partition_name(cluster), io::cluster_file_name(cluster));
  }
  SD_ASSIGN_OR_RETURN(auto data, io::read_cluster(it->second, {id_field_}, embedding_field_));
  SD_ASSIGN_OR_RETURN(auto at, io::find_rows(rows.ids, *data.columns));
  const int64_t dim = data.embeddings.cols();
  std::unordered_set<const float*, RowHash, RowEqual> seen(at.size(), RowHash{dim}, RowEqual{dim});
  std::vector<uint8_t> exact(at.size(), 0);
  for (size_t row = 0; row < at.size(); ++row) {
    if (at[row] < 0) {
      return Status::data_error(
          "{}/{}: row {} of {} has an id the partition does not hold", dir_,
          io::centroid_partition_name(cluster), row, io::cluster_file_name(cluster));
    }
    exact[row] = !seen.insert(data.embeddings.row(at[row])).second;
  }
  return exact;
}

}  // namespace semdedup::dedup
