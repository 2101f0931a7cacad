#pragma once
// Flags every subcommand shares, and the context they build.

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"

namespace semdedup::cli {

struct CommonOptions {
  int threads = 0;
  std::string cpu_kernel = "auto";
  std::string device = "cpu";
  std::string log_level = "info";
  bool quiet = false;
  std::string progress = "auto";
  std::string config;
  /// --storage-options: "key=value,key=value" for s3:// paths.
  std::string storage_options;
  /// Hold log lines until the command has succeeded (run_app sets it when stderr is not a
  /// terminal and no --log-level was given), so that a failure prints one line.
  bool hold_log = false;
};

/// Most worker threads --threads may ask for: 16 per core of this machine. Each thread keeps
/// tiles of its own (a 1024-row tile per thread in k-means), so far more threads than cores
/// only exhaust memory.
int max_threads();

/// CLI11 check of a seed flag: a decimal integer in [0, 2^64 - 1] (CLI11 alone would wrap -1
/// and saturate 2^64 to 2^64 - 1).
CLI::Validator seed_validator();

/// CLI11 transform of a count flag: a whole number also written in scientific notation (1e6)
/// becomes its digits, so that the size checks can say what was asked; a fraction or a number
/// beyond int64 is refused.
CLI::Validator whole_number();

/// Adds --threads, --cpu-kernel, --device, --log-level, --quiet, --progress, --storage-options
/// and --config to `app`.
void add_common_flags(CLI::App& app, CommonOptions& options);

/// "key=value,key=value" as a map; invalid_argument for a piece without '=' or a key given twice.
Result<std::map<std::string, std::string>> parse_storage_options(const std::string& text);

/// The context of a run from the common flags.
Result<Context> make_context(const CommonOptions& options);

/// A subcommand: its CLI11 app and the function that runs it once flags are parsed, given the
/// mode its stages apply to their output (see cli/outputs.hpp, which handles the flags).
struct Command {
  CLI::App* app = nullptr;
  std::function<Status(const Context&, io::OutputMode)> run;
  std::shared_ptr<CommonOptions> common;
};

/// Subcommand `name` of `parent`, in the one shape every command has: an options struct of its
/// own (`Options`, filled by its flags and by the YAML keys --config turns into flags), a
/// `setup` that declares the command's flags onto it (the common flags follow), and a `run`
/// that turns the parsed options into params and runs the command in output mode `mode`.
template <typename Options>
Command make_command(CLI::App& parent, const std::string& name, const std::string& description,
                     void (*setup)(CLI::App&, Options&),
                     Status (*run)(const Context&, io::OutputMode, Options&)) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  auto options = std::make_shared<Options>();
  cmd.app = parent.add_subcommand(name, description);
  setup(*cmd.app, *options);
  add_common_flags(*cmd.app, *cmd.common);
  cmd.run = [options, run](const Context& ctx, io::OutputMode mode) {
    return run(ctx, mode, *options);
  };
  return cmd;
}

/// (name, value) of semdedup's version and build type, Arrow's and the BLAS's.
std::vector<std::pair<std::string, std::string>> version_pairs();

/// Splits "a,b,c" into {"a","b","c"} (empty pieces dropped).
std::vector<std::string> split_list(const std::string& text);

/// `result`, with its error prefixed by the flag whose value it parsed ("--flag: ...").
template <typename T>
Result<T> with_flag(std::string_view flag, Result<T> result) {
  if (!result.ok()) return result.status().with_context(flag);
  return result;
}

// One function per subcommand (one file each, <name>_command.cpp), adding it to `parent` through
// make_command.
Command add_kmeans_command(CLI::App& parent);
Command add_pairwise_command(CLI::App& parent);
Command add_identify_command(CLI::App& parent);
Command add_run_command(CLI::App& parent);
Command add_remove_command(CLI::App& parent);
Command add_report_command(CLI::App& parent);
Command add_generate_command(CLI::App& parent);
Command add_demo_command(CLI::App& parent);

}  // namespace semdedup::cli
