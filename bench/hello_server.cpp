// The reference point for HTTP benchmarks: a plain Boost.Beast HTTP/1.1 server written the way
// the Beast awaitable example writes one (one coroutine per connection, keep-alive, a 30 s read
// timeout) that answers every request 200 "ok". CareDesk's own server is measured against it.
//
// Usage: hello_server [--listen 127.0.0.1:8080] [--threads 2]
// With port 0 the kernel picks a free port; "listening PORT" is printed on stdout either way.
// SIGINT or SIGTERM stops it.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A tcp_stream whose operations default to use_awaitable, as in the Beast example.
using TcpStream = beast::tcp_stream::rebind_executor<
    net::use_awaitable_t<>::executor_with_default<net::any_io_executor>>::other;

constexpr auto kReadTimeout = std::chrono::seconds(30);

http::message_generator HandleRequest(const http::request<http::string_body>& req) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::server, BOOST_BEAST_VERSION_STRING);
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(req.keep_alive());
  res.body() = "ok";
  res.prepare_payload();
  return res;
}

net::awaitable<void> Session(TcpStream stream) {
  beast::flat_buffer buffer;  // persists across reads: it may hold the start of the next request
  try {
    for (;;) {
      stream.expires_after(kReadTimeout);
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req);
      http::message_generator msg = HandleRequest(req);
      const bool keep_alive = msg.keep_alive();
      co_await beast::async_write(stream, std::move(msg), net::use_awaitable);
      if (!keep_alive) break;
    }
  } catch (const boost::system::system_error& e) {
    // end_of_stream is the client closing between requests; anything else (timeout, reset) also
    // just ends this connection, which is what a server under load test should do.
    if (e.code() != http::error::end_of_stream && e.code() != beast::error::timeout &&
        e.code() != net::error::connection_reset && e.code() != net::error::operation_aborted) {
      std::cerr << "session: " << e.code().message() << "\n";
    }
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> Listen(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(acceptor.get_executor()),
                                                       net::as_tuple(net::use_awaitable));
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      std::cerr << "accept: " << ec.message() << "\n";
      continue;
    }
    const auto executor = socket.get_executor();
    net::co_spawn(executor, Session(TcpStream(std::move(socket))), net::detached);
  }
}

// Prints the usage to stderr and exits: 0 for --help, 2 for a usage error.
[[noreturn]] void Usage(const char* why, int status = 2) {
  std::cerr << "hello_server: " << why << "\n"
            << "usage: hello_server [--listen HOST:PORT (default 127.0.0.1:8080)] "
               "[--threads N (default 2)]\n";
  std::exit(status);
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    } else if (arg == "--help" || arg == "-h") {
      Usage("answers every HTTP request with 200 ok", 0);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Usage("missing value");
    }
    if (arg == "--listen") {
      listen = value;
    } else if (arg == "--threads") {
      threads = std::atoi(value.c_str());
      if (threads < 1) Usage("--threads must be at least 1");
    } else {
      Usage("unknown option");
    }
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) Usage("--listen wants HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const int port = std::atoi(listen.c_str() + colon + 1);
  if (port < 0 || port > 65535) Usage("bad port");

  try {
    net::io_context ioc{threads};
    const tcp::endpoint endpoint{net::ip::make_address(host), static_cast<unsigned short>(port)};
    tcp::acceptor acceptor{ioc};
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    std::printf("listening %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);

    net::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const beast::error_code&, int) { ioc.stop(); });
    net::co_spawn(ioc, Listen(acceptor), [&ioc](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "acceptor: " << ex.what() << "\n";
      }
      ioc.stop();
    });

    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& e) {
    std::cerr << "hello_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
