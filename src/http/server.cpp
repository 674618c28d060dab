// The HTTP/1.1 server (see server.hpp). Each connection is one coroutine on its own strand that
// reads a request with Beast's parser, answers it on the strand when the inline handler can, or
// else hops once to the blocking pool to run the handler and once back, and writes the response; a
// second coroutine per connection enforces the deadlines.
#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <deque>
#include <list>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include "base/log.hpp"
#include "base/text.hpp"
#include "http/status.hpp"

namespace caredesk::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<tcp, Strand>;
using Acceptor = asio::basic_socket_acceptor<tcp, Strand>;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Strand>;
using Parser = bhttp::request_parser<bhttp::string_body>;
namespace websocket = boost::beast::websocket;
using WsStream = websocket::stream<beast::basic_stream<tcp, Strand>>;
template <class T>
using Task = asio::awaitable<T, Strand>;

// Completion token for every wait: errors come back as values, never as exceptions.
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable_t<Strand>{});

constexpr Clock::time_point kNoDeadline = Clock::time_point::max();
constexpr std::size_t kReadChunk = 16 << 10;
// After an error response the connection is half-closed and the rest of the request is
// discarded for a short while, so the client reads the response instead of a reset.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
constexpr std::size_t kMaxRequestIdLength = 64;

// Whether `path` matches `pattern`, whose "{id}" segments match any one segment.
bool MatchesPattern(std::string_view pattern, std::string_view path) {
  while (!pattern.empty() && !path.empty()) {
    std::size_t p = pattern.find('/', 1), q = path.find('/', 1);
    std::string_view want = pattern.substr(0, p), got = path.substr(0, q);
    if (want != "/{id}" && want != got) return false;
    if (want == "/{id}" && got.size() < 2) return false;
    pattern = p == std::string_view::npos ? std::string_view{} : pattern.substr(p);
    path = q == std::string_view::npos ? std::string_view{} : path.substr(q);
  }
  return pattern.empty() && path.empty();
}

// The body a request to `path` may carry: uploads take more than the rest.
std::size_t BodyLimitOf(const ServerOptions& options, std::string_view path) {
  for (const std::string& pattern : options.upload_paths) {
    if (MatchesPattern(pattern, path)) {
      return std::max(options.max_body_bytes, options.max_upload_bytes);
    }
  }
  return options.max_body_bytes;
}

Response BodyTooLarge(std::size_t limit) {
  return ErrorResponse(
      MakeError(ErrorKind::kTooLarge, "request body exceeds " + std::to_string(limit) + " bytes"));
}

Response RequestTimeout(std::chrono::seconds limit) {
  return ProtocolError(408, "request_timeout",
                       "request not received within " + std::to_string(limit.count()) + " s");
}

Method ToMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

bool IsRequestIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
         c == '_' || c == '-';
}

bool IsSaneRequestId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdLength &&
         std::all_of(id.begin(), id.end(), IsRequestIdChar);
}

// 16 lowercase hex digits from a per-thread generator seeded once from the OS. Ids correlate
// log lines; they are not secrets.
std::string NewRequestId() {
  thread_local std::uint64_t state = [] {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device() ^
           std::hash<std::thread::id>{}(std::this_thread::get_id());
  }();
  // splitmix64
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) id[static_cast<std::size_t>(i)] = kHex[z & 0xF];
  return id;
}

// The IMF-fixdate for the current second, formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local char text[32];
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                  tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached_second = now;
  }
  return text;
}

template <class Int>
void AppendDecimal(std::string& out, Int value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

bool IsTokenChar(unsigned char c) {
  static constexpr std::string_view kSeparators = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kSeparators.find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsValidHeaderName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

bool IsValidHeaderValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
  });
}

// Framing and correlation headers belong to the server; a handler's copies are ignored.
bool IsServerOwnedHeader(std::string_view lower_name) {
  return lower_name == "content-length" || lower_name == "transfer-encoding" ||
         lower_name == "connection" || lower_name == "keep-alive" || lower_name == "date" ||
         lower_name == "x-request-id";
}

// Splits the request target into the decoded path and the raw query. Accepts origin-form
// ("/a?b"), absolute-form ("http://host/a?b") and "*". False when the path is unusable.
bool SplitTarget(std::string_view target, std::string& path, std::string_view& query) {
  std::size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  if (raw_path.empty()) return false;
  if (raw_path.front() != '/' && raw_path != "*") {
    std::string lower = AsciiLower(raw_path.substr(0, 8));
    std::size_t scheme = lower.starts_with("http://") ? 7 : lower.starts_with("https://") ? 8 : 0;
    if (scheme == 0) return false;
    std::size_t slash = raw_path.find('/', scheme);
    raw_path = slash == std::string_view::npos ? std::string_view("/") : raw_path.substr(slash);
  }
  path = PercentDecode(raw_path, /*plus_is_space=*/false);
  return path.find('\0') == std::string::npos && IsValidUtf8(path);
}

std::string PeerAddress(const Socket& socket) {
  error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return {};
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

class Session;
class WsSession;

// What the logs say about where a request went: the handler's route, or "-".
std::string_view LoggedRoute(const Request& request) {
  return request.route.empty() ? std::string_view("-") : request.route;
}

// Everything the accept loop and the sessions share. Owned jointly by the Server and every
// coroutine, so coroutines still unwinding after the Server is destroyed stay valid.
struct State {
  State(asio::io_context& io_context, asio::thread_pool& pool, asio::thread_pool* read_pool,
        ServerOptions opts, Handler h, InlineHandler ih)
      : io(io_context),
        blocking(pool),
        reads(read_pool),
        options(std::move(opts)),
        handler(std::move(h)),
        inline_handler(std::move(ih)),
        acceptor(asio::make_strand(io_context)) {}

  // Runs the handler on a blocking-pool thread. Never throws.
  void Invoke(Request& request, Response& response) noexcept;
  // Runs the inline handler on the calling I/O thread; false when the request must go to the
  // blocking pool. Never throws.
  bool InvokeInline(Request& request, Response& response) noexcept;

  // Runs the upgrade handler on a blocking-pool thread. Never throws.
  void InvokeUpgrade(Request& request, Result<WsAccept>& accepted) noexcept;

  // Registers a live session so Stop() can close it; false once stopping.
  bool Register(const std::shared_ptr<Session>& session,
                std::list<std::weak_ptr<Session>>::iterator& it);
  void Unregister(std::list<std::weak_ptr<Session>>::iterator it);

  asio::io_context& io;
  asio::thread_pool& blocking;
  asio::thread_pool* reads;  // GET and HEAD handlers when set
  const ServerOptions options;
  const Handler handler;
  const InlineHandler inline_handler;  // may be empty
  UpgradeHandler upgrade;              // may be empty; set before Start
  Acceptor acceptor;                   // used on its strand only (after Start)

  std::atomic<bool> stopping{false};
  std::atomic<int> running_handlers{0};

  std::mutex mutex;
  std::condition_variable handlers_done;            // signalled under `mutex`
  std::list<std::weak_ptr<Session>> sessions;       // guarded by `mutex`
  std::list<std::weak_ptr<WsSession>> ws_sessions;  // guarded by `mutex`
};

// Runs `fn` (which fills `response` and returns whether it answered) as a counted handler: it
// pairs with Stop(), which either sees the handler running and waits for it, or is seen by this
// call so the handler does not start. Exceptions become a 500 with nothing from what() logged.
template <class Fn>
bool RunCounted(State& state, Request& request, Response& response, Fn&& fn) noexcept {
  state.running_handlers.fetch_add(1);
  bool answered = true;
  if (state.stopping.load()) {
    response = ErrorResponse(Unavailable("server is stopping"));
  } else {
    try {
      answered = fn();
    } catch (const ErrorException& e) {
      log::Error("http_handler_exception", {{"request_id", request.request_id},
                                            {"route", LoggedRoute(request)},
                                            {"kind", ErrorKindName(e.error.kind)},
                                            {"message", e.error.message}});
      response = ErrorResponse(Internal("internal error"));
    } catch (const std::exception& e) {
      // what() of an arbitrary exception may quote input, so only its type is logged.
      log::Error("http_handler_exception", {{"request_id", request.request_id},
                                            {"route", LoggedRoute(request)},
                                            {"type", typeid(e).name()}});
      response = ErrorResponse(Internal("internal error"));
    } catch (...) {
      log::Error("http_handler_exception", {{"request_id", request.request_id},
                                            {"route", LoggedRoute(request)},
                                            {"type", "unknown"}});
      response = ErrorResponse(Internal("internal error"));
    }
  }
  if (state.running_handlers.fetch_sub(1) == 1 && state.stopping.load()) {
    std::lock_guard lock(state.mutex);
    state.handlers_done.notify_all();
  }
  return answered;
}

void State::Invoke(Request& request, Response& response) noexcept {
  RunCounted(*this, request, response, [&] {
    response = handler(request);
    return true;
  });
}

bool State::InvokeInline(Request& request, Response& response) noexcept {
  if (!inline_handler) return false;
  return RunCounted(*this, request, response, [&] {
    std::optional<Response> answer = inline_handler(request);
    if (!answer) return false;
    response = std::move(*answer);
    return true;
  });
}

void State::InvokeUpgrade(Request& request, Result<WsAccept>& accepted) noexcept {
  Response error;
  bool ran = false;
  RunCounted(*this, request, error, [&] {
    accepted = upgrade(request);
    ran = true;
    return true;
  });
  // A stopping server or a handler that threw: RunCounted left the answer in `error`.
  if (!ran)
    accepted = error.status == 503 ? Unavailable("server is stopping") : Internal("internal error");
}

bool State::Register(const std::shared_ptr<Session>& session,
                     std::list<std::weak_ptr<Session>>::iterator& it) {
  std::lock_guard lock(mutex);
  if (stopping.load()) return false;
  it = sessions.insert(sessions.end(), session);
  return true;
}

void State::Unregister(std::list<std::weak_ptr<Session>>::iterator it) {
  std::lock_guard lock(mutex);
  sessions.erase(it);
}

// One connection. All members are used on the session's strand only, except that the handler
// reads `request` and writes `response` on a pool thread while the coroutine is suspended.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<State> state, Socket socket)
      : state_(std::move(state)),
        socket_(std::move(socket)),
        watchdog_(socket_.get_executor()),
        remote_address_(PeerAddress(socket_)) {}

  ~Session() {
    if (registered_) state_->Unregister(registry_it_);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool Register() { return registered_ = state_->Register(shared_from_this(), registry_it_); }

  void Start() {
    auto on_done = [](const std::exception_ptr& e) {
      if (e) log::Error("http_session_failed", {{"type", "unknown"}});
    };
    asio::co_spawn(socket_.get_executor(), Run(shared_from_this()), on_done);
    asio::co_spawn(socket_.get_executor(), Watchdog(shared_from_this()), on_done);
  }

  // Closes the connection; pending reads and writes complete with an error. Strand only.
  void Close() {
    error_code ignored;
    socket_.close(ignored);
    watchdog_.cancel();
  }

  Strand executor() { return socket_.get_executor(); }

 private:
  // What reading one request produced.
  enum class ReadOutcome { kRequest, kClosed, kRejected };

  // `self` keeps the session alive while the coroutine runs.
  Task<void> Run(std::shared_ptr<Session> self);
  Task<void> Watchdog(std::shared_ptr<Session> self);
  Task<void> Serve();
  Task<ReadOutcome> ReadRequest(Parser& parser, Request& request, Response& response,
                                std::size_t& bytes_in, Clock::time_point& start, bool first);
  Task<bool> ReadBody(Parser& parser, Response& response, std::size_t& bytes_in,
                      std::size_t body_limit);
  Task<bool> WriteResponse(const Request& request, const Response& response, bool keep_alive,
                           bool http10);
  Task<void> LingeringClose();

  // Runs the handler on the blocking pool and completes on this session's strand: exactly one
  // post there and one back.
  template <class Token>
  auto AsyncInvoke(Request& request, Response& response, Token&& token) {
    return asio::async_initiate<Token, void()>(
        [state = state_.get(), &request, &response](auto completion) {
          bool read = request.method == Method::kGet || request.method == Method::kHead;
          asio::post(read && state->reads ? *state->reads : state->blocking,
                     [state, &request, &response, completion = std::move(completion)]() mutable {
                       state->Invoke(request, response);
                       asio::post(std::move(completion));  // to the completion's strand
                     });
        },
        token);
  }

  // Runs the upgrade handler on the blocking pool, completing on this session's strand.
  template <class Token>
  auto AsyncUpgrade(Request& request, Result<WsAccept>& accepted, Token&& token) {
    return asio::async_initiate<Token, void()>(
        [state = state_.get(), &request, &accepted](auto completion) {
          asio::post(state->blocking,
                     [state, &request, &accepted, completion = std::move(completion)]() mutable {
                       state->InvokeUpgrade(request, accepted);
                       asio::post(std::move(completion));
                     });
        },
        token);
  }
  // Hands the connection to a WebSocket session; this session ends.
  void BecomeWebSocket(bhttp::request<bhttp::string_body> upgrade, WsAccept accept);

  void SetDeadline(std::chrono::seconds timeout) { deadline_ = Clock::now() + timeout; }
  // For a timeout shorter than every option: wakes the watchdog to re-arm.
  void ShortenDeadline(std::chrono::seconds timeout) {
    SetDeadline(timeout);
    watchdog_.cancel();
  }
  void ClearDeadline() { deadline_ = kNoDeadline; }
  void BuildHead(const Request& request, const Response& response, bool keep_alive, bool http10,
                 bool has_body);

  std::shared_ptr<State> state_;
  Socket socket_;
  Timer watchdog_;
  Clock::time_point deadline_ = kNoDeadline;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;  // bytes read but not yet parsed; kept across requests
  std::string head_;           // the response status line and headers; capacity reused
  std::string remote_address_;
  bool registered_ = false;
  std::list<std::weak_ptr<Session>>::iterator registry_it_;
};

// One WebSocket connection after the upgrade. Everything runs on the connection's strand: one
// coroutine reads messages and hands them to the application; writes go one at a time from a
// queue, and a client that lets more than ws_max_queued_frames pile up is dropped rather than
// allowed to grow memory. Beast's stream keeps the handshake and idle timeouts and pings an idle
// client (timeout::suggested).
class WsSession : public std::enable_shared_from_this<WsSession>, public WsConnection {
 public:
  WsSession(std::shared_ptr<State> state, Socket socket, WsAccept accept)
      : state_(std::move(state)),
        ws_(beast::basic_stream<tcp, Strand>(std::move(socket))),
        accept_(std::move(accept)) {}
  ~WsSession() override {
    if (registered_) {
      std::lock_guard lock(state_->mutex);
      state_->ws_sessions.erase(registry_it_);
    }
  }

  // Registers for Stop() and runs the handshake and the read loop.
  void Start(bhttp::request<bhttp::string_body> upgrade) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->stopping.load()) return;
      registry_it_ = state_->ws_sessions.insert(state_->ws_sessions.end(), weak_from_this());
      registered_ = true;
    }
    asio::co_spawn(ws_.get_executor(), Run(shared_from_this(), std::move(upgrade)),
                   [](const std::exception_ptr& e) {
                     if (e) log::Error("ws_session_failed", {{"type", "unknown"}});
                   });
  }

  void Send(std::shared_ptr<const std::string> text) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      if (self->closed_) return;
      if (self->queue_.size() >= self->state_->options.ws_max_queued_frames) {
        log::Warn("ws_client_too_slow", {{"queued", self->queue_.size()}});
        self->CloseNow();
        return;
      }
      self->queue_.push_back(std::move(text));
      if (!self->writing_) {
        self->writing_ = true;
        asio::co_spawn(self->ws_.get_executor(), self->WriteLoop(self), asio::detached);
      }
    });
  }

  void Close() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
  }

 private:
  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  Task<void> Run(std::shared_ptr<WsSession> self, bhttp::request<bhttp::string_body> upgrade) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    std::string protocol = accept_.protocol;
    ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
      if (!protocol.empty()) res.set(bhttp::field::sec_websocket_protocol, protocol);
    }));
    ws_.read_message_max(state_->options.ws_max_message_bytes);
    auto [accept_ec] = co_await ws_.async_accept(upgrade, kTuple);
    if (accept_ec || closed_) {
      CloseNow();
      co_return;
    }
    if (accept_.on_open) accept_.on_open(self);
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, kTuple);
      if (ec) break;
      if (ws_.got_text() && accept_.on_message) {
        auto data = buffer.cdata();
        accept_.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      buffer.consume(buffer.size());
      if (buffer.capacity() > 4096) buffer.shrink_to_fit();  // idle connections stay small
    }
    CloseNow();
    if (accept_.on_close) accept_.on_close();
  }

  Task<void> WriteLoop(std::shared_ptr<WsSession> /*self*/) {
    while (!queue_.empty() && !closed_) {
      std::shared_ptr<const std::string> frame = queue_.front();
      ws_.text(true);
      auto [ec, n] = co_await ws_.async_write(asio::buffer(*frame), kTuple);
      if (ec) {
        CloseNow();
        break;
      }
      if (!queue_.empty()) queue_.pop_front();
    }
    writing_ = false;
  }

  std::shared_ptr<State> state_;
  WsStream ws_;
  WsAccept accept_;
  std::deque<std::shared_ptr<const std::string>> queue_;  // strand only
  bool writing_ = false;                                  // strand only
  bool closed_ = false;                                   // strand only
  bool registered_ = false;
  std::list<std::weak_ptr<WsSession>>::iterator registry_it_;
};

void Session::BecomeWebSocket(bhttp::request<bhttp::string_body> upgrade, WsAccept accept) {
  ClearDeadline();
  watchdog_.cancel();
  auto ws = std::make_shared<WsSession>(state_, std::move(socket_), std::move(accept));
  ws->Start(std::move(upgrade));
}

// Closes the socket once `deadline_` passes. Deadlines are plain time points, so setting one
// per read or write costs no timer operation (beast::tcp_stream arms and cancels a timer for
// every operation). The watchdog wakes at least once per shortest option timeout and re-checks;
// a deadline set from the options is never earlier than that wake, so it is never enforced
// late. ShortenDeadline() covers the one shorter deadline.
Task<void> Session::Watchdog(std::shared_ptr<Session> /*self*/) {
  const ServerOptions& o = state_->options;
  auto period = std::max<Clock::duration>(
      std::min({o.header_timeout, o.body_timeout, o.idle_timeout, o.write_timeout}),
      std::chrono::milliseconds(100));
  while (socket_.is_open()) {
    Clock::time_point now = Clock::now();
    if (deadline_ <= now) {
      error_code ignored;
      if (!timed_out_) {
        // First expiry: abort the pending read or write so that a half-received request can
        // still be answered 408. The answer has one write timeout; then the socket closes.
        timed_out_ = true;
        socket_.cancel(ignored);
        deadline_ = now + o.write_timeout;
        continue;
      }
      socket_.close(ignored);
      co_return;
    }
    watchdog_.expires_at(deadline_ - now < period ? deadline_ : now + period);
    co_await watchdog_.async_wait(kTuple);  // cancelled by Close() or ShortenDeadline()
  }
}

Task<void> Session::Run(std::shared_ptr<Session> /*self*/) {
  try {
    co_await Serve();
  } catch (const std::exception& e) {  // "cannot happen", e.g. bad_alloc
    log::Error("http_session_failed", {{"type", typeid(e).name()}});
  }
  Close();
}

// The keep-alive loop: one request at a time, answered in order.
Task<void> Session::Serve() {
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  // Responses are first written without waiting (see WriteResponse); async operations are
  // unaffected by this flag.
  socket_.non_blocking(true, ignored);
  const ServerOptions& options = state_->options;
  for (bool first = true;; first = false) {
    Parser parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
    // The largest any path takes; narrowed to the request's own once its path is known.
    parser.body_limit(options.upload_paths.empty()
                          ? options.max_body_bytes
                          : std::max(options.max_body_bytes, options.max_upload_bytes));
    Request request;
    Response response;
    std::size_t bytes_in = 0;
    Clock::time_point start;
    ReadOutcome outcome = co_await ReadRequest(parser, request, response, bytes_in, start, first);
    if (outcome == ReadOutcome::kClosed) break;
    bool keep_alive = false;
    if (outcome == ReadOutcome::kRequest && state_->upgrade &&
        websocket::is_upgrade(parser.get())) {
      ClearDeadline();
      Result<WsAccept> accepted = Internal("not decided");
      co_await AsyncUpgrade(request, accepted, asio::use_awaitable_t<Strand>{});
      if (accepted) {
        log::Info(
            "http_upgrade",
            {{"request_id", request.request_id}, {"route", LoggedRoute(request)}, {"status", 101}});
        BecomeWebSocket(parser.release(), std::move(*accepted));
        co_return;
      }
      response = ErrorResponse(accepted.error());
      keep_alive = false;
    } else if (outcome == ReadOutcome::kRequest) {
      ClearDeadline();
      if (!state_->InvokeInline(request, response)) {
        co_await AsyncInvoke(request, response, asio::use_awaitable_t<Strand>{});
      }
      keep_alive = parser.get().keep_alive() && !state_->stopping.load();
      if (response.status < 200 || response.status > 599) {
        log::Error("http_bad_status",
                   {{"request_id", request.request_id}, {"status", response.status}});
        response = ErrorResponse(Internal("internal error"));
      }
    }
    // Logged before the write, so the line exists once the client has its answer; the
    // duration runs from the request's first byte to its response being ready.
    double duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    log::Info("http_request", {{"request_id", request.request_id},
                               {"method", parser.get().method_string()},
                               {"route", LoggedRoute(request)},
                               {"status", response.status},
                               {"duration_ms", duration_ms},
                               {"bytes_in", bytes_in}});
    // A request rejected before its request line was parsed is answered as HTTP/1.1.
    bool http10 = parser.get().version() == 10;
    if (!co_await WriteResponse(request, response, keep_alive, http10)) break;
    if (outcome == ReadOutcome::kRejected) {
      co_await LingeringClose();
      break;
    }
    if (!keep_alive) {
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      break;
    }
  }
}

// Reads one request's header and body. On kRejected, `response` holds the error to send and
// the connection must close after it. Beast's parser is fed from `buffer_` here rather than
// through http::async_read_header/async_read: those post an extra completion when the header is
// already buffered (pipelining), and the deadline must switch from idle to header at the first
// byte of a request.
Task<Session::ReadOutcome> Session::ReadRequest(Parser& parser, Request& request,
                                                Response& response, std::size_t& bytes_in,
                                                Clock::time_point& start, bool first) {
  const ServerOptions& options = state_->options;
  // The header clock runs from the accept for the first request and from the first byte for
  // later ones; before that a keep-alive connection is idle.
  bool header_clock = first || buffer_.size() > 0;
  SetDeadline(header_clock ? options.header_timeout : options.idle_timeout);
  if (buffer_.size() > 0) start = Clock::now();
  error_code ec;
  for (;;) {
    if (buffer_.size() > 0) {
      std::size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      bytes_in += used;
      if (!ec && parser.is_header_done()) break;
      if (ec && ec != bhttp::error::need_more) break;
      ec = {};
    }
    auto [read_ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadChunk), kTuple);
    buffer_.commit(n);
    if (read_ec) {
      // A client that started a request and stalled (slow loris) is told why it is cut off;
      // an idle keep-alive connection is closed without a word.
      if (!timed_out_ || !(parser.got_some() || buffer_.size() > 0)) co_return ReadOutcome::kClosed;
      request.request_id = NewRequestId();
      response = RequestTimeout(options.header_timeout);
      co_return ReadOutcome::kRejected;
    }
    if (!header_clock) {
      header_clock = true;
      SetDeadline(options.header_timeout);
    }
    if (start == Clock::time_point{}) start = Clock::now();
  }

  // Every request gets an id for the response and the log, even a rejected one. The parser
  // reports body_limit (Content-Length too large) only after the whole header was parsed.
  auto& message = parser.get();
  std::string_view query;
  bool path_ok = false;
  if (!ec || ec == bhttp::error::body_limit) {
    path_ok = SplitTarget(message.target(), request.path, query);
  }
  if (auto incoming = parser.get().find("x-request-id");
      incoming != parser.get().end() && IsSaneRequestId(incoming->value())) {
    request.request_id = std::string(incoming->value());
  } else {
    request.request_id = NewRequestId();
  }

  if (ec == bhttp::error::header_limit) {
    // 431 is not an error kind: it exists only at the protocol level.
    response = ProtocolError(
        431, ErrorKindName(ErrorKind::kTooLarge),
        "request header exceeds " + std::to_string(options.max_header_bytes) + " bytes");
    co_return ReadOutcome::kRejected;
  }
  const std::size_t body_limit = BodyLimitOf(options, request.path);
  if (ec == bhttp::error::body_limit) {
    response = BodyTooLarge(body_limit);
    co_return ReadOutcome::kRejected;
  }
  if (ec) {
    response = ErrorResponse(Invalid("malformed HTTP request"));
    co_return ReadOutcome::kRejected;
  }

  if (!path_ok) {
    response = ErrorResponse(Invalid("invalid request path"));
    co_return ReadOutcome::kRejected;
  }
  request.method = ToMethod(message.method());
  request.target = std::string(message.target());
  request.query = ParseQuery(query);
  for (const auto& field : message) {
    request.headers.Add(field.name_string(), std::string(field.value()));
  }
  request.remote_address = remote_address_;

  if (auto length = parser.content_length(); length && *length > body_limit) {
    response = BodyTooLarge(body_limit);
    co_return ReadOutcome::kRejected;
  }
  parser.body_limit(body_limit);  // a chunked body is held to it as it arrives
  if (!parser.is_done()) {
    if (!co_await ReadBody(parser, response, bytes_in, body_limit)) {
      co_return response.status == 0 ? ReadOutcome::kClosed : ReadOutcome::kRejected;
    }
  }
  request.body = std::move(message.body());
  co_return ReadOutcome::kRequest;
}

// Reads the rest of the body into the parser. False when the connection must close; then
// `response` is the error to send, or has status 0 when nothing can be sent.
Task<bool> Session::ReadBody(Parser& parser, Response& response, std::size_t& bytes_in,
                             std::size_t body_limit) {
  const ServerOptions& options = state_->options;
  auto& message = parser.get();
  if (message.version() >= 11) {
    if (auto expect = message.find(bhttp::field::expect);
        expect != message.end() && AsciiLower(expect->value()) == "100-continue") {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      SetDeadline(options.write_timeout);
      auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(kContinue), kTuple);
      if (ec) {
        response.status = 0;
        co_return false;
      }
    }
  }
  SetDeadline(options.body_timeout);
  parser.eager(true);
  error_code ec;
  while (!parser.is_done()) {
    if (buffer_.size() > 0) {
      std::size_t used = parser.put(buffer_.data(), ec);
      buffer_.consume(used);
      bytes_in += used;
      if (ec == bhttp::error::body_limit) {
        response = BodyTooLarge(body_limit);
        co_return false;
      }
      if (ec && ec != bhttp::error::need_more) {
        response = ErrorResponse(Invalid("malformed HTTP request"));
        co_return false;
      }
      if (parser.is_done()) break;
      if (!ec && used > 0 && buffer_.size() > 0) continue;
      ec = {};
    }
    auto [read_ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadChunk), kTuple);
    buffer_.commit(n);
    if (read_ec) {
      if (timed_out_) {
        response = RequestTimeout(options.body_timeout);
      } else {
        response.status = 0;
      }
      co_return false;
    }
  }
  co_return true;
}

void Session::BuildHead(const Request& request, const Response& response, bool keep_alive,
                        bool http10, bool has_body) {
  head_.clear();
  head_ += "HTTP/1.1 ";
  AppendDecimal(head_, response.status);
  head_ += ' ';
  bhttp::status status = bhttp::int_to_status(static_cast<unsigned>(response.status));
  if (status != bhttp::status::unknown) {
    std::string_view reason = bhttp::obsolete_reason(status);
    head_.append(reason.data(), reason.size());
  }
  head_ += "\r\n";
  bool has_content_type = false, has_csp = false, has_cache_control = false, has_corp = false;
  for (const auto& [name, value] : response.headers.all()) {
    if (IsServerOwnedHeader(name)) continue;
    if (!IsValidHeaderName(name) || !IsValidHeaderValue(value)) {
      log::Warn("http_response_header_dropped",
                {{"request_id", request.request_id},
                 {"header", IsValidHeaderName(name) ? std::string_view(name) : "?"}});
      continue;
    }
    has_content_type = has_content_type || name == "content-type";
    has_csp = has_csp || name == "content-security-policy";
    has_cache_control = has_cache_control || name == "cache-control";
    has_corp = has_corp || name == "cross-origin-resource-policy";
    head_ += name;
    head_ += ": ";
    head_ += value;
    head_ += "\r\n";
  }
  if (has_body) {
    if (!has_content_type && !response.body.empty()) {
      head_ += "Content-Type: application/json\r\n";
    }
    head_ += "Content-Length: ";
    AppendDecimal(head_, response.body.size());
    head_ += "\r\n";
  }
  // Security headers on every answer, errors included. Answers carry patient information, so
  // nothing may keep a copy, and nothing may render them as a page or frame them; a response
  // that is a page (the console, later) sets its own policy.
  head_ += "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";
  if (!has_corp) head_ += "Cross-Origin-Resource-Policy: same-origin\r\n";
  if (!has_csp) head_ += "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n";
  if (!has_cache_control) head_ += "Cache-Control: no-store\r\n";
  head_ += "X-Request-Id: ";
  head_ += request.request_id;
  head_ += "\r\nDate: ";
  head_ += HttpDate();
  head_ += "\r\n";
  if (!keep_alive && !http10) head_ += "Connection: close\r\n";
  if (keep_alive && http10) head_ += "Connection: keep-alive\r\n";
  head_ += "\r\n";
}

// Writes the response; false when the connection is gone.
Task<bool> Session::WriteResponse(const Request& request, const Response& response, bool keep_alive,
                                  bool http10) {
  // 204 and 304 carry neither a body nor a length; HEAD gets the length without the body.
  bool has_body = response.status != 204 && response.status != 304;
  BuildHead(request, response, keep_alive, http10, has_body);
  std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head_),
      asio::buffer(response.body.data(),
                   has_body && request.method != Method::kHead ? response.body.size() : 0)};
  // Most responses fit the socket's send buffer, so try writing at once and only fall back to
  // an async write (one more completion through the strand) for what is left.
  error_code ec;
  std::size_t written = socket_.write_some(buffers, ec);
  std::size_t total = buffers[0].size() + buffers[1].size();
  if (written == total) co_return true;
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
  std::array<asio::const_buffer, 2> rest = buffers;
  for (auto& b : rest) {
    std::size_t skip = std::min(written, b.size());
    b += skip;
    written -= skip;
  }
  SetDeadline(state_->options.write_timeout);
  auto [write_ec, n] = co_await asio::async_write(socket_, rest, kTuple);
  ClearDeadline();
  co_return !write_ec;
}

Task<void> Session::LingeringClose() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  ShortenDeadline(kLingerTime);
  std::size_t discarded = 0;
  while (discarded < kLingerBytes) {
    buffer_.clear();
    auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadChunk), kTuple);
    if (ec) break;
    discarded += n;
  }
}

Task<void> AcceptLoop(std::shared_ptr<State> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(asio::make_strand(state->io), kTuple);
    if (state->stopping.load() || !state->acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or memory: back off instead of spinning.
      log::Warn("http_accept_failed", {{"error", ec.value()}});
      Timer delay(state->acceptor.get_executor(), kAcceptRetryDelay);
      co_await delay.async_wait(kTuple);
      continue;
    }
    auto session = std::make_shared<Session>(state, std::move(socket));
    if (!session->Register()) co_return;  // Stop() came first
    session->Start();
  }
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<State> state;
  bool started = false;
};

Server::Server(boost::asio::io_context& io, boost::asio::thread_pool& blocking,
               ServerOptions options, Handler handler, InlineHandler inline_handler,
               boost::asio::thread_pool* reads)
    : impl_(std::make_unique<Impl>()) {
  impl_->state = std::make_shared<State>(io, blocking, reads, std::move(options),
                                         std::move(handler), std::move(inline_handler));
}

Server::~Server() { Stop(); }

void Server::SetUpgradeHandler(UpgradeHandler upgrade) {
  impl_->state->upgrade = std::move(upgrade);
}

Result<unsigned short> Server::Start() {
  State& state = *impl_->state;
  if (impl_->started || state.stopping.load()) return Conflict("server already started");
  error_code ec;
  asio::ip::address address = asio::ip::make_address(state.options.host, ec);
  if (ec) return Invalid("listen host is not an IP address", "host");
  tcp::endpoint endpoint(address, state.options.port);
  Acceptor& acceptor = state.acceptor;
  auto fail = [&](std::string_view step) -> Error {
    error_code ignored;
    acceptor.close(ignored);
    return Unavailable("cannot listen on " + state.options.host + ":" +
                       std::to_string(state.options.port) + " (" + std::string(step) + ": " +
                       ec.message() + ")");
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("reuse_address");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  unsigned short port = acceptor.local_endpoint(ec).port();
  if (ec) return fail("local_endpoint");
  impl_->started = true;
  asio::co_spawn(acceptor.get_executor(), AcceptLoop(impl_->state),
                 [](const std::exception_ptr& e) {
                   if (e) log::Error("http_accept_loop_failed");
                 });
  log::Info("http_listening", {{"host", state.options.host}, {"port", unsigned{port}}});
  return port;
}

void Server::Stop() {
  std::shared_ptr<State> state = impl_->state;
  if (state->stopping.exchange(true)) return;
  asio::post(state->acceptor.get_executor(), [state] {
    error_code ignored;
    state->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(state->mutex);
    live.reserve(state->sessions.size());
    for (const auto& weak : state->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  std::vector<std::shared_ptr<WsSession>> live_ws;
  {
    std::lock_guard lock(state->mutex);
    for (const auto& weak : state->ws_sessions) {
      if (auto ws = weak.lock()) live_ws.push_back(std::move(ws));
    }
  }
  for (auto& session : live) {
    asio::post(session->executor(), [session] { session->Close(); });
  }
  for (auto& ws : live_ws) ws->Close();
  live.clear();
  live_ws.clear();
  // Handlers capture references the owner destroys after the server, so wait for the ones
  // already running (none start after `stopping`). A handler calling Stop() cannot wait for
  // itself.
  if (!state->blocking.get_executor().running_in_this_thread() &&
      !(state->reads && state->reads->get_executor().running_in_this_thread())) {
    std::unique_lock lock(state->mutex);
    state->handlers_done.wait(lock, [&] { return state->running_handlers.load() == 0; });
  }
}

}  // namespace caredesk::http
