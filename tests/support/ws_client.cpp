#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace caredesk::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  std::mutex write_mutex;
};

std::unique_ptr<WsClient> WsClient::Connect(unsigned short port, const std::string& target,
                                            const Options& options, int* status) {
  if (status) *status = 0;
  std::unique_ptr<WsClient> client(new WsClient());
  client->impl_ = std::make_unique<Impl>();
  auto& ws = client->impl_->ws;
  boost::system::error_code ec;
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return nullptr;
  std::string protocols;
  for (const std::string& p : options.protocols) protocols += (protocols.empty() ? "" : ", ") + p;
  auto headers = options.headers;
  ws.set_option(websocket::stream_base::decorator([protocols, headers](websocket::request_type& r) {
    if (!protocols.empty()) r.set(beast::http::field::sec_websocket_protocol, protocols);
    for (const auto& [name, value] : headers) r.set(name, value);
  }));
  websocket::response_type response;
  ws.handshake(response, "127.0.0.1:" + std::to_string(port), target, ec);
  if (status) *status = static_cast<int>(response.result_int());
  if (ec) return nullptr;
  if (auto it = response.find(beast::http::field::sec_websocket_protocol); it != response.end()) {
    client->protocol_ = std::string(it->value());
  }
  WsClient* self = client.get();
  client->reader_ = std::thread([self] {
    beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code read_ec;
      self->impl_->ws.read(buffer, read_ec);
      std::lock_guard lock(self->mutex_);
      if (read_ec) {
        self->closed_ = true;
        self->arrived_.notify_all();
        return;
      }
      self->messages_.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      self->arrived_.notify_all();
    }
  });
  return client;
}

WsClient::~WsClient() {
  Drop();
  if (reader_.joinable()) reader_.join();
}

std::optional<std::string> WsClient::Next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, timeout, [&] { return !messages_.empty() || closed_; });
  if (messages_.empty()) return std::nullopt;
  std::string m = std::move(messages_.front());
  messages_.pop_front();
  return m;
}

std::optional<std::string> WsClient::NextWith(const std::string& needle,
                                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = Next(left);
    if (!m) return std::nullopt;
    if (m->find(needle) != std::string::npos) return m;
  }
}

void WsClient::Send(const std::string& text) {
  std::lock_guard lock(impl_->write_mutex);
  boost::system::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
}

void WsClient::Drop() {
  boost::system::error_code ignored;
  impl_->ws.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
}

bool WsClient::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace caredesk::testing
