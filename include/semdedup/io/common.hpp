#pragma once
/// \file Vocabulary shared by every reader and writer: file types, column names, output modes.

#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::io {

enum class FileType { kParquet, kJsonl };
/// The names of FileType (--input-filetype, --output-filetype, --format).
inline constexpr std::array<EnumName<FileType>, 2> kFileTypeNames{
    {{FileType::kParquet, "parquet"}, {FileType::kJsonl, "jsonl"}}};

Result<FileType> parse_file_type(std::string_view name);
std::string_view file_type_name(FileType type);
/// The extension semdedup writes files of `type` with: ".parquet" or ".jsonl".
std::string_view file_extension(FileType type);
/// parquet -> {".parquet"}, jsonl -> {".jsonl", ".json"} (NeMo's defaults).
std::vector<std::string> default_extensions(FileType type);

/// `'a', 'b', 'c'`: column names as NeMo's messages list them.
std::string quoted_names(const std::vector<std::string>& names);

/// Which input columns a stage reads.
struct ColumnSpec {
  std::string id_field = kDefaultIdField;  ///< any scalar; int64 and string are tested
  /// list/large_list/fixed_size_list of float32|64
  std::string embedding_field = kDefaultEmbeddingField;
  std::vector<std::string> metadata_fields;  ///< copied through unchanged
};

/// What to do with rows whose embedding is null, ragged, NaN/inf or zero-norm.
enum class InvalidRows {
  kError,  ///< stop with a one-line error naming file, column and row (default)
  kSkip,   ///< write them to <output>/rejected/ with a reason and count them
};
/// The names of InvalidRows (--invalid-rows).
inline constexpr std::array<EnumName<InvalidRows>, 2> kInvalidRowsNames{
    {{InvalidRows::kError, "error"}, {InvalidRows::kSkip, "skip"}}};
Result<InvalidRows> parse_invalid_rows(std::string_view name);
std::string_view invalid_rows_name(InvalidRows mode);

/// How a stage treats an output directory that already holds files.
enum class OutputMode {
  kFresh,      ///< refuse a non-empty directory (default)
  kResume,     ///< keep finished outputs, redo the rest
  kOverwrite,  ///< delete what is there first (only what semdedup's layouts name)
};
/// The names of OutputMode (the Python package's `OutputMode`).
inline constexpr std::array<EnumName<OutputMode>, 3> kOutputModeNames{
    {{OutputMode::kFresh, "fresh"},
     {OutputMode::kResume, "resume"},
     {OutputMode::kOverwrite, "overwrite"}}};

/// Creates `dir` (and parents) if missing; applies `mode` to an existing non-empty one (one
/// holding only semdedup's markers counts as empty). kResume also removes the temporary files a
/// killed run left (hidden ".<name>.tmp-..." files); kOverwrite deletes the entries through
/// clear_own_output, refusing a directory that holds anything semdedup did not write.
/// `data_files_are_own`: the layout's files are data files named after the input (`remove`).
Status prepare_output_dir(const std::string& dir, OutputMode mode,
                          bool data_files_are_own = false);

/// Removes, under `dir`, the hidden ".<name>.tmp-..." files of atomic writes that never finished.
Status remove_stale_temp_files(const std::string& dir);

}  // namespace semdedup::io
