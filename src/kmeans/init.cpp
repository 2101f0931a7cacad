#include "kmeans/init.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <span>
#include <vector>

#include "semdedup/core/rng.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/kmeans/kmeans.hpp"

namespace semdedup::kmeans {

namespace {

// CounterRng streams: each random decision of the fit draws from its own stream, keyed by the
// global row index (or a draw counter), so no draw depends on threads or ranks. Stream 5 seeds
// the runs (kmeans.cpp).
constexpr uint64_t kStreamFirstCentre = 1;
constexpr uint64_t kStreamTopUp = 2;
constexpr uint64_t kStreamRandomInit = 4;
constexpr uint64_t kStreamInitSample = 6;
constexpr uint64_t kStreamRoundBase = 16;  // + round number

constexpr int kMaxParallelRounds = 8;
// k-means|| runs on a seeded sample of about this many rows per cluster when the data has more
// than twice as many; Lloyd then runs on every row.
constexpr int64_t kInitSampleRowsPerCluster = 256;

// k-means|| (Bahmani et al. 2012) as cuML runs it: see spec section 5.
Result<Matrix> init_kmeans_parallel_on(ShardRows& rows, uint64_t seed) {
  const Context& ctx = rows.ctx();
  const FitParams& params = rows.params();
  const Shard& shard = rows.shard();
  const int64_t k = params.n_clusters;
  const int64_t n = shard.rows;
  const double ell = params.oversampling_factor * static_cast<double>(k);
  std::vector<uint8_t> is_candidate(static_cast<size_t>(n), 0);
  std::set<int64_t> chosen;

  const int64_t first = static_cast<int64_t>(
      CounterRng(seed, kStreamFirstCentre).below(0, static_cast<uint64_t>(shard.total)));
  SD_ASSIGN_OR_RETURN(Gathered gathered, rows.gather_rows(std::span<const int64_t>(&first, 1)));
  Matrix candidates = std::move(gathered.rows);
  auto mark = [&](const std::vector<int64_t>& indices) {
    for (const int64_t g : indices) {
      chosen.insert(g);
      if (g >= shard.offset && g < shard.offset + n)
        is_candidate[static_cast<size_t>(g - shard.offset)] = 1;
    }
  };
  mark(gathered.indices);

  std::vector<float> min_sq(static_cast<size_t>(n)), round_sq(static_cast<size_t>(n));
  std::vector<int32_t> labels(static_cast<size_t>(n));
  rows.assign(candidates.view(), labels.data(), min_sq.data());
  // nearest[row]: the candidate closest to the row so far. Candidates are compared in index
  // order with a strict '<', and a (row, candidate) distance has the same bits in every GEMM
  // tile, so this equals a full argmin over all candidates (ties to the lowest index) without
  // a second pass over the rows.
  std::vector<int32_t> nearest = labels;
  SD_ASSIGN_OR_RETURN(const double psi, rows.total(min_sq.data()));
  const int rounds =
      psi > 1.0 ? std::min(kMaxParallelRounds, static_cast<int>(std::ceil(std::log(psi)))) : 0;
  ctx.logger->debug("k-means||: initial cost {:.6g}, {} rounds, oversampling {} per round", psi,
                    rounds, ell);

  std::vector<uint8_t> sampled(static_cast<size_t>(n));
  for (int round = 0; round < rounds; ++round) {
    SD_RETURN_IF_ERROR(ctx.check_cancelled());
    SD_ASSIGN_OR_RETURN(const double phi, rows.total(min_sq.data()));
    if (!(phi > 0)) break;
    const CounterRng rng(seed, kStreamRoundBase + static_cast<uint64_t>(round));
#pragma omp parallel for schedule(static) num_threads(ctx.threads)
    for (int64_t row = 0; row < n; ++row) {
      const double p =
          std::min(1.0, ell * static_cast<double>(min_sq[static_cast<size_t>(row)]) / phi);
      sampled[static_cast<size_t>(row)] =
          !is_candidate[static_cast<size_t>(row)] && min_sq[static_cast<size_t>(row)] > 0 &&
          rng.uniform(static_cast<uint64_t>(shard.offset + row)) < p;
    }
    std::vector<int64_t> picked;
    for (int64_t row = 0; row < n; ++row) {
      if (sampled[static_cast<size_t>(row)]) picked.push_back(shard.offset + row);
    }
    SD_ASSIGN_OR_RETURN(Gathered fresh, rows.gather_rows(picked));
    ctx.logger->debug("k-means|| round {}: cost {:.6g}, {} new candidates", round + 1, phi,
                      fresh.rows.rows());
    if (fresh.rows.rows() == 0) continue;
    mark(fresh.indices);
    rows.assign(fresh.rows.view(), labels.data(), round_sq.data());
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
      const auto g = static_cast<int64_t>(rng.below(draw, static_cast<uint64_t>(shard.total)));
      if (chosen.insert(g).second) extra.push_back(g);
    }
    std::sort(extra.begin(), extra.end());
    SD_ASSIGN_OR_RETURN(Gathered top_up, rows.gather_rows(extra));
    candidates.append(top_up.rows.view());
  }
  if (candidates.rows() == k) return candidates;

  // Weight of a candidate = number of rows nearest to it, over all ranks.
  const int64_t m = candidates.rows();
  if (!nearest_known) rows.assign(candidates.view(), nearest.data(), nullptr);
  std::vector<int64_t> weights(static_cast<size_t>(m), 0);
  for (const int32_t label : nearest) ++weights[static_cast<size_t>(label)];
  SD_RETURN_IF_ERROR(ctx.comm->allreduce_sum(weights.data(), m));
  ctx.logger->debug("k-means||: reducing {} weighted candidates to {} centres", m, k);
  return reduce_candidates(rows.ctx(), candidates, weights, k, seed);
}

}  // namespace

Result<Matrix> init_random(ShardRows& rows, uint64_t seed) {
  // Floyd's algorithm: k distinct global rows from k draws, taken in row order.
  const int64_t k = rows.params().n_clusters;
  const CounterRng rng(seed, kStreamRandomInit);
  std::set<int64_t> picked;
  for (int64_t j = rows.shard().total - k; j < rows.shard().total; ++j) {
    const auto t =
        static_cast<int64_t>(rng.below(static_cast<uint64_t>(j), static_cast<uint64_t>(j + 1)));
    picked.insert(picked.count(t) ? j : t);
  }
  const std::vector<int64_t> chosen(picked.begin(), picked.end());
  SD_ASSIGN_OR_RETURN(Gathered gathered, rows.gather_rows(chosen));
  return std::move(gathered.rows);
}

// k-means|| on a seeded sample: global row g is in it when CounterRng(seed, kStreamInitSample)
// draws below the sampling fraction for g, whichever rank holds it, so the sample (and the
// centres) do not depend on the rank count.
Result<Matrix> init_kmeans_parallel(ShardRows& full, uint64_t seed) {
  const Context& ctx = full.ctx();
  const MatrixView x = full.x();
  const FitParams& params = full.params();
  const Shard& shard = full.shard();
  const int64_t target = kInitSampleRowsPerCluster * params.n_clusters;
  if (shard.total <= 2 * target) return init_kmeans_parallel_on(full, seed);
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
  if (sample_shard.total < params.n_clusters) return init_kmeans_parallel_on(full, seed);
  ctx.logger->debug("k-means||: on a sample of {} of {} rows", sample_shard.total, shard.total);
  ShardRows on_sample(ctx, sample.view(), params, sample_shard);
  return init_kmeans_parallel_on(on_sample, seed);
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

Result<FitParams> read_init_file(FitParams params) {
  if (params.init != InitMethod::kFile) return params;
  SD_ASSIGN_OR_RETURN(params.init_centroids, io::read_npy(params.init_file));
  return params;
}

}  // namespace semdedup::kmeans
