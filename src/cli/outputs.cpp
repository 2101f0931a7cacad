#include "cli/outputs.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "semdedup/io/writer.hpp"

namespace semdedup::cli {

namespace fs = std::filesystem;

namespace {

// The commands whose --output (and, for run, --cache-path) this file manages.
const std::set<std::string> kManagedCommands = {"kmeans", "pairwise", "identify",
                                                "run",    "remove",   "generate"};
// Commands whose --input is another stage's output.
const std::set<std::string> kStageInputCommands = {"pairwise", "identify", "report"};
// Flags that cannot change a result, so a resume may change them.
const std::set<std::string> kNotShaping = {
    "--help",   "--threads",  "--device",    "--log-level",           "--quiet",
    "--progress", "--config", "--overwrite", "--resume",              "--output",
    "--cache-path", "--pairwise-batch-size", "--max-samples-per-batch", "--embedding-dim"};
constexpr const char* kInputFileKey = "input file";

std::vector<std::string> values_of(const CLI::App& app, const char* flag) {
  const CLI::Option* option = app.get_option_no_throw(flag);
  if (option == nullptr || option->count() == 0) return {};
  std::vector<std::string> values;
  for (const auto& value : option->results()) {
    if (!value.empty()) values.push_back(value);
  }
  return values;
}

bool flag_set(const CLI::App& app, const char* flag) {
  const CLI::Option* option = app.get_option_no_throw(flag);
  return option != nullptr && option->count() > 0 && option->as<bool>();
}

fs::path canonical(const std::string& path) {
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (!resolved.has_filename() && resolved.has_parent_path()) resolved = resolved.parent_path();
  return resolved;
}

bool within(const fs::path& inner, const fs::path& outer) {
  return std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first ==
         outer.end();
}

// The paths an input names: itself when it exists, else what it matches as a glob.
std::vector<std::string> expand(const std::string& input) {
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
std::map<std::string, std::string> files_by_path(const io::Manifest& manifest) {
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
Status check_resumable(const std::string& dir, const io::Manifest& now) {
  SD_ASSIGN_OR_RETURN(const auto before, io::read_manifest(dir));
  if (!before) {
    return Status::invalid_argument(
        "--resume: output directory {} has no {}: semdedup did not start it, so there is "
        "nothing to resume",
        dir, io::kManifestFile);
  }
  const std::string command = now.get("command").value_or("");
  if (before->get("command") != command) {
    return Status::invalid_argument("--resume: {} holds the output of semdedup {}, not of "
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

void add_output_mode_flags(CLI::App& app, const std::string& overwrite_help,
                           const std::string& resume_help) {
  CLI::Option* overwrite = app.add_flag("--overwrite", overwrite_help);
  if (!resume_help.empty()) app.add_flag("--resume", resume_help)->excludes(overwrite);
}

Status check_outputs_apart(const CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> inputs;  // (flag, path)
  for (const char* flag : {"--input", "--duplicates", "--config", "--init"}) {
    for (const auto& value : values_of(app, flag)) {
      if (std::string(flag) == "--init" && (value == "k-means||" || value == "random")) continue;
      for (const auto& path : expand(value)) inputs.emplace_back(flag, path);
    }
  }
  for (const char* flag : {"--output", "--cache-path", "--html"}) {
    for (const auto& output : values_of(app, flag)) {
      const fs::path out = canonical(output);
      for (const auto& [input_flag, input] : inputs) {
        const fs::path in = canonical(input);
        const char* relation = out == in             ? "is"
                               : within(in, out)     ? "contains"
                               : within(out, in)     ? "lies inside"
                                                     : nullptr;
        if (relation != nullptr) {
          return Status::invalid_argument(
              "{} {} {} the input {} {}; writing it could destroy the input: choose an output "
              "apart from every input",
              flag, output, relation, input_flag, input);
        }
      }
    }
  }
  return Status::OK();
}

Status check_inputs_finished(const CLI::App& app, const Context& ctx) {
  const bool stage_input = kStageInputCommands.contains(app.get_name());
  for (const char* flag : {"--input", "--duplicates"}) {
    for (const auto& value : values_of(app, flag)) {
      std::error_code ec;
      if (!fs::exists(value, ec)) continue;
      const fs::path path = canonical(value);
      const fs::path dir = fs::is_directory(path, ec) ? path : path.parent_path();
      // The directory itself, else the one above it (duplicates/ inside identify's output).
      bool known = false;
      for (const fs::path& candidate : {dir, dir.parent_path()}) {
        const io::OutputState state = io::output_state(candidate.string());
        if (state == io::OutputState::kForeign) continue;
        known = true;
        if (state == io::OutputState::kUnfinished) {
          SD_ASSIGN_OR_RETURN(const auto manifest, io::read_manifest(candidate.string()));
          const std::string command = manifest ? manifest->get("command").value_or("?") : "?";
          return Status::data_error(
              "{} {} is an unfinished semdedup {} output ({} has {} but no {}): finish it "
              "with `{}` first",
              flag, value, command, candidate.string(), io::kManifestFile, io::kSuccessFile,
              rerun_hint(command));
        }
        break;
      }
      if (!known && (stage_input || std::string(flag) == "--duplicates")) {
        ctx.logger->info("{} {} was not written by semdedup (no {}): read as it is", flag, value,
                         io::kManifestFile);
      }
    }
  }
  return Status::OK();
}

OutputDirs OutputDirs::plan(const CLI::App& app) {
  OutputDirs plan;
  if (!kManagedCommands.contains(app.get_name())) return plan;
  plan.mode_ = flag_set(app, "--overwrite") ? io::OutputMode::kOverwrite
               : flag_set(app, "--resume")  ? io::OutputMode::kResume
                                            : io::OutputMode::kFresh;
  std::vector<fs::path> seen;
  for (const char* flag : {"--output", "--cache-path"}) {
    if (std::string(flag) == "--cache-path" && app.get_name() != "run") continue;
    for (const auto& dir : values_of(app, flag)) {
      const fs::path resolved = canonical(dir);
      if (std::find(seen.begin(), seen.end(), resolved) != seen.end()) continue;
      seen.push_back(resolved);
      plan.dirs_.push_back(dir);
    }
  }
  plan.created_.assign(plan.dirs_.size(), false);

  plan.manifest_.entries.emplace_back("command", app.get_name());
  for (const CLI::Option* option : app.get_options()) {
    const std::string name = option->get_name();
    if (kNotShaping.contains(name) || !option->get_configurable()) continue;
    std::string value = option->get_default_str();  // the default when not given
    if (option->count() > 0) {
      // The parsed value as the option's variable prints it ("0.050" and "0.05" agree).
      auto* writable = const_cast<CLI::Option*>(option);
      writable->capture_default_str();
      value = writable->get_default_str();
      if (value.empty()) {
        value.clear();
        for (const auto& item : option->results()) value += (value.empty() ? "" : ",") + item;
      }
    }
    plan.manifest_.entries.emplace_back(name, value);
  }
  std::vector<std::string> inputs = values_of(app, "--input");
  for (const auto& path : values_of(app, "--duplicates")) inputs.push_back(path);
  for (auto& line : io::fingerprint_inputs(inputs)) {
    plan.manifest_.entries.emplace_back(kInputFileKey, std::move(line));
  }
  return plan;
}

io::OutputMode OutputDirs::stage_mode() const {
  return mode_ == io::OutputMode::kResume ? io::OutputMode::kResume : io::OutputMode::kFresh;
}

Status OutputDirs::begin() {
  // Every directory is checked before any is changed.
  for (const std::string& dir : dirs_) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    if (!fs::is_directory(dir, ec)) {
      return Status::io_error("output {} exists and is not a directory", dir);
    }
    const bool empty = fs::is_empty(dir, ec) || io::holds_only_markers(dir);
    if (ec) return Status::io_error("cannot list output directory {}: {}", dir, ec.message());
    if (mode_ == io::OutputMode::kResume && !fs::is_empty(dir, ec)) {
      SD_RETURN_IF_ERROR(check_resumable(dir, manifest_));
    } else if (!empty && mode_ == io::OutputMode::kFresh) {
      return Status::already_exists(
          "output directory {} is not empty; pass --resume to finish an earlier run or "
          "--overwrite to replace it",
          dir);
    } else if (!empty && mode_ == io::OutputMode::kOverwrite) {
      SD_ASSIGN_OR_RETURN(const auto manifest, io::read_manifest(dir));
      SD_ASSIGN_OR_RETURN(const auto foreign,
                          io::first_foreign_entry(dir, manifest && manifest->get("command") ==
                                                                       "remove"));
      if (foreign) SD_RETURN_IF_ERROR(io::clear_own_output(dir));  // refuses, naming it
    }
  }
  for (size_t i = 0; i < dirs_.size(); ++i) {
    const std::string& dir = dirs_[i];
    std::error_code ec;
    created_[i] = !fs::exists(dir, ec);
    if (mode_ == io::OutputMode::kOverwrite && !created_[i]) {
      SD_RETURN_IF_ERROR(io::clear_own_output(dir));
    }
    fs::create_directories(dir, ec);
    if (ec) return Status::io_error("cannot create output directory {}: {}", dir, ec.message());
    // From here on the directory is an unfinished output until finish().
    fs::remove(fs::path(dir) / io::kSuccessFile, ec);
    if (ec) return Status::io_error("cannot remove {}/{}: {}", dir, io::kSuccessFile, ec.message());
    SD_RETURN_IF_ERROR(io::write_file_atomic((fs::path(dir) / io::kManifestFile).string(),
                                             manifest_.to_text()));
  }
  return Status::OK();
}

Status OutputDirs::finish() const {
  for (const std::string& dir : dirs_) {
    SD_RETURN_IF_ERROR(io::write_file_atomic((fs::path(dir) / io::kSuccessFile).string(), ""));
  }
  return Status::OK();
}

void OutputDirs::abandon(const Status& failure) const {
  // A resumed output keeps its record and its finished work for the next --resume.
  if (mode_ == io::OutputMode::kResume) return;
  for (size_t i = 0; i < dirs_.size(); ++i) {
    std::error_code ec;
    // A directory this run created holds only what it wrote; an interrupted run keeps the
    // work its stages kept for --resume.
    if (created_[i] && failure.code() != StatusCode::kCancelled) {
      fs::remove_all(dirs_[i], ec);
      continue;
    }
    if (!io::holds_only_markers(dirs_[i])) continue;
    fs::remove(fs::path(dirs_[i]) / io::kManifestFile, ec);
    fs::remove(fs::path(dirs_[i]) / io::kSuccessFile, ec);
    if (created_[i]) fs::remove(dirs_[i], ec);
  }
}

}  // namespace semdedup::cli
