#include "semdedup/io/output_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <algorithm>
#include <cstring>
#include <filesystem>

#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/layout.hpp"
#include "semdedup/io/writer.hpp"

namespace semdedup::io {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

fs::path resolved_dir(const std::string& dir, std::error_code& ec) {
  fs::path path = fs::weakly_canonical(fs::absolute(strip_file_scheme(dir), ec), ec);
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();  // "out/"
  return path;
}

// The pid the holder wrote into the lock file, or "unknown" while it has not written it yet.
std::string holder_pid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  long long pid = 0;
  if (n <= 0 || std::from_chars(text, text + n, pid).ec != std::errc() || pid <= 0) {
    return "unknown";
  }
  return std::to_string(pid);
}

// Opens the lock file without following a symlink: created here, or an existing regular file
// with a single link holding nothing but a pid line (a killed run's lock). -1 when the name
// vanished between the two opens.
Result<int> open_lock_file(const std::string& dir, const std::string& lock_path) {
  const int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  int fd = ::open(lock_path.c_str(), flags | O_CREAT | O_EXCL, 0644);
  if (fd >= 0) return fd;
  if (errno != EEXIST) {
    return Status::io_error("cannot lock output directory {}: cannot create {}: {}", dir,
                            lock_path, errno_text());
  }
  fd = ::open(lock_path.c_str(), flags);
  if (fd < 0) {
    if (errno == ENOENT) return -1;
    if (errno == ELOOP) {
      return Status::io_error("cannot lock output directory {}: {} is a symbolic link, not a "
                              "semdedup lock file; remove it",
                              dir, lock_path);
    }
    return Status::io_error("cannot lock output directory {}: cannot open {}: {}", dir,
                            lock_path, errno_text());
  }
  struct stat st = {};
  char text[32] = {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
  const ssize_t n = regular && st.st_size < static_cast<off_t>(sizeof(text))
                        ? ::pread(fd, text, sizeof(text) - 1, 0)
                        : -1;
  long long pid = 0;
  const char* end = text + std::max<ssize_t>(n, 0);
  const auto parsed = std::from_chars(text, end, pid);
  const bool pid_line =
      n == 0 || (n > 0 && parsed.ec == std::errc() && pid > 0 &&
                 (parsed.ptr == end || (*parsed.ptr == '\n' && parsed.ptr + 1 == end)));
  if (!regular || !pid_line) {
    ::close(fd);
    return Status::io_error("cannot lock output directory {}: {} exists and is not a semdedup "
                            "lock file; remove it",
                            dir, lock_path);
  }
  return fd;
}

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return host;
}

// Whether an S3 lock's text "pid N on HOST" names a process of this machine that no longer
// exists (a killed run's lock). A pid that lives again, or another machine, counts as held.
bool names_a_dead_local_process(const std::string& text) {
  const std::string prefix = "pid ", on = " on ";
  if (!text.starts_with(prefix)) return false;
  long long pid = 0;
  const char* begin = text.data() + prefix.size();
  const auto parsed = std::from_chars(begin, text.data() + text.size(), pid);
  if (parsed.ec != std::errc() || pid <= 0) return false;
  std::string rest(parsed.ptr, text.data() + text.size());
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.pop_back();
  if (!rest.starts_with(on) || rest.substr(on.size()) != host_name()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// S3 has no exclusive create and no advisory locks: the lock is an object that must not exist
// yet, or that a killed run of this machine left. Two runs starting within the same moment are
// not told apart, and a lock left by a run killed on another machine stays until it is deleted.
Status take_s3_lock(const std::string& dir, const std::string& lock_path) {
  const std::string context = fmt::format("cannot lock output directory {}", dir);
  const Result<Entry> stat = stat_path(lock_path);
  if (!stat.ok()) return stat.status().with_context(context);
  if (stat->type != EntryType::kMissing) {
    const Result<std::string> holder = read_whole_file(lock_path);
    if (!holder.ok() || !names_a_dead_local_process(*holder)) {
      std::string pid = holder.ok() ? *holder : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return Status::io_error(
          "output directory {} is in use by another semdedup run ({}), or a run killed on "
          "another machine left its lock {}: delete that object once no run writes the "
          "directory",
          dir, pid.empty() ? "unknown" : pid, lock_path);
    }
  }
  SD_RETURN_IF_ERROR(create_directories(dir).with_context(context));
  return write_file_atomic(lock_path, fmt::format("pid {} on {}\n", ::getpid(), host_name()))
      .with_context(context);
}

}  // namespace

Result<std::string> output_lock_path(const std::string& dir) {
  if (dir.empty()) return Status::invalid_argument("no output directory given");
  if (is_s3_path(dir)) {
    const std::string parent = parent_path(dir);
    if (parent == "s3://") {
      return Status::invalid_argument(
          "output directory {} is a bucket: give a prefix inside it (s3://bucket/name), whose "
          "lock lies beside it",
          dir);
    }
    return join_path(parent, output_lock_file_name(file_name(dir)));
  }
  std::error_code ec;
  const fs::path path = resolved_dir(dir, ec);
  if (ec) return Status::io_error("output directory {}: {}", dir, ec.message());
  if (!path.has_parent_path() || path.parent_path() == path || path.filename() == "..") {
    return Status::invalid_argument("output directory {} has no parent to hold its lock", dir);
  }
  return (path.parent_path() / output_lock_file_name(path.filename().string())).string();
}

OutputLock::OutputLock(std::string dir, std::string path, int fd,
                       std::vector<std::string> created)
    : dir_(std::move(dir)), path_(std::move(path)), fd_(fd), created_parents_(std::move(created)) {}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : dir_(std::move(other.dir_)),
      path_(std::move(other.path_)),
      fd_(other.fd_),
      created_parents_(std::move(other.created_parents_)) {
  other.fd_ = -1;
  other.created_parents_.clear();
}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    release();
    dir_ = std::move(other.dir_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    created_parents_ = std::move(other.created_parents_);
    other.fd_ = -1;
    other.created_parents_.clear();
  }
  return *this;
}

OutputLock::~OutputLock() { release(); }

Result<OutputLock> OutputLock::acquire(const std::string& dir) {
  SD_ASSIGN_OR_RETURN(const std::string lock_path, output_lock_path(dir));
  if (is_s3_path(dir)) {
    SD_RETURN_IF_ERROR(take_s3_lock(dir, lock_path));
    return OutputLock(dir, lock_path, -1, {});
  }
  const fs::path parent = fs::path(lock_path).parent_path();

  std::error_code ec;
  std::vector<std::string> created;
  for (fs::path p = parent; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created.insert(created.begin(), p.string());
    if (p == p.parent_path()) break;
  }
  if (fs::exists(parent, ec) && !fs::is_directory(parent, ec)) {
    return Status::io_error("cannot create output directory {}: {} is not a directory", dir,
                            parent.string());
  }
  fs::create_directories(parent, ec);
  if (ec) return Status::io_error("cannot create output directory {}: {}", dir, ec.message());

  // The holder removes the file before it lets go, so a file we locked may already be gone from
  // its name: the lock is ours only if the name still leads to the file we locked.
  for (int attempt = 0; attempt < 64; ++attempt) {
    SD_ASSIGN_OR_RETURN(const int fd, open_lock_file(dir, lock_path));
    if (fd < 0) continue;  // the name vanished between two opens
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string pid = holder_pid(fd);
      ::close(fd);
      if (error == EWOULDBLOCK) {
        return Status::io_error("output directory {} is in use by another semdedup run (pid {})",
                                dir, pid);
      }
      return Status::io_error("cannot lock output directory {}: {}", dir, std::strerror(error));
    }
    struct stat held = {}, named = {};
    if (::fstat(fd, &held) != 0 || ::lstat(lock_path.c_str(), &named) != 0 ||
        held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
      ::close(fd);
      continue;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    // Only a lock file (ours, or the pid line of a killed run) is ever truncated.
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      const std::string reason = errno_text();
      ::unlink(lock_path.c_str());
      ::close(fd);
      return Status::io_error("cannot lock output directory {}: cannot write {}: {}", dir,
                              lock_path, reason);
    }
    return OutputLock(dir, lock_path, fd, std::move(created));
  }
  return Status::io_error("cannot lock output directory {}: {} keeps being replaced", dir,
                          lock_path);
}

void OutputLock::release() {
  if (is_s3_path(path_)) {
    (void)remove_file(path_);
    path_.clear();
    return;
  }
  if (fd_ < 0) return;
  // Unlinked before the lock is dropped: whoever opens the name afterwards gets a new file.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
  for (auto it = created_parents_.rbegin(); it != created_parents_.rend(); ++it) {
    if (::rmdir(it->c_str()) != 0) break;
  }
  created_parents_.clear();
}

}  // namespace semdedup::io
