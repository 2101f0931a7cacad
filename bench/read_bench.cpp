// read_bench: reads embedding files into one row-major float32 matrix, L2-normalised, as the
// k-means stage does, and prints one JSON line: rows, dim, seconds, GB/s of float32 produced.
//
//   read_bench [--jsonl] [--batch-rows N] [--stream] [--embedding-field NAME] FILE...
//
// --stream drops each batch instead of gathering the whole matrix (the reader alone).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "semdedup/core/matrix.hpp"
#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/reader.hpp"

namespace {

int fail(const semdedup::Status& status) {
  std::fprintf(stderr, "read_bench: %s\n", status.to_string().c_str());
  return 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: read_bench [--jsonl] [--batch-rows N] [--stream] "
               "[--embedding-field NAME] FILE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace semdedup;
  io::ReadOptions options;
  options.embeddings_only = true;
  bool stream = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--jsonl") {
      options.filetype = io::FileType::kJsonl;
    } else if (arg == "--stream") {
      stream = true;
    } else if (arg == "--batch-rows" && i + 1 < argc) {
      options.batch_rows = std::atoll(argv[++i]);
    } else if (arg == "--embedding-field" && i + 1 < argc) {
      options.columns.embedding_field = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      return usage();
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) return usage();
  if (Status st = io::initialize_arrow(); !st.ok()) return fail(st);

  const auto start = std::chrono::steady_clock::now();
  int64_t total_rows = 0;
  for (const std::string& file : files) {
    auto rows = io::count_rows(file, options.filetype);
    if (!rows.ok()) return fail(rows.status());
    total_rows += *rows;
  }
  auto reader = io::DatasetReader::open(files, options);
  if (!reader.ok()) return fail(reader.status());
  Matrix all;
  int64_t rows = 0;
  while (true) {
    auto batch = (*reader)->next();
    if (!batch.ok()) return fail(batch.status());
    if (!batch->has_value()) break;
    const Matrix& part = (*batch)->embeddings;
    if (!stream) {
      if (all.cols() != part.cols()) all = Matrix(total_rows, part.cols());
      std::memcpy(all.row(rows), part.data(),
                  static_cast<std::size_t>(part.rows() * part.cols()) * sizeof(float));
    }
    rows += part.rows();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t dim = (*reader)->dim();
  const double bytes = static_cast<double>(rows) * static_cast<double>(dim) * sizeof(float);
  std::printf(
      "{\"rows\": %lld, \"dim\": %lld, \"seconds\": %.6f, \"gb_per_s\": %.3f, \"stream\": %s}\n",
      static_cast<long long>(rows), static_cast<long long>(dim), seconds, bytes / seconds / 1e9,
      stream ? "true" : "false");
  return 0;
}
