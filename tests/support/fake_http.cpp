#include "fake_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

namespace caredesk::testing {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parses what arrived; false while the request is incomplete.
bool Parse(const std::string& raw, FakeRequest& out) {
  std::size_t head = raw.find("\r\n\r\n");
  if (head == std::string::npos) return false;
  std::size_t eol = raw.find("\r\n");
  std::string line = raw.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  out.method = line.substr(0, sp1);
  out.target = sp2 > sp1 ? line.substr(sp1 + 1, sp2 - sp1 - 1) : "";
  out.headers.clear();
  for (std::size_t pos = eol + 2; pos < head;) {
    std::size_t end = raw.find("\r\n", pos);
    std::string field = raw.substr(pos, end - pos);
    std::size_t colon = field.find(':');
    if (colon != std::string::npos) {
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      out.headers[Lower(field.substr(0, colon))] = value;
    }
    pos = end + 2;
  }
  std::size_t length = 0;
  if (auto it = out.headers.find("content-length"); it != out.headers.end()) {
    length = std::stoul(it->second);
  }
  if (raw.size() < head + 4 + length) return false;
  out.body = raw.substr(head + 4, length);
  return true;
}

}  // namespace

FakeHttpServer::FakeHttpServer(std::function<FakeReply(const FakeRequest&)> handler)
    : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  origin_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  thread_ = std::thread([this] { Serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void FakeHttpServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string raw;
    FakeRequest request;
    bool complete = false;
    char buf[8192];
    while (!complete) {
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 2000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<std::size_t>(n));
      complete = Parse(raw, request);
    }
    FakeReply reply = complete ? handler_(request) : FakeReply{400, "{}"};
    std::string answer =
        "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: " + reply.content_type +
        "\r\nConnection: close\r\nContent-Length: " + std::to_string(reply.body.size()) +
        "\r\n\r\n" + reply.body;
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
}

}  // namespace caredesk::testing
