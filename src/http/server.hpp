// The HTTP/1.1 server: accepts connections on the I/O threads with Asio coroutines, reads
// requests with limits (header size, body size, time to send headers and body, idle
// keep-alive), and runs the handler on a separate blocking executor so handlers may block on
// the database. Owned by app/; Start() and Stop() from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "http/hub.hpp"
#include "http/message.hpp"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace caredesk::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;            // 0 picks a free port (tests)
  std::size_t max_body_bytes = 1 << 20;  // 1 MiB; larger bodies get 413 without being read
  // Paths matching one of these (file uploads; "{id}" matches one path segment) take bodies up
  // to max_upload_bytes instead.
  std::vector<std::string> upload_paths;
  std::size_t max_upload_bytes = 10 << 20;  // 10 MiB
  std::size_t max_header_bytes = 16 << 10;  // 16 KiB; larger headers get 431
  // Time allowed to send the whole header (slow-loris), counted from the accept for a
  // connection's first request and from the first byte for later ones.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{30};   // time allowed to send the body
  std::chrono::seconds idle_timeout{60};   // keep-alive idle, between requests
  std::chrono::seconds write_timeout{30};  // time allowed for the client to take a response
  // WebSocket: the largest message a client may send (larger closes the connection), and how
  // many frames may wait for a client that reads slowly before it is dropped.
  std::size_t ws_max_message_bytes = 16 << 10;
  std::size_t ws_max_queued_frames = 256;
};

// What the application answers to a WebSocket upgrade: the subprotocol to confirm and what to do
// with the connection. The callbacks run on the connection's I/O thread and must not block.
struct WsAccept {
  std::string protocol;  // echoed in Sec-WebSocket-Protocol; "" for none
  std::function<void(const std::shared_ptr<WsConnection>&)> on_open;
  std::function<void(std::string_view text)> on_message;  // each text message
  std::function<void()> on_close;
};
// Decides a WebSocket upgrade request (authentication, who it is); runs on the blocking pool. An
// error is answered as the HTTP response it maps to, and the connection is not upgraded.
using UpgradeHandler = std::function<Result<WsAccept>(Request&)>;

using Handler = std::function<Response(Request&)>;
// Answers on the I/O thread, without the hop to the blocking executor, the requests it can
// answer without blocking (health checks, static documents, unknown paths); nullopt passes the
// request on to the Handler. Must never block.
using InlineHandler = std::function<std::optional<Response>(Request&)>;

class Server {
 public:
  // io: runs the sockets and `inline_handler`; blocking: runs `handler`. Both outlive the
  // server, and `blocking` is joined before `io` is destroyed (connections may still be
  // unwinding on both after Stop()).
  // `reads`, when given, runs the handler for GET and HEAD requests instead of `blocking`, with
  // the same lifetime rules. Give it about as many threads as the store has read connections:
  // reads then queue in the pool instead of parking dozens of threads on the connection pool,
  // while writes keep the many threads that group commit needs to batch them.
  Server(boost::asio::io_context& io, boost::asio::thread_pool& blocking, ServerOptions options,
         Handler handler, InlineHandler inline_handler = {},
         boost::asio::thread_pool* reads = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Upgrade requests (Upgrade: websocket) go here rather than to the Handler; without one they
  // are answered as plain requests. Call before Start().
  void SetUpgradeHandler(UpgradeHandler upgrade);

  // Binds and starts accepting; returns the bound port. kUnavailable when the address cannot be
  // bound, kInvalid when `host` is not an IP address, kConflict when called twice.
  Result<unsigned short> Start();
  // Stops accepting and closes open connections without waiting for them; returns once no
  // handler is running (handlers already started finish; none start afterwards). Idempotent.
  // Must not be called from a handler (it then cannot wait for itself, and does not).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace caredesk::http
