#include "http/status.hpp"

#include "base/text.hpp"

namespace caredesk::http {

int StatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return 400;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

namespace {

Response Build(int status, std::string_view code, std::string_view message,
               std::string_view field) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  std::string body = R"({"error":{"code":)";
  AppendJsonString(body, code);
  body += R"(,"message":)";
  AppendJsonString(body, message);
  body += R"(,"field":)";
  AppendJsonString(body, field);
  body += "}}";
  r.body = std::move(body);
  return r;
}

}  // namespace

Response ErrorResponse(const Error& e) {
  Response r = Build(StatusFor(e.kind), ErrorKindName(e.kind), e.message, e.field);
  if (e.kind == ErrorKind::kUnauthenticated) r.headers.Set("WWW-Authenticate", "Bearer");
  if (e.kind == ErrorKind::kUnavailable) r.headers.Set("Retry-After", "1");
  return r;
}

Response ProtocolError(int status, std::string_view code, std::string_view message) {
  return Build(status, code, message, "");
}

}  // namespace caredesk::http
