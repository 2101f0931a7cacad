#include "semdedup/io/cluster_discovery.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <system_error>

#include "semdedup/io/layout.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;

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

Result<std::vector<std::string>> parquet_files_under(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && is_parquet_name(it->path().filename().string())) {
      files.push_back(it->path().string());
    }
  }
  if (ec) return Status::io_error("cannot list {}: {}", dir.string(), ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<std::vector<ClusterFiles>> discover_clusters(const std::string& kmeans_dir) {
  std::error_code ec;
  if (!fs::exists(kmeans_dir, ec)) {
    return Status::io_error("input directory {} does not exist", kmeans_dir);
  }
  if (!fs::is_directory(kmeans_dir, ec)) {
    return Status::io_error("input {} is not a directory", kmeans_dir);
  }
  std::map<int64_t, ClusterFiles> clusters;
  fs::directory_iterator it(kmeans_dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(kCentroidPartitionPrefix);
    if (at == std::string::npos || !it->is_directory(ec)) continue;
    const std::string digits = name.substr(at + kCentroidPartitionPrefix.size());
    int64_t centroid = -1;
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), centroid);
    if (digits.empty() || err != std::errc() || end != digits.data() + digits.size() ||
        centroid < 0) {
      return Status::data_error("{}: '{}' is not a centroid number", it->path().string(), digits);
    }
    if (clusters.count(centroid)) {
      return Status::data_error("{} and {} both hold centroid {}", clusters[centroid].dir,
                                it->path().string(), centroid);
    }
    SD_ASSIGN_OR_RETURN(auto files, parquet_files_under(it->path()));
    clusters[centroid] = ClusterFiles{centroid, it->path().string(), std::move(files)};
  }
  if (ec) return Status::io_error("cannot list {}: {}", kmeans_dir, ec.message());
  if (clusters.empty()) {
    return Status::data_error("No centroid directories found in: {}", kmeans_dir);
  }
  std::vector<ClusterFiles> out;
  out.reserve(clusters.size());
  for (auto& [centroid, cluster] : clusters) out.push_back(std::move(cluster));
  return out;
}

}  // namespace semdedup::io
