// The HTTP request and response as handlers see them: plain values with no Beast types, so
// handlers compile fast and are tested without a socket. The server (server.cpp, the only
// Beast code) converts to and from the wire.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace caredesk::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

// Case-insensitive header map (names stored lowercase).
class Headers {
 public:
  // Replaces every field named `name` with one holding `value` (in the first one's place).
  void Set(std::string_view name, std::string value);
  // Appends a field, keeping any others of the same name (e.g. Set-Cookie).
  void Add(std::string_view name, std::string value);
  // The first field named `name`.
  std::optional<std::string_view> Get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path plus optional "?query"
  std::string path;    // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, for audit
  std::string request_id;      // from X-Request-Id if sane, else generated
  // The route pattern the handler matched, e.g. "/api/v1/patients/{id}" (a string literal).
  // Logs name this, never `path`, which holds whatever the client typed (a name, say).
  std::string_view route;

  std::optional<std::string_view> Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space). Malformed escapes are kept
// literally.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
std::string PercentDecode(std::string_view s, bool plus_is_space);
// The value of cookie `name` in the request's Cookie header, if sent (the first, when repeated).
std::optional<std::string_view> CookieValue(const Request& req, std::string_view name);

}  // namespace caredesk::http
