#include "semdedup/io/run_summary.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>

#include "semdedup/io/filesystem.hpp"
#include "io/arrow_status.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::io {

namespace {

// The child `name` of `parent` (a one-row struct or the table's row), null when absent.
std::shared_ptr<arrow::Scalar> field(const std::shared_ptr<arrow::Scalar>& parent,
                                     const std::string& name) {
  if (!parent || !parent->is_valid || parent->type->id() != arrow::Type::STRUCT) return nullptr;
  auto child = static_cast<const arrow::StructScalar&>(*parent).field(name);
  return child.ok() ? *child : nullptr;
}

std::optional<std::string> text(const std::shared_ptr<arrow::Scalar>& value) {
  if (!value || !value->is_valid || value->type->id() != arrow::Type::STRING) return std::nullopt;
  return std::string(static_cast<const arrow::StringScalar&>(*value).view());
}

std::optional<int64_t> integer(const std::shared_ptr<arrow::Scalar>& value) {
  if (!value || !value->is_valid || value->type->id() != arrow::Type::INT64) return std::nullopt;
  return static_cast<const arrow::Int64Scalar&>(*value).value;
}

}  // namespace

Result<RunSummary> read_run_summary(const std::string& path) {
  SD_ASSIGN_OR_RETURN(auto file, open_input_file(path, fmt::format("file {}: cannot open", path)));
  auto parse = arrow::json::ParseOptions::Defaults();
  parse.newlines_in_values = true;  // one pretty-printed object over many lines
  SD_ASSIGN_OR_RETURN(auto reader, from_arrow(arrow::json::TableReader::Make(
                                                  arrow::default_memory_pool(), file,
                                                  arrow::json::ReadOptions::Defaults(), parse),
                                              StatusCode::kDataError, path));
  SD_ASSIGN_OR_RETURN(auto table, from_arrow(reader->Read(), StatusCode::kDataError,
                                             fmt::format("file {}: not a summary.json", path)));
  SD_ASSIGN_OR_RETURN(auto batch,
                      from_arrow(table->CombineChunksToBatch(), StatusCode::kDataError, path));
  if (batch->num_rows() != 1) {
    return Status::data_error("file {}: expected one JSON object, found {}", path,
                              batch->num_rows());
  }
  SD_ASSIGN_OR_RETURN(auto struct_array,
                      from_arrow(batch->ToStructArray(), StatusCode::kDataError, path));
  SD_ASSIGN_OR_RETURN(auto root,
                      from_arrow(struct_array->GetScalar(0), StatusCode::kDataError, path));
  const auto paths = field(root, kSummaryPathsKey);
  const auto parameters = field(root, "parameters");
  RunSummary summary;
  const auto input = field(paths, kSummaryInputKey);
  const auto kmeans = text(field(paths, kKMeansResultsDir));
  const auto pairwise = text(field(paths, kPairwiseResultsDir));
  if (!input || !input->is_valid || input->type->id() != arrow::Type::LIST || !kmeans ||
      !pairwise) {
    return Status::data_error(
        "file {}: {}.{}, {}.{} or {}.{} missing", path, kSummaryPathsKey, kSummaryInputKey,
        kSummaryPathsKey, kKMeansResultsDir, kSummaryPathsKey, kPairwiseResultsDir);
  }
  const auto& inputs = *static_cast<const arrow::ListScalar&>(*input).value;
  for (int64_t i = 0; i < inputs.length(); ++i) {
    SD_ASSIGN_OR_RETURN(auto item, from_arrow(inputs.GetScalar(i), StatusCode::kDataError, path));
    if (auto value = text(item)) summary.input_paths.push_back(*value);
  }
  summary.kmeans_results = *kmeans;
  summary.pairwise_results = *pairwise;
  if (auto value = text(field(parameters, "id_field"))) summary.id_field = *value;
  if (auto value = text(field(parameters, "embedding_field"))) summary.embedding_field = *value;
  if (auto value = text(field(parameters, "input_filetype"))) {
    SD_ASSIGN_OR_RETURN(summary.input_filetype, parse_file_type(*value));
  }
  summary.num_rows = integer(field(root, "num_rows")).value_or(0);
  summary.n_clusters = integer(field(root, "n_clusters")).value_or(0);
  summary.kmeans_iterations = integer(field(root, "kmeans_iterations"));
  return summary;
}

}  // namespace semdedup::io
