#include "semdedup/dedup/in_memory.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "io/arrow_status.hpp"
#include "semdedup/io/stream_source.hpp"
#include "semdedup/kernels/pairwise.hpp"
#include "semdedup/kmeans/kmeans.hpp"
#include "semdedup/pairwise/ranking.hpp"

namespace semdedup::dedup {

namespace {

std::shared_ptr<arrow::Array> float_array(std::vector<float> values) {
  auto buffer = arrow::Buffer::FromVector(std::move(values));
  const auto length = static_cast<int64_t>(buffer->size() / sizeof(float));
  return std::make_shared<arrow::FloatArray>(length, std::move(buffer));
}

/// Rows `rows` of `table` (a cluster), as the pairwise stage reads them from the cluster files.
Result<std::shared_ptr<arrow::Table>> take(const arrow::Table& table,
                                           const std::vector<int64_t>& rows) {
  arrow::Int64Builder builder;
  const char* context = "selecting a cluster's rows";
  SD_RETURN_IF_ERROR(io::from_arrow(builder.AppendValues(rows), StatusCode::kInternal, context));
  SD_ASSIGN_OR_RETURN(auto indices,
                      io::from_arrow(builder.Finish(), StatusCode::kInternal, context));
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  for (const auto& column : table.columns()) {
    SD_ASSIGN_OR_RETURN(auto array, io::from_arrow(arrow::Concatenate(column->chunks()),
                                                   StatusCode::kInternal, context));
    SD_ASSIGN_OR_RETURN(auto taken, io::from_arrow(arrow::compute::Take(*array, *indices),
                                                   StatusCode::kInternal, context));
    columns.push_back(std::make_shared<arrow::ChunkedArray>(taken));
  }
  return arrow::Table::Make(table.schema(), std::move(columns), static_cast<int64_t>(rows.size()));
}

}  // namespace

Status InMemoryParams::validate() const {
  SD_RETURN_IF_ERROR(fit.validate());
  if (!(eps >= 0.0 && eps < 1.0)) return Status::invalid_argument("eps must be in [0, 1), got {}", eps);
  if (pairwise.pairwise_batch_size < 1) {
    return Status::invalid_argument("pairwise_batch_size must be >= 1, got {}",
                                    pairwise.pairwise_batch_size);
  }
  return Status::OK();
}

Result<InMemoryDuplicates> find_duplicates(const Context& ctx, const arrow::Table& table,
                                           const InMemoryParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  const pairwise::Params& pw = params.pairwise;
  SD_ASSIGN_OR_RETURN(const pairwise::Ranking ranking, pairwise::ranking_for(pw));
  if (!table.GetColumnByName(pw.id_field)) {
    return Status::data_error("column '{}' not found; available: {}", pw.id_field,
                              fmt::join(table.schema()->field_names(), ", "));
  }
  SD_ASSIGN_OR_RETURN(const Matrix embeddings, io::embeddings_from_table(table, pw.embedding_field));
  if (params.fit.n_clusters > embeddings.rows()) {
    return Status::invalid_argument("n_clusters ({}) exceeds the number of rows ({})",
                                    params.fit.n_clusters, embeddings.rows());
  }
  SD_ASSIGN_OR_RETURN(const kmeans::FitParams fit_params, kmeans::read_init_file(params.fit));
  SD_ASSIGN_OR_RETURN(kmeans::FitResult fit, kmeans::fit(ctx, embeddings.view(), fit_params));
  std::vector<float> l2(static_cast<size_t>(embeddings.rows()));
  std::vector<float> cosine(l2.size());
  kmeans::centroid_distances(ctx, embeddings.view(), fit.centroids.view(), fit.labels.data(),
                             l2.data(), cosine.data());

  // The columns the pairwise stage ranks by: the table's own plus the two distances.
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  for (const std::string& name : ranking.columns()) {
    if (name == pairwise::distance_column(pairwise::SimMetric::kCosine)) {
      fields.push_back(arrow::field(name, arrow::float32()));
      columns.push_back(std::make_shared<arrow::ChunkedArray>(float_array(cosine)));
    } else if (name == pairwise::distance_column(pairwise::SimMetric::kL2)) {
      fields.push_back(arrow::field(name, arrow::float32()));
      columns.push_back(std::make_shared<arrow::ChunkedArray>(float_array(l2)));
    } else if (auto column = table.GetColumnByName(name)) {
      fields.push_back(table.schema()->GetFieldByName(name));
      columns.push_back(column);
    } else {
      return Status::data_error("Required columns ['{}'] not found in cluster data. Available "
                                "columns: [{}]",
                                name, fmt::join(table.schema()->field_names(), ", "));
    }
  }
  const auto keys = arrow::Table::Make(arrow::schema(fields), columns, table.num_rows());

  const int64_t k = params.fit.n_clusters;
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(k));
  for (int64_t row = 0; row < embeddings.rows(); ++row) {
    members[static_cast<size_t>(fit.labels[static_cast<size_t>(row)])].push_back(row);
  }
  const double threshold = 1.0 - params.eps;
  const int threads = std::max(1, ctx.threads);
  kernels::PairwiseWorkspace workspace(ctx.cpu_kernel);
  InMemoryDuplicates result;
  for (const std::vector<int64_t>& rows : members) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    if (rows.empty()) continue;
    SD_ASSIGN_OR_RETURN(auto cluster, take(*keys, rows));
    SD_ASSIGN_OR_RETURN(const std::vector<int64_t> order, pairwise::rank(ranking, *cluster));
    const auto n = static_cast<int64_t>(rows.size());
    Matrix ranked(n, embeddings.cols());
    for (int64_t r = 0; r < n; ++r) {
      std::memcpy(ranked.row(r), embeddings.row(rows[static_cast<size_t>(order[r])]),
                  static_cast<size_t>(embeddings.cols()) * sizeof(float));
    }
    std::vector<float> max_sim(static_cast<size_t>(n));
    std::vector<int64_t> max_idx(static_cast<size_t>(n));
    workspace.reserve(n, ranked.cols(), threads);
    kernels::max_similarity_before(ranked.view(), threads, max_sim.data(), max_idx.data(),
                                   workspace, ctx.cancel_flag.get());
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    for (int64_t r = 0; r < n; ++r) {
      if (static_cast<double>(max_sim[r]) < threshold) continue;
      result.rows.push_back(rows[static_cast<size_t>(order[r])]);
      result.max_rows.push_back(rows[static_cast<size_t>(order[max_idx[r]])]);
      result.scores.push_back(max_sim[r]);
    }
  }
  // Ascending row order.
  std::vector<size_t> by_row(result.rows.size());
  for (size_t i = 0; i < by_row.size(); ++i) by_row[i] = i;
  std::sort(by_row.begin(), by_row.end(),
            [&](size_t a, size_t b) { return result.rows[a] < result.rows[b]; });
  InMemoryDuplicates sorted;
  for (size_t i : by_row) {
    sorted.rows.push_back(result.rows[i]);
    sorted.max_rows.push_back(result.max_rows[i]);
    sorted.scores.push_back(result.scores[i]);
  }
  sorted.labels = std::move(fit.labels);
  return sorted;
}

}  // namespace semdedup::dedup
