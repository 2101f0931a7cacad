#include "semdedup/io/pairwise_results.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "io/arrow_status.hpp"
#include "io/parquet_columns.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;
namespace cp = arrow::compute;

namespace {

constexpr const char* kScoreColumn = "cosine_sim_score";

Status check_score_type(const arrow::Table& table, const std::string& path) {
  const auto& type = table.GetColumnByName(kScoreColumn)->type();
  if (type->id() != arrow::Type::FLOAT && type->id() != arrow::Type::DOUBLE) {
    return Status::data_error("file {}: column '{}' must be float32, got {}", path, kScoreColumn,
                              type->ToString());
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<ClusterFile>> list_cluster_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::io_error("{}: no such directory", dir);
  std::vector<ClusterFile> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "cluster_", kSuffix = ".parquet";
    if (!entry.is_regular_file() || name.size() <= kPrefix.size() + kSuffix.size() ||
        !name.starts_with(kPrefix) || !name.ends_with(kSuffix)) {
      continue;
    }
    const std::string_view digits(name.data() + kPrefix.size(),
                                  name.size() - kPrefix.size() - kSuffix.size());
    int64_t cluster = 0;
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), cluster);
    if (err != std::errc() || end != digits.data() + digits.size()) continue;
    files.push_back({cluster, entry.path().string()});
  }
  if (ec) return Status::io_error("{}: cannot list: {}", dir, ec.message());
  std::sort(files.begin(), files.end(),
            [](const ClusterFile& a, const ClusterFile& b) { return a.cluster < b.cluster; });
  return files;
}

Result<std::shared_ptr<arrow::Array>> select_ids_at_or_above(const std::vector<std::string>& files,
                                                            double threshold) {
  arrow::ArrayVector selected;
  std::shared_ptr<arrow::DataType> id_type;
  for (const auto& path : files) {
    SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {"id", kScoreColumn}));
    SD_RETURN_IF_ERROR(check_score_type(*table, path));
    const auto& ids = table->GetColumnByName("id");
    if (id_type && !ids->type()->Equals(*id_type)) {
      return Status::data_error("file {}: column 'id' is {}, other files have {}", path,
                                ids->type()->ToString(), id_type->ToString());
    }
    id_type = ids->type();
    // Exact: every float32 is a double, so widening then comparing with the double threshold
    // is the comparison NeMo makes. NaN compares false and is never selected.
    SD_ASSIGN_OR_RETURN(arrow::Datum wide,
                        from_arrow(cp::Cast(table->GetColumnByName(kScoreColumn), arrow::float64()),
                                   StatusCode::kDataError, path));
    SD_ASSIGN_OR_RETURN(arrow::Datum mask,
                        from_arrow(cp::CallFunction("greater_equal",
                                                    {wide, arrow::Datum(threshold)}),
                                   StatusCode::kDataError, path));
    SD_ASSIGN_OR_RETURN(arrow::Datum kept, from_arrow(cp::Filter(ids, mask), StatusCode::kDataError, path));
    for (const auto& chunk : kept.chunked_array()->chunks()) selected.push_back(chunk);
  }
  if (!id_type) id_type = arrow::int64();
  if (selected.empty()) return from_arrow(arrow::MakeEmptyArray(id_type), StatusCode::kDataError, "duplicate ids");
  SD_ASSIGN_OR_RETURN(auto all, from_arrow(arrow::Concatenate(selected), StatusCode::kDataError, "duplicate ids"));
  SD_ASSIGN_OR_RETURN(auto order, from_arrow(cp::SortIndices(*all), StatusCode::kDataError, "sorting duplicate ids"));
  SD_ASSIGN_OR_RETURN(arrow::Datum sorted, from_arrow(cp::Take(all, order), StatusCode::kDataError, "sorting duplicate ids"));
  return sorted.make_array();
}

Status write_id_file(const std::string& path, const std::shared_ptr<arrow::Array>& ids,
                     int64_t row_groups) {
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", ids->type())}), {ids});
  ParquetWriteOptions options;
  options.row_group_rows = std::max<int64_t>(1, ids->length() / std::max<int64_t>(1, row_groups));
  return write_parquet(path, table, options);
}

Status for_each_score_chunk(const std::string& path,
                            const std::function<void(const float*, int64_t)>& consume) {
  SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {kScoreColumn}));
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
  SD_ASSIGN_OR_RETURN(auto table, read_parquet_columns(path, {"id", "max_id"}));
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

}  // namespace semdedup::io
