#pragma once
/// \file The one logging facade: spdlog loggers whose sink the CLI picks. Library code logs
/// through the context's logger only; it never prints.

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "semdedup/core/status.hpp"

namespace semdedup {

using Logger = spdlog::logger;
using LoggerPtr = std::shared_ptr<spdlog::logger>;

/// Parses "trace|debug|info|warn|error|off".
Result<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// A logger writing "[time] [level] message" lines to stderr.
LoggerPtr make_stderr_logger(spdlog::level::level_enum level);

/// A logger that drops everything (the library default).
LoggerPtr make_null_logger();

}  // namespace semdedup
