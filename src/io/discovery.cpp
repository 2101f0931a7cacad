#include "semdedup/io/discovery.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/ranges.h>

#include "semdedup/io/output_dir.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;

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
  std::error_code ec;
  if (paths.empty() && fs::exists(fs::path(pattern), ec)) paths.push_back(pattern);
  return paths;
}

Status collect_directory(const std::string& dir, bool recursive,
                         const std::vector<std::string>& extensions,
                         std::vector<std::string>& out) {
  std::error_code ec;
  auto take = [&](const fs::directory_entry& entry) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) return;
    std::string path = entry.path().string();
    if (extension_matches(path, extensions)) out.push_back(std::move(path));
  };
  if (recursive) {
    fs::recursive_directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      // Another run's output inside the input is not input (e.g. remove --output in/clean).
      std::error_code type_ec;
      if (it->is_directory(type_ec) && holds_semdedup_output(it->path().string())) {
        it.disable_recursion_pending();
        continue;
      }
      take(*it);
    }
  } else {
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) take(*it);
  }
  if (ec) return Status::io_error("input directory {}: cannot list it: {}", dir, ec.message());
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
    std::error_code ec;
    const bool named = fs::is_regular_file(fs::path(input), ec);
    for (const std::string& path : paths) {
      const fs::file_status status = fs::status(path, ec);
      if (fs::is_directory(status)) {
        SD_RETURN_IF_ERROR(collect_directory(path, recursive, wanted, files));
      } else if (fs::is_regular_file(status) && (named || extension_matches(path, wanted))) {
        files.push_back(path);
      } else if (path == input && fs::exists(status)) {
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
