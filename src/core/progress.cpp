#include "semdedup/core/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace semdedup {

namespace {

using Clock = std::chrono::steady_clock;

class NullProgress final : public Progress {
 public:
  void begin(std::string_view, int64_t, std::string_view) override {}
  void advance(int64_t) override {}
  void end() override {}
};

/// Shared bookkeeping; subclasses decide how a refresh looks.
class ReportingProgress : public Progress {
 public:
  void begin(std::string_view label, int64_t total, std::string_view unit) override {
    std::lock_guard lock(mutex_);
    label_ = label;
    unit_ = unit;
    total_ = total;
    done_ = 0;
    start_ = last_ = Clock::now();
    active_ = true;
  }
  void advance(int64_t count) override {
    const int64_t done = done_.fetch_add(count, std::memory_order_relaxed) + count;
    const auto now = Clock::now();
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || !active_ || now - last_ < interval()) return;
    last_ = now;
    refresh(done, now, false);
  }
  void end() override {
    std::lock_guard lock(mutex_);
    if (!active_) return;
    active_ = false;
    refresh(done_.load(), Clock::now(), true);
  }

 protected:
  virtual Clock::duration interval() const = 0;
  virtual void refresh(int64_t done, Clock::time_point now, bool final) = 0;

  std::string describe(int64_t done, Clock::time_point now) const {
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    if (total_ > 0) {
      const double pct = 100.0 * static_cast<double>(done) / static_cast<double>(total_);
      return fmt::format("{}: {}/{} {} ({:.0f}%, {:.1f}s, {:.3g} {}/s)", label_, done, total_,
                         unit_, pct, seconds, rate, unit_);
    }
    return fmt::format("{}: {} {} ({:.1f}s)", label_, done, unit_, seconds);
  }

  std::mutex mutex_;
  std::string label_, unit_;
  int64_t total_ = 0;
  std::atomic<int64_t> done_{0};
  Clock::time_point start_, last_;
  bool active_ = false;
};

class BarProgress final : public ReportingProgress {
 protected:
  Clock::duration interval() const override { return std::chrono::milliseconds(100); }
  void refresh(int64_t done, Clock::time_point now, bool final) override {
    constexpr int kWidth = 30;
    std::string bar;
    if (total_ > 0) {
      const int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done) / double(total_)));
      bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[2K%s%s%s", bar.c_str(), describe(done, now).c_str(),
                 final ? "\n" : "");
    std::fflush(stderr);
  }
};

class LogProgress final : public ReportingProgress {
 public:
  explicit LogProgress(LoggerPtr logger) : logger_(std::move(logger)) {}

 protected:
  Clock::duration interval() const override { return std::chrono::seconds(10); }
  void refresh(int64_t done, Clock::time_point now, bool final) override {
    // Short tasks that end before the first interval stay silent.
    if (final && now - start_ < interval()) return;
    logger_->info("{}", describe(done, now));
  }

 private:
  LoggerPtr logger_;
};

}  // namespace

Result<ProgressMode> parse_progress_mode(std::string_view name) {
  if (auto mode = enum_from_name(kProgressModeNames, name)) return *mode;
  return Status::invalid_argument("unknown progress mode '{}' ({})", name,
                                  enum_names_joined(kProgressModeNames));
}

std::string_view progress_mode_name(ProgressMode mode) {
  return enum_name(kProgressModeNames, mode);
}

std::unique_ptr<Progress> make_progress(ProgressMode mode, LoggerPtr logger) {
  switch (mode) {
    case ProgressMode::kNever: return make_null_progress();
    case ProgressMode::kAlways: return std::make_unique<BarProgress>();
    case ProgressMode::kAuto:
      if (isatty(STDERR_FILENO)) return std::make_unique<BarProgress>();
      return std::make_unique<LogProgress>(std::move(logger));
  }
  return make_null_progress();
}

std::unique_ptr<Progress> make_null_progress() { return std::make_unique<NullProgress>(); }

}  // namespace semdedup
