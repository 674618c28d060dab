// A small blocking HTTP/1.1 client over POSIX sockets for tests: one request per connection
// (Connection: close), whole response read to EOF. Deliberately independent of Beast so the
// tests exercise the server with a different HTTP implementation.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace caredesk::testing {

struct HttpResult {
  int status = 0;                              // 0 when the connection failed
  std::map<std::string, std::string> headers;  // lowercase names; repeated fields joined by \n
  std::string body;
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool json = true;  // adds Content-Type: application/json when a body is present
};

HttpResult Send(unsigned short port, const HttpCall& call);
// Writes raw bytes and returns everything the server answers before closing (or timeout_ms).
std::string SendRaw(unsigned short port, const std::string& bytes, int timeout_ms = 3000);

}  // namespace caredesk::testing
