#include "semdedup/io/pairwise_results.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <limits>

#include "io/arrow_status.hpp"
#include "io/parquet_columns.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace cp = arrow::compute;

namespace {

Status check_score_type(const arrow::Table& table, const std::string& path) {
  const auto& type = table.GetColumnByName(kCosineSimScoreColumn)->type();
  if (type->id() != arrow::Type::FLOAT && type->id() != arrow::Type::DOUBLE) {
    return Status::data_error("file {}: column '{}' must be float32, got {}", path, kCosineSimScoreColumn,
                              type->ToString());
  }
  return Status::OK();
}

// `chunks` concatenated and sorted ascending; empty chunks give an empty array of `id_type`
// (int64 when unknown).
Result<std::shared_ptr<arrow::Array>> sorted_ids(const arrow::ArrayVector& chunks,
                                                 std::shared_ptr<arrow::DataType> id_type) {
  if (!id_type) id_type = arrow::int64();
  if (chunks.empty())
    return from_arrow(arrow::MakeEmptyArray(id_type), StatusCode::kDataError, "duplicate ids");
  SD_ASSIGN_OR_RETURN(
      auto all, from_arrow(arrow::Concatenate(chunks), StatusCode::kDataError, "duplicate ids"));
  SD_ASSIGN_OR_RETURN(auto order, from_arrow(cp::SortIndices(*all), StatusCode::kDataError,
                                             "sorting duplicate ids"));
  SD_ASSIGN_OR_RETURN(arrow::Datum sorted, from_arrow(cp::Take(all, order), StatusCode::kDataError,
                                                      "sorting duplicate ids"));
  return sorted.make_array();
}

}  // namespace

Status write_pairwise_result(const std::string& path,
                             const std::shared_ptr<arrow::ChunkedArray>& ids,
                             std::span<const int64_t> order, std::span<const int64_t> max_idx,
                             std::span<const float> max_sim) {
  const auto rows = static_cast<int64_t>(order.size());
  if (ids->length() != rows || static_cast<int64_t>(max_idx.size()) != rows ||
      static_cast<int64_t>(max_sim.size()) != rows) {
    return Status::internal("{}: {} ids but {} ranked rows", path, ids->length(), rows);
  }
  std::vector<int64_t> max_rows(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) max_rows[r] = order[max_idx[r]];

  const auto take = [&](const std::vector<int64_t>& rows_to_take)
      -> Result<std::shared_ptr<arrow::Array>> {
    auto indices = std::make_shared<arrow::Int64Array>(
        static_cast<int64_t>(rows_to_take.size()),
        arrow::Buffer::Wrap(rows_to_take.data(), rows_to_take.size()));
    SD_ASSIGN_OR_RETURN(auto datum, from_arrow(arrow::compute::Take(arrow::Datum(ids),
                                                                    arrow::Datum(indices)),
                                               StatusCode::kInternal, path));
    const auto& chunked = datum.chunked_array();
    if (chunked->num_chunks() == 1) return chunked->chunk(0);
    return from_arrow(arrow::Concatenate(chunked->chunks()), StatusCode::kInternal, path);
  };
  const std::vector<int64_t> ranked(order.begin(), order.end());
  SD_ASSIGN_OR_RETURN(auto id_array, take(ranked));
  SD_ASSIGN_OR_RETURN(auto max_id_array, take(max_rows));
  std::vector<float> scores(max_sim.begin(), max_sim.end());
  auto score_array = std::make_shared<arrow::FloatArray>(
      rows, arrow::Buffer::FromVector(std::move(scores)));

  auto schema = arrow::schema({arrow::field(kIdColumn, ids->type()),
                               arrow::field(kMaxIdColumn, ids->type()),
                               arrow::field(kCosineSimScoreColumn, arrow::float32())});
  auto table = arrow::Table::Make(schema, {id_array, max_id_array, score_array}, rows);
  return write_parquet(path, table);
}

Result<std::vector<ClusterFile>> list_cluster_files(const std::string& dir) {
  if (!is_directory(dir)) return Status::io_error("{}: no such directory", dir);
  std::vector<ClusterFile> files;
  auto entries = list_directory(dir, /*recursive=*/false, /*follow_symlinks=*/true);
  if (!entries.ok()) return Status::io_error("{}: cannot list: {}", dir, entries.status().message());
  for (const Entry& entry : *entries) {
    const auto cluster = parse_cluster_file_name(entry.name);
    if (entry.type != EntryType::kFile || !cluster) continue;
    files.push_back({*cluster, entry.path});
  }
  std::sort(files.begin(), files.end(),
            [](const ClusterFile& a, const ClusterFile& b) { return a.cluster < b.cluster; });
  return files;
}

Result<std::shared_ptr<arrow::Array>> select_ids_at_or_above(const std::vector<std::string>& files,
                                                            double threshold) {
  arrow::ArrayVector selected;
  std::shared_ptr<arrow::DataType> id_type;
  for (const auto& path : files) {
    SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {kIdColumn, kCosineSimScoreColumn}));
    SD_RETURN_IF_ERROR(check_score_type(*table, path));
    const auto& ids = table->GetColumnByName(kIdColumn);
    if (id_type && !ids->type()->Equals(*id_type)) {
      return Status::data_error("file {}: column '{}' is {}, other files have {}", path, kIdColumn,
                                ids->type()->ToString(), id_type->ToString());
    }
    id_type = ids->type();
    // Exact: every float32 is a double, so widening then comparing with the double threshold
    // is the comparison NeMo makes. NaN compares false and is never selected.
    SD_ASSIGN_OR_RETURN(arrow::Datum wide,
                        from_arrow(cp::Cast(table->GetColumnByName(kCosineSimScoreColumn), arrow::float64()),
                                   StatusCode::kDataError, path));
    SD_ASSIGN_OR_RETURN(arrow::Datum mask,
                        from_arrow(cp::CallFunction("greater_equal",
                                                    {wide, arrow::Datum(threshold)}),
                                   StatusCode::kDataError, path));
    SD_ASSIGN_OR_RETURN(arrow::Datum kept, from_arrow(cp::Filter(ids, mask), StatusCode::kDataError, path));
    for (const auto& chunk : kept.chunked_array()->chunks()) selected.push_back(chunk);
  }
  return sorted_ids(selected, id_type);
}

Result<std::shared_ptr<arrow::Array>> select_flagged_ids(
    const std::vector<std::shared_ptr<arrow::ChunkedArray>>& ids,
    const std::vector<std::vector<uint8_t>>& flags) {
  arrow::ArrayVector selected;
  std::shared_ptr<arrow::DataType> id_type;
  for (size_t file = 0; file < ids.size(); ++file) {
    if (id_type && !ids[file]->type()->Equals(*id_type)) {
      return Status::data_error("column 'id' is {} in one pairwise file, {} in another",
                                ids[file]->type()->ToString(), id_type->ToString());
    }
    id_type = ids[file]->type();
    arrow::BooleanBuilder mask;
    SD_RETURN_IF_ERROR(from_arrow(mask.Reserve(static_cast<int64_t>(flags[file].size())),
                                  StatusCode::kInternal, "duplicate ids"));
    for (uint8_t flag : flags[file]) mask.UnsafeAppend(flag != 0);
    SD_ASSIGN_OR_RETURN(auto mask_array,
                        from_arrow(mask.Finish(), StatusCode::kInternal, "duplicate ids"));
    SD_ASSIGN_OR_RETURN(arrow::Datum kept, from_arrow(cp::Filter(ids[file], mask_array),
                                                      StatusCode::kDataError, "duplicate ids"));
    for (const auto& chunk : kept.chunked_array()->chunks()) selected.push_back(chunk);
  }
  return sorted_ids(selected, id_type);
}

Status write_id_file(const std::string& path, const std::shared_ptr<arrow::Array>& ids,
                     int64_t row_groups) {
  auto table = arrow::Table::Make(arrow::schema({arrow::field(kIdColumn, ids->type())}), {ids});
  ParquetWriteOptions options;
  options.row_group_rows = std::max<int64_t>(1, ids->length() / std::max<int64_t>(1, row_groups));
  return write_parquet(path, table, options);
}

Status for_each_score_chunk(const std::string& path,
                            const std::function<void(const float*, int64_t)>& consume) {
  SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {kCosineSimScoreColumn}));
  SD_RETURN_IF_ERROR(check_score_type(*table, path));
  SD_ASSIGN_OR_RETURN(arrow::Datum narrow,
                      from_arrow(cp::Cast(table->column(0), arrow::float32()), StatusCode::kDataError, path));
  for (const auto& chunk : narrow.chunked_array()->chunks()) {
    const auto& scores = static_cast<const arrow::FloatArray&>(*chunk);
    consume(scores.raw_values(), scores.length());
  }
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::string>>> read_pair_text(
    const std::string& path, const std::vector<int64_t>& rows) {
  SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {kIdColumn, kMaxIdColumn}));
  SD_ASSIGN_OR_RETURN(auto combined, from_arrow(table->CombineChunks(), StatusCode::kDataError, path));
  const auto& ids = combined->column(0)->chunk(0);
  const auto& max_ids = combined->column(1)->chunk(0);
  std::vector<std::pair<std::string, std::string>> out;
  for (int64_t row : rows) {
    if (row < 0 || row >= combined->num_rows()) {
      return Status::internal("file {}: row {} out of range", path, row);
    }
    SD_ASSIGN_OR_RETURN(auto id, from_arrow(ids->GetScalar(row), StatusCode::kDataError, path));
    SD_ASSIGN_OR_RETURN(auto max_id, from_arrow(max_ids->GetScalar(row), StatusCode::kDataError, path));
    out.emplace_back(id->ToString(), max_id->ToString());
  }
  return out;
}

Result<std::vector<int64_t>> find_rows(const std::shared_ptr<arrow::ChunkedArray>& ids,
                                       const std::shared_ptr<arrow::ChunkedArray>& among) {
  SD_ASSIGN_OR_RETURN(
      auto set, from_arrow(arrow::Concatenate(among->chunks()), StatusCode::kDataError, "ids"));
  arrow::Datum needles(ids);
  if (!ids->type()->Equals(*among->type())) {
    SD_ASSIGN_OR_RETURN(
        needles, from_arrow(cp::Cast(needles, among->type()), StatusCode::kDataError, "ids"));
  }
  SD_ASSIGN_OR_RETURN(
      arrow::Datum found,
      from_arrow(cp::IndexIn(needles, cp::SetLookupOptions(set)), StatusCode::kDataError, "ids"));
  std::vector<int64_t> rows;
  rows.reserve(static_cast<size_t>(ids->length()));
  for (const auto& chunk : found.chunked_array()->chunks()) {
    const auto& index = static_cast<const arrow::Int32Array&>(*chunk);
    for (int64_t i = 0; i < index.length(); ++i) {
      rows.push_back(index.IsNull(i) ? -1 : static_cast<int64_t>(index.Value(i)));
    }
  }
  return rows;
}

Result<std::vector<int64_t>> find_rows(const std::shared_ptr<arrow::ChunkedArray>& ids,
                                       const arrow::Table& table) {
  return find_rows(ids, table.column(0));
}

Result<PairwiseRows> read_pairwise_rows(const std::string& path) {
  SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {kIdColumn, kMaxIdColumn, kCosineSimScoreColumn}));
  SD_RETURN_IF_ERROR(check_score_type(*table, path));
  PairwiseRows rows;
  rows.ids = table->column(0);
  SD_ASSIGN_OR_RETURN(rows.max_row, find_rows(table->column(1), rows.ids));
  SD_ASSIGN_OR_RETURN(arrow::Datum narrow, from_arrow(cp::Cast(table->column(2), arrow::float32()),
                                                      StatusCode::kDataError, path));
  rows.scores.reserve(static_cast<size_t>(table->num_rows()));
  for (const auto& chunk : narrow.chunked_array()->chunks()) {
    const auto& scores = static_cast<const arrow::FloatArray&>(*chunk);
    for (int64_t i = 0; i < scores.length(); ++i) {
      rows.scores.push_back(scores.IsNull(i) ? std::numeric_limits<float>::quiet_NaN()
                                             : scores.Value(i));
    }
  }
  return rows;
}

}  // namespace semdedup::io
