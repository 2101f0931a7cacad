#pragma once
// `--config FILE.yaml`: a YAML mapping whose keys are NeMo Curator's parameter names
// (n_clusters, which_to_keep, input_path, distance_metric, ...). Each key becomes the flag of the
// same name with dashes, added to the command line unless that flag is already there, so flags
// given on the command line win over the file.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::cli {

/// The flag name (without dashes) for a NeMo parameter name: "distance_metric" -> "sim-metric",
/// "input_path" -> "input", otherwise underscores become dashes.
std::string flag_for_parameter(const std::string& name);

/// `args` (argv without the program name) with the parameters of the YAML file named by the
/// subcommand's --config added as flags. The subcommand is the first argument naming one of
/// `app`'s subcommands. A key with no matching flag, unreadable YAML or a nested mapping is an
/// invalid_argument naming the file and key.
Result<std::vector<std::string>> expand_config_file(const CLI::App& app,
                                                    std::vector<std::string> args);

}  // namespace semdedup::cli
