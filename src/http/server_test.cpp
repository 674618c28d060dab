#include "http/server.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace caredesk::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

struct WireResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "<none>" : it->second;
  }
};

// A blocking HTTP/1.1 client over a raw socket: sends exactly the bytes a test gives it and
// parses responses by hand, so the tests see what is on the wire.
class RawClient {
 public:
  explicit RawClient(unsigned short port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  void Send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // Reads one response (an interim 1xx counts as one). nullopt on timeout or close.
  std::optional<WireResponse> Read(bool head_request = false,
                                   std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    WireResponse response;
    std::string head = pending_.substr(0, end + 2);
    pending_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    for (std::size_t pos = line_end + 2; pos < head.size();) {
      std::size_t next = head.find("\r\n", pos);
      std::string line = head.substr(pos, next - pos);
      std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::size_t value_start = line.find_first_not_of(' ', colon + 1);
      response.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
      pos = next + 2;
    }
    if (head_request || response.status < 200 || response.status == 204 || response.status == 304) {
      return response;
    }
    auto length = response.headers.find("content-length");
    if (length == response.headers.end()) return std::nullopt;
    std::size_t size = std::stoul(length->second);
    while (pending_.size() < size) {
      if (!Fill(deadline)) return std::nullopt;
    }
    response.body = pending_.substr(0, size);
    pending_.erase(0, size);
    return response;
  }

  // True when the server closes the connection within `timeout` without sending anything.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Fill(deadline)) {
      if (!pending_.empty()) return false;
    }
    return closed_;
  }

 private:
  // Reads what is available by `deadline`; false on timeout or close.
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{socket_.native_handle(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
    char data[4096];
    boost::system::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(data), ec);
    if (ec) {
      closed_ = true;  // EOF or reset
      return false;
    }
    pending_.append(data, n);
    return true;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string pending_;
  bool closed_ = false;
};

std::string MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "?";
}

constexpr std::string_view kTooLarge1024 =
    R"({"error":{"code":"too_large","message":"request body exceeds 1024 bytes","field":""}})";
constexpr std::string_view kMalformed =
    R"({"error":{"code":"invalid","message":"malformed HTTP request","field":""}})";
constexpr std::string_view kBadPath =
    R"({"error":{"code":"invalid","message":"invalid request path","field":""}})";
constexpr std::string_view kInternal =
    R"({"error":{"code":"internal","message":"internal error","field":""}})";

// A server on 127.0.0.1:0 whose I/O runs on two threads, with a two-thread blocking pool.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(
        io_, pool_, options, [this](Request& request) { return Handle(request); },
        [this](Request& request) { return HandleInline(request); }, &reads_);
    auto port = server_->Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
    for (int i = 0; i < 2; ++i) io_threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    server_.reset();
    work_.reset();
    for (auto& thread : io_threads_) thread.join();  // every session coroutine has ended
    pool_.join();
    reads_.join();
  }

  Response Handle(Request& request) {
    ++calls_;
    if (request.path == "/search") request.route = "/search";  // as a router would
    if (request.path == "/throw") throw std::runtime_error("boom with secret detail");
    if (request.path == "/sleep") {
      handler_started_ = true;
      std::this_thread::sleep_for(300ms);
      handler_finished_ = true;
    }
    Response response;
    if (request.path == "/empty") return response;
    if (request.path == "/where") {
      response.body = reads_.get_executor().running_in_this_thread()  ? "reads"
                      : pool_.get_executor().running_in_this_thread() ? "blocking"
                                                                      : "elsewhere";
      return response;
    }
    if (request.path == "/no-content") {
      response.status = 204;
      response.body = "ignored";
      return response;
    }
    if (request.path == "/bad-status") {
      response.status = 42;
      return response;
    }
    if (request.path == "/inject") {
      response.headers.Set("X-Evil", "a\r\nSet-Cookie: stolen=1");
      response.headers.Set("X-Fine", "yes");
      response.body = "{}";
      return response;
    }
    if (request.path == "/page") {
      response.headers.Set("Content-Type", "text/html");
      response.headers.Set("Content-Security-Policy", "default-src 'self'");
      response.headers.Set("Cache-Control", "max-age=60");
      response.body = "<p>hi</p>";
      return response;
    }
    if (request.path == "/json") {
      response.status = 201;
      response.body = R"({"ok":true})";
      return response;
    }
    response.headers.Set("Content-Type", "text/plain");
    response.headers.Set("X-Request-Id", "handler-must-not-win");
    std::string body = "method=" + MethodName(request.method) + "\npath=" + request.path + "\n";
    for (const auto& [key, value] : request.query) body += "q:" + key + "=" + value + "\n";
    body += "id=" + request.request_id + "\nremote=" + request.remote_address + "\n";
    body += "agent=" + std::string(request.headers.Get("user-agent").value_or("")) + "\n";
    body += "body=" + request.body;
    response.body = std::move(body);
    return response;
  }

  // Answers "/inline..." itself and passes everything else to the blocking pool.
  std::optional<Response> HandleInline(Request& request) {
    if (!request.path.starts_with("/inline")) return std::nullopt;
    ++inline_calls_;
    if (request.path == "/inline-throw") throw std::runtime_error("inline boom");
    Response response;
    response.headers.Set("Content-Type", "text/plain");
    response.body = pool_.get_executor().running_in_this_thread() ? "on the pool" : "on I/O";
    return response;
  }

  std::string Echo(std::string_view method, std::string_view path, std::string_view id,
                   std::string_view body = "", std::string_view query_lines = "") {
    return "method=" + std::string(method) + "\npath=" + std::string(path) + "\n" +
           std::string(query_lines) + "id=" + std::string(id) + "\nremote=127.0.0.1\nagent=\n" +
           "body=" + std::string(body);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::thread_pool pool_{2};
  asio::thread_pool reads_{1};  // GET and HEAD
  std::vector<std::thread> io_threads_;
  std::unique_ptr<Server> server_;
  unsigned short port_ = 0;
  std::atomic<int> calls_{0};
  std::atomic<int> inline_calls_{0};
  std::atomic<bool> handler_started_{false};
  std::atomic<bool> handler_finished_{false};
};

TEST_F(ServerTest, GetDecodesPathAndQuery) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "GET /a%20b/caf%C3%A9?x=1&name=Jos%C3%A9+P%26Q&flag HTTP/1.1\r\nHost: t\r\n"
      "X-Request-Id: req-1\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, Echo("GET", "/a b/caf\xC3\xA9", "req-1", "",
                                 "q:x=1\nq:name=Jos\xC3\xA9 P&Q\nq:flag=\n"));
  EXPECT_EQ(response->Header("content-type"), "text/plain");
  EXPECT_EQ(response->Header("content-length"), std::to_string(response->body.size()));
  EXPECT_EQ(response->Header("x-request-id"), "req-1");
  EXPECT_EQ(response->Header("connection"), "<none>");
  EXPECT_THAT(response->Header("date"), MatchesRegex("[A-Z][a-z][a-z], [0-9]+ .* GMT"));
}

TEST_F(ServerTest, EveryAnswerCarriesSecurityHeadersUnlessItSetsItsOwn) {
  StartServer();
  RawClient client(port_);
  for (const char* path : {"/json", "/no-content", "/inline-x"}) {
    client.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->Header("x-content-type-options"), "nosniff") << path;
    EXPECT_EQ(response->Header("referrer-policy"), "no-referrer") << path;
    EXPECT_EQ(response->Header("content-security-policy"),
              "default-src 'none'; frame-ancestors 'none'")
        << path;
    EXPECT_EQ(response->Header("cache-control"), "no-store") << path;
  }
  client.Send("GET /page HTTP/1.1\r\nHost: t\r\n\r\n");
  auto page = client.Read();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->Header("content-security-policy"), "default-src 'self'");
  EXPECT_EQ(page->Header("cache-control"), "max-age=60");
  EXPECT_EQ(page->Header("x-content-type-options"), "nosniff");
  // A request rejected before any handler gets them too.
  client.Send("GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n");
  auto rejected = client.Read();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 400);
  EXPECT_EQ(rejected->Header("cache-control"), "no-store");
}

TEST_F(ServerTest, PostBodyIsEchoed) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nUser-Agent: tests\r\nX-Request-Id: p1\r\n"
      "Content-Length: 11\r\n\r\nhello\r\nbody");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body,
            "method=POST\npath=/echo\nid=p1\nremote=127.0.0.1\nagent=tests\nbody=hello\r\nbody");
}

TEST_F(ServerTest, ChunkedBodyIsEchoed) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "PUT /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: c1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, Echo("PUT", "/echo", "c1", "hello world"));
}

TEST_F(ServerTest, KeepAliveServesThreeRequestsOnOneConnection) {
  StartServer();
  RawClient client(port_);
  for (int i = 1; i <= 3; ++i) {
    std::string path = "/r" + std::to_string(i);
    std::string id = "k" + std::to_string(i);
    client.Send("GET " + path + " HTTP/1.1\r\nHost: t\r\nX-Request-Id: " + id + "\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, Echo("GET", path, id));
    EXPECT_EQ(response->Header("connection"), "<none>");
  }
  EXPECT_EQ(calls_, 3);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "GET /one HTTP/1.1\r\nHost: t\r\nX-Request-Id: a\r\n\r\n"
      "POST /two HTTP/1.1\r\nHost: t\r\nX-Request-Id: b\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /three HTTP/1.1\r\nHost: t\r\nX-Request-Id: c\r\nConnection: close\r\n\r\n");
  auto one = client.Read();
  auto two = client.Read();
  auto three = client.Read();
  ASSERT_TRUE(one && two && three);
  EXPECT_EQ(one->body, Echo("GET", "/one", "a"));
  EXPECT_EQ(two->body, Echo("POST", "/two", "b", "xyz"));
  EXPECT_EQ(three->body, Echo("GET", "/three", "c"));
  EXPECT_EQ(three->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed(2s));
}

TEST_F(ServerTest, ContentLengthOverLimitGets413WithoutReadingTheBody) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: big-1\r\n"
      "Content-Length: 1025\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, kTooLarge1024);
  EXPECT_EQ(response->Header("content-type"), "application/json");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_EQ(response->Header("x-request-id"), "big-1");
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, RejectedBodyStillSentGets413NotAReset) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  // The client sends the whole oversized body before reading; the server answers, half-closes
  // and drains, so the answer is not lost to a reset.
  client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n" +
              std::string(300000, 'x'));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, kTooLarge1024);
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, BodyAtTheLimitIsAccepted) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  std::string body(1024, 'b');
  client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: at\r\nContent-Length: 1024\r\n\r\n" +
              body);
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, Echo("POST", "/echo", "at", body));
}

TEST_F(ServerTest, ChunkedBodyOverLimitGets413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  std::string chunk(600, 'x');
  client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
              ("258\r\n" + chunk + "\r\n") + ("258\r\n" + chunk + "\r\n") + "0\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, kTooLarge1024);
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, UploadPathsTakeLargerBodiesAndOnlyThey) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  options.upload_paths = {"/echo/files", "/echo/{id}/files"};
  options.max_upload_bytes = 4096;
  StartServer(options);
  {
    RawClient client(port_);
    std::string body(4096, 'f');
    client.Send(
        "POST /echo/files HTTP/1.1\r\nHost: t\r\nX-Request-Id: up\r\n"
        "Content-Length: 4096\r\n\r\n" +
        body);
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, Echo("POST", "/echo/files", "up", body));
  }
  {
    RawClient client(port_);
    client.Send(
        "POST /echo/42/files HTTP/1.1\r\nHost: t\r\nX-Request-Id: up2\r\n"
        "Content-Length: 2000\r\n\r\n" +
        std::string(2000, 'g'));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << "{id} matches a segment";
  }
  for (const char* elsewhere : {"/echo/42/files/x", "/echo/files/extra", "/echo//files"}) {
    RawClient client(port_);
    client.Send("POST " + std::string(elsewhere) +
                " HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x'));
    auto response = client.Read();
    ASSERT_TRUE(response) << elsewhere;
    EXPECT_EQ(response->status, 413) << elsewhere;
  }
  {
    // Another path keeps the ordinary limit, though the parser allowed the upload size.
    RawClient client(port_);
    client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n" +
                std::string(2000, 'x'));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(response->body, kTooLarge1024);
  }
  for (bool chunked : {false, true}) {
    RawClient client(port_);
    std::string chunk(3000, 'x');
    client.Send(chunked
                    ? "POST /echo/files HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          ("bb8\r\n" + chunk + "\r\n") + ("bb8\r\n" + chunk + "\r\n") + "0\r\n\r\n"
                    : "POST /echo/files HTTP/1.1\r\nHost: t\r\nContent-Length: 4097\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response) << chunked;
    EXPECT_EQ(response->status, 413) << chunked;
    EXPECT_NE(response->body.find("exceeds 4096 bytes"), std::string::npos) << response->body;
  }
  EXPECT_EQ(calls_, 2);
}

TEST_F(ServerTest, HeaderOverLimitGets431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(options);
  RawClient client(port_);
  client.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Filler: " + std::string(2000, 'f') + "\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->body, R"({"error":{"code":"too_large",)"
                            R"("message":"request header exceeds 1024 bytes","field":""}})");
  EXPECT_TRUE(client.WaitClosed(3s));
}

TEST_F(ServerTest, MalformedRequestLineGets400AndClose) {
  StartServer();
  RawClient client(port_);
  client.Send("NOT AN HTTP REQUEST\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, kMalformed);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_THAT(response->Header("x-request-id"), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, ConflictingLengthAndChunkedGets400) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, kMalformed);
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, PathWithNulOrInvalidUtf8Gets400) {
  StartServer();
  for (std::string path : {"/a%00b", "/%FF", "/x%C3", "no-slash"}) {
    RawClient client(port_);
    client.Send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 400) << path;
    EXPECT_EQ(response->body, kBadPath) << path;
    EXPECT_TRUE(client.WaitClosed(3s)) << path;
  }
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, AbsoluteFormTargetUsesItsPath) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "GET http://example.test/p%2Fq?a=1 HTTP/1.1\r\nHost: example.test\r\n"
      "X-Request-Id: abs\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, Echo("GET", "/p/q", "abs", "", "q:a=1\n"));
}

TEST_F(ServerTest, SlowLorisGets408AfterHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 1s;
  StartServer(options);
  RawClient client(port_);
  auto start = std::chrono::steady_clock::now();
  client.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Part");
  auto response = client.Read(false, 3s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_EQ(response->headers["connection"], "close");
  EXPECT_NE(response->body.find("\"code\":\"request_timeout\""), std::string::npos)
      << response->body;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_TRUE(client.WaitClosed(4s));
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, SlowBodyGets408AfterBodyTimeout) {
  ServerOptions options;
  options.body_timeout = 1s;
  StartServer(options);
  RawClient client(port_);
  auto start = std::chrono::steady_clock::now();
  client.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789");
  auto response = client.Read(false, 3s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_NE(response->body.find("\"code\":\"request_timeout\""), std::string::npos)
      << response->body;
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_TRUE(client.WaitClosed(4s));
  EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, HeaderTimeoutCoversTheWholeHeaderNotEachByte) {
  ServerOptions options;
  options.header_timeout = 1s;
  StartServer(options);
  RawClient client(port_);
  auto start = std::chrono::steady_clock::now();
  std::string header = "GET / HTTP/1.1\r\nHost: t\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  std::optional<WireResponse> response;
  for (char c : header) {
    client.Send(std::string_view(&c, 1));
    response = client.Read(false, 100ms);
    if (response || std::chrono::steady_clock::now() - start > 4s) break;
  }
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
}

TEST_F(ServerTest, SilentConnectionIsClosedAfterHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 1s;
  StartServer(options);
  RawClient client(port_);
  EXPECT_TRUE(client.WaitClosed(3s));
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 1s;
  StartServer(options);
  RawClient client(port_);
  client.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(client.Read());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitClosed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST_F(ServerTest, SaneRequestIdIsEchoed) {
  StartServer();
  RawClient client(port_);
  std::string longest(64, 'z');
  for (std::string id : {std::string("abc-123.DEF_9"), longest}) {
    client.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Request-Id: " + id + "\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->Header("x-request-id"), id);
    EXPECT_EQ(response->body, Echo("GET", "/", id));
  }
}

TEST_F(ServerTest, InsaneRequestIdIsReplaced) {
  StartServer();
  RawClient client(port_);
  std::vector<std::string> ids = {"has space", "semi;colon", std::string(65, 'z'), "",
                                  "caf\xC3\xA9"};
  std::vector<std::string> seen;
  for (const std::string& id : ids) {
    client.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Request-Id: " + id + "\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response) << id;
    std::string replaced = response->Header("x-request-id");
    EXPECT_THAT(replaced, MatchesRegex("[0-9a-f]{16}")) << id;
    EXPECT_EQ(response->body, Echo("GET", "/", replaced));
    seen.push_back(replaced);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_F(ServerTest, HandlerExceptionGives500AndKeepsTheConnection) {
  StartServer();
  RawClient client(port_);
  testing::internal::CaptureStderr();
  client.Send("GET /throw?q=secret HTTP/1.1\r\nHost: t\r\nX-Request-Id: t1\r\n\r\n");
  auto response = client.Read();
  std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, kInternal);
  EXPECT_EQ(response->Header("x-request-id"), "t1");
  EXPECT_THAT(log, HasSubstr(R"("event":"http_handler_exception","request_id":"t1")"));
  EXPECT_THAT(log, Not(HasSubstr("boom")));
  EXPECT_THAT(log, Not(HasSubstr("secret")));

  client.Send("GET /after HTTP/1.1\r\nHost: t\r\nX-Request-Id: t2\r\n\r\n");
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, Echo("GET", "/after", "t2"));
}

TEST_F(ServerTest, InlineHandlerAnswersOnTheIoThreadAndPassesTheRestOn) {
  StartServer();
  RawClient client(port_);
  client.Send("GET /inline HTTP/1.1\r\nHost: t\r\n\r\n");
  auto inline_answer = client.Read();
  ASSERT_TRUE(inline_answer);
  EXPECT_EQ(inline_answer->status, 200);
  EXPECT_EQ(inline_answer->body, "on I/O");
  EXPECT_EQ(calls_.load(), 0);  // the blocking handler never saw it

  client.Send("GET /other HTTP/1.1\r\nHost: t\r\nX-Request-Id: t3\r\n\r\n");
  auto pooled = client.Read();
  ASSERT_TRUE(pooled);
  EXPECT_EQ(pooled->body, Echo("GET", "/other", "t3"));
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(inline_calls_.load(), 1);
}

TEST_F(ServerTest, ReadsRunOnTheReadPoolAndWritesOnTheBlockingPool) {
  StartServer();
  RawClient client(port_);
  client.Send("GET /where HTTP/1.1\r\nHost: t\r\n\r\n");
  auto get = client.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "reads");
  client.Send("POST /where HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  auto post = client.Read();
  ASSERT_TRUE(post);
  EXPECT_EQ(post->body, "blocking");
}

TEST_F(ServerTest, InlineHandlerExceptionGives500AndKeepsTheConnection) {
  StartServer();
  RawClient client(port_);
  testing::internal::CaptureStderr();
  client.Send("GET /inline-throw HTTP/1.1\r\nHost: t\r\nX-Request-Id: t4\r\n\r\n");
  auto response = client.Read();
  std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, kInternal);
  EXPECT_THAT(log, HasSubstr(R"("event":"http_handler_exception","request_id":"t4")"));
  EXPECT_THAT(log, Not(HasSubstr("boom")));
  EXPECT_EQ(calls_.load(), 0);

  client.Send("GET /inline HTTP/1.1\r\nHost: t\r\n\r\n");
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "on I/O");
}

TEST_F(ServerTest, HandlerStatusOutOfRangeGives500) {
  StartServer();
  RawClient client(port_);
  client.Send("GET /bad-status HTTP/1.1\r\nHost: t\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, kInternal);
}

TEST_F(ServerTest, ResponseHeaderWithLineBreakIsDropped) {
  StartServer();
  RawClient client(port_);
  client.Send("GET /inject HTTP/1.1\r\nHost: t\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("x-evil"), "<none>");
  EXPECT_EQ(response->Header("set-cookie"), "<none>");
  EXPECT_EQ(response->Header("x-fine"), "yes");
  EXPECT_EQ(response->body, "{}");
}

TEST_F(ServerTest, AccessLogHasThePathButNeverTheQueryOrBody) {
  StartServer();
  RawClient client(port_);
  testing::internal::CaptureStderr();
  client.Send(
      "POST /search?name=Maria+Lopez HTTP/1.1\r\nHost: t\r\nX-Request-Id: log-1\r\n"
      "Content-Length: 12\r\nAuthorization: Bearer tok\r\n\r\nDOB 1970-1-1");
  auto response = client.Read();
  std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(response);
  EXPECT_THAT(log, HasSubstr(R"("event":"http_request","request_id":"log-1","method":"POST",)"
                             R"("route":"/search","status":200,"duration_ms":)"));
  EXPECT_THAT(log, HasSubstr(R"("bytes_in":)"));
  EXPECT_THAT(log, Not(HasSubstr("Maria")));
  EXPECT_THAT(log, Not(HasSubstr("1970")));
  EXPECT_THAT(log, Not(HasSubstr("Bearer")));
}

TEST_F(ServerTest, AccessLogNeverHasAPathTheHandlerDidNotRoute) {
  StartServer();
  RawClient client(port_);
  testing::internal::CaptureStderr();
  client.Send("GET /patients/Maria%20Lopez HTTP/1.1\r\nHost: t\r\nX-Request-Id: log-2\r\n\r\n");
  auto response = client.Read();
  std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(response);
  EXPECT_THAT(log, HasSubstr(R"("request_id":"log-2","method":"GET","route":"-")"));
  EXPECT_THAT(log, Not(HasSubstr("Maria")));
  EXPECT_THAT(log, Not(HasSubstr("Lopez")));
}

TEST_F(ServerTest, HeadGetsHeadersOnly) {
  StartServer();
  RawClient client(port_);
  client.Send("HEAD /h HTTP/1.1\r\nHost: t\r\nX-Request-Id: h1\r\n\r\n");
  auto head = client.Read(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), std::to_string(Echo("HEAD", "/h", "h1").size()));
  // The next response starts right away, so no body bytes were sent for HEAD.
  client.Send("GET /g HTTP/1.1\r\nHost: t\r\nX-Request-Id: g1\r\n\r\n");
  auto get = client.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, Echo("GET", "/g", "g1"));
}

TEST_F(ServerTest, ContentTypeDefaultsToJsonOnlyWithABody) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "GET /json HTTP/1.1\r\nHost: t\r\n\r\nGET /empty HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /no-content HTTP/1.1\r\nHost: t\r\n\r\n");
  auto json = client.Read();
  auto empty = client.Read();
  auto no_content = client.Read();
  ASSERT_TRUE(json && empty && no_content);
  EXPECT_EQ(json->status, 201);
  EXPECT_EQ(json->body, R"({"ok":true})");
  EXPECT_EQ(json->Header("content-type"), "application/json");
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->Header("content-type"), "<none>");
  EXPECT_EQ(empty->Header("content-length"), "0");
  EXPECT_EQ(no_content->status, 204);
  EXPECT_EQ(no_content->Header("content-length"), "<none>");
  // Nothing was sent after the 204's header.
  client.Send("GET /json HTTP/1.1\r\nHost: t\r\n\r\n");
  auto after = client.Read();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 201);
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  StartServer();
  {
    RawClient client(port_);
    client.Send("GET /old HTTP/1.0\r\nX-Request-Id: o1\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, Echo("GET", "/old", "o1"));
    EXPECT_EQ(response->Header("connection"), "<none>");
    EXPECT_TRUE(client.WaitClosed(2s));
  }
  RawClient client(port_);
  client.Send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "keep-alive");
  client.Send("GET /again HTTP/1.0\r\nX-Request-Id: o2\r\n\r\n");
  auto again = client.Read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, Echo("GET", "/again", "o2"));
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimResponse) {
  StartServer();
  RawClient client(port_);
  client.Send(
      "POST /up HTTP/1.1\r\nHost: t\r\nX-Request-Id: e1\r\nExpect: 100-continue\r\n"
      "Content-Length: 4\r\n\r\n");
  auto interim = client.Read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  client.Send("data");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, Echo("POST", "/up", "e1", "data"));
}

TEST_F(ServerTest, ConcurrentClientsAllGetTheirOwnAnswers) {
  StartServer();
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      RawClient client(port_);
      for (int r = 0; r < kRequests; ++r) {
        std::string id = "c" + std::to_string(c) + "-" + std::to_string(r);
        client.Send("POST /p" + id + "?n=" + id + " HTTP/1.1\r\nHost: t\r\nX-Request-Id: " + id +
                    "\r\nContent-Length: " + std::to_string(id.size()) + "\r\n\r\n" + id);
        auto response = client.Read();
        if (response && response->body == Echo("POST", "/p" + id, id, id, "q:n=" + id + "\n")) {
          ++ok;
        }
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok, kClients * kRequests);
}

TEST_F(ServerTest, StopClosesAnIdleConnectionPromptly) {
  StartServer();
  RawClient client(port_);
  client.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(client.Read());
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_TRUE(client.WaitClosed(2s));
  // No longer accepting: a new connection is refused or closed without an answer.
  try {
    RawClient late(port_);
    late.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_FALSE(late.Read(false, 1s));
  } catch (const boost::system::system_error&) {
  }
  server_->Stop();  // idempotent
}

TEST_F(ServerTest, StopWaitsForARunningHandler) {
  StartServer();
  RawClient client(port_);
  client.Send("GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n");
  while (!handler_started_) std::this_thread::sleep_for(5ms);
  server_->Stop();
  EXPECT_TRUE(handler_finished_);
  EXPECT_FALSE(client.Read(false, 1s));  // the connection was closed under the request
}

TEST_F(ServerTest, StopWaitsForARunningWriteHandler) {
  StartServer();
  RawClient client(port_);
  client.Send("POST /sleep HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  while (!handler_started_) std::this_thread::sleep_for(5ms);
  server_->Stop();
  EXPECT_TRUE(handler_finished_);
}

TEST_F(ServerTest, StartFailsWithUnavailableWhenThePortIsTaken) {
  StartServer();
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  Server second(io_, pool_, options, [](Request&) { return Response{}; });
  auto result = second.Start();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ServerTest, StartRejectsAHostThatIsNotAnAddress) {
  ServerOptions options;
  options.host = "not an address";
  options.port = 0;
  Server server(io_, pool_, options, [](Request&) { return Response{}; });
  auto result = server.Start();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(result.error().field, "host");
}

}  // namespace
}  // namespace caredesk::http
