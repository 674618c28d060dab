// A WebSocket client for the tests (Beast, blocking, in its own translation unit): connects over
// loopback, offers subprotocols and headers, and collects every text message on a reader thread
// so a test can wait for the next one with a timeout. Not thread-safe beyond that reader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace caredesk::testing {

class WsClient {
 public:
  struct Options {
    std::vector<std::string> protocols;                        // Sec-WebSocket-Protocol
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. Cookie, Origin
  };
  // Connected, or nullptr with `status` set to the HTTP status that refused the upgrade (0 when
  // the connection itself failed).
  static std::unique_ptr<WsClient> Connect(unsigned short port, const std::string& target,
                                           const Options& options, int* status = nullptr);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // The next text message, waiting at most `timeout`; nullopt on timeout or once closed.
  std::optional<std::string> Next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next message whose text contains `needle`, skipping others.
  std::optional<std::string> NextWith(const std::string& needle,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void Send(const std::string& text);
  // Drops the connection without a closing handshake (a network that went away).
  void Drop();
  bool closed() const;
  std::string protocol() const { return protocol_; }

 private:
  WsClient() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string protocol_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<std::string> messages_;  // guarded by mutex_
  bool closed_ = false;               // guarded by mutex_
  std::thread reader_;
};

}  // namespace caredesk::testing
