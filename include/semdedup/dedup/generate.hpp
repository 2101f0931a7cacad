#pragma once
/// \file Synthetic embeddings with planted duplicates and their ground truth, for demos,
/// tests and benchmarks. Seeded and deterministic: the bytes depend only on the parameters,
/// never on the thread count.
///
/// Layout: `<output>/data/part-00000.<ext>` ... (rows split as evenly as possible, ids
/// 0..rows-1 in file order) and `<output>/ground_truth.parquet`.
///
/// Data columns: `id` int64, `embeddings` list<float32> (unit L2 norm), `quality` float32
/// (uniform in [0, 1), a metadata column for ranking), `text` string (a synthetic text: "topic
/// C:" and 12 to 23 words; an exact copy repeats its source's text, a near duplicate changes 1
/// (cosine >= 0.99) or 3 (cosine < 0.99) of its words). Each original row is a random unit
/// cluster centre plus isotropic gaussian noise of total norm about 0.75, normalised: about
/// 0.8 cosine to its centre and 0.64 to the other rows of its cluster. A `duplicate_fraction`
/// share of the rows, spread evenly through the files, are planted copies of a uniformly
/// chosen earlier original row (so of its cluster), in turn: an exact copy, a near duplicate
/// with cosine in [0.991, 0.999] and one with cosine in [0.955, 0.985], each made by rotating
/// the source towards a random orthogonal direction by the angle acos(target). (With dim 1
/// there is no orthogonal direction and the near duplicates are exact copies.) The duplicates
/// sit at evenly spaced rows, row 0 is always an original.
///
/// Ground truth columns: `id` int64 (the planted row), `duplicate_of` int64 (its source),
/// `kind` string (exact|near99|near95), `cosine` float32 (the cosine of the two stored
/// float32 vectors, computed in double), ordered by id.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::dedup {

/// Widest embedding generate writes: the readers' limit (io::ReadOptions::max_dim).
inline constexpr int64_t kMaxGenerateDim = int64_t{1} << 16;

struct GenerateParams {
  /// Output directory (created; see output_mode when it is not empty).
  std::string output_path;
  /// Number of rows, >= 1.
  int64_t rows = 0;
  /// Embedding dimension, in [1, kMaxGenerateDim].
  int64_t dim = 0;
  /// Number of cluster centres, >= 1.
  int64_t clusters = 100;
  /// Share of rows that are planted duplicates, in [0, 1); round(fraction * rows) rows.
  double duplicate_fraction = 0.1;
  /// Number of data files, in [1, rows].
  int64_t files = 1;
  /// Seed of every random draw.
  uint64_t seed = 42;
  /// Data file format (the ground truth is always Parquet).
  io::FileType format = io::FileType::kParquet;
  /// kFresh refuses a non-empty output directory; kOverwrite clears it first.
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

struct GenerateResult {
  std::vector<std::string> data_files;  ///< in id order
  std::string ground_truth_file;
  int64_t rows = 0;
  int64_t dim = 0;
  int64_t exact_duplicates = 0;
  int64_t near99_duplicates = 0;
  int64_t near95_duplicates = 0;
  int64_t bytes = 0;  ///< total size of the files written
};

/// Writes the dataset described by `params`. Rows are generated on ctx.threads threads in
/// fixed row ranges from counter-based random numbers keyed by row.
Result<GenerateResult> generate(const Context& ctx, const GenerateParams& params);

}  // namespace semdedup::dedup
