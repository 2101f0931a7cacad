#pragma once
// The flags of `semdedup pairwise`, shareable with subcommands that run the Pairwise stage too.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "semdedup/core/status.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/pairwise/params.hpp"

namespace semdedup::cli {

struct PairwiseOptions {
  std::string input;
  std::string output;
  std::string id_field = io::kDefaultIdField;
  std::string embedding_field = io::kDefaultEmbeddingField;
  std::string which_to_keep = "hard";
  std::string sim_metric = "cosine";
  uint64_t random_seed = 42;
  std::string ranking_columns;
  std::string ranking_ascending;
  std::string pairwise_batch_size = "1024";
  std::string compute_dtype = "auto";
  std::string input_embedding_dtype = "auto";
};

/// Adds the ranking and batch flags (everything but --input, --output, --id-field,
/// --embedding-field, --overwrite and --resume) to `app`.
void add_pairwise_flags(CLI::App& app, PairwiseOptions& options);

/// The stage parameters the flags describe, validated, writing in `mode`.
Result<pairwise::Params> make_pairwise_params(const PairwiseOptions& options,
                                              io::OutputMode mode);

}  // namespace semdedup::cli
