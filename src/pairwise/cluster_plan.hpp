#pragma once
// What the ranks of a Pairwise run agree on before any cluster is read: the row count of every
// cluster (from the Parquet footers; clusters already written skipped under --resume), and
// which clusters each rank computes. The KMeans stage's row plan does the same for rows.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/cluster_discovery.hpp"
#include "semdedup/pairwise/params.hpp"

namespace semdedup::pairwise {

/// One cluster to compute.
struct Job {
  const io::ClusterFiles* cluster = nullptr;
  int64_t rows = 0;  ///< from the Parquet footers
  std::string output;
};

struct ClusterPlan {
  /// This rank's clusters, largest first.
  std::vector<Job> jobs;
  int64_t clusters_to_compute = 0;  ///< over every rank
  int64_t total_rows = 0;           ///< rows of those clusters
  int64_t clusters_resumed = 0;     ///< kResume: output already there
  int64_t clusters_empty = 0;       ///< no rows (warned about on rank 0)
};

/// The plan for `clusters` (which outlive it), reading `columns` and the embedding. Each rank
/// inspects every ranks-th cluster and the counts are summed; then each cluster, largest first,
/// goes to the rank with the least estimated work (the sum of N_c^2 of its clusters; ties to
/// the lowest rank). Collective.
Result<ClusterPlan> plan_clusters(const Context& ctx, const Params& params,
                                  const std::vector<io::ClusterFiles>& clusters,
                                  const std::vector<std::string>& columns);

}  // namespace semdedup::pairwise
