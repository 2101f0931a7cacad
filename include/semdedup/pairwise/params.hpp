#pragma once
/// \file Parameters of the Pairwise stage, named and defaulted as NeMo Curator's PairwiseStage.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/half.hpp"

namespace semdedup::pairwise {

/// Which row of a near-duplicate group survives (the one ranked first).
enum class WhichToKeep {
  kHard,    ///< farthest from the centroid first (distance, id descending) — NeMo's default
  kEasy,    ///< closest to the centroid first (distance, id ascending)
  kRandom,  ///< a seeded shuffle
};
/// The names of WhichToKeep (NeMo's spellings).
inline constexpr std::array<EnumName<WhichToKeep>, 3> kWhichToKeepNames{
    {{WhichToKeep::kHard, "hard"}, {WhichToKeep::kEasy, "easy"}, {WhichToKeep::kRandom, "random"}}};
Result<WhichToKeep> parse_which_to_keep(std::string_view name);
std::string_view which_to_keep_name(WhichToKeep which);

/// The distance to the centroid that the hard/easy rankings sort by (distance_column()).
enum class SimMetric { kCosine, kL2 };
/// The names of SimMetric (NeMo's distance_metric spellings).
inline constexpr std::array<EnumName<SimMetric>, 2> kSimMetricNames{
    {{SimMetric::kCosine, "cosine"}, {SimMetric::kL2, "l2"}}};
Result<SimMetric> parse_sim_metric(std::string_view name);
std::string_view sim_metric_name(SimMetric metric);

/// NeMo 1.4's `compute_dtype` of the pairwise stage. semdedup computes every similarity as a
/// dot product of the stored values (fp16 storage widened exactly) summed in double and rounded
/// to float32, whatever the value:
/// keep/remove decisions are never made in lower precision. The value is accepted so that NeMo
/// configurations run, and the stage logs once what it does with it.
enum class ComputeDtype {
  kAuto,     ///< NeMo: the stored precision. semdedup: float32 of the stored values
  kFloat16,  ///< NeMo: fp16 products and reduction. semdedup: float32 (logged as such)
  kFloat32,  ///< NeMo: float32 (an error on fp16 storage). semdedup: float32, fp16 widened
};
/// The names of ComputeDtype (NeMo's spellings).
inline constexpr std::array<EnumName<ComputeDtype>, 3> kComputeDtypeNames{
    {{ComputeDtype::kAuto, "auto"},
     {ComputeDtype::kFloat16, "float16"},
     {ComputeDtype::kFloat32, "float32"}}};
Result<ComputeDtype> parse_compute_dtype(std::string_view name);
std::string_view compute_dtype_name(ComputeDtype dtype);

/// pairwise_batch_size "auto" (NeMo 1.4): the value stored in Params::pairwise_batch_size.
inline constexpr int64_t kPairwiseBatchAuto = 0;

struct Params {
  /// KMeans output directory holding centroid=K/ partitions (semdedup's or NeMo's).
  std::string input_path;
  /// Output directory: <output>/cluster_K.parquet.
  std::string output_path;
  std::string id_field = io::kDefaultIdField;
  std::string embedding_field = io::kDefaultEmbeddingField;
  WhichToKeep which_to_keep = WhichToKeep::kHard;
  /// Distance column of the default ranking: cosine_dist_to_cent or l2_dist_to_cent.
  SimMetric sim_metric = SimMetric::kCosine;
  /// Seed of the `random` ranking (the same for every cluster).
  uint64_t random_seed = 42;
  /// Custom ranking: sort by these columns in priority order; overrides which_to_keep.
  std::vector<std::string> ranking_columns;
  /// One direction for all ranking columns, or one per column; empty = all ascending.
  std::vector<bool> ranking_ascending;
  /// NeMo's column batch B (>= 1, or kPairwiseBatchAuto for "auto"). Accepted for
  /// compatibility and validated; it changes nothing: semdedup's kernel works on fixed tiles of
  /// at most 256 columns (memory O(N x 256) per thread), and results never depend on it.
  int64_t pairwise_batch_size = 1024;
  /// How embedding values are read: auto takes list<uint16> as fp16 bit patterns (NeMo 1.4).
  io::InputEmbeddingDtype input_embedding_dtype = io::InputEmbeddingDtype::kAuto;
  /// NeMo's compute_dtype: see ComputeDtype (semdedup always computes in float32).
  ComputeDtype compute_dtype = ComputeDtype::kAuto;
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

}  // namespace semdedup::pairwise
