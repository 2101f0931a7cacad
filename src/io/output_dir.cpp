#include "semdedup/io/output_dir.hpp"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "semdedup/io/filesystem.hpp"

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

bool is_marker(const std::string& name) { return name == kManifestFile || name == kSuccessFile; }

// The hidden ".<name>.tmp-..." files (and directories) of writes that never finished.
bool is_temporary(const std::string& name) {
  return is_temp_file_name(name);
}

bool is_data_file(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  return ext == kParquetExtension || ext == kJsonlExtension || ext == kJsonExtension ||
         ext == kNpyExtension;
}

// The first entry under `dir` that is neither a marker, a temporary, a data file nor a
// directory of such entries.
Result<std::optional<std::string>> first_non_data(const std::string& dir, const fs::path& relative) {
  SD_ASSIGN_OR_RETURN(const std::vector<Entry> entries, list_directory(dir));
  for (const Entry& entry : entries) {
    const fs::path rel = relative / entry.name;
    if (is_marker(entry.name) || is_temporary(entry.name)) continue;
    if (entry.type == EntryType::kSymlink) return std::optional<std::string>(rel.string());
    if (entry.type == EntryType::kDirectory) {
      SD_ASSIGN_OR_RETURN(auto inner, first_non_data(entry.path, rel));
      if (inner) return inner;
      continue;
    }
    if (entry.type == EntryType::kFile && is_data_file(entry.name)) continue;
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

void fingerprint_path(const std::string& path, bool root, std::vector<std::string>& out) {
  const Result<Entry> entry = stat_path(path);
  if (!entry.ok()) return;
  if (entry->type == EntryType::kDirectory) {
    if (!root && holds_semdedup_output(path)) return;
    const auto entries = list_directory(path);
    if (!entries.ok()) return;
    for (const Entry& inner : *entries) fingerprint_path(inner.path, false, out);
    return;
  }
  if (entry->type != EntryType::kFile || is_marker(entry->name)) return;
  out.push_back(fmt::format("{} {} {}", path, static_cast<long long>(entry->size),
                            static_cast<long long>(entry->mtime_ns)));
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
  const std::string path = join_path(dir, kManifestFile);
  if (!path_exists(path)) return std::optional<Manifest>();
  const Result<std::string> text = read_whole_file(path);
  if (!text.ok()) return Status::io_error("cannot read {}", path);
  return std::optional<Manifest>(Manifest::parse(*text));
}

OutputState output_state(const std::string& dir) {
  if (!path_exists(join_path(dir, kManifestFile))) return OutputState::kForeign;
  return path_exists(join_path(dir, kSuccessFile)) ? OutputState::kComplete
                                                   : OutputState::kUnfinished;
}

bool holds_semdedup_output(const std::string& dir) {
  return path_exists(join_path(dir, kManifestFile));
}

Result<std::optional<std::string>> first_foreign_entry(const std::string& dir,
                                                       bool data_files_are_own) {
  auto listed = list_directory(dir);
  if (!listed.ok()) {
    return Status::io_error("cannot list output directory {}: {}", dir, listed.status().message());
  }
  for (const Entry& entry : *listed) {
    const std::string& name = entry.name;
    if (is_marker(name) || is_temporary(name)) continue;
    if (entry.type == EntryType::kDirectory && (data_files_are_own || is_own_top_dir(name))) {
      SD_ASSIGN_OR_RETURN(auto inner, first_non_data(entry.path, name));
      if (inner) return inner;
      continue;
    }
    if (entry.type == EntryType::kFile &&
        (is_own_top_file(name) || (data_files_are_own && is_data_file(name)))) {
      continue;
    }
    return std::optional<std::string>(name);
  }
  return std::optional<std::string>();
}

bool holds_only_temporaries(const std::string& dir) {
  const auto entries = list_directory(dir);
  if (!entries.ok()) return false;
  return std::all_of(entries->begin(), entries->end(),
                     [](const Entry& entry) { return is_temporary(entry.name); });
}

bool holds_only_markers(const std::string& dir) {
  const auto entries = list_directory(dir);
  if (!entries.ok()) return false;
  return std::all_of(entries->begin(), entries->end(),
                     [](const Entry& entry) { return is_marker(entry.name); });
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
        dir, join_path(dir, *foreign));
  }
  auto listed = list_directory(dir);
  if (!listed.ok()) {
    return Status::io_error("cannot clear output directory {}: {}", dir, listed.status().message());
  }
  std::vector<Entry> entries = *std::move(listed);
  // The manifest last: an interrupted clear still looks like semdedup's output.
  std::stable_partition(entries.begin(), entries.end(),
                        [](const Entry& entry) { return entry.name != kManifestFile; });
  for (const Entry& entry : entries) {
    const Status removed = remove_all(entry.path);
    if (!removed.ok()) {
      return Status::io_error("cannot clear output directory {}: {}", dir, removed.message());
    }
  }
  return Status::OK();
}

std::vector<std::string> fingerprint_inputs(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& input : paths) {
    if (path_exists(input) || is_s3_path(input)) {
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
