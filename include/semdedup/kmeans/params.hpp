#pragma once
/// \file Parameters of the KMeans stage, named and defaulted as NeMo Curator's KMeansStage.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/half.hpp"

namespace semdedup::kmeans {

/// How initial centroids are chosen.
enum class InitMethod {
  kKMeansParallel,  ///< "k-means||": scalable k-means++ (default)
  kRandom,          ///< "random": k distinct rows drawn at random
  kFile,            ///< an .npy file of shape (k, dim): those centres
  kArray,           ///< FitParams::init_centroids: those centres
};
/// The names of InitMethod: the first two as parse_init reads them, "file" and "array" for
/// given centres (printed only; parse_init takes the path itself).
inline constexpr std::array<EnumName<InitMethod>, 4> kInitMethodNames{
    {{InitMethod::kKMeansParallel, "k-means||"},
     {InitMethod::kRandom, "random"},
     {InitMethod::kFile, "file"},
     {InitMethod::kArray, "array"}}};
/// NeMo's other spelling of k-means||, read by parse_init.
inline constexpr std::string_view kKMeansParallelAlias = "scalable-k-means++";

/// Parameters of the k-means fit itself (no files): what `fit` takes.
struct FitParams {
  /// Number of centroids k, >= 1 and <= number of rows.
  int64_t n_clusters = 0;
  /// Maximum Lloyd iterations per run, >= 1.
  int64_t max_iter = 300;
  /// Absolute threshold on the total squared centroid shift Σ_k ||c_new - c_old||², >= 0.
  double tol = 1e-4;
  /// Seeds initialisation (and every random draw of the fit).
  uint64_t random_state = 42;
  InitMethod init = InitMethod::kKMeansParallel;
  /// Initial centroids when init == kFile: path of a (k, dim) float32/float64 .npy file.
  std::string init_file;
  /// Initial centroids when init == kArray: [k x dim].
  Matrix init_centroids;
  /// Independent runs (best inertia kept); 0 means "auto" (1 for k-means||, 10 otherwise).
  int64_t n_init = 1;
  /// k-means||: expected oversampling_factor * k candidates per round, > 0.
  double oversampling_factor = 2.0;
  /// Rows per distance tile in fit and predict: bounds memory (tile x k floats), never results.
  int64_t max_samples_per_batch = 1 << 15;
  /// Lloyd skips the distance pass for rows whose label provably cannot change (Hamerly's
  /// bound; kmeans/bounded_assign.hpp). Results are the same bits either way; false assigns
  /// every row in every pass (the reference the tests hold the bounds against).
  bool bounded_assignment = true;

  Status validate() const;
};

/// Sets `params.init` from NeMo's spelling: "k-means||" or "scalable-k-means++" (k-means||),
/// "random", or else the path of an .npy file of initial centroids (kFile).
Status parse_init(std::string_view text, FitParams& params);

/// The name of `init` as parse_init reads it back ("k-means||", "random"), or "file" / "array"
/// for given centres.
const char* init_method_name(InitMethod init);

/// Parses --n-init: a positive integer, or "auto" (stored as 0).
Result<int64_t> parse_n_init(std::string_view text);

/// The number of runs "auto" and explicit values resolve to: n_init, or for 0 one run with
/// k-means|| and ten with random. A given init (file or array) is deterministic, so it always
/// makes one run.
int64_t resolved_n_init(const FitParams& params);

/// Parameters of the KMeans stage (files in, partitioned files out).
struct Params {
  FitParams fit;
  /// Input files or directories (spec section 2 discovery rules).
  std::vector<std::string> input_paths;
  io::FileType input_filetype = io::FileType::kParquet;
  /// Extensions that select input files; empty = the filetype's defaults.
  std::vector<std::string> input_file_extensions;
  io::ColumnSpec columns;
  /// Removed in NeMo 1.4 (was a grouping hint); accepted with a deprecation warning, unused.
  int64_t embedding_dim = 0;
  /// How the input embedding values are read (NeMo's input_embedding_dtype).
  io::InputEmbeddingDtype input_embedding_dtype = io::InputEmbeddingDtype::kAuto;
  /// Storage of the output's embedding column (NeMo's embedding_output_dtype). Fit, predict
  /// and the distance columns are float32 either way.
  io::EmbeddingOutputDtype embedding_output_dtype = io::EmbeddingOutputDtype::kFloat32;
  /// Fit on a seeded sample of this fraction of the files, in (0, 1] (1 = every file), then
  /// assign every row in a second pass. Unset: fit on every row when the embeddings fit
  /// memory_limit, else on whole files in input order while they fit it (two passes).
  std::optional<double> fit_data_fraction;
  /// Bytes the fit's embeddings may take in memory (float32), >= 0; 0 = half the memory
  /// available when the stage starts. Used only when fit_data_fraction is unset.
  int64_t memory_limit = 0;
  /// Output directory: <output>/centroid=K/part-NNNNN.parquet and the stage's own centroids
  /// file, io::kKMeansCentroidsFile (which dataset readers of the directory skip).
  std::string output_path;
  /// Where NeMo's KMeansStage writes kmeans_centroids.npy (cache_path); empty = nowhere else.
  std::string cache_path;
  /// Rows per output part: part p holds global input rows [p*R, (p+1)*R). >= 1.
  int64_t rows_per_part = 1 << 20;
  io::InvalidRows invalid_rows = io::InvalidRows::kError;
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

}  // namespace semdedup::kmeans
