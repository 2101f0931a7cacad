#include "pairwise/cluster_plan.hpp"

#include <algorithm>

#include "semdedup/core/communicator.hpp"
#include "semdedup/io/cluster.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::pairwise {

Result<ClusterPlan> plan_clusters(const Context& ctx, const Params& params,
                                  const std::vector<io::ClusterFiles>& clusters,
                                  const std::vector<std::string>& columns) {
  ClusterPlan plan;
  const bool resume = params.output_mode == io::OutputMode::kResume;
  const int rank = ctx.comm->rank(), ranks = ctx.comm->size();
  // Rows per cluster from the Parquet footers (-1: kept from an earlier run); under mpirun each
  // rank inspects every ranks-th cluster and the counts are summed.
  std::vector<int64_t> cluster_rows(clusters.size(), 0);
  Status inspected;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const std::string output =
        io::join_path(params.output_path, io::cluster_file_name(clusters[i].centroid));
    const bool owner = static_cast<int>(i % static_cast<size_t>(ranks)) == rank;
    if (!owner || !inspected.ok()) continue;
    if (resume && io::path_exists(output)) {
      cluster_rows[i] = -1;
      continue;
    }
    Result<int64_t> rows = io::inspect_cluster(clusters[i].files, columns, params.embedding_field,
                                               params.input_embedding_dtype);
    if (rows.ok()) {
      cluster_rows[i] = *rows;
    } else {
      inspected = rows.status();
    }
  }
  SD_RETURN_IF_ERROR(ctx.comm->agree(inspected));
  SD_RETURN_IF_ERROR(
      ctx.comm->allreduce_sum(cluster_rows.data(), static_cast<int64_t>(cluster_rows.size())));

  std::vector<Job> all_jobs;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const io::ClusterFiles& cluster = clusters[i];
    if (cluster_rows[i] < 0) {
      ++plan.clusters_resumed;
      continue;
    }
    if (cluster_rows[i] == 0) {
      if (rank == 0)
        ctx.logger->warn("No data found for cluster {} ({})", cluster.centroid, cluster.dir);
      ++plan.clusters_empty;
      continue;
    }
    Job job;
    job.cluster = &cluster;
    job.rows = cluster_rows[i];
    job.output = io::join_path(params.output_path, io::cluster_file_name(cluster.centroid));
    all_jobs.push_back(std::move(job));
  }
  // Largest first: the costs are quadratic, so the big ones set the wall time.
  std::stable_sort(all_jobs.begin(), all_jobs.end(),
                   [](const Job& a, const Job& b) { return a.rows > b.rows; });
  plan.clusters_to_compute = static_cast<int64_t>(all_jobs.size());
  for (const auto& job : all_jobs) plan.total_rows += job.rows;
  // Under mpirun each cluster, largest first, goes to the rank with the least estimated work
  // (the sum of N_c^2 of its clusters; ties to the lowest rank).
  std::vector<double> load(static_cast<size_t>(ranks), 0.0);
  for (Job& job : all_jobs) {
    const auto least = std::min_element(load.begin(), load.end()) - load.begin();
    load[static_cast<size_t>(least)] +=
        static_cast<double>(job.rows) * static_cast<double>(job.rows);
    if (least == rank) plan.jobs.push_back(std::move(job));
  }
  return plan;
}

}  // namespace semdedup::pairwise
