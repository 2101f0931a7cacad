#include "cli/yaml_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

namespace semdedup::cli {

std::string flag_for_parameter(const std::string& name) {
  static const std::map<std::string, std::string> kRenamed = {
      {"input_path", "input"},
      {"output_path", "output"},
      {"distance_metric", "sim-metric"},
      {"duplicates_path", "duplicates"},
      // NeMo 1.4's workflow and stage spellings.
      {"kmeans_embedding_output_dtype", "embedding-output-dtype"},
      {"compute_dtype", "pairwise-compute-dtype"},
  };
  if (auto it = kRenamed.find(name); it != kRenamed.end()) return it->second;
  std::string flag = name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

namespace {

bool given(const std::vector<std::string>& args, const std::string& flag) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& arg) {
    return arg == flag || arg.starts_with(flag + "=");
  });
}

Result<std::vector<std::string>> add_config_flags(const CLI::App& sub, const YAML::Node& root,
                                                  const std::string& path,
                                                  std::vector<std::string> args);

}  // namespace

Result<std::vector<std::string>> expand_config_file(const CLI::App& app,
                                                    std::vector<std::string> args) {
  const CLI::App* sub = nullptr;
  for (const auto& arg : args) {
    if (arg.starts_with("-")) continue;
    for (const CLI::App* candidate : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (candidate->get_name() == arg) sub = candidate;
    }
    break;
  }
  if (!sub) return args;
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].starts_with("--config=")) path = args[i].substr(9);
  }
  if (path.empty()) return args;

  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::io_error("config file {}: cannot be read", path);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument("config file {}: not valid YAML: {}", path, e.what());
  }
  if (root.IsNull()) return args;
  if (!root.IsMap()) {
    return Status::invalid_argument("config file {}: must be a mapping of parameter: value", path);
  }
  // yaml-cpp reports what it cannot convert by throwing; every such case is a bad file.
  try {
    return add_config_flags(*sub, root, path, std::move(args));
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument("config file {}: {}", path, e.what());
  }
}

namespace {

// "key=value,key=value" of a storage_options mapping; a nested mapping's keys are prefixed
// with its key and a dot.
Result<std::string> storage_option_pairs(const YAML::Node& map, const std::string& prefix,
                                         const std::string& path) {
  std::string pairs;
  for (const auto& entry : map) {
    const std::string key = prefix + entry.first.as<std::string>();
    std::string text;
    if (entry.second.IsMap()) {
      SD_ASSIGN_OR_RETURN(text, storage_option_pairs(entry.second, key + ".", path));
    } else if (entry.second.IsScalar()) {
      const std::string value = entry.second.as<std::string>();
      if (value.find(',') != std::string::npos) {
        return Status::invalid_argument("config file {}: storage_options '{}': a value must not "
                                        "hold a comma", path, key);
      }
      text = key + "=" + value;
    } else {
      return Status::invalid_argument("config file {}: storage_options '{}' must be a scalar",
                                      path, key);
    }
    if (!text.empty()) pairs += (pairs.empty() ? "" : ",") + text;
  }
  return pairs;
}

Result<std::vector<std::string>> add_config_flags(const CLI::App& sub, const YAML::Node& root,
                                                  const std::string& path,
                                                  std::vector<std::string> args) {
  // PyYAML, which NeMo's configs go through, keeps the last of two equal keys and yaml-cpp the
  // first: a key given twice (or two names of one flag) is refused rather than guessed.
  std::map<std::string, std::string> key_of_flag;
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) {
      return Status::invalid_argument("config file {}: a key is not a parameter name", path);
    }
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    const std::string flag = "--" + flag_for_parameter(key);
    const CLI::Option* option = sub.get_option_no_throw(flag);
    if (!option || flag == "--config") {
      return Status::invalid_argument("config file {}: '{}' is not a parameter of '{}' (no flag {})",
                                      path, key, sub.get_name(), flag);
    }
    if (const auto [earlier, fresh] = key_of_flag.emplace(flag, key); !fresh) {
      if (earlier->second == key) {
        return Status::invalid_argument("config file {}: key '{}' is given twice", path, key);
      }
      return Status::invalid_argument("config file {}: keys '{}' and '{}' both set {}", path,
                                      earlier->second, key, flag);
    }
    if (value.IsNull() || given(args, flag)) continue;
    std::vector<std::string> values;
    if (flag == "--storage-options" && value.IsMap()) {
      // NeMo's storage_options mapping (nested client_kwargs become client_kwargs.endpoint_url).
      SD_ASSIGN_OR_RETURN(const std::string pairs, storage_option_pairs(value, "", path));
      if (!pairs.empty()) args.push_back(flag + "=" + pairs);
      continue;
    }
    if (value.IsScalar()) {
      values.push_back(value.as<std::string>());
    } else if (value.IsSequence()) {
      for (const auto& element : value) {
        if (!element.IsScalar()) {
          return Status::invalid_argument("config file {}: '{}': list elements must be scalars",
                                          path, key);
        }
        values.push_back(element.as<std::string>());
      }
      if (values.empty()) continue;
    } else {
      return Status::invalid_argument("config file {}: '{}': nested mappings are not supported",
                                      path, key);
    }
    if (option->get_expected_max() > 1) {
      // A repeated-value flag (--input a b): each value separately.
      args.push_back(flag);
      args.insert(args.end(), values.begin(), values.end());
    } else {
      // One value; lists become the comma-separated text our list flags take (a,b).
      std::string joined;
      for (const auto& part : values) joined += (joined.empty() ? "" : ",") + part;
      args.push_back(flag + "=" + joined);
    }
  }
  return args;
}

}  // namespace

}  // namespace semdedup::cli
