#include "semdedup/kmeans/kmeans.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <span>

#include "semdedup/core/communicator.hpp"
#include "semdedup/core/rng.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/kernels/centroid_update.hpp"
#include "semdedup/kernels/assign_bf16.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kernels/isa.hpp"
#include "kmeans/assigner.hpp"
#include "kmeans/reseed.hpp"

namespace semdedup::kmeans {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CounterRng streams: each random decision of the fit draws from its own stream, keyed by the
// global row index (or a draw counter), so no draw depends on threads or ranks.
constexpr uint64_t kStreamFirstCentre = 1;
constexpr uint64_t kStreamTopUp = 2;
constexpr uint64_t kStreamRandomInit = 4;
constexpr uint64_t kStreamRunSeeds = 5;
constexpr uint64_t kStreamInitSample = 6;
constexpr uint64_t kStreamRoundBase = 16;  // + round number

constexpr int kMaxParallelRounds = 8;
// k-means|| runs on a seeded sample of about this many rows per cluster when the data has more
// than twice as many; Lloyd then runs on every row.
constexpr int64_t kInitSampleRowsPerCluster = 256;
// The fixed-point centroid sums are exact for |value| <= 2 (see centroid_update.hpp).
constexpr float kMaxAbsValue = 2.0f;

// Where this rank's rows sit among all ranks' rows.
struct Shard {
  int64_t rows = 0;    // this rank's
  int64_t total = 0;   // all ranks'
  int64_t offset = 0;  // global index of this rank's first row
};

Result<Shard> describe_shard(const Context& ctx, int64_t rows) {
  std::vector<uint8_t> mine(sizeof(int64_t));
  std::memcpy(mine.data(), &rows, sizeof(int64_t));
  std::vector<std::vector<uint8_t>> all;
  SD_RETURN_IF_ERROR(ctx.comm->allgather(mine, &all));
  Shard shard;
  shard.rows = rows;
  for (int rank = 0; rank < static_cast<int>(all.size()); ++rank) {
    int64_t count = 0;
    std::memcpy(&count, all[static_cast<size_t>(rank)].data(), sizeof(int64_t));
    if (rank < ctx.comm->rank()) shard.offset += count;
    shard.total += count;
  }
  return shard;
}

// First row (lowest index) holding a value that is not finite or exceeds kMaxAbsValue, or -1.
int64_t first_bad_row(MatrixView x, int threads, float max_abs) {
  int64_t bad = std::numeric_limits<int64_t>::max();
#pragma omp parallel for schedule(static) reduction(min : bad) num_threads(threads)
  for (int64_t row = 0; row < x.rows; ++row) {
    const float* v = x.row(row);
    for (int64_t j = 0; j < x.cols; ++j) {
      if (!(std::fabs(v[j]) <= max_abs)) {
        bad = std::min(bad, row);
        break;
      }
    }
  }
  return bad == std::numeric_limits<int64_t>::max() ? -1 : bad;
}

// Rows gathered from every rank, in global row order.
struct Gathered {
  Matrix rows;
  std::vector<int64_t> indices;
};

struct RunResult {
  Matrix centroids;
  double inertia = 0.0;
  int64_t n_iter = 0;
  std::vector<IterationStats> history;
  std::vector<int32_t> labels;
};

class Fitter {
 public:
  Fitter(const Context& ctx, MatrixView x, const FitParams& params, Shard shard)
      : ctx_(ctx),
        x_(x),
        params_(params),
        shard_(shard),
        x_norms_(static_cast<size_t>(x.rows)),
        assigner_(ctx, x.cols, params.max_samples_per_batch) {
    kernels::squared_row_norms(x_, x_norms_.data(), ctx_.threads);
  }

  void assign(MatrixView centroids, int32_t* labels, float* sq_dist) {
    assigner_.run(x_, x_norms_.data(), centroids, labels, sq_dist);
  }

  // Σ values over all ranks' rows, exact.
  Result<double> total(const float* values) {
    const kernels::FixedSum local = kernels::fixed_point_sum(values, shard_.rows, ctx_.threads);
    int64_t limbs[2] = {local.hi, local.lo};
    SD_RETURN_IF_ERROR(ctx_.comm->allreduce_sum(limbs, 2));
    return kernels::FixedSum{limbs[0], limbs[1]}.value();
  }

  // The rows with the given global indices that this rank owns, gathered from every rank.
  Result<Gathered> gather_rows(std::span<const int64_t> global_rows) {
    const int64_t dim = x_.cols;
    const size_t row_bytes = sizeof(int64_t) + sizeof(float) * static_cast<size_t>(dim);
    std::vector<uint8_t> mine;
    for (const int64_t g : global_rows) {
      const int64_t local = g - shard_.offset;
      if (local < 0 || local >= shard_.rows) continue;
      const size_t at = mine.size();
      mine.resize(at + row_bytes);
      std::memcpy(mine.data() + at, &g, sizeof(int64_t));
      std::memcpy(mine.data() + at + sizeof(int64_t), x_.row(local), row_bytes - sizeof(int64_t));
    }
    std::vector<std::vector<uint8_t>> all;
    SD_RETURN_IF_ERROR(ctx_.comm->allgather(mine, &all));
    int64_t count = 0;
    for (const auto& bytes : all) count += static_cast<int64_t>(bytes.size() / row_bytes);
    Gathered out;
    out.rows = Matrix(count, dim);
    out.indices.reserve(static_cast<size_t>(count));
    int64_t row = 0;
    for (const auto& bytes : all) {
      for (size_t at = 0; at < bytes.size(); at += row_bytes, ++row) {
        int64_t g = 0;
        std::memcpy(&g, bytes.data() + at, sizeof(int64_t));
        out.indices.push_back(g);
        std::memcpy(out.rows.row(row), bytes.data() + at + sizeof(int64_t),
                    row_bytes - sizeof(int64_t));
      }
    }
    return out;
  }

  Result<Matrix> init_random(uint64_t seed) {
    // Floyd's algorithm: k distinct global rows from k draws, taken in row order.
    const int64_t k = params_.n_clusters;
    const CounterRng rng(seed, kStreamRandomInit);
    std::set<int64_t> picked;
    for (int64_t j = shard_.total - k; j < shard_.total; ++j) {
      const auto t =
          static_cast<int64_t>(rng.below(static_cast<uint64_t>(j), static_cast<uint64_t>(j + 1)));
      picked.insert(picked.count(t) ? j : t);
    }
    const std::vector<int64_t> rows(picked.begin(), picked.end());
    SD_ASSIGN_OR_RETURN(Gathered gathered, gather_rows(rows));
    return std::move(gathered.rows);
  }

  // k-means|| (Bahmani et al. 2012) as cuML runs it: see spec section 5.
  Result<Matrix> init_kmeans_parallel(uint64_t seed) {
    const int64_t k = params_.n_clusters;
    const int64_t n = shard_.rows;
    const double ell = params_.oversampling_factor * static_cast<double>(k);
    std::vector<uint8_t> is_candidate(static_cast<size_t>(n), 0);
    std::set<int64_t> chosen;

    const int64_t first = static_cast<int64_t>(
        CounterRng(seed, kStreamFirstCentre).below(0, static_cast<uint64_t>(shard_.total)));
    SD_ASSIGN_OR_RETURN(Gathered gathered, gather_rows(std::span<const int64_t>(&first, 1)));
    Matrix candidates = std::move(gathered.rows);
    auto mark = [&](const std::vector<int64_t>& indices) {
      for (const int64_t g : indices) {
        chosen.insert(g);
        if (g >= shard_.offset && g < shard_.offset + n)
          is_candidate[static_cast<size_t>(g - shard_.offset)] = 1;
      }
    };
    mark(gathered.indices);

    std::vector<float> min_sq(static_cast<size_t>(n)), round_sq(static_cast<size_t>(n));
    std::vector<int32_t> labels(static_cast<size_t>(n));
    assign(candidates.view(), labels.data(), min_sq.data());
    // nearest[row]: the candidate closest to the row so far. Candidates are compared in index
    // order with a strict '<', and a (row, candidate) distance has the same bits in every GEMM
    // tile, so this equals a full argmin over all candidates (ties to the lowest index) without
    // a second pass over the rows.
    std::vector<int32_t> nearest = labels;
    SD_ASSIGN_OR_RETURN(const double psi, total(min_sq.data()));
    const int rounds =
        psi > 1.0 ? std::min(kMaxParallelRounds, static_cast<int>(std::ceil(std::log(psi)))) : 0;
    ctx_.logger->debug("k-means||: initial cost {:.6g}, {} rounds, oversampling {} per round", psi,
                       rounds, ell);

    std::vector<uint8_t> sampled(static_cast<size_t>(n));
    for (int round = 0; round < rounds; ++round) {
      SD_RETURN_IF_ERROR(ctx_.check_cancelled());
      SD_ASSIGN_OR_RETURN(const double phi, total(min_sq.data()));
      if (!(phi > 0)) break;
      const CounterRng rng(seed, kStreamRoundBase + static_cast<uint64_t>(round));
#pragma omp parallel for schedule(static) num_threads(ctx_.threads)
      for (int64_t row = 0; row < n; ++row) {
        const double p =
            std::min(1.0, ell * static_cast<double>(min_sq[static_cast<size_t>(row)]) / phi);
        sampled[static_cast<size_t>(row)] =
            !is_candidate[static_cast<size_t>(row)] && min_sq[static_cast<size_t>(row)] > 0 &&
            rng.uniform(static_cast<uint64_t>(shard_.offset + row)) < p;
      }
      std::vector<int64_t> picked;
      for (int64_t row = 0; row < n; ++row) {
        if (sampled[static_cast<size_t>(row)]) picked.push_back(shard_.offset + row);
      }
      SD_ASSIGN_OR_RETURN(Gathered fresh, gather_rows(picked));
      ctx_.logger->debug("k-means|| round {}: cost {:.6g}, {} new candidates", round + 1, phi,
                         fresh.rows.rows());
      if (fresh.rows.rows() == 0) continue;
      mark(fresh.indices);
      assign(fresh.rows.view(), labels.data(), round_sq.data());
      const auto base = static_cast<int32_t>(candidates.rows());
      for (int64_t row = 0; row < n; ++row) {
        const auto r = static_cast<size_t>(row);
        if (round_sq[r] < min_sq[r]) {
          min_sq[r] = round_sq[r];
          nearest[r] = base + labels[r];
        }
      }
      candidates.append(fresh.rows.view());
    }

    bool nearest_known = true;
    if (candidates.rows() < k) {
      nearest_known = false;
      // Too few candidates (tiny or highly duplicated input): top up with random rows.
      const CounterRng rng(seed, kStreamTopUp);
      std::vector<int64_t> extra;
      for (uint64_t draw = 0; static_cast<int64_t>(chosen.size()) < k; ++draw) {
        const auto g = static_cast<int64_t>(rng.below(draw, static_cast<uint64_t>(shard_.total)));
        if (chosen.insert(g).second) extra.push_back(g);
      }
      std::sort(extra.begin(), extra.end());
      SD_ASSIGN_OR_RETURN(Gathered top_up, gather_rows(extra));
      candidates.append(top_up.rows.view());
    }
    if (candidates.rows() == k) return candidates;

    // Weight of a candidate = number of rows nearest to it, over all ranks.
    const int64_t m = candidates.rows();
    if (!nearest_known) assign(candidates.view(), nearest.data(), nullptr);
    std::vector<int64_t> weights(static_cast<size_t>(m), 0);
    for (const int32_t label : nearest) ++weights[static_cast<size_t>(label)];
    SD_RETURN_IF_ERROR(ctx_.comm->allreduce_sum(weights.data(), m));
    ctx_.logger->debug("k-means||: reducing {} weighted candidates to {} centres", m, k);
    return reduce_candidates(ctx_, candidates, weights, k, seed);
  }

  Result<RunResult> lloyd(Matrix centroids, int64_t run) {
    const int64_t k = centroids.rows();
    const int64_t dim = centroids.cols();
    const int64_t n = shard_.rows;
    RunResult result;
    result.labels.resize(static_cast<size_t>(n));
    std::vector<float> sq(static_cast<size_t>(n));
    std::vector<int64_t> sums(static_cast<size_t>(k * dim)), counts(static_cast<size_t>(k));
    std::vector<int64_t> workspace(static_cast<size_t>(kernels::accumulate_workspace_size(n, k, dim, ctx_.threads)));
    ProgressTask progress(*ctx_.progress, "k-means", params_.max_iter, "iterations");
    std::vector<uint8_t> reseeded(static_cast<size_t>(k), 0);
    for (int64_t iteration = 1; iteration <= params_.max_iter; ++iteration) {
      SD_RETURN_IF_ERROR(ctx_.check_cancelled());
      const auto start = Clock::now();
      assign(centroids.view(), result.labels.data(), sq.data());
      SD_ASSIGN_OR_RETURN(const double inertia, total(sq.data()));
      std::fill(sums.begin(), sums.end(), 0);
      std::fill(counts.begin(), counts.end(), 0);
      kernels::accumulate_centroid_sums(x_, result.labels.data(), k, sums.data(), counts.data(),
                                        workspace.data(), ctx_.threads);
      SD_RETURN_IF_ERROR(ctx_.comm->allreduce_sum(sums.data(), k * dim));
      SD_RETURN_IF_ERROR(ctx_.comm->allreduce_sum(counts.data(), k));
      // While Lloyd still moves, an empty cluster is re-seeded by splitting the largest one
      // (NeMo's cuML keeps it in place); the split's displacement counts as shift, so the loop
      // does not stop on it. Once nothing moves, empty clusters stay as they are.
      double shift =
          kernels::update_centroids(sums.data(), counts.data(), centroids.mutable_view());
      if (shift > 0.0) {
        shift += reseed_empty_clusters(counts.data(), centroids.mutable_view(), reseeded);
      }
      IterationStats stats{iteration, inertia, shift, seconds_since(start)};
      result.history.push_back(stats);
      result.n_iter = iteration;
      progress.advance(1);
      ctx_.logger->info("k-means run {} iteration {}: inertia {:.6f}, shift {:.3e}, {:.3f} s",
                        run + 1, iteration, inertia, shift, stats.seconds);
      // A shift of exactly 0 means no label changed: further iterations would repeat this one.
      if (shift < params_.tol || shift == 0.0) break;
    }
    assign(centroids.view(), result.labels.data(), sq.data());
    SD_ASSIGN_OR_RETURN(result.inertia, total(sq.data()));
    result.centroids = std::move(centroids);
    return result;
  }

 private:
  const Context& ctx_;
  MatrixView x_;
  const FitParams& params_;
  Shard shard_;
  std::vector<float> x_norms_;
  Assigner assigner_;
};

// k-means|| on a seeded sample: global row g is in it when CounterRng(seed, kStreamInitSample)
// draws below the sampling fraction for g, whichever rank holds it, so the sample (and the
// centres) do not depend on the rank count.
Result<Matrix> init_kmeans_parallel_sampled(const Context& ctx, MatrixView x,
                                            const FitParams& params, Shard shard, uint64_t seed,
                                            Fitter& full) {
  const int64_t target = kInitSampleRowsPerCluster * params.n_clusters;
  if (shard.total <= 2 * target) return full.init_kmeans_parallel(seed);
  const double fraction = static_cast<double>(target) / static_cast<double>(shard.total);
  const CounterRng rng(seed, kStreamInitSample);
  std::vector<int64_t> picked;
  for (int64_t row = 0; row < x.rows; ++row) {
    if (rng.uniform(static_cast<uint64_t>(shard.offset + row)) < fraction) picked.push_back(row);
  }
  Matrix sample(static_cast<int64_t>(picked.size()), x.cols);
  for (size_t i = 0; i < picked.size(); ++i) {
    std::memcpy(sample.row(static_cast<int64_t>(i)), x.row(picked[i]),
                sizeof(float) * static_cast<size_t>(x.cols));
  }
  SD_ASSIGN_OR_RETURN(const Shard sample_shard, describe_shard(ctx, sample.rows()));
  if (sample_shard.total < params.n_clusters) return full.init_kmeans_parallel(seed);
  ctx.logger->debug("k-means||: on a sample of {} of {} rows", sample_shard.total, shard.total);
  Fitter on_sample(ctx, sample.view(), params, sample_shard);
  return on_sample.init_kmeans_parallel(seed);
}

Status check_initial_centroids(MatrixView init, const FitParams& params, int64_t dim,
                               const std::string& source) {
  if (init.rows != params.n_clusters || init.cols != dim) {
    return Status::invalid_argument(
        "initial centroids {} have shape ({}, {}) but n_clusters is {} and the rows have {} "
        "dimensions",
        source, init.rows, init.cols, params.n_clusters, dim);
  }
  const int64_t bad = first_bad_row(init, 1, std::numeric_limits<float>::max());
  if (bad >= 0) {
    return Status::invalid_argument("initial centroids {}: row {} has a NaN or infinite value",
                                    source, bad);
  }
  return Status::OK();
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
  if (params.init == InitMethod::kFile) {
    SD_ASSIGN_OR_RETURN(given, io::read_npy(params.init_file));
    SD_RETURN_IF_ERROR(check_initial_centroids(given.view(), params, x.cols, params.init_file));
  } else if (params.init == InitMethod::kArray) {
    given = params.init_centroids;
    SD_RETURN_IF_ERROR(check_initial_centroids(given.view(), params, x.cols, "array"));
  }

  const int64_t runs = resolved_n_init(params);
  ctx.logger->info(
      "k-means: {} rows x {} dims, {} clusters, init {}, {} run(s), max_iter {}, tol {}, {} "
      "threads, {} assignment kernel",
      shard.total, x.cols, params.n_clusters, init_method_name(params.init), runs, params.max_iter,
      params.tol, ctx.threads, kernels::cpu_kernel_name(kernels::resolve_cpu_kernel(ctx.cpu_kernel)));

  Fitter fitter(ctx, x, params, shard);
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
        SD_ASSIGN_OR_RETURN(init, init_kmeans_parallel_sampled(ctx, x, params, shard, seed, fitter));
        break;
      }
      case InitMethod::kRandom: {
        SD_ASSIGN_OR_RETURN(init, fitter.init_random(seed));
        break;
      }
      case InitMethod::kFile:
      case InitMethod::kArray:
        init = given;
        break;
    }
    best.init_seconds += seconds_since(start);
    start = Clock::now();
    SD_ASSIGN_OR_RETURN(RunResult result, fitter.lloyd(std::move(init), run));
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
