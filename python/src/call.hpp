#pragma once
// How the extension runs engine calls from Python: a context whose logger writes to Python's
// `logging` (logger "semdedup"), the work on a thread of its own with the GIL released while the
// calling thread watches for Ctrl-C, and a failed Status raised as the matching Python exception.

#include <nanobind/nanobind.h>

#include <functional>
#include <map>
#include <string>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::python {

/// What every engine call takes besides its parameters.
struct CallOptions {
  /// Worker threads; 0 = every core. Results never depend on it.
  int threads = 0;
  /// Progress as the CLI reports it (a bar on a terminal, log lines otherwise); false = none.
  bool progress = false;
  /// Object-storage options for s3:// paths (io::StorageOptions, flattened from NeMo's
  /// `storage_options` by the Python side); empty = the AWS environment alone.
  std::map<std::string, std::string> storage_options;
};

/// A CPU context logging to logging.getLogger("semdedup") at that logger's effective level,
/// with `options.storage_options` (validated: ValueError naming a bad key or value).
Context make_context(const CallOptions& options);

/// Runs `work` on its own thread with the GIL released, under ctx's storage options: they are
/// the process's (io::configure_storage), so a call whose options differ from those of calls
/// still running waits for them to finish first. The calling thread checks for signals
/// every 20 ms; on KeyboardInterrupt it raises ctx's cancel flag, waits for `work` to stop at
/// its next tile or file boundary and re-raises the KeyboardInterrupt. A failed Status is raised
/// as raise_status() does.
void run_released(const Context& ctx, const std::function<Status()>& work);

/// Raises `status` as a Python exception: invalid_argument and data_error -> ValueError,
/// io_error -> OSError, already_exists -> FileExistsError, not_implemented ->
/// NotImplementedError, cancelled -> KeyboardInterrupt, internal -> RuntimeError. The message is
/// the CLI's one line.
[[noreturn]] void raise_status(const Status& status);

/// Raises the status of a failed `result`, or returns its value.
template <typename T>
T value_or_raise(Result<T> result) {
  if (!result.ok()) raise_status(result.status());
  return std::move(result).value();
}

}  // namespace semdedup::python
