#pragma once
// Flags every subcommand shares, and the context they build.

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::cli {

struct CommonOptions {
  int threads = 0;
  std::string cpu_kernel = "auto";
  std::string device = "cpu";
  std::string log_level = "info";
  bool quiet = false;
  std::string progress = "auto";
  std::string config;
};

/// Adds --threads, --cpu-kernel, --device, --log-level, --quiet, --progress and --config to `app`.
void add_common_flags(CLI::App& app, CommonOptions& options);

/// The context of a run from the common flags.
Result<Context> make_context(const CommonOptions& options);

/// A subcommand: its CLI11 app and the function that runs it once flags are parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<Status(const Context&)> run;
  std::shared_ptr<CommonOptions> common;
};

/// (name, value) of semdedup's version and build type, Arrow's and the BLAS's.
std::vector<std::pair<std::string, std::string>> version_pairs();

/// Splits "a,b,c" into {"a","b","c"} (empty pieces dropped).
std::vector<std::string> split_list(const std::string& text);

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
