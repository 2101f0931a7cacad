#include "semdedup/io/kmeans_output.hpp"

#include <arrow/api.h>
#include <arrow/compute/api_vector.h>

#include <algorithm>
#include <system_error>

#include "io/arrow_status.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/half.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace {

Status arrow_error(const arrow::Status& st, int64_t part) {
  return from_arrow(st, StatusCode::kIOError, fmt::format("kmeans output part {}", part));
}

// A float32/int32 array over caller memory that outlives this call: no copy.
template <typename ArrowType, typename T>
std::shared_ptr<arrow::Array> wrap(std::span<const T> values) {
  auto buffer = std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(values.data()),
                                                static_cast<int64_t>(values.size_bytes()));
  return std::make_shared<arrow::NumericArray<ArrowType>>(static_cast<int64_t>(values.size()),
                                                          std::move(buffer));
}

// The embeddings of `rows` of `matrix` as list<uint16> fp16 bit patterns (NeMo 1.4's fp16
// storage), rounded to nearest even. One chunk: a part file holds far fewer than 2^31 values.
Result<std::shared_ptr<arrow::ChunkedArray>> make_half_embedding_column(
    MatrixView matrix, std::span<const int64_t> rows) {
  const auto n = static_cast<int64_t>(rows.size());
  const int64_t dim = matrix.cols;
  if (n * dim > INT32_MAX) {
    return Status::internal("fp16 embedding column of {} x {} values", n, dim);
  }
  auto values = arrow::AllocateBuffer(n * dim * static_cast<int64_t>(sizeof(uint16_t)));
  auto offsets = arrow::AllocateBuffer((n + 1) * static_cast<int64_t>(sizeof(int32_t)));
  if (!values.ok()) return arrow_error(values.status(), 0);
  if (!offsets.ok()) return arrow_error(offsets.status(), 0);
  auto* out = reinterpret_cast<uint16_t*>((*values)->mutable_data());
  auto* off = reinterpret_cast<int32_t*>((*offsets)->mutable_data());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows[static_cast<size_t>(i)];
    floats_to_halves(matrix.row(row), out + i * dim, dim);
    off[i] = static_cast<int32_t>(i * dim);
  }
  off[n] = static_cast<int32_t>(n * dim);
  auto value_array = std::make_shared<arrow::UInt16Array>(
      n * dim, std::shared_ptr<arrow::Buffer>(std::move(*values)));
  auto list = std::make_shared<arrow::ListArray>(arrow::list(arrow::uint16()), n,
                                                 std::shared_ptr<arrow::Buffer>(std::move(*offsets)),
                                                 value_array);
  return std::make_shared<arrow::ChunkedArray>(list);
}

}  // namespace

Status check_output_column_names(const ColumnSpec& columns) {
  // Columns the KMeans output adds (the partition and distances) and the pairwise results'.
  const std::vector<std::string> added = {kCentroidColumn, kL2DistColumn, kCosineDistColumn,
                                          kMaxIdColumn, kCosineSimScoreColumn};
  for (const std::string* field : {&columns.id_field, &columns.embedding_field}) {
    if (std::find(added.begin(), added.end(), *field) != added.end()) {
      return Status::invalid_argument(
          "field '{}' is named like a column semdedup writes; rename it in the input", *field);
    }
  }
  std::vector<std::string> taken = added;
  taken.insert(taken.end(), {kDefaultIdField, kDefaultEmbeddingField, columns.id_field,
                             columns.embedding_field});
  for (const std::string& field : columns.metadata_fields) {
    if (std::find(taken.begin(), taken.end(), field) != taken.end()) {
      return Status::invalid_argument(
          "metadata field '{}' collides with an output column of that name; leave it out of "
          "--metadata-fields or rename it in the input",
          field);
    }
  }
  return Status::OK();
}

std::string kmeans_part_path(const std::string& dir, int64_t centroid, int64_t part) {
  return join_path(join_path(dir, centroid_partition_name(centroid)), kmeans_part_file_name(part));
}

Status write_kmeans_part(const std::string& dir, const KMeansPart& part, const ColumnSpec& columns,
                         const KMeansWriteOptions& options) {
  const auto n = static_cast<int64_t>(part.labels.size());
  if (part.index < 0) return Status::internal("kmeans output: negative part index {}", part.index);
  if (part.n_clusters < 1) {
    return Status::internal("kmeans output part {}: n_clusters {} < 1", part.index, part.n_clusters);
  }
  if (part.embeddings.rows != n || static_cast<int64_t>(part.l2_dist.size()) != n ||
      static_cast<int64_t>(part.cosine_dist.size()) != n) {
    return Status::internal(
        "kmeans output part {}: {} labels but {} embeddings, {} l2 and {} cosine distances",
        part.index, n, part.embeddings.rows, part.l2_dist.size(), part.cosine_dist.size());
  }
  std::vector<int64_t> counts(static_cast<size_t>(part.n_clusters), 0);
  for (int64_t row = 0; row < n; ++row) {
    const int32_t label = part.labels[static_cast<size_t>(row)];
    if (label < 0 || label >= part.n_clusters) {
      return Status::internal("kmeans output part {}: row {} has label {} outside [0, {})",
                              part.index, row, label, part.n_clusters);
    }
    ++counts[static_cast<size_t>(label)];
  }
  if (n == 0) return Status::OK();

  auto input = arrow::Table::FromRecordBatches(part.batches);
  if (!input.ok()) return arrow_error(input.status(), part.index);
  if ((*input)->num_rows() != n) {
    return Status::internal("kmeans output part {}: batches hold {} rows, labels {}", part.index,
                            (*input)->num_rows(), n);
  }

  // The columns carried through unchanged, then the two distances; the embeddings are
  // inserted per centroid straight from the matrix (one copy, no Arrow round trip).
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> carried;
  std::vector<std::string> names{columns.id_field};
  names.insert(names.end(), columns.metadata_fields.begin(), columns.metadata_fields.end());
  for (const std::string& name : names) {
    const int index = (*input)->schema()->GetFieldIndex(name);
    if (index < 0) {
      return Status::data_error("kmeans output part {}: column '{}' missing from the input rows",
                                part.index, name);
    }
    fields.push_back((*input)->schema()->field(index));
    carried.push_back((*input)->column(index));
  }
  fields.push_back(arrow::field(kL2DistColumn, arrow::float32()));
  carried.push_back(std::make_shared<arrow::ChunkedArray>(wrap<arrow::FloatType>(part.l2_dist)));
  fields.push_back(arrow::field(kCosineDistColumn, arrow::float32()));
  carried.push_back(
      std::make_shared<arrow::ChunkedArray>(wrap<arrow::FloatType>(part.cosine_dist)));
  auto table = arrow::Table::Make(arrow::schema(fields), carried, n);

  // A stable sort by label groups each centroid's rows while keeping input order inside it.
  const auto labels = wrap<arrow::Int32Type>(part.labels);
  auto order = arrow::compute::SortIndices(*labels, arrow::compute::SortOrder::Ascending);
  if (!order.ok()) return arrow_error(order.status(), part.index);
  auto taken = arrow::compute::Take(table, *order);
  if (!taken.ok()) return arrow_error(taken.status(), part.index);
  // One chunk per column, so the files' bytes do not depend on how the rows were batched.
  auto sorted = taken->table()->CombineChunks();
  if (!sorted.ok()) return arrow_error(sorted.status(), part.index);

  const auto* order_values = reinterpret_cast<const int64_t*>(
      static_cast<const arrow::UInt64Array&>(**order).raw_values());
  const bool half = options.embedding_dtype == EmbeddingOutputDtype::kFloat16;
  auto embedding_field = arrow::field(columns.embedding_field,
                                      arrow::list(half ? arrow::uint16() : arrow::float32()));
  std::vector<int64_t> centroids, offsets;
  int64_t offset = 0;
  for (int64_t centroid = 0; centroid < part.n_clusters; ++centroid) {
    const int64_t count = counts[static_cast<size_t>(centroid)];
    if (count == 0) continue;
    centroids.push_back(centroid);
    offsets.push_back(offset);
    offset += count;
  }
  const auto n_files = static_cast<int64_t>(centroids.size());
  std::vector<Status> statuses(static_cast<size_t>(n_files));
  const ParquetWriteOptions parquet_options{.durable = options.durable};
#pragma omp parallel for num_threads(std::max(1, options.threads)) schedule(dynamic, 1)
  for (int64_t file = 0; file < n_files; ++file) {
    const auto at = static_cast<size_t>(file);
    const int64_t centroid = centroids[at];
    statuses[at] = [&]() -> Status {
      const int64_t count = counts[static_cast<size_t>(centroid)];
      const std::span<const int64_t> rows(order_values + offsets[at], static_cast<size_t>(count));
      SD_ASSIGN_OR_RETURN(auto embeddings, half
                                               ? make_half_embedding_column(part.embeddings, rows)
                                               : make_embedding_column(part.embeddings, rows));
      auto file_table = (*sorted)->Slice(offsets[at], count)->AddColumn(1, embedding_field, embeddings);
      if (!file_table.ok()) return arrow_error(file_table.status(), part.index);
      const std::string path = kmeans_part_path(dir, centroid, part.index);
      if (const Status made = create_directories(parent_path(path)); !made.ok()) {
        return Status::io_error("cannot create directory {}: {}", parent_path(path), made.message());
      }
      return write_parquet(path, *file_table, parquet_options);
    }();
  }
  for (const Status& st : statuses) SD_RETURN_IF_ERROR(st);
  return Status::OK();
}

}  // namespace semdedup::io
