#include "semdedup/io/cluster_discovery.hpp"

#include <cctype>
#include <charconv>
#include <map>

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::io {

namespace {

bool is_parquet_name(const std::string& name) {
  constexpr std::string_view kSuffix = kParquetExtension;
  if (name.size() < kSuffix.size()) return false;
  for (size_t k = 0; k < kSuffix.size(); ++k) {
    const char c = name[name.size() - kSuffix.size() + k];
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(c))) != kSuffix[k]) return false;
  }
  return true;
}

Result<std::vector<std::string>> parquet_files_under(const std::string& dir) {
  SD_ASSIGN_OR_RETURN(const std::vector<Entry> entries,
                      list_directory(dir, /*recursive=*/true, /*follow_symlinks=*/true));
  std::vector<std::string> files;
  for (const Entry& entry : entries) {
    if (entry.type == EntryType::kFile && is_parquet_name(entry.name)) files.push_back(entry.path);
  }
  return files;
}

}  // namespace

Result<std::vector<ClusterFiles>> discover_clusters(const std::string& kmeans_dir) {
  const EntryType type = path_type(kmeans_dir);
  if (type == EntryType::kMissing) {
    return Status::io_error("input directory {} does not exist", kmeans_dir);
  }
  if (type != EntryType::kDirectory) {
    return Status::io_error("input {} is not a directory", kmeans_dir);
  }
  std::map<int64_t, ClusterFiles> clusters;
  SD_ASSIGN_OR_RETURN(const std::vector<Entry> entries,
                      list_directory(kmeans_dir, /*recursive=*/false, /*follow_symlinks=*/true));
  for (const Entry& entry : entries) {
    const std::string& name = entry.name;
    const size_t at = name.rfind(kCentroidPartitionPrefix);
    if (at == std::string::npos || entry.type != EntryType::kDirectory) continue;
    const std::string digits = name.substr(at + kCentroidPartitionPrefix.size());
    int64_t centroid = -1;
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), centroid);
    if (digits.empty() || err != std::errc() || end != digits.data() + digits.size() ||
        centroid < 0) {
      return Status::data_error("{}: '{}' is not a centroid number", entry.path, digits);
    }
    if (clusters.count(centroid)) {
      return Status::data_error("{} and {} both hold centroid {}", clusters[centroid].dir,
                                entry.path, centroid);
    }
    SD_ASSIGN_OR_RETURN(auto files, parquet_files_under(entry.path));
    clusters[centroid] = ClusterFiles{centroid, entry.path, std::move(files)};
  }
  if (clusters.empty()) {
    return Status::data_error("No centroid directories found in: {}", kmeans_dir);
  }
  std::vector<ClusterFiles> out;
  out.reserve(clusters.size());
  for (auto& [centroid, cluster] : clusters) out.push_back(std::move(cluster));
  return out;
}

}  // namespace semdedup::io
