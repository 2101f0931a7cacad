#include "call.hpp"

#include <nanobind/stl/string.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "semdedup/core/communicator.hpp"
#include "semdedup/core/progress.hpp"
#include "semdedup/io/filesystem.hpp"

namespace nb = nanobind;

namespace semdedup::python {

namespace {

int python_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return 5;
    case spdlog::level::debug: return 10;
    case spdlog::level::info: return 20;
    case spdlog::level::warn: return 30;
    case spdlog::level::err: return 40;
    default: return 50;
  }
}

spdlog::level::level_enum spdlog_level(int python) {
  if (python <= 5) return spdlog::level::trace;
  if (python <= 10) return spdlog::level::debug;
  if (python <= 20) return spdlog::level::info;
  if (python <= 30) return spdlog::level::warn;
  if (python <= 40) return spdlog::level::err;
  return spdlog::level::critical;
}

/// Hands each message to logging.getLogger("semdedup"), taking the GIL: engine threads log
/// while the calling thread waits with the GIL released.
class PythonLoggingSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    nb::gil_scoped_acquire gil;
    try {
      nb::module_::import_("logging")
          .attr("getLogger")("semdedup")
          .attr("log")(python_level(msg.level), text);
    } catch (nb::python_error& error) {
      error.discard_as_unraisable("semdedup logging");
    }
  }
  void flush_() override {}
};

[[noreturn]] void raise(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.c_str());
  throw nb::python_error();
}

/// The storage options of the process (io::configure_storage) and how many calls use them now.
/// A call with other options waits until no call uses the current ones, then sets its own; the
/// engine starts with none set, which is what `current` starts as.
class StorageOptionsInUse {
 public:
  /// Makes ctx's options the process's once no running call needs others; cancelled when ctx
  /// is cancelled while waiting.
  Status acquire(const Context& ctx) {
    std::unique_lock lock(mutex_);
    while (users_ > 0 && current_ != ctx.storage_options) {
      SD_RETURN_IF_ERROR(ctx.check_cancelled());
      released_.wait_for(lock, std::chrono::milliseconds(20));
    }
    if (current_ != ctx.storage_options) {
      SD_RETURN_IF_ERROR(io::configure_storage(ctx.storage_options));
      current_ = ctx.storage_options;
    }
    ++users_;
    return Status::OK();
  }

  void release() {
    std::lock_guard lock(mutex_);
    --users_;
    released_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  io::StorageOptions current_;
  int users_ = 0;
};

StorageOptionsInUse& storage_options_in_use() {
  static StorageOptionsInUse instance;
  return instance;
}

/// `work` under ctx's storage options.
Status with_storage_options(const Context& ctx, const std::function<Status()>& work) {
  StorageOptionsInUse& in_use = storage_options_in_use();
  SD_RETURN_IF_ERROR(in_use.acquire(ctx));
  Status status = work();
  in_use.release();
  return status;
}

}  // namespace

Context make_context(const CallOptions& options) {
  Context ctx = Context::make_default(options.threads);
  const int level = nb::cast<int>(
      nb::module_::import_("logging").attr("getLogger")("semdedup").attr("getEffectiveLevel")());
  auto logger = std::make_shared<spdlog::logger>("semdedup", std::make_shared<PythonLoggingSink>());
  logger->set_level(spdlog_level(level));
  ctx.logger = logger;
  ctx.progress = options.progress ? make_progress(ProgressMode::kAuto, ctx.logger)
                                  : make_null_progress();
  const Status valid = io::validate_storage_options(options.storage_options);
  if (!valid.ok()) raise_status(valid);
  ctx.storage_options = options.storage_options;
  return ctx;
}

void run_released(const Context& ctx, const std::function<Status()>& work) {
  Status status;
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::optional<nb::python_error> interrupt;
  {
    nb::gil_scoped_release release;
    std::thread worker([&] {
      Status result = with_storage_options(ctx, work);
      std::lock_guard lock(mutex);
      status = std::move(result);
      done = true;
      finished.notify_one();
    });
    std::unique_lock lock(mutex);
    while (!finished.wait_for(lock, std::chrono::milliseconds(20), [&] { return done; })) {
      if (interrupt) continue;
      lock.unlock();
      {
        nb::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
          interrupt.emplace();  // takes the pending exception (KeyboardInterrupt) out
          ctx.cancel_flag->store(true);
        }
      }
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  if (interrupt) throw *interrupt;
  if (!status.ok()) raise_status(status);
}

void raise_status(const Status& status) {
  const std::string& message = status.message();
  switch (status.code()) {
    case StatusCode::kOk: raise(PyExc_RuntimeError, "semdedup: raise_status called on success");
    case StatusCode::kInvalidArgument:
    case StatusCode::kDataError: raise(PyExc_ValueError, message);
    case StatusCode::kIOError: raise(PyExc_OSError, message);
    case StatusCode::kAlreadyExists: raise(PyExc_FileExistsError, message);
    case StatusCode::kNotImplemented: raise(PyExc_NotImplementedError, message);
    case StatusCode::kCancelled: raise(PyExc_KeyboardInterrupt, message);
    case StatusCode::kInternal: break;
  }
  raise(PyExc_RuntimeError, message);
}

}  // namespace semdedup::python
