#pragma once
/// \file Input discovery: which files a list of input paths names (NeMo's FilePartitioningStage).

#include <string>
#include <string_view>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::io {

/// True if the last suffix of the basename of `path`, as Python's `posixpath.splitext` sees it
/// (leading dots belong to the stem, so ".parquet" alone has no suffix and "x.jsonl.gz" has
/// ".gz"), equals one of `extensions`, case-insensitively. A leading dot in an entry of
/// `extensions` is optional ("parquet" and ".parquet" are the same).
bool extension_matches(std::string_view path, const std::vector<std::string>& extensions);

/// The files that `inputs` name, sorted by path string.
///
/// Exactly one input is a "single string path": it is expanded as a glob (glob(3)); each
/// resulting directory is searched recursively (regular files at every depth) and each
/// resulting file is taken if its extension matches. An input that names an existing regular
/// file as it is (not through a pattern) is taken whatever its extension (NeMo would skip it
/// without a word); any other existing path that is not a directory is refused. The recursive
/// search does not enter a directory holding a semdedup manifest (another run's output). Several inputs are a list: each entry is
/// handled the same way except that directories are scanned at their top level only. Entries
/// are concatenated without de-duplication, so a file named twice is listed twice.
///
/// \param inputs      paths, directories or glob patterns; at least one.
/// \param type        the file type, whose default extensions apply when `extensions` is empty.
/// \param extensions  suffixes to select ("parquet" or ".parquet"); empty = defaults of `type`.
/// \return the matching file paths (a directory's files as `<dir>/<relative path>`), or
///   io_error naming an input that neither exists nor matches anything as a glob, or io_error
///   naming the inputs and extensions when no file matches at all.
Result<std::vector<std::string>> discover_files(const std::vector<std::string>& inputs,
                                                FileType type,
                                                const std::vector<std::string>& extensions);

}  // namespace semdedup::io
