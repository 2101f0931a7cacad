#pragma once
/// \file The on-disk contract: every directory, file and column name semdedup writes or reads.
///
/// Code names these only through this header; the tests spell them out, checking the contract
/// from outside. Names follow NeMo Curator's SemDeDup outputs where NeMo has one (their files
/// are read by NeMo's stages and the other way round); the rest start with '_' or '.', which
/// pyarrow's and NeMo's dataset readers skip.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace semdedup::io {

// --- File extensions ---------------------------------------------------------------------------

/// Extensions of the files semdedup writes and selects by default (NeMo's defaults: .parquet;
/// .jsonl and .json for JSON lines); .npy for centroids.
inline constexpr std::string_view kParquetExtension = ".parquet";
inline constexpr std::string_view kJsonlExtension = ".jsonl";
inline constexpr std::string_view kJsonExtension = ".json";
inline constexpr std::string_view kNpyExtension = ".npy";

/// What marks a temporary file or directory of an atomic write: a hidden name
/// `.<final name>.tmp-<suffix>`; resume and overwrite remove what a killed run left.
inline constexpr std::string_view kTempFileMarker = ".tmp-";

/// Whether `name` is such a temporary name (hidden, holding the marker).
inline bool is_temp_file_name(std::string_view name) {
  return name.starts_with('.') && name.find(kTempFileMarker) != std::string_view::npos;
}

// --- Directories -------------------------------------------------------------------------------

/// The KMeans stage's output under `run`'s cache path (NeMo's name); holds the `centroid=K`
/// partitions. Written by `run`, read by `pairwise`, `identify --exact` and `report`.
inline constexpr const char* kKMeansResultsDir = "kmeans_results";
/// The pairwise stage's output under `run`'s cache path (NeMo's name); holds `cluster_K.parquet`.
/// Written by `run`, read by `identify` and `report`.
inline constexpr const char* kPairwiseResultsDir = "pairwise_results";
/// The duplicate ids under `run`'s or `identify`'s output (NeMo's name); read by `remove`.
inline constexpr const char* kDuplicatesDir = "duplicates";
/// The input without the duplicates, written by `demo` under its output directory.
inline constexpr const char* kDeduplicatedDir = "deduplicated";
/// Rows the KMeans stage set aside (--invalid-rows skip), under its output directory.
inline constexpr const char* kRejectedDir = "rejected";
/// The generated dataset under `generate`'s output directory.
inline constexpr const char* kGeneratedDataDir = "data";

/// Prefix of a KMeans output partition directory, `centroid=K` (hive style, NeMo's name).
/// Written by the KMeans stage, read by pairwise and exact-copy identification.
inline constexpr std::string_view kCentroidPartitionPrefix = "centroid=";

/// `centroid=K`, the partition directory of cluster `centroid`.
inline std::string centroid_partition_name(int64_t centroid) {
  return fmt::format("{}{}", kCentroidPartitionPrefix, centroid);
}

namespace detail {
/// The non-negative decimal number `digits` is made of, nullopt if it is anything else.
inline std::optional<int64_t> parse_digits(std::string_view digits) {
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (err != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}
}  // namespace detail

/// "centroid=K", the pattern of those names as help texts and messages spell it.
inline std::string centroid_partition_pattern() {
  return fmt::format("{}K", kCentroidPartitionPrefix);
}

/// K of a directory named exactly `centroid=K` (K decimal digits), nullopt for any other name.
inline std::optional<int64_t> parse_centroid_partition_name(std::string_view name) {
  if (!name.starts_with(kCentroidPartitionPrefix)) return std::nullopt;
  return detail::parse_digits(name.substr(kCentroidPartitionPrefix.size()));
}

// --- Files -------------------------------------------------------------------------------------

/// Prefix and suffix of a pairwise output file, `cluster_K.parquet` (NeMo's name). Written by
/// the pairwise stage, read by `identify` and `report`.
inline constexpr std::string_view kClusterFilePrefix = "cluster_";
inline constexpr std::string_view kClusterFileSuffix = kParquetExtension;

/// `cluster_K.parquet`, the pairwise output file of cluster `centroid`.
inline std::string cluster_file_name(int64_t centroid) {
  return fmt::format("{}{}{}", kClusterFilePrefix, centroid, kClusterFileSuffix);
}

/// "cluster_K.parquet", the pattern of those names as help texts and messages spell it.
inline std::string cluster_file_pattern() {
  return fmt::format("{}K{}", kClusterFilePrefix, kClusterFileSuffix);
}

/// K of a file named exactly `cluster_K.parquet` (K decimal digits), nullopt for any other name.
inline std::optional<int64_t> parse_cluster_file_name(std::string_view name) {
  if (!name.starts_with(kClusterFilePrefix) || !name.ends_with(kClusterFileSuffix) ||
      name.size() < kClusterFilePrefix.size() + kClusterFileSuffix.size()) {
    return std::nullopt;
  }
  return detail::parse_digits(name.substr(
      kClusterFilePrefix.size(), name.size() - kClusterFilePrefix.size() - kClusterFileSuffix.size()));
}

/// `part-NNNNNN.parquet` (6 digits, zero-padded): part `part` of a KMeans output partition and
/// of the rejected rows. Written by the KMeans stage; readers list the directory.
inline std::string kmeans_part_file_name(int64_t part) {
  return fmt::format("part-{:06d}{}", part, kParquetExtension);
}

/// `part-NNNNN<extension>` (5 digits, zero-padded): file `index` of the duplicate ids
/// (`identify`, extension ".parquet") and of the generated dataset (`generate`).
inline std::string numbered_file_name(int64_t index, std::string_view extension) {
  return fmt::format("part-{:05d}{}", index, extension);
}

/// The stage's own copy of the fitted centroids in the KMeans output directory ((k, dim) float32
/// .npy, un-normalised; read back by --resume, usable as --init).
inline constexpr const char* kKMeansCentroidsFile = "_kmeans_centroids.npy";
/// NeMo's name of the centroids file, written to the cache path (and by `run` beside
/// kmeans_results/).
inline constexpr const char* kCacheCentroidsFile = "kmeans_centroids.npy";
/// `run`'s summary (counts, timings, parameters, paths) in its output directory; read by
/// `report`.
inline constexpr const char* kSummaryFile = "summary.json";
/// The planted duplicates `generate` writes beside its data directory; read by `demo`.
inline constexpr const char* kGroundTruthFile = "ground_truth.parquet";
/// The self-contained HTML page of `report --html`, written by `demo` into its output directory.
inline constexpr const char* kReportHtmlFile = "report.html";
/// The file written first into an output directory (see output_dir.hpp).
inline constexpr const char* kManifestFile = "_semdedup_manifest";
/// The file written last into an output directory (and into each step directory of `run`).
inline constexpr const char* kSuccessFile = "_SUCCESS";

/// `.<dir>.tmp-staging`, where identify writes the new `dir` (duplicates/) before swapping it in.
inline std::string staging_dir_name(std::string_view dir_name) {
  return fmt::format(".{}{}staging", dir_name, kTempFileMarker);
}

/// `.<dir>.semdedup.lock`, the lock file of output directory `dir_name`, kept beside it.
inline std::string output_lock_file_name(std::string_view dir_name) {
  return fmt::format(".{}.semdedup.lock", dir_name);
}

// --- Columns -----------------------------------------------------------------------------------

/// The cluster of a row in the KMeans output (the partition column).
inline constexpr const char* kCentroidColumn = "centroid";
/// Distance columns of every KMeans output file; read by pairwise's ranking.
inline constexpr const char* kL2DistColumn = "l2_dist_to_cent";
inline constexpr const char* kCosineDistColumn = "cosine_dist_to_cent";
/// Columns of `cluster_K.parquet` (written by pairwise, read by identify and report) and of the
/// duplicates (`id` only, written by identify, read by remove).
inline constexpr const char* kIdColumn = "id";
inline constexpr const char* kMaxIdColumn = "max_id";
inline constexpr const char* kCosineSimScoreColumn = "cosine_sim_score";

/// summary.json's "paths" object names the directories of a run under the directories' own
/// names (kKMeansResultsDir, kPairwiseResultsDir, kDuplicatesDir) and the input under this key;
/// `report` reads it back.
inline constexpr const char* kSummaryPathsKey = "paths";
inline constexpr const char* kSummaryInputKey = "input";

/// Default names of the input's id and embedding columns (NeMo's defaults); the KMeans output
/// keeps the input's names.
inline constexpr const char* kDefaultIdField = "id";
inline constexpr const char* kDefaultEmbeddingField = "embeddings";

}  // namespace semdedup::io
