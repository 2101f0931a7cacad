#pragma once
/// \file One writer per output directory: an advisory lock (flock) that every semdedup command
/// writing a directory holds for as long as it runs, so a second run on the same output fails at
/// once instead of interleaving its files with the first run's.

#include <string>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// The lock file of output directory `dir`: "<parent>/.<name>.semdedup.lock", beside the
/// directory rather than in it, so the directory holds exactly what the run wrote (resume,
/// byte comparisons and NeMo's readers never see it). `dir` is made absolute and its existing
/// part resolved through symlinks first, so two spellings of one directory share one lock.
Result<std::string> output_lock_path(const std::string& dir);

/// An exclusive lock on one output directory, held from acquire() until release() or
/// destruction. The lock file records the holder's pid; the kernel drops the lock when the
/// holder dies (even by SIGKILL), so a stale file never blocks a later run.
///
/// On S3 (an s3:// directory), which has neither exclusive creation nor locks, the lock is an
/// object at the same name beside the directory holding "pid N on HOST", written when none
/// exists and deleted on release: a second run is refused while it exists, but two runs
/// starting in the same moment are not detected. A lock whose pid no longer runs on this host
/// (a killed run's) is taken over; one from another host stays until it is deleted by hand
/// (the message names it).
class OutputLock {
 public:
  /// Takes the lock of `dir` without waiting, creating the missing parent directories of `dir`
  /// (not `dir` itself). io_error "output directory <dir> is in use by another semdedup run
  /// (pid N)" when another process (or another lock of this process) holds it; io_error naming
  /// the path when the lock file cannot be created (e.g. a parent is a regular file). The lock
  /// file is opened without following symlinks; an existing one is used only when it is a
  /// regular file with one link holding nothing but a pid line (a killed run's lock), so a
  /// symlink, a directory, a FIFO or any other file at that name is refused, never truncated.
  static Result<OutputLock> acquire(const std::string& dir);

  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  /// Calls release().
  ~OutputLock();

  /// The directory as given to acquire().
  const std::string& dir() const { return dir_; }
  /// The lock file.
  const std::string& path() const { return path_; }

  /// Removes the lock file, drops the lock, and removes the parent directories acquire()
  /// created when they are empty (a failed run leaves nothing). Idempotent.
  void release();

 private:
  OutputLock(std::string dir, std::string path, int fd, std::vector<std::string> created);

  std::string dir_;
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> created_parents_;  ///< deepest last
};

}  // namespace semdedup::io
