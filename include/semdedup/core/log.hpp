#pragma once
/// \file The one logging facade: spdlog loggers whose sink the CLI picks. Library code logs
/// through the context's logger only; it never prints.

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup {

using Logger = spdlog::logger;
using LoggerPtr = std::shared_ptr<spdlog::logger>;

/// The names of the log levels --log-level takes (spdlog's levels but `critical`).
inline constexpr std::array<EnumName<spdlog::level::level_enum>, 6> kLogLevelNames{
    {{spdlog::level::trace, "trace"},
     {spdlog::level::debug, "debug"},
     {spdlog::level::info, "info"},
     {spdlog::level::warn, "warn"},
     {spdlog::level::err, "error"},
     {spdlog::level::off, "off"}}};

/// Parses a name of kLogLevelNames (or "warning", Python's spelling of warn).
Result<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// A logger writing "[time] [level] message" lines to stderr.
LoggerPtr make_stderr_logger(spdlog::level::level_enum level);

/// A logger like make_stderr_logger whose lines are held in memory for the first 5 seconds
/// (or until release_held_lines()), then written as they come; lines still held when the
/// process ends are dropped. The CLI holds its log off a terminal, so a command that fails up
/// front prints its one error line and nothing else, while a long run still logs as it goes.
LoggerPtr make_held_stderr_logger(spdlog::level::level_enum level);

/// Writes the lines `logger` (from make_held_stderr_logger) holds to stderr, and every later
/// line as it comes; does nothing for other loggers.
void release_held_lines(Logger& logger);

/// A logger that drops everything (the library default).
LoggerPtr make_null_logger();

}  // namespace semdedup
