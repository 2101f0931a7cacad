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
#include "semdedup/kernels/distance.hpp"

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
constexpr uint64_t kStreamReduce = 3;
constexpr uint64_t kStreamRandomInit = 4;
constexpr uint64_t kStreamRunSeeds = 5;
constexpr uint64_t kStreamRoundBase = 16;  // + round number

constexpr int kMaxParallelRounds = 8;
constexpr int kReduceLloydSteps = 10;
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

// Assignment of `rows` to `centroids` in batches of whole GEMM tiles; the batch size bounds
// how many tiles are in flight, never the bits of a result.
class Assigner {
 public:
  Assigner(int threads, int64_t dim, int64_t batch_rows)
      : threads_(threads),
        batch_rows_(
            std::max<int64_t>(1, (batch_rows + kernels::kTileRows - 1) / kernels::kTileRows) *
            kernels::kTileRows),
        workspace_(static_cast<size_t>(kernels::assign_workspace_floats(dim, threads))) {}

  void run(MatrixView rows, const float* row_norms, MatrixView centroids, int32_t* labels,
           float* sq_dist) {
    centroid_norms_.resize(static_cast<size_t>(centroids.rows));
    kernels::squared_row_norms(centroids, centroid_norms_.data(), threads_);
    for (int64_t first = 0; first < rows.rows; first += batch_rows_) {
      const int64_t count = std::min(batch_rows_, rows.rows - first);
      kernels::assign_nearest(rows.slice_rows(first, count), row_norms + first, centroids,
                              centroid_norms_.data(), labels + first,
                              sq_dist ? sq_dist + first : nullptr, workspace_.data(), threads_);
    }
  }

 private:
  int threads_;
  int64_t batch_rows_;
  AlignedVector<float> workspace_;
  std::vector<float> centroid_norms_;
};

// Weighted k-means++ over the k-means|| candidates, then a few weighted Lloyd steps. Every rank
// holds the same candidates and weights, so every rank computes the same centres.
Matrix reduce_candidates(const Context& ctx, const Matrix& candidates,
                         const std::vector<int64_t>& weights, int64_t k, uint64_t seed) {
  const int64_t m = candidates.rows();
  const int64_t dim = candidates.cols();
  const CounterRng rng(seed, kStreamReduce);
  uint64_t draw = 0;
  Matrix centres(k, dim);
  std::vector<double> nearest(static_cast<size_t>(m), std::numeric_limits<double>::infinity());
  std::vector<uint8_t> taken(static_cast<size_t>(m), 0);

  auto take = [&](int64_t index, int64_t slot) {
    taken[static_cast<size_t>(index)] = 1;
    std::memcpy(centres.row(slot), candidates.row(index), sizeof(float) * static_cast<size_t>(dim));
    const float* centre = centres.row(slot);
#pragma omp parallel for schedule(static) num_threads(ctx.threads)
    for (int64_t i = 0; i < m; ++i) {
      const double d = kernels::squared_distance_fast(candidates.row(i), centre, dim);
      nearest[static_cast<size_t>(i)] = std::min(nearest[static_cast<size_t>(i)], d);
    }
  };

  // First centre: probability proportional to weight (exact integer arithmetic).
  int64_t total_weight = 0;
  for (const int64_t w : weights) total_weight += w;
  {
    const auto target =
        static_cast<int64_t>(rng.below(draw++, static_cast<uint64_t>(total_weight)));
    int64_t cumulative = 0, first = m - 1;
    for (int64_t i = 0; i < m; ++i) {
      cumulative += weights[static_cast<size_t>(i)];
      if (cumulative > target) {
        first = i;
        break;
      }
    }
    take(first, 0);
  }
  // Next centres: probability proportional to weight × squared distance to the nearest centre.
  for (int64_t slot = 1; slot < k; ++slot) {
    double total = 0.0;
    int64_t last_positive = -1;
    for (int64_t i = 0; i < m; ++i) {
      if (taken[static_cast<size_t>(i)]) continue;
      const double mass =
          static_cast<double>(weights[static_cast<size_t>(i)]) * nearest[static_cast<size_t>(i)];
      if (mass > 0) {
        total += mass;
        last_positive = i;
      }
    }
    int64_t pick = -1;
    if (total > 0) {
      const double target = rng.uniform(draw++) * total;
      double cumulative = 0.0;
      for (int64_t i = 0; i < m && pick < 0; ++i) {
        if (taken[static_cast<size_t>(i)]) continue;
        const double mass =
            static_cast<double>(weights[static_cast<size_t>(i)]) * nearest[static_cast<size_t>(i)];
        if (mass <= 0) continue;
        cumulative += mass;
        if (cumulative > target) pick = i;
      }
      if (pick < 0) pick = last_positive;
    } else {
      // Every remaining candidate coincides with a centre: take one uniformly at random.
      auto nth = static_cast<int64_t>(rng.below(draw++, static_cast<uint64_t>(m - slot)));
      for (int64_t i = 0; i < m; ++i) {
        if (taken[static_cast<size_t>(i)]) continue;
        if (nth-- == 0) {
          pick = i;
          break;
        }
      }
    }
    take(pick, slot);
  }

  // Weighted Lloyd on the candidates; sums in double in candidate order (deterministic).
  std::vector<float> candidate_norms(static_cast<size_t>(m));
  kernels::squared_row_norms(candidates.view(), candidate_norms.data(), ctx.threads);
  Assigner assigner(ctx.threads, dim, m);
  std::vector<int32_t> labels(static_cast<size_t>(m), -1), previous;
  std::vector<double> sums(static_cast<size_t>(k * dim));
  std::vector<int64_t> mass(static_cast<size_t>(k));
  for (int step = 0; step < kReduceLloydSteps; ++step) {
    previous = labels;
    assigner.run(candidates.view(), candidate_norms.data(), centres.view(), labels.data(), nullptr);
    if (labels == previous) break;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(mass.begin(), mass.end(), 0);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t c = labels[static_cast<size_t>(i)];
      const int64_t w = weights[static_cast<size_t>(i)];
      if (w == 0) continue;
      mass[static_cast<size_t>(c)] += w;
      const float* v = candidates.row(i);
      double* sum = sums.data() + c * dim;
      for (int64_t j = 0; j < dim; ++j) sum[j] += static_cast<double>(w) * v[j];
    }
    for (int64_t c = 0; c < k; ++c) {
      if (mass[static_cast<size_t>(c)] == 0) continue;
      const double inv = 1.0 / static_cast<double>(mass[static_cast<size_t>(c)]);
      for (int64_t j = 0; j < dim; ++j) {
        centres.row(c)[j] = static_cast<float>(sums[static_cast<size_t>(c * dim + j)] * inv);
      }
    }
  }
  return centres;
}

class Fitter {
 public:
  Fitter(const Context& ctx, MatrixView x, const FitParams& params, Shard shard)
      : ctx_(ctx),
        x_(x),
        params_(params),
        shard_(shard),
        x_norms_(static_cast<size_t>(x.rows)),
        assigner_(ctx.threads, x.cols, params.max_samples_per_batch) {
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
      const double shift =
          kernels::update_centroids(sums.data(), counts.data(), centroids.mutable_view());
      IterationStats stats{iteration, inertia, shift, seconds_since(start)};
      result.history.push_back(stats);
      result.n_iter = iteration;
      progress.advance(1);
      ctx_.logger->info("k-means run {} iteration {}: inertia {:.6f}, shift {:.3e}, {:.3f} s",
                        run + 1, iteration, inertia, shift, stats.seconds);
      if (shift < params_.tol) break;
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

const char* init_name(InitMethod init) {
  switch (init) {
    case InitMethod::kKMeansParallel:
      return "k-means||";
    case InitMethod::kRandom:
      return "random";
    case InitMethod::kFile:
      return "file";
    case InitMethod::kArray:
      return "array";
  }
  return "?";
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
      "threads",
      shard.total, x.cols, params.n_clusters, init_name(params.init), runs, params.max_iter,
      params.tol, ctx.threads);

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
        SD_ASSIGN_OR_RETURN(init, fitter.init_kmeans_parallel(seed));
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
  Assigner assigner(ctx.threads, x.cols, x.rows);
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
