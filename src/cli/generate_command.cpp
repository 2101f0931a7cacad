// `semdedup generate`: flags onto dedup::GenerateParams, then a short summary on stdout.
#include <fmt/format.h>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/dedup/generate.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

namespace {

struct GenerateOptions {
  dedup::GenerateParams params;
  std::string format = "parquet";
};

void setup_generate(CLI::App& app, GenerateOptions& options) {
  dedup::GenerateParams& params = options.params;
  add_output_flag(app, params.output_path, "output directory");
  app.add_option("--rows", params.rows, "number of rows (>= 1)")
      ->required()
      ->transform(whole_number());
  app.add_option("--dim", params.dim, "embedding dimension, in [1, 65536]")
      ->required()
      ->transform(whole_number());
  app.add_option("--clusters", params.clusters, "number of cluster centres (>= 1)")
      ->capture_default_str();
  app.add_option("--duplicate-fraction", params.duplicate_fraction,
                 "share of rows that are planted duplicates, in [0, 1): a third exact, a third "
                 "with cosine >= 0.99, a third with cosine in [0.95, 0.99)")
      ->capture_default_str();
  app.add_option("--files", params.files, "number of data files, in [1, rows]")
      ->capture_default_str();
  app.add_option("--seed", params.seed, "seed of every random draw")
      ->capture_default_str()
      ->check(seed_validator());
  app.add_option("--format", options.format, "data file format: parquet|jsonl")
      ->capture_default_str();
  add_output_mode_flags(app, "replace what an earlier semdedup run wrote there");
}

Status run_generate(const Context& ctx, io::OutputMode mode, GenerateOptions& options) {
  dedup::GenerateParams& params = options.params;
  SD_ASSIGN_OR_RETURN(params.format, io::parse_file_type(options.format));
  params.output_mode = mode;
  SD_ASSIGN_OR_RETURN(auto result, dedup::generate(ctx, params));
  std::printf(
      "generate: %lld rows x %lld dims in %zu %s file(s) under %s/%s\n"
      "planted duplicates: %lld exact, %lld near99, %lld near95 (ground truth: %s)\n"
      "bytes written: %lld\n",
      static_cast<long long>(result.rows), static_cast<long long>(result.dim),
      result.data_files.size(), options.format.c_str(), params.output_path.c_str(),
      io::kGeneratedDataDir,
      static_cast<long long>(result.exact_duplicates),
      static_cast<long long>(result.near99_duplicates),
      static_cast<long long>(result.near95_duplicates), result.ground_truth_file.c_str(),
      static_cast<long long>(result.bytes));
  return Status::OK();
}

}  // namespace

Command add_generate_command(CLI::App& parent) {
  return make_command<GenerateOptions>(
      parent, "generate",
      fmt::format("synthetic unit-norm embeddings in clusters with planted duplicates: "
                  "<output>/{}/ and <output>/{}",
                  io::kGeneratedDataDir, io::kGroundTruthFile),
      setup_generate, run_generate);
}

}  // namespace semdedup::cli
