#pragma once
/// \file The KMeans stage's partitioned output, laid out as NeMo Curator lays it out:
/// `<dir>/centroid=K/part-NNNNNN.parquet`, hive style (the centroid lives only in the
/// directory name). The stage cuts its rows into parts by fixed ranges of global input row
/// number; part p holds global rows [p * R, (p + 1) * R) and is written by one call.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/half.hpp"
#include "semdedup/io/layout.hpp"

namespace arrow {
class RecordBatch;
}  // namespace arrow

namespace semdedup::io {

/// One part of the KMeans stage's output, everything row-aligned (n rows, input order).
struct KMeansPart {
  /// Part number p (>= 0); names the files part-NNNNNN.parquet (6 digits, zero-padded).
  int64_t index = 0;
  /// Batches holding the id and metadata columns of the part's rows, in row order (as a
  /// reader produced them; other columns are ignored). Together they have n rows.
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  /// [n x dim], L2-normalised embeddings (any stride).
  MatrixView embeddings;
  /// [n] assigned centroid of each row, in [0, n_clusters).
  std::span<const int32_t> labels;
  /// [n] ||e - c|| to the un-normalised assigned centroid.
  std::span<const float> l2_dist;
  /// [n] 1 - e . c/||c|| to the assigned centroid.
  std::span<const float> cosine_dist;
  /// Number of centroids k.
  int64_t n_clusters = 0;
};

struct KMeansWriteOptions {
  /// Centroid files written at once (>= 1). The bytes never depend on it; with many small
  /// files the time is mostly fsync latency, which overlaps across threads.
  int threads = 1;
  /// fsync every file before its rename (see AtomicFile::commit).
  bool durable = true;
  /// Storage of the embedding column: list<float32>, or list<uint16> fp16 bit patterns.
  EmbeddingOutputDtype embedding_dtype = EmbeddingOutputDtype::kFloat32;
};

/// `<dir>/centroid=<centroid>/part-<part, 6 digits>.parquet`.
std::string kmeans_part_path(const std::string& dir, int64_t centroid, int64_t part);

/// Writes, for every centroid K with at least one row in `part`, the file
/// kmeans_part_path(dir, K, part.index) with the columns, in order: columns.id_field (its
/// original type), columns.embedding_field (the normalised embeddings: list<float32>, or
/// list<uint16> fp16 bits when options.embedding_dtype is kFloat16),
/// columns.metadata_fields (original types), l2_dist_to_cent and cosine_dist_to_cent
/// (float32); rows in input order. Centroid directories are created as needed; centroids
/// without rows get none. Each file is atomic and its bytes depend only on the data. On failure
/// the first failing centroid's error is returned; files of other centroids may exist.
Status write_kmeans_part(const std::string& dir, const KMeansPart& part, const ColumnSpec& columns,
                         const KMeansWriteOptions& options = {});

/// Where the KMeans stage hands its finished parts: each part's rows, and the rows it rejected.
/// Parts come in increasing index order; each index at most once.
class PartSink {
 public:
  virtual ~PartSink() = default;
  /// Writes the rows of one part.
  virtual Status write(const KMeansPart& part) = 0;
  /// Writes the rejected rows of part `part` (the readers' Batch::rejected, in row order);
  /// nothing when they hold no rows.
  virtual Status write_rejected(int64_t part,
                                const std::vector<std::shared_ptr<arrow::RecordBatch>>& rows) = 0;
};

/// The on-disk sink: write_kmeans_part into `dir` (the centroid=K/ partitions) and
/// write_rejected_part (`dir`/rejected/).
std::unique_ptr<PartSink> centroid_partition_sink(std::string dir, ColumnSpec columns,
                                                  KMeansWriteOptions options = {});

/// invalid_argument naming the first field of `columns` that would collide with a column
/// semdedup adds or renames downstream: a metadata field named like the id or embedding field,
/// "id", "embeddings", "centroid" (the hive partition), l2_dist_to_cent, cosine_dist_to_cent,
/// max_id or cosine_sim_score (the pairwise results); or an id or embedding field named like
/// one of the added columns. Such a name would give files with two columns of one name or
/// unreadable partitions.
Status check_output_column_names(const ColumnSpec& columns);

}  // namespace semdedup::io
