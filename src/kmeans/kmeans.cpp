#include "semdedup/kmeans/kmeans.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "kmeans/bounded_assign.hpp"
#include "kmeans/fit_rows.hpp"
#include "kmeans/init.hpp"
#include "kmeans/reseed.hpp"
#include "semdedup/core/rng.hpp"
#include "semdedup/kernels/isa.hpp"

namespace semdedup::kmeans {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The seed of run r > 0 (CounterRng stream 5; kmeans/init uses the others).
constexpr uint64_t kStreamRunSeeds = 5;
// The fixed-point centroid sums are exact for |value| <= 2 (see centroid_update.hpp).
constexpr float kMaxAbsValue = 2.0f;

struct RunResult {
  Matrix centroids;
  double inertia = 0.0;
  int64_t n_iter = 0;
  std::vector<IterationStats> history;
  std::vector<int32_t> labels;
};

// The Lloyd iterations of one run from `centroids`.
Result<RunResult> lloyd(ShardRows& rows, Matrix centroids, int64_t run) {
  const Context& ctx = rows.ctx();
  const FitParams& params = rows.params();
  const int64_t k = centroids.rows();
  const int64_t dim = centroids.cols();
  const int64_t n = rows.shard().rows;
  RunResult result;
  result.labels.resize(static_cast<size_t>(n));
  std::vector<float> sq(static_cast<size_t>(n));
  std::vector<int64_t> sums(static_cast<size_t>(k * dim)), counts(static_cast<size_t>(k));
  std::vector<int64_t> workspace(
      static_cast<size_t>(kernels::accumulate_workspace_size(n, k, dim, ctx.threads)));
  ProgressTask progress(*ctx.progress, "k-means", params.max_iter, "iterations");
  std::vector<uint8_t> reseeded(static_cast<size_t>(k), 0);
  BoundedAssignment bounded(rows, params.bounded_assignment);
  Matrix before(k, dim);
  for (int64_t iteration = 1; iteration <= params.max_iter; ++iteration) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    const auto start = Clock::now();
    bounded.assign(centroids.view(), result.labels.data(), sq.data());
    const int64_t assigned = bounded.assigned_rows();
    SD_ASSIGN_OR_RETURN(const double inertia, rows.total(sq.data()));
    std::fill(sums.begin(), sums.end(), 0);
    std::fill(counts.begin(), counts.end(), 0);
    kernels::accumulate_centroid_sums(rows.x(), result.labels.data(), k, sums.data(), counts.data(),
                                      workspace.data(), ctx.threads);
    SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(sums.data(), k * dim));
    SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(counts.data(), k));
    // The centroids before the update, for the bounds' drift.
    std::memcpy(before.row(0), centroids.row(0), sizeof(float) * static_cast<size_t>(k * dim));
    // While Lloyd still moves, an empty cluster is re-seeded by splitting the largest one
    // (NeMo's cuML keeps it in place); the split's displacement counts as shift, so the loop
    // does not stop on it. Once nothing moves, empty clusters stay as they are.
    double shift = kernels::update_centroids(sums.data(), counts.data(), centroids.mutable_view());
    if (shift > 0.0) {
      shift += reseed_empty_clusters(counts.data(), centroids.mutable_view(), reseeded);
    }
    bounded.moved(before.view(), centroids.view(), result.labels.data());
    IterationStats stats{iteration, inertia, shift, seconds_since(start), assigned};
    result.history.push_back(stats);
    result.n_iter = iteration;
    progress.advance(1);
    ctx.logger->info("k-means run {} iteration {}: inertia {:.6f}, shift {:.3e}, {:.3f} s", run + 1,
                     iteration, inertia, shift, stats.seconds);
    ctx.logger->debug("k-means run {} iteration {}: {} of {} rows assigned against every centroid",
                      run + 1, iteration, assigned, n);
    // A shift of exactly 0 means no label changed: further iterations would repeat this one.
    if (shift < params.tol || shift == 0.0) break;
  }
  bounded.assign(centroids.view(), result.labels.data(), sq.data());
  SD_ASSIGN_OR_RETURN(result.inertia, rows.total(sq.data()));
  result.centroids = std::move(centroids);
  return result;
}

}  // namespace

Result<FitResult> fit(const Context& ctx, MatrixView x, const FitParams& params) {
  SD_RETURN_IF_ERROR(params.validate());
  SD_ASSIGN_OR_RETURN(const Shard shard, describe_shard(ctx, x.rows));
  if (params.n_clusters > shard.total) {
    return Status::invalid_argument("n_clusters ({}) exceeds the number of rows ({})",
                                    params.n_clusters, shard.total);
  }
  if (x.cols < 1) return Status::invalid_argument("k-means input has no columns");
  const int64_t bad = first_bad_row(x, ctx.threads, kMaxAbsValue);
  if (bad >= 0) {
    return Status::invalid_argument(
        "k-means input row {} is not L2-normalised (a value is NaN, infinite or beyond ±{})",
        shard.offset + bad, kMaxAbsValue);
  }

  Matrix given;
  if (params.init == InitMethod::kFile || params.init == InitMethod::kArray) {
    const bool file = params.init == InitMethod::kFile;
    if (file && params.init_centroids.rows() == 0) {
      return Status::invalid_argument("initial centroids {} were not read: read_init_file first",
                                      params.init_file);
    }
    given = params.init_centroids;
    SD_RETURN_IF_ERROR(
        check_initial_centroids(given.view(), params, x.cols, file ? params.init_file : "array"));
  }

  const int64_t runs = resolved_n_init(params);
  ctx.logger->info(
      "k-means: {} rows x {} dims, {} clusters, init {}, {} run(s), max_iter {}, tol {}, {} "
      "threads, {} assignment kernel",
      shard.total, x.cols, params.n_clusters, init_method_name(params.init), runs, params.max_iter,
      params.tol, ctx.threads,
      kernels::cpu_kernel_name(kernels::resolve_cpu_kernel(ctx.cpu_kernel)));

  ShardRows rows(ctx, x, params, shard);
  FitResult best;
  best.n_runs = runs;
  bool have_best = false;
  for (int64_t run = 0; run < runs; ++run) {
    const uint64_t seed =
        run == 0
            ? params.random_state
            : CounterRng(params.random_state, kStreamRunSeeds).bits(static_cast<uint64_t>(run));
    auto start = Clock::now();
    Matrix init;
    switch (params.init) {
      case InitMethod::kKMeansParallel: {
        SD_ASSIGN_OR_RETURN(init, init_kmeans_parallel(rows, seed));
        break;
      }
      case InitMethod::kRandom: {
        SD_ASSIGN_OR_RETURN(init, init_random(rows, seed));
        break;
      }
      case InitMethod::kFile:
      case InitMethod::kArray:
        init = given;
        break;
    }
    best.init_seconds += seconds_since(start);
    start = Clock::now();
    SD_ASSIGN_OR_RETURN(RunResult result, lloyd(rows, std::move(init), run));
    best.lloyd_seconds += seconds_since(start);
    ctx.logger->info("k-means run {}: {} iterations, inertia {:.6f}", run + 1, result.n_iter,
                     result.inertia);
    if (!have_best || result.inertia < best.inertia) {
      have_best = true;
      best.centroids = std::move(result.centroids);
      best.inertia = result.inertia;
      best.n_iter = result.n_iter;
      best.best_run = run;
      best.history = std::move(result.history);
      best.labels = std::move(result.labels);
    }
  }
  return best;
}

Status predict(const Context& ctx, MatrixView x, MatrixView centroids, int32_t* labels,
               float* sq_dist) {
  if (centroids.rows < 1) return Status::invalid_argument("predict needs at least one centroid");
  if (centroids.cols != x.cols) {
    return Status::invalid_argument("centroids have {} dimensions but the rows have {}",
                                    centroids.cols, x.cols);
  }
  if (x.rows == 0) return Status::OK();
  std::vector<float> norms(static_cast<size_t>(x.rows));
  kernels::squared_row_norms(x, norms.data(), ctx.threads);
  Assigner assigner(ctx, x.cols, x.rows);
  assigner.run(x, norms.data(), centroids, labels, sq_dist);
  return Status::OK();
}

void centroid_distances(const Context& ctx, MatrixView embeddings, MatrixView centroids,
                        const int32_t* labels, float* l2, float* cosine) {
  std::vector<double> norms(static_cast<size_t>(centroids.rows));
  for (int64_t c = 0; c < centroids.rows; ++c) {
    norms[static_cast<size_t>(c)] =
        std::sqrt(kernels::dot(centroids.row(c), centroids.row(c), centroids.cols));
  }
#pragma omp parallel for schedule(static) num_threads(ctx.threads)
  for (int64_t row = 0; row < embeddings.rows; ++row) {
    const float* e = embeddings.row(row);
    const int32_t label = labels[row];
    const float* c = centroids.row(label);
    l2[row] = static_cast<float>(std::sqrt(kernels::squared_distance(e, c, embeddings.cols)));
    const double norm = norms[static_cast<size_t>(label)];
    cosine[row] =
        norm > 0 ? static_cast<float>(1.0 - kernels::dot(e, c, embeddings.cols) / norm) : 1.0f;
  }
}

}  // namespace semdedup::kmeans
