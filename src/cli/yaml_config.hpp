#pragma once
// `--config FILE.yaml`: a YAML mapping whose keys are NeMo Curator's parameter names
// (n_clusters, which_to_keep, input_path, distance_metric, ...). Each key becomes the flag of the
// same name with dashes; flags given on the command line win over the file.

#include <CLI/CLI.hpp>

#include <string>

namespace semdedup::cli {

class YamlConfig final : public CLI::Config {
 public:
  std::string to_config(const CLI::App*, bool, bool, std::string) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

/// The flag name (without dashes) for a NeMo parameter name: "distance_metric" -> "sim-metric",
/// "input_path" -> "input", otherwise underscores become dashes.
std::string flag_for_parameter(const std::string& name);

}  // namespace semdedup::cli
