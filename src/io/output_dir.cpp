#include "semdedup/io/output_dir.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace semdedup::io {

namespace fs = std::filesystem;

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += text[i + 1] == 'n' ? '\n' : text[i + 1];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool is_marker(const std::string& name) { return name == kManifestFile || name == kSuccessFile; }

// The hidden ".<name>.tmp-..." files (and directories) of writes that never finished.
bool is_temporary(const std::string& name) {
  return is_temp_file_name(name);
}

bool is_data_file(const fs::path& path) {
  const std::string ext = path.extension().string();
  return ext == kParquetExtension || ext == kJsonlExtension || ext == kJsonExtension ||
         ext == kNpyExtension;
}

// The first entry under `dir` that is neither a marker, a temporary, a data file nor a
// directory of such entries.
Result<std::optional<std::string>> first_non_data(const fs::path& dir, const fs::path& relative) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) return Status::io_error("cannot list {}: {}", dir.string(), ec.message());
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    const fs::path rel = relative / name;
    if (is_marker(name) || is_temporary(name)) continue;
    if (entry.is_symlink(ec)) return std::optional<std::string>(rel.string());
    if (entry.is_directory(ec)) {
      SD_ASSIGN_OR_RETURN(auto inner, first_non_data(entry.path(), rel));
      if (inner) return inner;
      continue;
    }
    if (entry.is_regular_file(ec) && is_data_file(entry.path())) continue;
    return std::optional<std::string>(rel.string());
  }
  return std::optional<std::string>();
}

bool is_own_top_file(const std::string& name) {
  if (name == kSummaryFile || name == kCacheCentroidsFile || name == kKMeansCentroidsFile ||
      name == kGroundTruthFile) {
    return true;
  }
  return parse_cluster_file_name(name).has_value();
}

bool is_own_top_dir(const std::string& name) {
  static const char* const kDirs[] = {kKMeansResultsDir, kPairwiseResultsDir, kDuplicatesDir,
                                      kDeduplicatedDir,  kRejectedDir,        kGeneratedDataDir};
  for (const char* own : kDirs) {
    if (name == own) return true;
  }
  return parse_centroid_partition_name(name).has_value();
}

void fingerprint_path(const fs::path& path, bool root, std::vector<std::string>& out) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) {
    if (!root && holds_semdedup_output(path.string())) return;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      fingerprint_path(it->path(), false, out);
    }
    return;
  }
  if (!fs::is_regular_file(status) || is_marker(path.filename().string())) return;
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) return;
  const long long mtime = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                          static_cast<long long>(st.st_mtim.tv_nsec);
  out.push_back(fmt::format("{} {} {}", path.string(), static_cast<long long>(st.st_size), mtime));
}

}  // namespace

std::optional<std::string> Manifest::get(const std::string& key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string Manifest::to_text() const {
  std::string text = "semdedup manifest 1\n";
  for (const auto& [key, value] : entries) text += escape(key) + ": " + escape(value) + "\n";
  return text;
}

Manifest Manifest::parse(const std::string& text) {
  Manifest manifest;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // the format line
  while (std::getline(in, line)) {
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    manifest.entries.emplace_back(unescape(line.substr(0, colon)), unescape(line.substr(colon + 2)));
  }
  return manifest;
}

Result<std::optional<Manifest>> read_manifest(const std::string& dir) {
  const fs::path path = fs::path(dir) / kManifestFile;
  if (!path_exists(path)) return std::optional<Manifest>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot read {}", path.string());
  std::stringstream text;
  text << in.rdbuf();
  return std::optional<Manifest>(Manifest::parse(text.str()));
}

OutputState output_state(const std::string& dir) {
  if (!path_exists(fs::path(dir) / kManifestFile)) return OutputState::kForeign;
  return path_exists(fs::path(dir) / kSuccessFile) ? OutputState::kComplete : OutputState::kUnfinished;
}

bool holds_semdedup_output(const std::string& dir) {
  return path_exists(fs::path(dir) / kManifestFile);
}

Result<std::optional<std::string>> first_foreign_entry(const std::string& dir,
                                                       bool data_files_are_own) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) return Status::io_error("cannot list output directory {}: {}", dir, ec.message());
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (is_marker(name) || is_temporary(name)) continue;
    const bool symlink = entry.is_symlink(ec);
    if (!symlink && entry.is_directory(ec) && (data_files_are_own || is_own_top_dir(name))) {
      SD_ASSIGN_OR_RETURN(auto inner, first_non_data(entry.path(), name));
      if (inner) return inner;
      continue;
    }
    if (!symlink && entry.is_regular_file(ec) &&
        (is_own_top_file(name) || (data_files_are_own && is_data_file(entry.path())))) {
      continue;
    }
    return std::optional<std::string>(name);
  }
  return std::optional<std::string>();
}

bool holds_only_temporaries(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_temporary(it->path().filename().string())) return false;
  }
  return !ec;
}

bool holds_only_markers(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_marker(it->path().filename().string())) return false;
  }
  return !ec;
}

Status clear_own_output(const std::string& dir, bool data_files_are_own) {
  SD_ASSIGN_OR_RETURN(const auto manifest, read_manifest(dir));
  const bool remove_output =
      data_files_are_own || (manifest && manifest->get("command") == "remove");
  SD_ASSIGN_OR_RETURN(const auto foreign, first_foreign_entry(dir, remove_output));
  if (foreign) {
    return Status::invalid_argument(
        "--overwrite: output directory {} holds {}, which semdedup did not write; nothing was "
        "deleted (move it away or choose another --output)",
        dir, (fs::path(dir) / *foreign).string());
  }
  std::error_code ec;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path());
  }
  // The manifest last: an interrupted clear still looks like semdedup's output.
  std::stable_partition(entries.begin(), entries.end(),
                        [](const fs::path& p) { return p.filename() != kManifestFile; });
  for (const auto& entry : entries) {
    if (ec) break;
    fs::remove_all(entry, ec);
  }
  if (ec) return Status::io_error("cannot clear output directory {}: {}", dir, ec.message());
  return Status::OK();
}

std::vector<std::string> fingerprint_inputs(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& input : paths) {
    if (path_exists(input)) {
      fingerprint_path(input, true, out);
      continue;
    }
    glob_t matches{};
    if (::glob(input.c_str(), 0, nullptr, &matches) == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        fingerprint_path(matches.gl_pathv[i], true, out);
      }
    }
    ::globfree(&matches);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace semdedup::io
