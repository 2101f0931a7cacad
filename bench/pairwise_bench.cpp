// Times the triangular max-similarity kernel on one cluster and the sgemm rate of the shapes
// involved, and prints one JSON object. Driven by bench/pairwise_bench.py (not a test).
//
//   pairwise_bench --rows N --dim D [--threads T] [--batch B] [--reps R]
//                  [--input E.f32] [--output OUT.bin] [--kernel auto|fp32|avx512-bf16]
//                  [--families 0|1] [--sgemm 0|1]
//
// --input: N x D float32, row-major, raw (rows already L2-normalised); without it the rows are
// random unit vectors. --output: max_sim (N float32) then max_idx (N int64) of --kernel, for
// comparison. --families 1: times the fp32 and avx512-bf16 families against each other instead,
// R runs each, interleaved (wall and CPU seconds, the fastest of each), and checks their
// outputs are identical bit for bit. --sgemm 0:
// skips the sgemm rate measurements.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/blas_api.hpp"
#include "semdedup/kernels/blas.hpp"
#include "semdedup/kernels/isa.hpp"
#include "semdedup/kernels/pairwise.hpp"
#include "testing/random_rows.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Args {
  int64_t rows = 10000;
  int64_t dim = 768;
  int threads = 2;
  int64_t batch = 1024;
  int reps = 1;
  std::string input;
  std::string output;
  std::string kernel = "auto";
  bool families = false;
  bool sgemm = true;
};

Args parse(int argc, char** argv) {
  Args args;
  for (int k = 1; k + 1 < argc; k += 2) {
    const std::string flag = argv[k];
    const char* value = argv[k + 1];
    if (flag == "--rows") args.rows = std::atoll(value);
    else if (flag == "--dim") args.dim = std::atoll(value);
    else if (flag == "--threads") args.threads = std::atoi(value);
    else if (flag == "--batch") args.batch = std::atoll(value);
    else if (flag == "--reps") args.reps = std::atoi(value);
    else if (flag == "--input") args.input = value;
    else if (flag == "--output") args.output = value;
    else if (flag == "--kernel") args.kernel = value;
    else if (flag == "--families") args.families = std::atoi(value) != 0;
    else if (flag == "--sgemm") args.sgemm = std::atoi(value) != 0;
    else {
      std::fprintf(stderr, "pairwise_bench: unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return args;
}

semdedup::Matrix load_or_generate(const Args& args) {
  semdedup::Matrix e(args.rows, args.dim);
  if (!args.input.empty()) {
    std::ifstream in(args.input, std::ios::binary);
    in.read(reinterpret_cast<char*>(e.data()),
            static_cast<std::streamsize>(args.rows * args.dim * sizeof(float)));
    if (!in) {
      std::fprintf(stderr, "pairwise_bench: cannot read %lld x %lld floats from %s\n",
                   static_cast<long long>(args.rows), static_cast<long long>(args.dim),
                   args.input.c_str());
      std::exit(1);
    }
    return e;
  }
  return semdedup::testing::random_unit_rows(args.rows, args.dim, 42);
}

// NeMo's shape: C[N x B] = E . E[s:s+B]^T with BLAS's own `threads` threads, over the first
// few column batches (enough for a stable rate).
double sgemm_nemo_shape_gflops(const semdedup::Matrix& e, int64_t batch, int threads) {
  const int64_t n = e.rows(), d = e.cols(), b = std::min(batch, n);
  std::vector<float> c(static_cast<size_t>(n * b));
  omp_set_num_threads(threads);
  semdedup::kernels::gemm_abt(int(n), int(b), int(d), e.data(), int(d), e.data(), int(d), c.data(),
                              int(b));  // warm-up
  const int64_t batches = std::max<int64_t>(1, std::min<int64_t>(n / b, 6));
  const auto start = Clock::now();
  for (int64_t k = 0; k < batches; ++k) {
    semdedup::kernels::gemm_abt(int(n), int(b), int(d), e.data(), int(d), e.row(k * b), int(d),
                                c.data(), int(b));
  }
  return 2.0 * double(n) * double(b) * double(d) * double(batches) / seconds_since(start) / 1e9;
}

// The kernel's shape: one T x T x D GEMM per thread at a time, single-threaded BLAS each.
double sgemm_tile_shape_gflops(const semdedup::Matrix& e, int threads) {
  const int64_t tile = semdedup::kernels::pairwise_tile(e.rows()), d = e.cols();
  const int64_t calls = std::max<int64_t>(8, int64_t(4e10 / (2.0 * tile * tile * d)));
  std::vector<float> c(static_cast<size_t>(threads * tile * tile));
  const int64_t tiles = std::max<int64_t>(1, e.rows() / tile);
  const auto start = Clock::now();
#pragma omp parallel num_threads(threads)
  {
    omp_set_num_threads(1);
    float* out = c.data() + omp_get_thread_num() * tile * tile;
#pragma omp for schedule(static)
    for (int64_t k = 0; k < calls; ++k) {
      semdedup::kernels::gemm_abt(int(tile), int(tile), int(d), e.row((k % tiles) * tile), int(d),
                                  e.row(((k + 1) % tiles) * tile), int(d), out, int(tile));
    }
  }
  return 2.0 * double(tile) * double(tile) * double(d) * double(calls) / seconds_since(start) / 1e9;
}

struct Outputs {
  std::vector<float> max_sim;
  std::vector<int64_t> max_idx;
  bool operator==(const Outputs& other) const {
    return max_idx == other.max_idx &&
           std::memcmp(max_sim.data(), other.max_sim.data(), max_sim.size() * sizeof(float)) == 0;
  }
};

// Process CPU time (user + system, every thread) in seconds.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

struct Timing {
  double wall = 1e300;  ///< seconds
  double cpu = 1e300;   ///< CPU seconds of all threads: less sensitive to other processes
  void keep_best(const Timing& other) {
    wall = std::min(wall, other.wall);
    cpu = std::min(cpu, other.cpu);
  }
};

// Runs the kernel of `workspace`'s family once into `out`.
Timing time_once(const semdedup::Matrix& e, int threads,
                 semdedup::kernels::PairwiseWorkspace& workspace, Outputs& out) {
  out.max_sim.assign(static_cast<size_t>(e.rows()), 0.0f);
  out.max_idx.assign(static_cast<size_t>(e.rows()), 0);
  const double cpu_start = cpu_seconds();
  const auto start = Clock::now();
  semdedup::kernels::max_similarity_before(e.view(), threads, out.max_sim.data(),
                                           out.max_idx.data(), workspace);
  return {seconds_since(start), cpu_seconds() - cpu_start};
}

semdedup::kernels::PairwiseWorkspace workspace_for(const std::string& name, const Args& args) {
  const auto kernel = semdedup::kernels::parse_cpu_kernel(name);
  if (!kernel.ok()) {
    std::fprintf(stderr, "pairwise_bench: %s\n", kernel.status().message().c_str());
    std::exit(2);
  }
  semdedup::kernels::PairwiseWorkspace workspace(*kernel);
  workspace.reserve(args.rows, args.dim, args.threads);
  return workspace;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  const semdedup::Matrix e = load_or_generate(args);
  const int64_t n = args.rows, d = args.dim;

  Outputs outputs;
  double best = 0.0;
  int64_t workspace_bytes = 0;
  auto workspace = workspace_for(args.kernel, args);
  const std::string kernel_name = semdedup::kernels::cpu_kernel_name(workspace.kernel());
  std::string families = "null";
  if (!args.families) {
    workspace_bytes = workspace.bytes();
    std::vector<double> times;
    for (int rep = 0; rep < std::max(1, args.reps); ++rep) {
      times.push_back(time_once(e, args.threads, workspace, outputs).wall);
    }
    best = *std::min_element(times.begin(), times.end());
  } else {
    // The two families side by side: interleaved runs, the fastest of each; --kernel's family
    // gives the plain figures.
    workspace = semdedup::kernels::PairwiseWorkspace();
    auto fp32 = workspace_for("fp32", args);
    auto bf16 = workspace_for("avx512-bf16", args);
    Timing fp32_best, bf16_best;
    Outputs fp32_out, bf16_out;
    for (int rep = 0; rep < std::max(1, args.reps); ++rep) {
      fp32_best.keep_best(time_once(e, args.threads, fp32, fp32_out));
      bf16_best.keep_best(time_once(e, args.threads, bf16, bf16_out));
    }
    char text[512];
    std::snprintf(text, sizeof text,
                  "{\"fp32_seconds\": %.6f, \"bf16_seconds\": %.6f, \"bf16_speedup\": %.3f, "
                  "\"fp32_cpu_seconds\": %.6f, \"bf16_cpu_seconds\": %.6f, "
                  "\"bf16_cpu_speedup\": %.3f, \"identical\": %s}",
                  fp32_best.wall, bf16_best.wall, fp32_best.wall / bf16_best.wall, fp32_best.cpu,
                  bf16_best.cpu, fp32_best.cpu / bf16_best.cpu,
                  fp32_out == bf16_out ? "true" : "false");
    families = text;
    const bool plain_fp32 = kernel_name == "fp32";
    best = plain_fp32 ? fp32_best.wall : bf16_best.wall;
    outputs = plain_fp32 ? fp32_out : bf16_out;
    workspace_bytes = plain_fp32 ? fp32.bytes() : bf16.bytes();
  }
  const std::vector<float>& max_sim = outputs.max_sim;
  const std::vector<int64_t>& max_idx = outputs.max_idx;

  if (!args.output.empty()) {
    std::ofstream out(args.output, std::ios::binary);
    out.write(reinterpret_cast<const char*>(max_sim.data()), std::streamsize(n * sizeof(float)));
    out.write(reinterpret_cast<const char*>(max_idx.data()), std::streamsize(n * sizeof(int64_t)));
  }

  const int64_t tile = semdedup::kernels::pairwise_tile(n);
  const int64_t tiles = (n + tile - 1) / tile;
  const double useful_flops = double(n) * double(n - 1) * double(d);  // 2 d per pair i < j
  const double computed_flops = 2.0 * double(tiles * (tiles + 1) / 2) * tile * tile * d;
  const double nemo_gflops =
      args.sgemm ? sgemm_nemo_shape_gflops(e, args.batch, args.threads) : 0.0;
  const double tile_gflops = args.sgemm ? sgemm_tile_shape_gflops(e, args.threads) : 0.0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  std::printf(
      "{\"rows\": %lld, \"dim\": %lld, \"threads\": %d, \"tile\": %lld, \"seconds\": %.6f, "
      "\"useful_gflops\": %.2f, \"computed_fraction\": %.4f, \"sgemm_nemo_shape_gflops\": %.2f, "
      "\"sgemm_tile_shape_gflops\": %.2f, \"workspace_bytes\": %lld, \"data_bytes\": %lld, "
      "\"max_rss_bytes\": %lld, \"blas\": \"%s\", \"kernel\": \"%s\", \"families\": %s}\n",
      static_cast<long long>(n), static_cast<long long>(d), args.threads,
      static_cast<long long>(tile), best, useful_flops / best / 1e9, useful_flops / computed_flops,
      nemo_gflops, tile_gflops, static_cast<long long>(workspace_bytes),
      static_cast<long long>(n * d * 4), static_cast<long long>(usage.ru_maxrss) * 1024,
      semdedup::kernels::blas_description().c_str(), kernel_name.c_str(), families.c_str());
  return 0;
}
