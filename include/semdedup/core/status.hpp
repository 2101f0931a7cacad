#pragma once
/// \file Status and Result<T>: how every fallible semdedup call reports failure.
/// Free on success (a null pointer); a failure carries a code and one line of text that
/// already names the file, column and row concerned. Only `main` prints it.

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace semdedup {

/// What went wrong, which decides the process exit code (see cli).
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  ///< a parameter or flag is impossible (usage error, exit 2)
  kIOError,          ///< a file could not be found, read or written (exit 1)
  kDataError,        ///< the data itself is bad: missing column, NaN, ragged list (exit 1)
  kAlreadyExists,    ///< an output exists and neither --resume nor --overwrite was given (exit 1)
  kNotImplemented,   ///< a feature that is not built (exit 2)
  kCancelled,        ///< the run was interrupted (exit 1)
  kInternal,         ///< a broken invariant: a bug (exit 1)
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return {}; }

  template <typename... Args>
  static Status invalid_argument(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kInvalidArgument, fmt::format(f, std::forward<Args>(args)...)};
  }
  template <typename... Args>
  static Status io_error(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kIOError, fmt::format(f, std::forward<Args>(args)...)};
  }
  template <typename... Args>
  static Status data_error(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kDataError, fmt::format(f, std::forward<Args>(args)...)};
  }
  template <typename... Args>
  static Status already_exists(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kAlreadyExists, fmt::format(f, std::forward<Args>(args)...)};
  }
  template <typename... Args>
  static Status not_implemented(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kNotImplemented, fmt::format(f, std::forward<Args>(args)...)};
  }
  template <typename... Args>
  static Status cancelled(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kCancelled, fmt::format(f, std::forward<Args>(args)...)};
  }
  template <typename... Args>
  static Status internal(fmt::format_string<Args...> f, Args&&... args) {
    return {StatusCode::kInternal, fmt::format(f, std::forward<Args>(args)...)};
  }

  bool ok() const noexcept { return state_ == nullptr; }
  StatusCode code() const noexcept { return state_ ? state_->code : StatusCode::kOk; }
  /// The one-line message (empty on success).
  const std::string& message() const noexcept;
  /// "code: message", for logs and tests.
  std::string to_string() const;

  /// The same failure with `context` put in front: "context: message". No-op on success.
  Status with_context(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

/// A value or the Status saying why there is none (Arrow's shape).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status::internal("Result built from an OK status without value");
  }

  bool ok() const noexcept { return status_.ok(); }
  const Status& status() const& noexcept { return status_; }
  Status status() && { return std::move(status_); }

  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T value() && { return std::move(*value_); }
  T value_or(T fallback) && { return ok() ? std::move(*value_) : std::move(fallback); }

  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline Status to_status(const Status& s) { return s; }
inline Status to_status(Status&& s) { return std::move(s); }
template <typename T>
Status to_status(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace semdedup

#define SD_CONCAT_INNER(a, b) a##b
#define SD_CONCAT(a, b) SD_CONCAT_INNER(a, b)

/// Returns the Status of `expr` (a Status or Result) from the enclosing function if it failed.
#define SD_RETURN_IF_ERROR(expr)                                          \
  do {                                                                    \
    auto&& _sd_status = (expr);                                           \
    if (!_sd_status.ok()) return ::semdedup::internal::to_status(_sd_status); \
  } while (false)

#define SD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

/// `SD_ASSIGN_OR_RETURN(auto x, make_x());` unwraps a Result or returns its Status.
#define SD_ASSIGN_OR_RETURN(lhs, rexpr) \
  SD_ASSIGN_OR_RETURN_IMPL(SD_CONCAT(_sd_result_, __LINE__), lhs, rexpr)

/// Debug-only invariant check; kernels use it instead of returning errors.
#ifdef NDEBUG
#define SD_DCHECK(cond) ((void)0)
#else
#include <cstdio>
#include <cstdlib>
#define SD_DCHECK(cond)                                                                   \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: SD_DCHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)
#endif
