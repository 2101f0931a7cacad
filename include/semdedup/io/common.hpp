#pragma once
/// \file Vocabulary shared by every reader and writer: file types, column names, output modes.

#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

enum class FileType { kParquet, kJsonl };

Result<FileType> parse_file_type(std::string_view name);
std::string_view file_type_name(FileType type);
/// parquet -> {".parquet"}, jsonl -> {".jsonl", ".json"} (NeMo's defaults).
std::vector<std::string> default_extensions(FileType type);

/// Which input columns a stage reads.
struct ColumnSpec {
  std::string id_field = "id";                ///< any scalar; int64 and string are tested
  std::string embedding_field = "embeddings";  ///< list/large_list/fixed_size_list of float32|64
  std::vector<std::string> metadata_fields;   ///< copied through unchanged
};

/// What to do with rows whose embedding is null, ragged, NaN/inf or zero-norm.
enum class InvalidRows {
  kError,  ///< stop with a one-line error naming file, column and row (default)
  kSkip,   ///< write them to <output>/rejected/ with a reason and count them
};
Result<InvalidRows> parse_invalid_rows(std::string_view name);

/// How a stage treats an output directory that already holds files.
enum class OutputMode {
  kFresh,      ///< refuse a non-empty directory (default)
  kResume,     ///< keep finished outputs, redo the rest
  kOverwrite,  ///< delete what is there first
};

/// Creates `dir` (and parents) if missing; applies `mode` to an existing non-empty one. kResume
/// also removes the temporary files a killed run left (hidden ".<name>.tmp-..." files).
Status prepare_output_dir(const std::string& dir, OutputMode mode);

/// Removes, under `dir`, the hidden ".<name>.tmp-..." files of atomic writes that never finished.
Status remove_stale_temp_files(const std::string& dir);

}  // namespace semdedup::io
