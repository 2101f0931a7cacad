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

// One setup_ function per subcommand (one file each).
Command setup_kmeans(CLI::App& parent);
Command setup_pairwise(CLI::App& parent);
Command setup_identify(CLI::App& parent);
Command setup_run(CLI::App& parent);
Command setup_remove(CLI::App& parent);
Command setup_report(CLI::App& parent);
Command setup_generate(CLI::App& parent);
Command setup_demo(CLI::App& parent);

}  // namespace semdedup::cli
