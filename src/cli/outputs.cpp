#include "cli/outputs.hpp"

#include <set>

#include "cli/flags.hpp"
#include "semdedup/kmeans/params.hpp"

namespace semdedup::cli {

namespace {

// The commands whose --output (and, for run, --cache-path) this file manages.
const std::set<std::string> kManagedCommands = {"kmeans", "pairwise", "identify",
                                                "run",    "remove",   "generate"};
// Commands whose --input is another stage's output.
const std::set<std::string> kStageInputCommands = {"pairwise", "identify", "report"};
// Flags that cannot change a result, so a resume may change them.
const std::set<std::string> kNotShaping = {
    "--help",       "--threads",          "--device",     "--log-level",
    "--quiet",      "--progress",         "--config",     kOverwriteFlag,
    kResumeFlag,    kOutputFlag,          kCachePathFlag, "--pairwise-batch-size",
    "--max-samples-per-batch", "--embedding-dim",
    "--storage-options"};  // where files live, and credentials: never in a manifest

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

}  // namespace

Status check_outputs_apart(const CLI::App& app) {
  std::vector<io::NamedPath> inputs, outputs;
  for (const char* flag : {kInputFlag, kDuplicatesFlag, "--config", "--init"}) {
    for (const auto& value : values_of(app, flag)) {
      // --init names a file unless it names a method.
      kmeans::FitParams init;
      if (std::string(flag) == "--init" && kmeans::parse_init(value, init).ok() &&
          init.init != kmeans::InitMethod::kFile) {
        continue;
      }
      inputs.push_back({flag, value});
    }
  }
  for (const char* flag : {kOutputFlag, kCachePathFlag, "--html"}) {
    for (const auto& output : values_of(app, flag)) outputs.push_back({flag, output});
  }
  return io::check_outputs_apart(inputs, outputs);
}

Status check_inputs_finished(const CLI::App& app, const Context& ctx) {
  const bool stage_input = kStageInputCommands.contains(app.get_name());
  std::vector<io::NamedPath> inputs, duplicates;
  for (const auto& value : values_of(app, kInputFlag)) inputs.push_back({kInputFlag, value});
  for (const auto& value : values_of(app, kDuplicatesFlag)) {
    duplicates.push_back({kDuplicatesFlag, value});
  }
  SD_RETURN_IF_ERROR(io::check_inputs_finished(inputs, stage_input, ctx));
  return io::check_inputs_finished(duplicates, true, ctx);
}

std::vector<std::string> written_dirs(const CLI::App& app) {
  std::vector<std::string> dirs;
  for (const char* flag : {kOutputFlag, kCachePathFlag}) {
    const CLI::Option* option = app.get_option_no_throw(flag);
    if (!option || option->count() == 0 || option->results().back().empty()) continue;
    dirs.push_back(option->results().back());
  }
  return dirs;
}

io::OutputPlan plan_outputs(const CLI::App& app) {
  io::OutputPlan plan;
  if (!kManagedCommands.contains(app.get_name())) return plan;
  plan.command = app.get_name();
  plan.mode = flag_set(app, kOverwriteFlag) ? io::OutputMode::kOverwrite
               : flag_set(app, kResumeFlag)  ? io::OutputMode::kResume
                                             : io::OutputMode::kFresh;
  for (const char* flag : {kOutputFlag, kCachePathFlag}) {
    if (std::string(flag) == kCachePathFlag && app.get_name() != "run") continue;
    for (const auto& dir : values_of(app, flag)) plan.dirs.push_back(dir);
  }
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
    plan.params.emplace_back(name, value);
  }
  plan.inputs = values_of(app, kInputFlag);
  for (const auto& path : values_of(app, kDuplicatesFlag)) plan.inputs.push_back(path);
  return plan;
}

}  // namespace semdedup::cli
