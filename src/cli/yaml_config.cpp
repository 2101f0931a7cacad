#include "cli/yaml_config.hpp"

#include <yaml-cpp/yaml.h>

#include <map>

namespace semdedup::cli {

std::string flag_for_parameter(const std::string& name) {
  static const std::map<std::string, std::string> kRenamed = {
      {"input_path", "input"},
      {"output_path", "output"},
      {"distance_metric", "sim-metric"},
      {"duplicates_path", "duplicates"},
  };
  if (auto it = kRenamed.find(name); it != kRenamed.end()) return it->second;
  std::string flag = name;
  for (char& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

std::string YamlConfig::to_config(const CLI::App*, bool, bool, std::string) const { return {}; }

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  YAML::Node root;
  try {
    root = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    throw CLI::ConversionError(std::string("config file is not valid YAML: ") + e.what());
  }
  std::vector<CLI::ConfigItem> items;
  if (root.IsNull()) return items;
  if (!root.IsMap()) throw CLI::ConversionError("config file must be a YAML mapping of parameter: value");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    CLI::ConfigItem item;
    item.name = flag_for_parameter(key);
    if (value.IsNull()) continue;
    if (value.IsScalar()) {
      item.inputs.push_back(value.as<std::string>());
    } else if (value.IsSequence()) {
      for (const auto& element : value) {
        if (!element.IsScalar()) {
          throw CLI::ConversionError("config key '" + key + "': list elements must be scalars");
        }
        item.inputs.push_back(element.as<std::string>());
      }
      if (item.inputs.empty()) continue;
      // Paths are repeated values; every other list flag takes comma-separated text
      // (--metadata-fields a,b, --ranking-ascending true,false).
      if (item.name != "input") {
        std::string joined;
        for (const auto& part : item.inputs) joined += (joined.empty() ? "" : ",") + part;
        item.inputs = {joined};
      }
    } else {
      throw CLI::ConversionError("config key '" + key + "': nested mappings are not supported");
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace semdedup::cli
