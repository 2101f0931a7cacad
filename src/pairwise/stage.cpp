#include "semdedup/pairwise/stage.hpp"

#include <arrow/table.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>
#include <vector>

#include "pairwise/cluster_plan.hpp"
#include "semdedup/core/communicator.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/cluster.hpp"
#include "semdedup/io/cluster_discovery.hpp"
#include "semdedup/io/pairwise_results.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/kernels/isa.hpp"
#include "semdedup/kernels/pairwise.hpp"
#include "semdedup/pairwise/ranking.hpp"

namespace semdedup::pairwise {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Puts the rows of `embeddings` in ranked order in place: row r becomes the former row
// order[r] (`order` is a permutation). Each cycle of the permutation is walked once with one row
// set aside, so the cluster is never held twice (a ranked copy would double its memory).
void rank_rows_in_place(Matrix& embeddings, const std::vector<int64_t>& order) {
  const int64_t rows = embeddings.rows();
  const auto bytes = static_cast<size_t>(embeddings.cols()) * sizeof(float);
  std::vector<float> set_aside(static_cast<size_t>(embeddings.cols()));
  std::vector<char> placed(static_cast<size_t>(rows), 0);
  for (int64_t start = 0; start < rows; ++start) {
    if (placed[start]) continue;
    placed[start] = 1;
    if (order[start] == start) continue;
    std::memcpy(set_aside.data(), embeddings.row(start), bytes);
    int64_t row = start;
    for (int64_t from = order[row]; from != start; row = from, from = order[row]) {
      std::memcpy(embeddings.row(row), embeddings.row(from), bytes);
      placed[from] = 1;
    }
    std::memcpy(embeddings.row(row), set_aside.data(), bytes);
  }
}

Status process_cluster(const Context& ctx, const Job& job, const Ranking& ranking,
                       const std::vector<std::string>& columns, const Params& params, int threads,
                       kernels::PairwiseWorkspace& workspace) {
  const auto start = Clock::now();
  const io::ClusterFiles& cluster = *job.cluster;
  SD_ASSIGN_OR_RETURN(io::ClusterData data,
                      io::read_cluster(cluster.files, columns, params.embedding_field,
                                       params.input_embedding_dtype));
  const auto ranked_order = rank(ranking, *data.columns);
  if (!ranked_order.ok()) {
    return ranked_order.status().with_context(fmt::format("cluster {} ({})", cluster.centroid,
                                                          cluster.dir));
  }
  const std::vector<int64_t>& order = *ranked_order;
  const int64_t rows = data.embeddings.rows();
  Matrix ranked = std::move(data.embeddings);
  rank_rows_in_place(ranked, order);

  std::vector<float> max_sim(static_cast<size_t>(rows));
  std::vector<int64_t> max_idx(static_cast<size_t>(rows));
  workspace.reserve(rows, ranked.cols(), threads);
  kernels::max_similarity_before(ranked.view(), threads, max_sim.data(), max_idx.data(),
                                 workspace, ctx.cancel_flag.get());
  SD_RETURN_IF_ERROR(ctx.check_cancelled());
  SD_RETURN_IF_ERROR(
      io::write_pairwise_result(job.output, data.columns->column(0), order, max_idx, max_sim));
  ctx.logger->debug("Pairwise computation for cluster {} with {} rows done in {:.3f} seconds",
                    cluster.centroid, rows, seconds_since(start));
  return Status::OK();
}

// Runs process_cluster without letting an exception escape (an OpenMP region cannot carry one).
Status process_cluster_guarded(const Context& ctx, const Job& job, const Ranking& ranking,
                               const std::vector<std::string>& columns, const Params& params,
                               int threads, kernels::PairwiseWorkspace& workspace) {
  try {
    return process_cluster(ctx, job, ranking, columns, params, threads, workspace);
  } catch (const std::bad_alloc&) {
    return Status::io_error("cluster {} ({} rows): out of memory", job.cluster->centroid,
                            job.rows);
  } catch (const std::exception& e) {
    return Status::internal("cluster {}: {}", job.cluster->centroid, e.what());
  }
}

void remove_outputs(const std::vector<Job>& jobs, const std::vector<char>& written,
                    const std::string& dir, bool created_dir) {
  for (size_t k = 0; k < jobs.size(); ++k) {
    if (written[k]) (void)io::remove_file(jobs[k].output);
  }
  if (created_dir && io::list_directory(dir).value_or({}).empty()) (void)io::remove_all(dir);
}

}  // namespace

Result<StageResult> run_stage(const Context& ctx, const Params& params) {
  const auto start = Clock::now();
  SD_RETURN_IF_ERROR(params.validate());
  if (ctx.device != Device::kCpu) {
    return Status::not_implemented("the pairwise stage on this device is not built");
  }
  SD_ASSIGN_OR_RETURN(const Ranking ranking, ranking_for(params));
  SD_ASSIGN_OR_RETURN(const std::vector<io::ClusterFiles> clusters,
                      io::discover_clusters(params.input_path));

  std::vector<std::string> columns{params.id_field};
  for (const auto& name : ranking.columns()) {
    if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
  }

  StageResult result;
  result.clusters = static_cast<int64_t>(clusters.size());
  SD_ASSIGN_OR_RETURN(ClusterPlan plan, plan_clusters(ctx, params, clusters, columns));
  result.clusters_resumed = plan.clusters_resumed;
  result.clusters_empty = plan.clusters_empty;
  const std::vector<Job>& jobs = plan.jobs;
  const int rank = ctx.comm->rank();

  const bool created_dir = !io::path_exists(params.output_path);
  SD_RETURN_IF_ERROR(ctx.comm->agree(
      rank == 0 ? io::prepare_output_dir(params.output_path, params.output_mode) : Status::OK()));

  ctx.logger->info("pairwise: {} clusters to compute ({} rows), {} resumed, {} empty, {} kernel",
                   plan.clusters_to_compute, plan.total_rows, result.clusters_resumed,
                   result.clusters_empty,
                   kernels::cpu_kernel_name(kernels::PairwiseWorkspace(ctx.cpu_kernel).kernel()));
  ctx.logger->info("pairwise: compute dtype {}: similarities are dot products of the stored "
                   "embeddings (fp16 storage widened exactly) summed in double, stored as "
                   "float32{}",
                   compute_dtype_name(params.compute_dtype),
                   params.compute_dtype == ComputeDtype::kFloat16
                       ? "; NeMo's fp16 arithmetic is not used, decisions stay exact"
                       : "");
  int64_t my_rows = 0;
  for (const auto& job : jobs) my_rows += job.rows;
  ProgressTask progress(*ctx.progress, "pairwise", my_rows, "rows");

  const int threads = std::max(1, ctx.threads);
  // A cluster with at least two column tiles per thread keeps every thread busy on its own;
  // smaller ones are computed concurrently, one per thread.
  const int64_t big_rows = 2 * threads * kernels::kPairwiseMaxTile;
  const auto first_small = std::find_if(jobs.begin(), jobs.end(),
                                        [&](const Job& job) { return job.rows < big_rows; });
  const auto small_begin = static_cast<int64_t>(first_small - jobs.begin());
  const auto job_count = static_cast<int64_t>(jobs.size());

  std::vector<Status> statuses(jobs.size());
  std::vector<char> written(jobs.size(), 0);
  {
    kernels::PairwiseWorkspace workspace(ctx.cpu_kernel);
    for (int64_t k = 0; k < small_begin; ++k) {
      statuses[k] = ctx.check_cancelled();
      if (statuses[k].ok()) {
        statuses[k] = process_cluster_guarded(ctx, jobs[k], ranking, columns, params, threads,
                                              workspace);
      }
      if (!statuses[k].ok()) break;
      written[k] = 1;
      progress.advance(jobs[k].rows);
    }
  }
  const bool big_ok = std::all_of(statuses.begin(), statuses.begin() + small_begin,
                                  [](const Status& st) { return st.ok(); });
  if (big_ok && small_begin < job_count) {
    std::atomic<bool> failed{false};
#pragma omp parallel num_threads(threads)
    {
      kernels::PairwiseWorkspace workspace(ctx.cpu_kernel);
#pragma omp for schedule(dynamic, 1)
      for (int64_t k = small_begin; k < job_count; ++k) {
        if (failed.load(std::memory_order_relaxed)) continue;
        Status st = ctx.check_cancelled();
        if (st.ok()) st = process_cluster_guarded(ctx, jobs[k], ranking, columns, params, 1,
                                                  workspace);
        if (st.ok()) {
          written[k] = 1;
          progress.advance(jobs[k].rows);
        } else {
          statuses[k] = std::move(st);
          failed.store(true, std::memory_order_relaxed);
        }
      }
    }
  }

  Status local;
  for (const Status& st : statuses) {
    if (!st.ok()) {
      local = st;
      break;
    }
  }
  if (Status st = ctx.comm->agree(local); !st.ok()) {
    // A cancelled run keeps its finished clusters for --resume; a failed one leaves nothing.
    // Every rank removes its own files; once all have, rank 0 removes the directory it made.
    const bool keep = st.code() == StatusCode::kCancelled;
    if (!keep) remove_outputs(jobs, written, params.output_path, false);
    SD_RETURN_IF_ERROR(ctx.comm->agree(Status::OK()));
    if (!keep && rank == 0) remove_outputs({}, {}, params.output_path, created_dir);
    return st;
  }
  std::vector<int64_t> totals{static_cast<int64_t>(jobs.size()), 0};
  for (const Job& job : jobs) totals[1] += job.rows;
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(totals.data(), 2));
  result.clusters_written = totals[0];
  result.rows = totals[1];
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace semdedup::pairwise
