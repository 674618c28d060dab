// Project-wide error kinds and Result<T>, the return type of every module boundary.
// Errors carry a kind (mapped to an HTTP status in exactly one place, http/status.cpp),
// a message that never contains PHI, and the offending field when input was at fault.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

namespace caredesk {

enum class ErrorKind {
  kInvalid,          // the caller's input is malformed or breaks a rule
  kNotFound,         // no such object visible to the caller (also for other tenants' ids)
  kConflict,         // the object's state does not allow the change, or a duplicate
  kForbidden,        // authenticated but not allowed
  kUnauthenticated,  // no or bad credentials
  kTooLarge,         // body or field over its stated limit
  kUnavailable,      // a dependency (the database) cannot be reached; retry later
  kInternal,         // a "cannot happen" failure; logged, answered 500
};

std::string_view ErrorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;  // PHI-free, safe to log and to show
  std::string field;    // the input field at fault, if any

  friend bool operator==(const Error&, const Error&) = default;
};

// Thrown only by Result<T>::value() on an error: a programming mistake, caught at the boundary.
struct ErrorException : std::exception {
  explicit ErrorException(Error e) : error(std::move(e)) {}
  const char* what() const noexcept override { return error.message.c_str(); }
  Error error;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

inline Error MakeError(ErrorKind kind, std::string message, std::string field = {}) {
  return Error{kind, std::move(message), std::move(field)};
}
inline Error Invalid(std::string message, std::string field = {}) {
  return MakeError(ErrorKind::kInvalid, std::move(message), std::move(field));
}
inline Error NotFound(std::string message) {
  return MakeError(ErrorKind::kNotFound, std::move(message));
}
inline Error Conflict(std::string message, std::string field = {}) {
  return MakeError(ErrorKind::kConflict, std::move(message), std::move(field));
}
inline Error Internal(std::string message) {
  return MakeError(ErrorKind::kInternal, std::move(message));
}
inline Error Unavailable(std::string message) {
  return MakeError(ErrorKind::kUnavailable, std::move(message));
}

}  // namespace caredesk

// Propagates an error from an expression returning Result<T>; yields the value otherwise.
// `lhs` is deliberately unparenthesized so it may declare a variable ("auto x").
// NOLINTBEGIN(bugprone-macro-parentheses)
#define CD_TRY_ASSIGN(lhs, expr)                                                          \
  auto CD_CONCAT_(cd_result_, __LINE__) = (expr);                                         \
  if (!CD_CONCAT_(cd_result_, __LINE__)) return CD_CONCAT_(cd_result_, __LINE__).error(); \
  lhs = std::move(*CD_CONCAT_(cd_result_, __LINE__))
// NOLINTEND(bugprone-macro-parentheses)
#define CD_TRY(expr)                                    \
  do {                                                  \
    auto&& cd_result_try_ = (expr);                     \
    if (!cd_result_try_) return cd_result_try_.error(); \
  } while (0)
#define CD_CONCAT_(a, b) CD_CONCAT_INNER_(a, b)
#define CD_CONCAT_INNER_(a, b) a##b
