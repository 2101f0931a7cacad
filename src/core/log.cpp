#include "semdedup/core/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace semdedup {

Result<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (auto level = enum_from_name(kLogLevelNames, name)) return *level;
  if (name == "warning") return spdlog::level::warn;
  return Status::invalid_argument("unknown log level '{}' ({})", name,
                                  enum_names_joined(kLogLevelNames));
}

namespace {

/// Formatted lines kept in memory for the first kHoldFor of a command, then written to stderr
/// like stderr_sink: a command that fails up front (bad input, usage) prints its one error line
/// alone, while a long run's log still streams to a file or pipe as it goes. release() ends the
/// hold early (the command succeeded).
class HeldSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr std::chrono::seconds kHoldFor{5};

  void release() {
    std::lock_guard lock(mutex_);
    release_locked();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    if (!released_ && msg.time - started_ >= kHoldFor) release_locked();
    if (released_) {
      std::fwrite(formatted.data(), 1, formatted.size(), stderr);
    } else {
      held_.append(formatted.data(), formatted.size());
    }
  }
  void flush_() override {
    if (released_) std::fflush(stderr);
  }

 private:
  void release_locked() {
    std::fwrite(held_.data(), 1, held_.size(), stderr);
    std::fflush(stderr);
    held_.clear();
    held_.shrink_to_fit();
    released_ = true;
  }

  const spdlog::log_clock::time_point started_ = spdlog::log_clock::now();
  std::string held_;
  bool released_ = false;
};

LoggerPtr stderr_logger(spdlog::sink_ptr sink, spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("semdedup", std::move(sink));
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace

LoggerPtr make_stderr_logger(spdlog::level::level_enum level) {
  return stderr_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>(), level);
}

LoggerPtr make_held_stderr_logger(spdlog::level::level_enum level) {
  return stderr_logger(std::make_shared<HeldSink>(), level);
}

void release_held_lines(Logger& logger) {
  for (const auto& sink : logger.sinks()) {
    if (auto* held = dynamic_cast<HeldSink*>(sink.get())) held->release();
  }
}

LoggerPtr make_null_logger() {
  auto logger = std::make_shared<spdlog::logger>("semdedup-null",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::off);
  return logger;
}

}  // namespace semdedup
