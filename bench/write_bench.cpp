// Times the writers on synthetic data and prints one JSON object (not a test):
// write_kmeans_part (one part cut into k centroid files), write_parquet and write_jsonl of the
// whole table.
//
//   write_bench --rows N --dim D --clusters K [--threads T] [--durable 0|1] [--dir DIR]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <arrow/api.h>

#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/jsonl_writer.hpp"
#include "semdedup/io/kmeans_output.hpp"
#include "semdedup/io/writer.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Args {
  int64_t rows = 100000;
  int64_t dim = 384;
  int64_t clusters = 1000;
  int threads = 2;
  bool durable = true;
  std::string dir = (fs::temp_directory_path() / "semdedup-write-bench").string();
};

Args parse(int argc, char** argv) {
  Args args;
  for (int k = 1; k + 1 < argc; k += 2) {
    const std::string flag = argv[k];
    const char* value = argv[k + 1];
    if (flag == "--rows") args.rows = std::atoll(value);
    else if (flag == "--dim") args.dim = std::atoll(value);
    else if (flag == "--clusters") args.clusters = std::atoll(value);
    else if (flag == "--threads") args.threads = std::atoi(value);
    else if (flag == "--durable") args.durable = std::atoi(value) != 0;
    else if (flag == "--dir") args.dir = value;
    else {
      std::fprintf(stderr, "write_bench: unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return args;
}

void check(const semdedup::Status& st) {
  if (!st.ok()) {
    std::fprintf(stderr, "write_bench: %s\n", st.to_string().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace semdedup;
  const Args args = parse(argc, argv);
  check(io::initialize_arrow());
  fs::remove_all(args.dir);
  fs::create_directories(args.dir);

  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal;
  Matrix embeddings(args.rows, args.dim);
  for (int64_t i = 0; i < args.rows * args.dim; ++i) embeddings.data()[i] = normal(rng);
  std::vector<int32_t> labels(static_cast<size_t>(args.rows));
  std::vector<float> l2(static_cast<size_t>(args.rows)), cosine(static_cast<size_t>(args.rows));
  std::vector<int64_t> ids(static_cast<size_t>(args.rows));
  for (int64_t r = 0; r < args.rows; ++r) {
    const auto at = static_cast<size_t>(r);
    labels[at] = static_cast<int32_t>(rng() % static_cast<uint64_t>(args.clusters));
    l2[at] = static_cast<float>(r % 97) / 97.0f;
    cosine[at] = l2[at] / 2.0f;
    ids[at] = r;
  }
  auto id_table = io::make_table({{"id", ids}});
  check(id_table.status());
  auto batch = (*id_table)->CombineChunksToBatch().ValueOrDie();

  io::KMeansPart part;
  part.batches = {batch};
  part.embeddings = embeddings.view();
  part.labels = labels;
  part.l2_dist = l2;
  part.cosine_dist = cosine;
  part.n_clusters = args.clusters;
  io::ColumnSpec columns;
  auto start = Clock::now();
  check(io::write_kmeans_part((fs::path(args.dir) / "kmeans").string(), part, columns,
                              {.threads = args.threads, .durable = args.durable}));
  const double kmeans_s = seconds_since(start);

  auto table = io::make_table({{"id", ids}, {"embeddings", embeddings.view()}, {"l2", l2}});
  check(table.status());
  start = Clock::now();
  check(io::write_parquet((fs::path(args.dir) / "all.parquet").string(), *table,
                          {.durable = args.durable}));
  const double parquet_s = seconds_since(start);
  start = Clock::now();
  check(io::write_jsonl((fs::path(args.dir) / "all.jsonl").string(), *table,
                        {.threads = args.threads}));
  const double jsonl_s = seconds_since(start);

  const double mb = static_cast<double>(args.rows * args.dim * 4) / 1e6;
  std::printf(
      "{\"rows\": %lld, \"dim\": %lld, \"clusters\": %lld, \"threads\": %d, \"durable\": %s, "
      "\"kmeans_part_s\": %.3f, \"kmeans_files_per_s\": %.0f, \"parquet_s\": %.3f, "
      "\"parquet_mb_per_s\": %.0f, \"jsonl_s\": %.3f, \"jsonl_mb_per_s\": %.0f}\n",
      static_cast<long long>(args.rows), static_cast<long long>(args.dim),
      static_cast<long long>(args.clusters), args.threads, args.durable ? "true" : "false",
      kmeans_s, static_cast<double>(args.clusters) / kmeans_s, parquet_s, mb / parquet_s, jsonl_s,
      mb / jsonl_s);
  fs::remove_all(args.dir);
  return 0;
}
