#include "semdedup/core/status.hpp"

namespace semdedup {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kIOError: return "I/O error";
    case StatusCode::kDataError: return "data error";
    case StatusCode::kAlreadyExists: return "already exists";
    case StatusCode::kNotImplemented: return "not implemented";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) state_ = std::make_unique<State>(State{code, std::move(message)});
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  return *this;
}

const std::string& Status::message() const noexcept {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  return fmt::format("{}: {}", status_code_name(state_->code), state_->message);
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return {};
  return {state_->code, fmt::format("{}: {}", context, state_->message)};
}

}  // namespace semdedup
