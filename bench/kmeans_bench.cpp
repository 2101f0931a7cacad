// Lloyd iterations of semdedup's k-means on a given (or generated) matrix with fixed initial
// centroids, and the sgemm rate of the same shapes measured in the same process. Prints JSON.
//
//   kmeans_bench --data X.npy --init C.npy --iters 10 --threads 2 [--centroids-out OUT.npy]
//   kmeans_bench --rows 200000 --dim 768 --k 1000 --iters 10 --threads 2
//   kmeans_bench --data X.npy --defaults 1 --k 1000 --seed 0   (fit with FitParams' defaults)
//   --bounded 0 assigns every row in every Lloyd pass (FitParams::bounded_assignment; the same
//   results, for timing the bound against the full passes)
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/blas_api.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/io/npy.hpp"
#include "semdedup/kernels/blas.hpp"
#include "semdedup/kernels/distance.hpp"
#include "semdedup/kernels/isa.hpp"
#include "semdedup/kmeans/kmeans.hpp"
#include "testing/random_rows.hpp"

namespace {

using namespace semdedup;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string data, init, centroids_out;
  int64_t rows = 200000, dim = 768, k = 1000, iters = 10;
  int threads = 2;
  int sgemm_repeats = 3;
  bool defaults = false;
  bool bounded = true;
  std::string kernel = "auto";
  uint64_t seed = 42;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--data")
      a.data = value;
    else if (key == "--init")
      a.init = value;
    else if (key == "--centroids-out")
      a.centroids_out = value;
    else if (key == "--rows")
      a.rows = std::stoll(value);
    else if (key == "--dim")
      a.dim = std::stoll(value);
    else if (key == "--k")
      a.k = std::stoll(value);
    else if (key == "--iters")
      a.iters = std::stoll(value);
    else if (key == "--threads")
      a.threads = std::stoi(value);
    else if (key == "--kernel")
      a.kernel = value;
    else if (key == "--defaults")
      a.defaults = value != "0";
    else if (key == "--bounded")
      a.bounded = value != "0";
    else if (key == "--seed")
      a.seed = std::stoull(value);
    else if (key == "--sgemm-repeats")
      a.sgemm_repeats = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

// The plain BLAS rate of C[n x k] = X C^T: OpenBLAS's own threading over `threads` threads,
// in row chunks of 32768 (so C stays a few hundred MB); best of `repeats`.
double sgemm_gflops(MatrixView x, MatrixView c, int threads, int repeats) {
  const int64_t chunk = 32768;
  std::vector<float> out(static_cast<size_t>(std::min(chunk, x.rows) * c.rows));
  omp_set_num_threads(threads);
  double best = 1e300;
  if (repeats < 1) return 0.0;
  for (int rep = 0; rep < repeats; ++rep) {
    const auto start = Clock::now();
    for (int64_t first = 0; first < x.rows; first += chunk) {
      const int64_t m = std::min(chunk, x.rows - first);
      kernels::blas().sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                            static_cast<int>(c.rows), static_cast<int>(x.cols), 1.0f, x.row(first),
                            static_cast<int>(x.stride), c.data, static_cast<int>(c.stride), 0.0f,
                            out.data(), static_cast<int>(c.rows));
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return 2.0 * static_cast<double>(x.rows) * static_cast<double>(c.rows) *
         static_cast<double>(x.cols) / best / 1e9;
}

// The matrix in `path`; a bad file ends the program with its message.
Matrix load_npy(const std::string& path) {
  auto loaded = io::read_npy(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    std::exit(1);
  }
  return std::move(loaded).value();
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  Matrix x, init;
  if (!args.data.empty()) {
    x = load_npy(args.data);
  } else {
    x = testing::random_unit_rows(args.rows, args.dim, 1);
  }
  if (!args.init.empty()) {
    init = load_npy(args.init);
  } else if (args.defaults) {
    init = Matrix(args.k, x.cols());
  } else {
    init = Matrix(args.k, x.cols());
    for (int64_t c = 0; c < args.k; ++c) {
      std::memcpy(init.row(c), x.row(c * (x.rows() / args.k)),
                  sizeof(float) * static_cast<size_t>(x.cols()));
    }
  }
  const int64_t n = x.rows(), d = x.cols(), k = init.rows();

  const double sgemm_before = sgemm_gflops(x.view(), init.view(), args.threads, args.sgemm_repeats);

  kmeans::FitParams params;
  params.n_clusters = k;
  params.random_state = args.seed;
  params.bounded_assignment = args.bounded;
  if (!args.defaults) {
    params.init = kmeans::InitMethod::kArray;
    params.init_centroids = init;
    params.max_iter = args.iters;
    params.tol = 0.0;
  }
  Context ctx = Context::make_default(args.threads);
  const auto kernel = kernels::parse_cpu_kernel(args.kernel);
  if (!kernel.ok()) {
    std::fprintf(stderr, "%s\n", kernel.status().message().c_str());
    return 2;
  }
  ctx.cpu_kernel = kernels::resolve_cpu_kernel(*kernel);
  const auto start = Clock::now();
  auto fitted = kmeans::fit(ctx, x.view(), params);
  const double fit_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!fitted.ok()) {
    std::fprintf(stderr, "%s\n", fitted.status().message().c_str());
    return 1;
  }
  const double sgemm_after = sgemm_gflops(x.view(), init.view(), args.threads, args.sgemm_repeats);
  if (!args.centroids_out.empty()) {
    const Status st = io::write_npy(args.centroids_out, fitted->centroids.view());
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }

  double total = 0, best = 1e300;
  std::string per_iter, inertias, shifts, assigned;
  char number[64];
  for (const auto& it : fitted->history) {
    total += it.seconds;
    best = std::min(best, it.seconds);
    per_iter += (per_iter.empty() ? "" : ", ") + std::to_string(it.seconds);
    std::snprintf(number, sizeof number, "%s%.9g", inertias.empty() ? "" : ", ", it.inertia);
    inertias += number;
    std::snprintf(number, sizeof number, "%s%.6g", shifts.empty() ? "" : ", ", it.shift);
    shifts += number;
    assigned += (assigned.empty() ? "" : ", ") + std::to_string(it.assigned_rows);
  }
  const double mean = total / static_cast<double>(fitted->history.size());
  const double flops =
      2.0 * static_cast<double>(n) * static_cast<double>(k) * static_cast<double>(d);
  std::printf(
      "{\"rows\": %lld, \"dim\": %lld, \"k\": %lld, \"threads\": %d, \"iterations\": %lld,\n"
      " \"seconds_per_iteration\": %.6f, \"best_iteration_seconds\": %.6f,\n"
      " \"iteration_seconds\": [%s],\n"
      " \"iteration_inertia\": [%s],\n"
      " \"iteration_shift\": [%s],\n"
      " \"iteration_assigned_rows\": [%s], \"bounded\": %s,\n"
      " \"fit_seconds\": %.6f, \"init_seconds\": %.6f, \"lloyd_seconds\": %.6f,\n"
      " \"inertia\": %.9g,\n"
      " \"gemm_gflops_per_iteration\": %.3f, \"sgemm_gflops\": %.3f,\n"
      " \"sgemm_gflops_before\": %.3f, \"sgemm_gflops_after\": %.3f,\n"
      " \"tile\": [%lld, %lld], \"assign_kernel\": \"%s\", \"blas\": \"%s\"}\n",
      static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(k), args.threads,
      static_cast<long long>(fitted->n_iter), mean, best, per_iter.c_str(), inertias.c_str(),
      shifts.c_str(), assigned.c_str(), args.bounded ? "true" : "false", fit_seconds,
      fitted->init_seconds, fitted->lloyd_seconds, fitted->inertia, flops / mean / 1e9,
      std::max(sgemm_before, sgemm_after), sgemm_before, sgemm_after,
      static_cast<long long>(kernels::kTileRows),
      static_cast<long long>(kernels::centroid_block(k)), kernels::cpu_kernel_name(ctx.cpu_kernel),
      kernels::blas_description().c_str());
  return 0;
}
