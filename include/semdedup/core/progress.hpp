#pragma once
/// \file Progress reporting for long work: a bar on a terminal, periodic log lines otherwise,
/// nothing when quiet. Stages call it at tile/cluster/file boundaries only.

#include <cstdint>
#include <memory>
#include <string_view>

#include "semdedup/core/enum_names.hpp"
#include "semdedup/core/log.hpp"

namespace semdedup {

/// Receives progress of one task at a time. advance() is thread-safe.
class Progress {
 public:
  virtual ~Progress() = default;
  /// Starts a task of `total` units (e.g. rows, clusters); total <= 0 means unknown.
  virtual void begin(std::string_view label, int64_t total, std::string_view unit) = 0;
  /// `count` more units are done.
  virtual void advance(int64_t count) = 0;
  /// The task is finished (also called on failure).
  virtual void end() = 0;
};

enum class ProgressMode { kAuto, kAlways, kNever };
/// The names of ProgressMode (--progress).
inline constexpr std::array<EnumName<ProgressMode>, 3> kProgressModeNames{
    {{ProgressMode::kAuto, "auto"},
     {ProgressMode::kAlways, "always"},
     {ProgressMode::kNever, "never"}}};

Result<ProgressMode> parse_progress_mode(std::string_view name);
std::string_view progress_mode_name(ProgressMode mode);

/// kAuto: a bar when stderr is a terminal, else an info log line at most every 10 s;
/// kAlways: the bar even off a terminal; kNever: nothing.
std::unique_ptr<Progress> make_progress(ProgressMode mode, LoggerPtr logger);

/// A Progress that ignores everything.
std::unique_ptr<Progress> make_null_progress();

/// RAII: begin() on construction, end() on destruction.
class ProgressTask {
 public:
  ProgressTask(Progress& progress, std::string_view label, int64_t total, std::string_view unit)
      : progress_(progress) {
    progress_.begin(label, total, unit);
  }
  ~ProgressTask() { progress_.end(); }
  ProgressTask(const ProgressTask&) = delete;
  ProgressTask& operator=(const ProgressTask&) = delete;
  void advance(int64_t count) { progress_.advance(count); }

 private:
  Progress& progress_;
};

}  // namespace semdedup
