#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>

namespace caredesk::testing {
namespace {

int Connect(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string SendRaw(unsigned short port, const std::string& bytes, int timeout_ms) {
  int fd = Connect(port);
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

HttpResult Send(unsigned short port, const HttpCall& call) {
  std::string req =
      call.method + " " + call.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : call.headers) req += k + ": " + v + "\r\n";
  if (!call.body.empty() || call.method == "POST" || call.method == "PATCH") {
    if (call.json && !call.body.empty()) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  }
  req += "\r\n" + call.body;
  std::string raw = SendRaw(port, req, 10000);
  HttpResult r;
  auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return r;
  r.status = std::atoi(raw.substr(9, 3).c_str());
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    auto eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      auto [it, added] = r.headers.emplace(name, value);
      if (!added) it->second += "\n" + value;  // several Set-Cookie fields
    }
    pos = eol + 2;
  }
  r.body = raw.substr(head_end + 4);
  if (r.headers.count("transfer-encoding")) {  // chunked: decode
    std::string decoded, in = r.body;
    std::size_t i = 0;
    while (i < in.size()) {
      auto eol = in.find("\r\n", i);
      std::size_t len = std::stoul(in.substr(i, eol - i), nullptr, 16);
      if (len == 0) break;
      decoded += in.substr(eol + 2, len);
      i = eol + 2 + len + 2;
    }
    r.body = decoded;
  }
  return r;
}

}  // namespace caredesk::testing
