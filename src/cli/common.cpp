#include "cli/common.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

#include "semdedup/core/communicator.hpp"
#include "semdedup/kernels/isa.hpp"

namespace semdedup::cli {

void add_common_flags(CLI::App& app, CommonOptions& options) {
  app.add_option("--threads", options.threads,
                 "worker threads (0 = every core; at most 16 per core); results never depend on it")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cpu-kernel", options.cpu_kernel,
                 "k-means assignment and pairwise kernel: auto (the best this CPU runs), fp32 (GEMM "
                 "tiles, the reference) or avx512-bf16 (bfloat16 filter, float64 decisions)")
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(kCpuKernelNames)));
  app.add_option("--device", options.device,
                 fmt::format("backend for the hot kernels: {}", enum_names_joined(kDeviceNames)))
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(kDeviceNames)));
  app.add_option("--log-level", options.log_level, enum_names_joined(kLogLevelNames))
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(kLogLevelNames)));
  app.add_flag("--quiet,-q", options.quiet, "only errors; no progress");
  app.add_option("--progress", options.progress,
                 "progress display: auto (a bar on a terminal, periodic log lines otherwise), "
                 "always, never")
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(kProgressModeNames)));
  app.add_option("--storage-options", options.storage_options,
                 "options for s3:// paths, as key=value,key=value: endpoint_override (e.g. "
                 "http://127.0.0.1:9000), region, access_key, secret_key, session_token, scheme "
                 "(http|https), anonymous, allow_bucket_creation, connect_timeout, "
                 "request_timeout (fsspec's key, secret, token, endpoint_url and "
                 "client_kwargs.endpoint_url are accepted too); unset ones come from the AWS "
                 "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, "
                 "AWS_ENDPOINT_URL, ~/.aws)");
  // Read before parsing by expand_config_file; declared here for --help and validation.
  app.add_option("--config", options.config,
                 "YAML file of parameters under NeMo Curator's names (n_clusters, eps, "
                 "which_to_keep, input_path, distance_metric, ...); flags on the command line win")
      ->check(CLI::ExistingFile);
}

int max_threads() { return 16 * default_thread_count(); }

CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [at, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || at != end) {
          return fmt::format("must be an integer in [0, {}], got '{}'",
                             std::numeric_limits<uint64_t>::max(), text);
        }
        return {};
      },
      "UINT64");
}

CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t whole = 0;
        const char* end = text.data() + text.size();
        if (const auto [at, ec] = std::from_chars(text.data(), end, whole);
            ec == std::errc() && at == end) {
          return {};
        }
        double value = 0;
        const auto [at, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || at != end || value != std::floor(value)) {
          return fmt::format("must be a whole number, got '{}'", text);
        }
        // 2^63 is the first double beyond int64.
        if (std::fabs(value) >= 9223372036854775808.0) {
          return fmt::format("{} is out of range (at most {})", text,
                             std::numeric_limits<int64_t>::max());
        }
        text = std::to_string(static_cast<int64_t>(value));
        return {};
      },
      "INT");
}

Result<std::map<std::string, std::string>> parse_storage_options(const std::string& text) {
  std::map<std::string, std::string> options;
  for (const std::string& piece : split_list(text)) {
    const size_t equals = piece.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Status::invalid_argument("--storage-options: '{}' is not key=value", piece);
    }
    if (!options.emplace(piece.substr(0, equals), piece.substr(equals + 1)).second) {
      return Status::invalid_argument("--storage-options: key '{}' is given twice",
                                      piece.substr(0, equals));
    }
  }
  return options;
}

Result<Context> make_context(const CommonOptions& options) {
  if (options.threads > max_threads()) {
    return Status::invalid_argument(
        "--threads {} is more than this machine can use: at most {} (16 per core, {} cores)",
        options.threads, max_threads(), default_thread_count());
  }
  Context ctx = Context::make_default(options.threads);
  SD_ASSIGN_OR_RETURN(auto level, parse_log_level(options.log_level));
  if (options.quiet) level = spdlog::level::err;
  ctx.logger = options.hold_log ? make_held_stderr_logger(level) : make_stderr_logger(level);
  SD_ASSIGN_OR_RETURN(auto mode, parse_progress_mode(options.progress));
  if (options.quiet) mode = ProgressMode::kNever;
  ctx.progress = make_progress(mode, ctx.logger);
  SD_ASSIGN_OR_RETURN(ctx.device, parse_device(options.device));
  SD_ASSIGN_OR_RETURN(const CpuKernel kernel, kernels::parse_cpu_kernel(options.cpu_kernel));
  ctx.cpu_kernel = kernels::resolve_cpu_kernel(kernel);
  if (ctx.device == Device::kCuda) {
    return Status::not_implemented("--device cuda: this build has no CUDA backend");
  }
  SD_ASSIGN_OR_RETURN(ctx.storage_options, parse_storage_options(options.storage_options));
  return ctx;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) parts.push_back(item);
  }
  return parts;
}

}  // namespace semdedup::cli
