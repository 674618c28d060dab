// A small HTTP/1.1 server on a loopback port for fakes of outside providers (an identity
// provider, an SMS provider): one request per connection, answered by a handler on the
// server's own thread. Deliberately simple and independent of Beast. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace caredesk::testing {

struct FakeRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

struct FakeReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class FakeHttpServer {
 public:
  explicit FakeHttpServer(std::function<FakeReply(const FakeRequest&)> handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  const std::string& origin() const { return origin_; }  // "http://127.0.0.1:PORT"

 private:
  void Serve();

  std::function<FakeReply(const FakeRequest&)> handler_;
  int listen_fd_ = -1;
  std::string origin_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace caredesk::testing
