// The one mapping from error kinds to HTTP statuses, and the JSON error body every failure
// answers with: {"error": {"code", "message", "field"}}.
#pragma once

#include "base/error.hpp"
#include "http/message.hpp"

namespace caredesk::http {

int StatusFor(ErrorKind kind);
Response ErrorResponse(const Error& e);
// Protocol-level errors that are not domain error kinds (405, 415).
Response ProtocolError(int status, std::string_view code, std::string_view message);

}  // namespace caredesk::http
