// Outbound HTTP(S) requests from the server to other services (an OpenID Connect provider now;
// SMS providers later), through libcurl. Blocking: call from the handler pool or a job, never
// from an I/O thread. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace caredesk::net {

struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_response_bytes = std::size_t{1} << 20;
  // HTTP Basic credentials, sent to the URL's own host only (never to where it redirects).
  std::string username, password;
  // Redirects followed (to https only); 0 follows none.
  int max_redirects = 0;
};

struct FetchResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Sends `request` and reads the whole answer. Only http and https; no redirects are followed;
// TLS certificates are verified against the system's trust store. Fails unavailable when the
// service cannot be reached, times out, or answers more than max_response_bytes. The error
// names the host, never the path or query.
// `request_sent`, if given, says whether any of the request left this machine: false means the
// service cannot have acted on it (it could not be resolved or connected to).
[[nodiscard]] Result<FetchResponse> Fetch(const FetchRequest& request,
                                          bool* request_sent = nullptr);

// application/x-www-form-urlencoded (also a URL's query): pairs percent-encoded, joined by '&'.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& pairs);

// Whether `url` is https, or http to a loopback address (a provider on the same machine, as in
// the tests). Everything else is refused for credentials and tokens.
bool IsSafeServiceUrl(std::string_view url);

}  // namespace caredesk::net
