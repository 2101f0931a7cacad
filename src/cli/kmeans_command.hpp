#pragma once
// The flags of `semdedup kmeans`, shareable with subcommands that run the KMeans stage too.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::cli {

struct KMeansOptions {
  std::vector<std::string> input;
  std::string output;
  int64_t n_clusters = 0;
  std::string id_field = io::kDefaultIdField;
  std::string embedding_field = io::kDefaultEmbeddingField;
  std::string metadata_fields;
  std::string input_filetype = "parquet";
  std::string input_file_extensions;
  int64_t max_iter = 300;
  double tol = 1e-4;
  uint64_t random_state = 42;
  std::string init = "k-means||";
  std::string n_init = "1";
  double oversampling_factor = 2.0;
  int64_t max_samples_per_batch = int64_t{1} << 15;
  double fit_data_fraction = 0.0;
  bool has_fit_data_fraction = false;
  std::string cache_path;
  int64_t embedding_dim = 0;
  std::string input_embedding_dtype = "auto";
  std::string embedding_output_dtype = "float32";
  std::string memory_limit;
  int64_t rows_per_part = int64_t{1} << 20;
  std::string invalid_rows = "error";
};

/// Adds the k-means fit and input flags (everything but --input, --output, --overwrite and
/// --resume) to `app`.
void add_kmeans_flags(CLI::App& app, KMeansOptions& options);

/// The stage parameters the flags describe, validated, writing in `mode`.
Result<kmeans::Params> make_kmeans_params(const KMeansOptions& options, io::OutputMode mode);

/// Warns about flags NeMo Curator 1.4 removed that are still accepted (--embedding-dim).
void warn_deprecated_kmeans_flags(const Context& ctx, const KMeansOptions& options);

}  // namespace semdedup::cli
