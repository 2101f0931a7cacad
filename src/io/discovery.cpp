#include "semdedup/io/discovery.hpp"

#include <glob.h>

#include <algorithm>

#include <fmt/ranges.h>

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/output_dir.hpp"

namespace semdedup::io {

namespace {

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// The suffix posixpath.splitext returns for `path` ("" when there is none).
std::string_view split_extension(std::string_view path) {
  const std::size_t sep = path.rfind('/');
  const std::size_t name_start = sep == std::string_view::npos ? 0 : sep + 1;
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || dot < name_start) return {};
  // Dots that start the basename belong to the stem: ".parquet" and "..x" have no suffix.
  for (std::size_t i = name_start; i < dot; ++i) {
    if (path[i] != '.') return path.substr(dot);
  }
  return {};
}

/// Expands `pattern` with glob(3). A path that exists literally but does not match as a
/// pattern (its name holds '[' or '*') is taken as it is.
Result<std::vector<std::string>> expand_glob(const std::string& pattern) {
  // Object storage has no glob: an s3 input is a key or a prefix.
  if (is_s3_path(pattern)) {
    const Result<Entry> entry = stat_path(pattern);
    if (!entry.ok()) return entry.status().with_context(fmt::format("input '{}'", pattern));
    if (entry->type == EntryType::kMissing) {
      return Status::io_error("input '{}' does not exist", pattern);
    }
    return std::vector<std::string>{pattern};
  }
  glob_t matches{};
  const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches);
  std::vector<std::string> paths;
  if (rc == 0) {
    paths.reserve(matches.gl_pathc);
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return Status::io_error("input '{}': cannot expand it as a glob (glob error {})", pattern,
                            rc);
  }
  if (paths.empty() && path_exists(pattern)) paths.push_back(pattern);
  return paths;
}

Status collect_directory(const std::string& dir, bool recursive,
                         const std::vector<std::string>& extensions,
                         std::vector<std::string>& out) {
  auto listed = list_directory(dir, recursive);
  if (!listed.ok()) {
    return Status::io_error("input directory {}: cannot list it: {}", dir,
                            listed.status().message());
  }
  // Another run's output inside the input is not input (e.g. remove --output in/clean): the
  // directories below `dir` that hold a manifest, with everything under them.
  const std::string root = join_path(dir, "");
  std::vector<std::string> skipped;
  for (const Entry& entry : *listed) {
    if (entry.name == kManifestFile && entry.path.size() > root.size() &&
        entry.path.find('/', root.size()) != std::string::npos) {
      skipped.push_back(entry.path.substr(0, entry.path.size() - entry.name.size()));
    }
  }
  for (const Entry& entry : *listed) {
    const bool regular = entry.type == EntryType::kFile ||
                         (entry.type == EntryType::kSymlink && is_regular_file(entry.path));
    if (!regular || !extension_matches(entry.path, extensions)) continue;
    const bool inside_output = std::any_of(skipped.begin(), skipped.end(), [&](const auto& prefix) {
      return entry.path.starts_with(prefix);
    });
    if (!inside_output) out.push_back(entry.path);
  }
  return Status::OK();
}

}  // namespace

bool extension_matches(std::string_view path, const std::vector<std::string>& extensions) {
  const std::string suffix = ascii_lower(split_extension(path));
  if (suffix.empty()) return false;
  for (const std::string& extension : extensions) {
    std::string wanted = ascii_lower(extension);
    if (wanted.empty() || wanted.front() != '.') wanted.insert(wanted.begin(), '.');
    if (wanted == suffix) return true;
  }
  return false;
}

Result<std::vector<std::string>> discover_files(const std::vector<std::string>& inputs,
                                                FileType type,
                                                const std::vector<std::string>& extensions) {
  if (inputs.empty()) return Status::invalid_argument("no input paths given");
  const std::vector<std::string> wanted =
      extensions.empty() ? default_extensions(type) : extensions;
  // NeMo: one string path is searched recursively, a list of paths at the top level only.
  const bool recursive = inputs.size() == 1;

  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    SD_ASSIGN_OR_RETURN(std::vector<std::string> paths, expand_glob(input));
    if (paths.empty()) {
      return Status::io_error("input '{}' does not exist and matches no file as a glob", input);
    }
    // A file named as it is (not through a pattern) is read whatever its extension.
    const bool named = is_regular_file(input);
    for (const std::string& path : paths) {
      const EntryType type = path_type(path);
      if (type == EntryType::kDirectory) {
        SD_RETURN_IF_ERROR(collect_directory(path, recursive, wanted, files));
      } else if (type == EntryType::kFile && (named || extension_matches(path, wanted))) {
        files.push_back(path);
      } else if (path == input && type != EntryType::kMissing) {
        return Status::io_error("input {} is neither a regular file nor a directory", path);
      }
    }
  }
  if (files.empty()) {
    return Status::io_error("no {} files found under {} with extension {}",
                            file_type_name(type), fmt::join(inputs, ", "),
                            fmt::join(wanted, ", "));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace semdedup::io
