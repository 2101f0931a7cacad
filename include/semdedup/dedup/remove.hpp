#pragma once
/// \file The remove step: the input dataset without the duplicate ids.

#include <cstdint>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::dedup {

struct RemoveParams {
  /// The original input files or directories (discovery rules of spec section 2).
  std::vector<std::string> input_paths;
  io::FileType input_filetype = io::FileType::kParquet;
  /// Extensions that select input files; empty = the filetype's defaults.
  std::vector<std::string> input_file_extensions;
  /// Directory of duplicate id files (the `duplicates/` written by identify).
  std::string duplicates_path;
  /// Output directory: one file per input file, same relative name (extension of the output type).
  std::string output_path;
  std::string id_field = io::kDefaultIdField;
  io::FileType output_filetype = io::FileType::kParquet;
  io::OutputMode output_mode = io::OutputMode::kFresh;

  Status validate() const;
};

struct RemoveResult {
  int64_t files = 0;
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  int64_t rows_removed = 0;  ///< rows actually dropped (not NeMo's per-batch id-range count)
  int64_t duplicate_ids = 0; ///< ids in the duplicates directory
  double seconds = 0;
};

/// Writes one output file per input file (atomically). A failure removes the files this run
/// wrote; an interruption (kCancelled) keeps them for kResume, which skips existing outputs.
Result<RemoveResult> remove_duplicates(const Context& ctx, const RemoveParams& params);

/// Output names for `files`: paths relative to the single input directory when one directory
/// was given, else base names; the extension becomes `type`'s. Two inputs mapping to one name
/// is an error.
Result<std::vector<std::string>> output_names(const std::vector<std::string>& inputs,
                                              const std::vector<std::string>& files,
                                              io::FileType type);

}  // namespace semdedup::dedup
