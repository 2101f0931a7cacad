#pragma once
// One fuzz input as a whole dataset file read by DatasetReader, in the modes the stages use.

#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/reader.hpp"

namespace semdedup::fuzz {

inline void read_all(const std::string& path, io::ReadOptions options) {
  auto reader = io::DatasetReader::open({path}, std::move(options));
  if (!reader.ok()) std::abort();  // the options are valid: only the file may be bad
  while (true) {
    auto batch = (*reader)->next();
    if (!batch.ok() || !*batch) return;
  }
}

/// Reads the input with ids and a metadata column (error mode), JSONL also in 256-byte blocks
/// (types from the first block, later blocks checked against them), then embeddings only in
/// skip mode with small batches, and counts its rows.
inline int read_dataset(io::FileType type, const char* name, const uint8_t* data, size_t size) {
  const std::string& path = write_input(name, data, size);
  io::ReadOptions options;
  options.filetype = type;
  options.batch_rows = 7;
  options.columns.metadata_fields = {"text"};
  read_all(path, options);
  if (type == io::FileType::kJsonl) {
    io::ReadOptions blocks = options;
    blocks.json_block_bytes = 256;
    read_all(path, blocks);
  }
  options.columns.metadata_fields.clear();
  options.invalid_rows = io::InvalidRows::kSkip;
  read_all(path, options);
  options.embeddings_only = true;
  options.normalise = false;
  read_all(path, options);
  (void)io::count_rows(path, type);
  return 0;
}

inline int initialize() {
  if (!io::initialize_arrow().ok()) std::abort();
  return 0;
}

}  // namespace semdedup::fuzz
