#include "semdedup/io/output_guard.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>


#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kInputFileKey = "input file";

// An s3 URI is compared as it is spelled (the bucket and key, "." and ".." collapsed): object
// storage has no links to resolve.
fs::path canonical(const std::string& path) {
  if (is_s3_path(path)) {
    fs::path uri = fs::path("s3:") / fs::path(path.substr(5)).lexically_normal();
    if (!uri.has_filename() && uri.has_parent_path()) uri = uri.parent_path();
    return uri;
  }
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::absolute(strip_file_scheme(path), ec), ec);
  if (!resolved.has_filename() && resolved.has_parent_path()) resolved = resolved.parent_path();
  return resolved;
}

bool within(const fs::path& inner, const fs::path& outer) {
  return std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first == outer.end();
}

// The paths an input names: itself when it exists, else what it matches as a glob.
std::vector<std::string> expand(const std::string& input) {
  if (is_s3_path(input)) return {input};
  std::error_code ec;
  if (fs::exists(fs::symlink_status(input, ec))) return {input};
  std::vector<std::string> paths;
  glob_t matches{};
  if (::glob(input.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  return paths;
}

std::string rerun_hint(const std::string& command) {
  return command == "generate" ? "semdedup generate ... --overwrite"
                               : "semdedup " + command + " ... --resume";
}

// "path size mtime" lines by path.
std::map<std::string, std::string> files_by_path(const Manifest& manifest) {
  std::map<std::string, std::string> files;
  for (const auto& [key, value] : manifest.entries) {
    if (key != kInputFileKey) continue;
    const size_t mtime = value.rfind(' ');
    const size_t size = mtime == std::string::npos ? mtime : value.rfind(' ', mtime - 1);
    if (size == std::string::npos) continue;
    files[value.substr(0, size)] = value.substr(size + 1);
  }
  return files;
}

// Refuses a resume whose parameters or inputs differ from those `dir` was written with.
Status check_resumable(const std::string& dir, const Manifest& now) {
  SD_ASSIGN_OR_RETURN(const auto before, read_manifest(dir));
  if (!before) {
    return Status::invalid_argument(
        "--resume: output directory {} has no {}: semdedup did not start it, so there is "
        "nothing to resume",
        dir, kManifestFile);
  }
  const std::string command = now.get("command").value_or("");
  if (before->get("command") != command) {
    return Status::invalid_argument(
        "--resume: {} holds the output of semdedup {}, not of "
        "semdedup {}",
        dir, before->get("command").value_or("?"), command);
  }
  for (const auto& [key, value] : now.entries) {
    if (key == kInputFileKey) continue;
    const auto old = before->get(key);
    if (old != value) {
      return Status::invalid_argument(
          "--resume: {} was written with {} {}, this run has {} {}; resume with the same "
          "parameters or pass --overwrite to start again",
          dir, key, old ? (old->empty() ? "unset" : *old) : "unset", key,
          value.empty() ? "unset" : value);
    }
  }
  const auto old_files = files_by_path(*before), new_files = files_by_path(now);
  for (const auto& [path, stamp] : new_files) {
    const auto old = old_files.find(path);
    if (old == old_files.end()) {
      return Status::invalid_argument(
          "--resume: input file {} was not an input of the run that wrote {}; pass --overwrite "
          "to start again",
          path, dir);
    }
    if (old->second != stamp) {
      return Status::invalid_argument(
          "--resume: input file {} changed (size or modification time) since the run that "
          "wrote {} began; pass --overwrite to start again",
          path, dir);
    }
  }
  for (const auto& [path, stamp] : old_files) {
    if (!new_files.contains(path)) {
      return Status::invalid_argument(
          "--resume: input file {} of the run that wrote {} is no longer an input; pass "
          "--overwrite to start again",
          path, dir);
    }
  }
  return Status::OK();
}

}  // namespace

Status check_outputs_apart(const std::vector<NamedPath>& inputs,
                           const std::vector<NamedPath>& outputs) {
  std::vector<NamedPath> expanded;
  for (const auto& input : inputs) {
    for (auto& path : expand(input.path)) expanded.push_back({input.name, std::move(path)});
  }
  for (const auto& output : outputs) {
    const fs::path out = canonical(output.path);
    for (const auto& input : expanded) {
      const fs::path in = canonical(input.path);
      const char* relation = out == in         ? "is"
                             : within(in, out) ? "contains"
                             : within(out, in) ? "lies inside"
                                               : nullptr;
      if (relation != nullptr) {
        return Status::invalid_argument(
            "{} {} {} the input {} {}; writing it could destroy the input: choose an output "
            "apart from every input",
            output.name, output.path, relation, input.name, input.path);
      }
    }
  }
  return Status::OK();
}

Status check_inputs_finished(const std::vector<NamedPath>& inputs, bool log_foreign,
                             const Context& ctx) {
  for (const auto& [name, value] : inputs) {
    const EntryType type = path_type(value);
    if (type == EntryType::kMissing) continue;
    std::string dir;
    if (is_s3_path(value)) {
      dir = type == EntryType::kDirectory ? value : parent_path(value);
    } else {
      const fs::path path = canonical(value);
      dir = (is_directory(path.string()) ? path : path.parent_path()).string();
    }
    // The directory itself, else the one above it (duplicates/ inside identify's output).
    bool known = false;
    for (const std::string& candidate : {dir, parent_path(dir)}) {
      if (candidate.empty() || candidate == "s3://") continue;
      const OutputState state = output_state(candidate);
      if (state == OutputState::kForeign) continue;
      known = true;
      if (state == OutputState::kUnfinished) {
        SD_ASSIGN_OR_RETURN(const auto manifest, read_manifest(candidate));
        const std::string command = manifest ? manifest->get("command").value_or("?") : "?";
        return Status::data_error(
            "{} {} is an unfinished semdedup {} output ({} has {} but no {}): finish it "
            "with `{}` first",
            name, value, command, candidate, kManifestFile, kSuccessFile,
            rerun_hint(command));
      }
      break;
    }
    if (!known && log_foreign) {
      ctx.logger->info("{} {} was not written by semdedup (no {}): read as it is", name, value,
                       kManifestFile);
    }
  }
  return Status::OK();
}

Result<std::vector<OutputLock>> lock_output_dirs(const std::vector<std::string>& dirs) {
  std::vector<fs::path> resolved;
  for (const auto& dir : dirs) resolved.push_back(canonical(dir));
  std::vector<OutputLock> locks;
  for (size_t i = 0; i < dirs.size(); ++i) {
    bool covered = false;
    for (size_t j = 0; j < dirs.size(); ++j) {
      const bool same = resolved[i] == resolved[j];
      if (j != i && within(resolved[i], resolved[j]) && (!same || j < i)) covered = true;
    }
    if (covered) continue;
    SD_ASSIGN_OR_RETURN(OutputLock lock, OutputLock::acquire(dirs[i]));
    locks.push_back(std::move(lock));
  }
  return locks;
}

OutputGuard::OutputGuard(const OutputPlan& plan) : mode_(plan.mode) {
  std::vector<fs::path> seen;
  for (const auto& dir : plan.dirs) {
    const fs::path resolved = canonical(dir);
    if (std::find(seen.begin(), seen.end(), resolved) != seen.end()) continue;
    seen.push_back(resolved);
    dirs_.push_back(dir);
  }
  created_.assign(dirs_.size(), false);
  manifest_.entries.emplace_back("command", plan.command);
  for (const auto& param : plan.params) manifest_.entries.push_back(param);
  for (auto& line : fingerprint_inputs(plan.inputs)) {
    manifest_.entries.emplace_back(kInputFileKey, std::move(line));
  }
}

OutputMode OutputGuard::stage_mode() const {
  return mode_ == OutputMode::kResume ? OutputMode::kResume : OutputMode::kFresh;
}

Status OutputGuard::begin() {
  // Every directory is checked before any is changed.
  for (const std::string& dir : dirs_) {
    SD_ASSIGN_OR_RETURN(const Entry entry, stat_path(dir));
    if (entry.type == EntryType::kMissing) continue;
    if (entry.type != EntryType::kDirectory) {
      return Status::io_error("output {} exists and is not a directory", dir);
    }
    const auto listed = list_directory(dir);
    if (!listed.ok()) {
      return Status::io_error("cannot list output directory {}: {}", dir,
                              listed.status().message());
    }
    const bool empty = listed->empty() || holds_only_markers(dir);
    // A run killed before its manifest landed left at most that manifest's temporary file:
    // nothing to check, and the resume starts the directory afresh.
    if (mode_ == OutputMode::kResume && !holds_only_temporaries(dir)) {
      SD_RETURN_IF_ERROR(check_resumable(dir, manifest_));
    } else if (!empty && mode_ == OutputMode::kFresh) {
      return Status::already_exists(
          "output directory {} is not empty; pass --resume to finish an earlier run or "
          "--overwrite to replace it",
          dir);
    } else if (!empty && mode_ == OutputMode::kOverwrite) {
      SD_ASSIGN_OR_RETURN(const auto manifest, read_manifest(dir));
      SD_ASSIGN_OR_RETURN(
          const auto foreign,
          first_foreign_entry(dir, manifest && manifest->get("command") == "remove"));
      if (foreign) SD_RETURN_IF_ERROR(clear_own_output(dir));  // refuses, naming it
    }
  }
  for (size_t i = 0; i < dirs_.size(); ++i) {
    const std::string& dir = dirs_[i];
    created_[i] = !path_exists(dir);
    if (mode_ == OutputMode::kOverwrite && !created_[i]) {
      SD_RETURN_IF_ERROR(clear_own_output(dir));
    }
    if (const Status made = create_directories(dir); !made.ok()) {
      return Status::io_error("cannot create output directory {}: {}", dir, made.message());
    }
    // From here on the directory is an unfinished output until finish().
    if (const Status removed = remove_file(join_path(dir, kSuccessFile)); !removed.ok()) {
      return Status::io_error("cannot remove {}/{}: {}", dir, kSuccessFile, removed.message());
    }
    SD_RETURN_IF_ERROR(write_file_atomic(join_path(dir, kManifestFile), manifest_.to_text()));
  }
  return Status::OK();
}

Status OutputGuard::finish() const {
  for (const std::string& dir : dirs_) {
    SD_RETURN_IF_ERROR(write_file_atomic(join_path(dir, kSuccessFile), ""));
  }
  return Status::OK();
}

void OutputGuard::abandon(const Status& failure) const {
  // A resumed output keeps its record and its finished work for the next --resume.
  if (mode_ == OutputMode::kResume) return;
  for (size_t i = 0; i < dirs_.size(); ++i) {
    // A directory this run created holds only what it wrote; an interrupted run keeps the
    // work its stages kept for --resume.
    if (created_[i] && failure.code() != StatusCode::kCancelled) {
      (void)remove_all(dirs_[i]);
      continue;
    }
    if (!holds_only_markers(dirs_[i])) continue;
    (void)remove_file(join_path(dirs_[i], kManifestFile));
    (void)remove_file(join_path(dirs_[i], kSuccessFile));
    if (created_[i]) (void)remove_all(dirs_[i]);
  }
}

Status guarded_run(const Context& ctx, const OutputPlan& plan, const std::vector<NamedPath>& inputs,
                   const std::vector<NamedPath>& outputs, bool log_foreign,
                   const std::function<Status(OutputMode)>& work) {
  // Nothing is touched before the outputs are known to lie apart from the inputs and the inputs
  // to be finished.
  SD_RETURN_IF_ERROR(check_outputs_apart(inputs, outputs));
  SD_RETURN_IF_ERROR(check_inputs_finished(inputs, log_foreign, ctx));
  SD_ASSIGN_OR_RETURN(std::vector<OutputLock> locks, lock_output_dirs(plan.dirs));
  OutputGuard guard(plan);
  Status status = guard.begin();
  if (status.ok()) status = work(guard.stage_mode());
  if (status.ok()) status = guard.finish();
  if (!status.ok()) guard.abandon(status);
  return status;
}

}  // namespace semdedup::io
