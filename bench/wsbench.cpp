// The real-time benchmark of bench/ws.sh, two tools in one binary (Beast, header-only):
//
//   wsbench reference [--port 0]
//       The reference: a minimal Beast server that does only the moving of bytes. WebSocket
//       clients connect at /ws/ID; POST /send/ID with a body sends that body to client ID as one
//       text frame and answers 204. Prints "listening on PORT".
//
//   wsbench load --port P --plan FILE --mode caredesk|reference [--rate 2000] [--duration 10]
//                [--connections-per-post 64] [--server-pid PID] [--idle 3]
//       Opens one WebSocket per line of the plan (a patient's chat widget; "SLUG STAFF_TOKEN
//       CONVERSATION_ID CHAT_TOKEN", see seed --chat-tenants) plus one console per practice,
//       waits, measures the server's resident memory per idle connection, then sends --rate
//       messages a second for --duration seconds, each to a random chat: in caredesk mode as the
//       agent's reply (POST /api/v1/conversations/ID/replies), in reference mode as POST
//       /send/ID. Latency runs from each message's scheduled send time (open loop, so a slow
//       server cannot hide its queueing) to its frame arriving at the patient's socket. Prints one
//       JSON line.
//
// Single-threaded (one io_context); exit status 0, 1 on failure, 2 on bad usage.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

namespace {

[[noreturn]] void Usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "wsbench: " << problem << "\n";
  std::cerr << "usage: wsbench reference [--port 0]\n"
               "       wsbench load --port P --plan FILE --mode caredesk|reference [--rate 2000]\n"
               "                    [--duration 10] [--connections-per-post 64] [--server-pid PID]"
               " [--idle 3]\n";
  std::exit(2);
}

// ---- The reference server.

struct RefServer;

struct RefSocket : std::enable_shared_from_this<RefSocket> {
  explicit RefSocket(websocket::stream<tcp::socket> s) : ws(std::move(s)) {}
  websocket::stream<tcp::socket> ws;
  std::deque<std::shared_ptr<const std::string>> queue;
  bool writing = false;
  void Send(std::shared_ptr<const std::string> text) {
    if (queue.size() >= 256) return;  // the same bound as CareDesk's
    queue.push_back(std::move(text));
    if (writing) return;
    writing = true;
    asio::co_spawn(ws.get_executor(), WriteLoop(shared_from_this()), asio::detached);
  }
  static awaitable<void> WriteLoop(std::shared_ptr<RefSocket> self) {
    while (!self->queue.empty()) {
      auto frame = self->queue.front();
      self->ws.text(true);
      auto [ec, n] = co_await self->ws.async_write(asio::buffer(*frame), kTuple);
      self->queue.pop_front();
      if (ec) break;
    }
    self->writing = false;
  }
};

struct RefServer {
  std::unordered_map<std::string, std::weak_ptr<RefSocket>> clients;
};

awaitable<void> RefSession(tcp::socket socket, RefServer& server) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(socket, buffer, req, kTuple);
    if (ec) co_return;
    std::string target(req.target());
    if (websocket::is_upgrade(req) && target.starts_with("/ws/")) {
      auto ws = std::make_shared<RefSocket>(websocket::stream<tcp::socket>(std::move(socket)));
      auto [aec] = co_await ws->ws.async_accept(req, kTuple);
      if (aec) co_return;
      std::string id = target.substr(4);
      server.clients[id] = ws;
      beast::flat_buffer in;
      for (;;) {
        auto [rec, rn] = co_await ws->ws.async_read(in, kTuple);
        if (rec) break;
        in.consume(in.size());
      }
      server.clients.erase(id);
      co_return;
    }
    http::response<http::empty_body> res{http::status::no_content, req.version()};
    if (target.starts_with("/send/")) {
      auto it = server.clients.find(target.substr(6));
      if (it != server.clients.end()) {
        if (auto c = it->second.lock()) c->Send(std::make_shared<const std::string>(req.body()));
      }
    } else {
      res.result(http::status::not_found);
    }
    res.keep_alive(req.keep_alive());
    auto [wec, wn] = co_await http::async_write(socket, res, kTuple);
    if (wec || !req.keep_alive()) co_return;
  }
}

awaitable<void> RefAccept(tcp::acceptor& acceptor, RefServer& server) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), RefSession(std::move(socket), server), asio::detached);
  }
}

int RunReference(unsigned short port) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
  RefServer server;
  asio::co_spawn(io, RefAccept(acceptor, server), asio::detached);
  io.run();
  return 0;
}

// ---- The load generator.

struct PlanLine {
  std::string slug, staff_token, conversation, chat_token;
};

struct Load {
  std::string mode;
  unsigned short port = 0;
  std::vector<PlanLine> plan;
  int rate = 2000;
  int duration = 10;
  int posters = 64;
  int server_pid = 0;
  int idle = 3;

  int connected = 0, failed = 0;
  std::unordered_map<std::string, Clock::time_point> scheduled;  // by message text
  std::vector<double> latencies_ms;
  long received = 0, sent = 0, post_errors = 0;
};

long RssKb(int pid) {
  if (pid <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

// Finds "m-<seq>-x" in a frame (the marker every sent message carries).
std::string MarkerIn(std::string_view frame) {
  auto at = frame.find("m-");
  if (at == std::string_view::npos) return {};
  auto end = frame.find("-x", at);
  if (end == std::string_view::npos) return {};
  return std::string(frame.substr(at, end + 2 - at));
}

awaitable<void> Client(Load& load, std::string target, std::string protocols, bool patient) {
  auto executor = co_await asio::this_coro::executor;
  websocket::stream<tcp::socket> ws(executor);
  auto [cec] = co_await ws.next_layer().async_connect(
      {asio::ip::make_address("127.0.0.1"), load.port}, kTuple);
  if (cec) {
    ++load.failed;
    co_return;
  }
  if (!protocols.empty()) {
    ws.set_option(websocket::stream_base::decorator([protocols](websocket::request_type& r) {
      r.set(http::field::sec_websocket_protocol, protocols);
    }));
  }
  auto [hec] = co_await ws.async_handshake("127.0.0.1", target, kTuple);
  if (hec) {
    ++load.failed;
    co_return;
  }
  ++load.connected;
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, kTuple);
    if (ec) co_return;
    if (patient) {
      std::string frame = beast::buffers_to_string(buffer.data());
      std::string marker = MarkerIn(frame);
      if (auto it = load.scheduled.find(marker); !marker.empty() && it != load.scheduled.end()) {
        load.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - it->second).count());
        load.scheduled.erase(it);
        ++load.received;
      }
    }
    buffer.consume(buffer.size());
  }
}

// One keep-alive HTTP connection sending the messages given to it, one at a time.
struct Poster {
  std::deque<std::pair<std::string, std::string>> work;  // target, body (+ token in target)
  bool busy = false;
};

awaitable<void> PostLoop(Load& load, std::shared_ptr<Poster> poster,
                         std::shared_ptr<asio::steady_timer> wake) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  auto [cec] =
      co_await stream.async_connect({asio::ip::make_address("127.0.0.1"), load.port}, kTuple);
  if (cec) co_return;
  stream.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  for (;;) {
    while (poster->work.empty()) {
      wake->expires_at(Clock::time_point::max());
      co_await wake->async_wait(kTuple);
    }
    auto [target, body] = std::move(poster->work.front());
    poster->work.pop_front();
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (load.mode == "caredesk") {
      auto bar = body.find('|');
      req.set(http::field::authorization, "Bearer " + body.substr(0, bar));
      body = body.substr(bar + 1);
      req.set(http::field::content_type, "application/json");
    }
    req.body() = body;
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, kTuple);
    if (wec || rec) co_return;
    if (res.result_int() >= 300) ++load.post_errors;
  }
}

awaitable<void> Wait(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(kTuple);
}

awaitable<void> Drive(Load& load, asio::io_context& io) {
  // Connect everyone: patients, then one console per practice.
  long rss_before = RssKb(load.server_pid);
  std::map<std::string, std::string> staff_token_of;
  int index = 0;
  for (const PlanLine& line : load.plan) {
    std::string target = load.mode == "caredesk" ? "/api/v1/widget/ws?tenant=" + line.slug
                                                 : "/ws/" + std::to_string(index);
    std::string protocols = load.mode == "caredesk" ? "caredesk.v1, " + line.chat_token : "";
    asio::co_spawn(io, Client(load, target, protocols, true), asio::detached);
    staff_token_of[line.slug] = line.staff_token;
    ++index;
    if (index % 200 == 0) co_await Wait(std::chrono::milliseconds(20));  // pace the handshakes
  }
  int consoles = 0;
  for (const auto& [slug, token] : staff_token_of) {
    std::string target = load.mode == "caredesk" ? "/api/v1/ws" : "/ws/console-" + slug;
    std::string protocols = load.mode == "caredesk" ? "caredesk.v1, " + token : "";
    asio::co_spawn(io, Client(load, target, protocols, false), asio::detached);
    ++consoles;
  }
  const int total = static_cast<int>(load.plan.size()) + consoles;
  for (int i = 0; i < 600 && load.connected + load.failed < total; ++i) {
    co_await Wait(std::chrono::milliseconds(100));
  }
  co_await Wait(std::chrono::seconds(load.idle));
  long rss_idle = RssKb(load.server_pid);

  // Send at the rate, open loop: message k is due at start + k / rate.
  std::vector<std::shared_ptr<Poster>> posters;
  std::vector<std::shared_ptr<asio::steady_timer>> wakes;
  for (int i = 0; i < load.posters; ++i) {
    posters.push_back(std::make_shared<Poster>());
    wakes.push_back(std::make_shared<asio::steady_timer>(io));
    asio::co_spawn(io, PostLoop(load, posters.back(), wakes.back()), asio::detached);
  }
  co_await Wait(std::chrono::milliseconds(200));
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, load.plan.size() - 1);
  const auto start = Clock::now();
  const long total_messages = static_cast<long>(load.rate) * load.duration;
  for (long k = 0; k < total_messages; ++k) {
    auto due = start + std::chrono::nanoseconds(k * 1'000'000'000LL / load.rate);
    if (due > Clock::now()) {
      asio::steady_timer t(io, due);
      co_await t.async_wait(kTuple);
    }
    std::size_t i = pick(rng);
    const PlanLine& line = load.plan[i];
    std::string marker = "m-" + std::to_string(k) + "-x";
    load.scheduled[marker] = due;
    std::string target, body;
    if (load.mode == "caredesk") {
      target = "/api/v1/conversations/" + line.conversation + "/replies";
      body = line.staff_token + "|{\"text\":\"Thanks, " + marker + " noted\"}";
    } else {
      target = "/send/" + std::to_string(i);
      body = "{\"type\":\"message\",\"message\":{\"text\":\"Thanks, " + marker + " noted\"}}";
    }
    auto& p = posters[static_cast<std::size_t>(k) % posters.size()];
    p->work.emplace_back(std::move(target), std::move(body));
    wakes[static_cast<std::size_t>(k) % posters.size()]->cancel();
    ++load.sent;
  }
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int i = 0; i < 100 && !load.scheduled.empty(); ++i) {
    co_await Wait(std::chrono::milliseconds(100));
  }
  std::vector<double>& l = load.latencies_ms;
  std::sort(l.begin(), l.end());
  auto pct = [&](double q) {
    return l.empty() ? -1.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(q * l.size()))];
  };
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"failed\":%d,\"rss_before_kb\":%ld,"
      "\"rss_idle_kb\":%ld,\"bytes_per_idle_connection\":%.0f,\"sent\":%ld,\"received\":%ld,"
      "\"lost\":%zu,\"post_errors\":%ld,\"send_rate\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
      "\"max_ms\":%.2f}\n",
      load.mode.c_str(), load.connected, load.failed, rss_before, rss_idle,
      load.connected > 0 ? (rss_idle - rss_before) * 1024.0 / load.connected : 0.0, load.sent,
      load.received, load.scheduled.size(), load.post_errors, load.sent / send_seconds, pct(0.50),
      pct(0.99), l.empty() ? -1.0 : l.back());
  std::fflush(stdout);
  io.stop();
}

int RunLoad(Load& load) {
  asio::io_context io;
  asio::co_spawn(io, Drive(load, io), asio::detached);
  io.run();
  return load.failed > 0 || load.received == 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Usage("");
  std::string command = argv[1];
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  auto number = [&](const std::string& name, int fallback) {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : std::stoi(it->second);
  };
  if (command == "reference") return RunReference(static_cast<unsigned short>(number("--port", 0)));
  if (command != "load") Usage("unknown command " + command);
  Load load;
  load.mode = flags["--mode"];
  if (load.mode != "caredesk" && load.mode != "reference") Usage("--mode caredesk|reference");
  load.port = static_cast<unsigned short>(number("--port", 0));
  load.rate = number("--rate", 2000);
  load.duration = number("--duration", 10);
  load.posters = number("--connections-per-post", 64);
  load.server_pid = number("--server-pid", 0);
  load.idle = number("--idle", 3);
  std::ifstream plan(flags["--plan"]);
  if (!plan) Usage("--plan FILE is required");
  PlanLine line;
  while (plan >> line.slug >> line.staff_token >> line.conversation >> line.chat_token) {
    load.plan.push_back(line);
  }
  if (load.plan.empty() || load.port == 0 || load.rate <= 0) Usage("empty plan or bad options");
  return RunLoad(load);
}
