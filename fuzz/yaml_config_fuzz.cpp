// libFuzzer target: arbitrary bytes as a --config YAML file, expanded into flags of a command
// shaped like `semdedup run` and then parsed by CLI11 as main() would.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>

#include "cli/yaml_config.hpp"
#include "fuzz_input.hpp"

namespace {

struct Flags {
  std::vector<std::string> input;
  std::string output, which_to_keep, metadata_fields, config;
  int64_t n_clusters = 0;
  double eps = 0;
  bool resume = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = semdedup::fuzz::write_input("config.yaml", data, size);
  Flags flags;
  CLI::App app{"fuzz"};
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run");
  run->add_option("--input", flags.input)->expected(1, -1);
  run->add_option("--output", flags.output);
  run->add_option("--n-clusters", flags.n_clusters);
  run->add_option("--eps", flags.eps);
  run->add_option("--which-to-keep", flags.which_to_keep);
  run->add_option("--metadata-fields", flags.metadata_fields);
  run->add_option("--config", flags.config);
  run->add_flag("--resume", flags.resume);
  auto args = semdedup::cli::expand_config_file(app, {"run", "--config", path, "--eps", "0.1"});
  if (!args.ok()) return 0;
  std::reverse(args->begin(), args->end());
  try {
    app.parse(*args);
  } catch (const CLI::ParseError&) {
  }
  return 0;
}
