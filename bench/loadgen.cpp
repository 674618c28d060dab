// A closed-loop HTTP/1.1 load generator for loopback benchmarks: each connection is a coroutine
// that sends a request, waits for the whole response and sends the next one on the same
// keep-alive connection. Connections are spread over --threads, each with its own io_context.
//
// loadgen --url http://127.0.0.1:PORT/path [--connections 64] [--duration 10] [--warmup 2]
//         [--method GET|POST|...] [--header 'Name: value']... [--body-template FILE_OR_STRING]
//         [--threads 2] [--server-pid PID] [--json]
//
// Latency is from just before the write to the end of the response, recorded only for responses
// that complete inside the measured window (after the warmup). Connection errors (refused, reset,
// closed mid-response) are counted over the whole run, warmup included, and the connection
// reconnects. Exit status: 0 clean, 1 bad usage or setup, 3 when the run had connection errors,
// non-2xx responses, requests still unanswered 2 s after the end, or no responses at all.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// After the measured window ends, connections finish their in-flight request; any still waiting
// this long after the end are abandoned and reported as unfinished.
constexpr auto kStopGrace = std::chrono::seconds(2);
// Pause before reconnecting after a failed connect, so a dead server is not hammered in a loop.
constexpr auto kReconnectPause = std::chrono::milliseconds(10);

// ---------------------------------------------------------------------------------------------
// Latency histogram: log-linear buckets over nanoseconds, HdrHistogram-style. Values below 256 ns
// are exact; above, each power of two is split into 128 buckets, so a bucket is at most 1/128
// (0.8%) of its value wide and the midpoint we report is within 0.4%. One per thread, merged at
// the end; max and min are tracked exactly.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;             // 128 buckets per power of two
  static constexpr int kLinear = 2 << kSubBits;  // 256 exact values
  static constexpr int kMaxExponent = 44;        // 2^44 ns ~ 4.9 hours, clamped above
  static constexpr int kBuckets = kLinear + (kMaxExponent - kSubBits) * (1 << kSubBits);

  LatencyHistogram() : counts_(kBuckets, 0) {}

  void Record(std::uint64_t ns) {
    ++counts_[Index(ns)];
    ++total_;
    max_ns_ = std::max(max_ns_, ns);
    min_ns_ = std::min(min_ns_, ns);
  }

  void Merge(const LatencyHistogram& other) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
    min_ns_ = std::min(min_ns_, other.min_ns_);
  }

  std::uint64_t total() const { return total_; }
  std::uint64_t max_ns() const { return total_ == 0 ? 0 : max_ns_; }

  // The value at or below which `percent` of the samples lie (0 when empty).
  std::uint64_t Percentile(double percent) const {
    if (total_ == 0) return 0;
    auto rank =
        static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total_)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(Midpoint(i), min_ns_, max_ns_);
    }
    return max_ns_;
  }

 private:
  static int Index(std::uint64_t ns) {
    if (ns < kLinear) return static_cast<int>(ns);
    int exponent = std::bit_width(ns) - 1;  // >= kSubBits + 1
    if (exponent >= kMaxExponent) return kBuckets - 1;
    const int shift = exponent - kSubBits;
    const int sub = static_cast<int>(ns >> shift) - (1 << kSubBits);  // 0..127
    return kLinear + (exponent - kSubBits - 1) * (1 << kSubBits) + sub;
  }

  static std::uint64_t Midpoint(int index) {
    if (index < kLinear) return static_cast<std::uint64_t>(index);
    const int exponent = (index - kLinear) / (1 << kSubBits) + kSubBits + 1;
    const int sub = (index - kLinear) % (1 << kSubBits) + (1 << kSubBits);
    const int shift = exponent - kSubBits;
    const std::uint64_t low = static_cast<std::uint64_t>(sub) << shift;
    return low + ((std::uint64_t{1} << shift) >> 1);
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t max_ns_ = 0;
  std::uint64_t min_ns_ = UINT64_MAX;
};

// ---------------------------------------------------------------------------------------------
// Body template: literal text with {{seq}} (a process-wide request counter: one value per
// request, the same wherever it appears in that body), {{seq%N}} (that value modulo N, zero-padded
// to the digits of N-1, e.g. for phone numbers that repeat), {{rand}} (8 random hex digits) and
// {{conn}} (the connection number) substituted for every request.
class BodyTemplate {
 public:
  enum class Kind { kLiteral, kSeq, kSeqMod, kRand, kConn };
  struct Segment {
    Kind kind;
    std::string text;
    std::uint64_t modulus = 0;  // kSeqMod
    int width = 0;              // kSeqMod: zero-padded width
  };

  BodyTemplate() = default;
  explicit BodyTemplate(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, Kind>, 3> kNames = {
        {{"{{seq}}", Kind::kSeq}, {"{{rand}}", Kind::kRand}, {"{{conn}}", Kind::kConn}}};
    std::string literal;
    while (!text.empty()) {
      if (auto mod = ParseSeqMod(text)) {
        if (!literal.empty()) segments_.push_back({Kind::kLiteral, std::exchange(literal, {})});
        segments_.push_back(*mod);
        dynamic_ = true;
        continue;
      }
      bool matched = false;
      for (const auto& [name, kind] : kNames) {
        if (text.starts_with(name)) {
          if (!literal.empty()) segments_.push_back({Kind::kLiteral, std::exchange(literal, {})});
          segments_.push_back({kind, {}});
          text.remove_prefix(name.size());
          matched = true;
          dynamic_ = true;
          break;
        }
      }
      if (!matched) {
        literal.push_back(text.front());
        text.remove_prefix(1);
      }
    }
    if (!literal.empty()) segments_.push_back({Kind::kLiteral, std::move(literal)});
  }

  bool dynamic() const { return dynamic_; }

  void Render(std::atomic<std::uint64_t>& seq, std::mt19937& rng, int conn,
              std::string& out) const {
    out.clear();
    char buf[24];
    std::optional<std::uint64_t> request_seq;  // drawn once per request, on first use
    auto next_seq = [&] {
      if (!request_seq) request_seq = seq.fetch_add(1, std::memory_order_relaxed);
      return *request_seq;
    };
    for (const auto& s : segments_) {
      switch (s.kind) {
        case Kind::kLiteral:
          out += s.text;
          break;
        case Kind::kSeq:
          out += std::to_string(next_seq());
          break;
        case Kind::kSeqMod:
          std::snprintf(buf, sizeof buf, "%0*llu", s.width,
                        static_cast<unsigned long long>(next_seq() % s.modulus));
          out += buf;
          break;
        case Kind::kRand:
          std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rng()));
          out += buf;
          break;
        case Kind::kConn:
          out += std::to_string(conn);
          break;
      }
    }
  }

 private:
  // "{{seq%N}}" with 1 <= N <= 10^15 at the front of `text`: consumes it and returns its segment.
  static std::optional<Segment> ParseSeqMod(std::string_view& text) {
    static constexpr std::string_view kOpen = "{{seq%";
    if (!text.starts_with(kOpen)) return std::nullopt;
    const std::size_t close = text.find("}}", kOpen.size());
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view digits = text.substr(kOpen.size(), close - kOpen.size());
    if (digits.empty() || digits.size() > 15 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    const std::uint64_t modulus = std::stoull(std::string(digits));
    if (modulus == 0) return std::nullopt;
    const int width = static_cast<int>(std::to_string(modulus - 1).size());
    text.remove_prefix(close + 2);
    return Segment{Kind::kSeqMod, {}, modulus, width};
  }

  std::vector<Segment> segments_;
  bool dynamic_ = false;
};

// ---------------------------------------------------------------------------------------------
// X-Twilio-Signature of a form-encoded body as a Twilio-compatible provider computes it:
// base64(HMAC-SHA1(token, url + each parameter's decoded name and value, sorted by name)). For
// --twilio-sign, so each request of a body template carries a valid signature.
std::string FormDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string TwilioSignature(const std::string& token, const std::string& url,
                            std::string_view body) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!body.empty()) {
    std::string_view part = body.substr(0, body.find('&'));
    body.remove_prefix(std::min(body.size(), part.size() + 1));
    auto eq = part.find('=');
    params.emplace_back(FormDecode(part.substr(0, eq)),
                        eq == std::string_view::npos ? "" : FormDecode(part.substr(eq + 1)));
  }
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string data = url;
  for (const auto& [k, v] : params) data += k + v;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), token.data(), static_cast<int>(token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  unsigned char encoded[64];
  int n = EVP_EncodeBlock(encoded, mac, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

// ---------------------------------------------------------------------------------------------
struct Options {
  std::string url;
  int connections = 64;
  double duration_s = 10;
  double warmup_s = 2;
  std::string method;  // default GET, or POST when a body template is given
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body_template;  // file path or literal text
  int threads = 2;
  long server_pid = 0;  // 0 = no server stats
  bool json = false;
  std::string twilio_token, twilio_url;  // --twilio-sign: sign every body as the provider does
};

// What every connection needs; read-only once the run starts (except `seq`).
struct Plan {
  tcp::endpoint endpoint;
  http::request<http::string_body> prototype;  // method, target, headers, static body
  BodyTemplate body;
  std::string twilio_token, twilio_url;  // non-empty: add X-Twilio-Signature per request
  Clock::time_point measure_start;
  Clock::time_point measure_end;
  std::atomic<std::uint64_t> seq{0};
};

// Per-thread counters; only that thread's connections touch them during the run.
struct WorkerStats {
  LatencyHistogram latency;
  std::array<std::uint64_t, 1000> status{};  // measured window only
  std::uint64_t errors = 0;                  // whole run
  std::map<std::string, std::uint64_t> error_kinds;
  std::uint64_t server_closes = 0;  // responses with "Connection: close" (not errors)
  int active = 0;                   // connections still running

  void CountError(std::string_view phase, const beast::error_code& ec) {
    ++errors;
    ++error_kinds[std::string(phase) + ": " + ec.message()];
  }
};

class Worker {
 public:
  Worker() : watchdog_(ioc_) {}

  void Start(Plan& plan, const std::vector<int>& conns) {
    for (int conn : conns) net::co_spawn(ioc_, RunConnection(plan, conn), net::detached);
    watchdog_.expires_at(plan.measure_end + kStopGrace);
    watchdog_.async_wait([this](const beast::error_code& ec) {
      if (!ec) ioc_.stop();
    });
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void Join() { thread_.join(); }
  const WorkerStats& stats() const { return stats_; }

 private:
  net::awaitable<void> RunConnection(Plan& plan, int conn) {
    ++stats_.active;
    auto executor = co_await net::this_coro::executor;
    tcp::socket socket{executor};
    beast::flat_buffer buffer;
    http::request<http::string_body> req = plan.prototype;
    std::mt19937 rng{std::random_device{}() ^ static_cast<unsigned>(conn * 2654435761u)};
    bool connected = false;
    beast::error_code ignored;

    while (Clock::now() < plan.measure_end) {
      if (!connected) {
        socket = tcp::socket{executor};
        auto [ec] = co_await socket.async_connect(plan.endpoint, kTuple);
        if (ec) {
          stats_.CountError("connect", ec);
          socket.close(ignored);
          net::steady_timer pause{executor, kReconnectPause};
          co_await pause.async_wait(kTuple);
          continue;
        }
        socket.set_option(tcp::no_delay(true), ignored);
        buffer.clear();
        connected = true;
      }
      if (plan.body.dynamic()) {
        plan.body.Render(plan.seq, rng, conn, req.body());
        req.prepare_payload();
      }
      if (!plan.twilio_token.empty()) {
        req.set("X-Twilio-Signature",
                TwilioSignature(plan.twilio_token, plan.twilio_url, req.body()));
      }

      http::response<http::string_body> res;
      const auto start = Clock::now();
      auto [write_ec, written] = co_await http::async_write(socket, req, kTuple);
      beast::error_code read_ec;
      if (!write_ec)
        std::tie(read_ec, std::ignore) = co_await http::async_read(socket, buffer, res, kTuple);
      const auto done = Clock::now();

      if (write_ec || read_ec) {
        stats_.CountError(write_ec ? "write" : "read", write_ec ? write_ec : read_ec);
        socket.close(ignored);
        connected = false;
        continue;
      }
      if (done >= plan.measure_start && done < plan.measure_end) {
        stats_.latency.Record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(done - start).count()));
        ++stats_.status[std::min(res.result_int(), 999u)];
      }
      if (!res.keep_alive()) {
        ++stats_.server_closes;
        socket.close(ignored);
        connected = false;
      }
    }
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    if (--stats_.active == 0) watchdog_.cancel();
  }

  // Declaration order matters: the io_context is destroyed before the stats, so coroutine frames
  // abandoned by the watchdog are destroyed while the stats they point at still exist.
  WorkerStats stats_;
  net::io_context ioc_{1};
  net::steady_timer watchdog_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Process statistics from /proc and getrusage.

std::optional<double> ReadPeakRssMib(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // the kernel reports kB
    }
  }
  return std::nullopt;
}

std::optional<double> ReadProcessCpuSeconds(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  // After "(comm) " the fields start at the state, field 3; utime and stime are fields 14, 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::strtod(field.c_str(), nullptr);
    if (i == 15) stime = std::strtod(field.c_str(), nullptr);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ---------------------------------------------------------------------------------------------
// Command line.

// Prints the usage to stderr and exits: 0 for --help, 1 for a usage error.
[[noreturn]] void Usage(std::string_view why, int status = 1) {
  std::cerr << "loadgen: " << why << "\n"
            << "usage: loadgen --url http://HOST:PORT/PATH\n"
               "  [--connections N]         concurrent keep-alive connections (default 64)\n"
               "  [--duration S]            measured seconds (default 10)\n"
               "  [--warmup S]              seconds before measuring (default 2)\n"
               "  [--method M]              GET, POST, ... (default GET, POST with a body)\n"
               "  [--header 'Name: value']  repeatable; Content-Type defaults to\n"
               "                            application/json when a body is sent\n"
               "  [--body-template X]       file path, else literal text; {{seq}} {{seq%N}}\n"
               "                            {{rand}} {{conn}} are substituted per request\n"
               "  [--threads N]             client I/O threads (default 2)\n"
               "  [--twilio-sign TOKEN@URL] sign each body as a Twilio-compatible provider\n"
               "                            does (X-Twilio-Signature over URL + the form)\n"
               "  [--server-pid PID]        report the server's peak RSS and CPU time\n"
               "  [--json]                  one JSON object instead of text\n";
  std::exit(status);
}

Options ParseOptions(int argc, char* argv[]) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") Usage("closed-loop HTTP/1.1 load generator", 0);
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    std::string value;
    if (auto eq = arg.find('='); eq != std::string_view::npos && arg.starts_with("--")) {
      value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Usage(std::string(arg) + " needs a value");
    }
    auto number = [&](double min) {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || (*end != '\0' && std::string_view(end) != "s") || v < min) {
        Usage("bad value for " + std::string(arg) + ": " + value);
      }
      return v;
    };
    if (arg == "--url") {
      o.url = value;
    } else if (arg == "--connections" || arg == "-c") {
      o.connections = static_cast<int>(number(1));
    } else if (arg == "--duration" || arg == "-d") {
      o.duration_s = number(0.001);
    } else if (arg == "--warmup") {
      o.warmup_s = number(0);
    } else if (arg == "--method") {
      o.method = value;
    } else if (arg == "--header" || arg == "-H") {
      const auto colon = value.find(':');
      if (colon == std::string::npos || colon == 0) Usage("--header wants 'Name: value'");
      const auto start = value.find_first_not_of(" \t", colon + 1);
      o.headers.emplace_back(value.substr(0, colon),
                             start == std::string::npos ? "" : value.substr(start));
    } else if (arg == "--body-template") {
      o.body_template = value;
    } else if (arg == "--threads" || arg == "-t") {
      o.threads = static_cast<int>(number(1));
    } else if (arg == "--twilio-sign") {
      // TOKEN@URL: the auth token, and the public URL the signature covers
      auto at = value.find('@');
      if (at == std::string::npos) Usage("--twilio-sign wants TOKEN@URL");
      o.twilio_token = value.substr(0, at);
      o.twilio_url = value.substr(at + 1);
    } else if (arg == "--server-pid") {
      o.server_pid = static_cast<long>(number(1));
    } else {
      Usage("unknown option " + std::string(arg));
    }
  }
  if (o.url.empty()) Usage("--url is required");
  if (o.method.empty()) o.method = o.body_template ? "POST" : "GET";
  o.threads = std::min(o.threads, o.connections);
  return o;
}

struct Url {
  std::string host;  // without brackets
  std::string port;
  std::string target;
  std::string host_header;
};

Url ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) Usage("only http:// URLs are supported");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  Url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  out.host_header = std::string(authority);
  out.port = "80";
  if (authority.starts_with('[')) {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) Usage("bad IPv6 host in --url");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      out.port = std::string(authority.substr(close + 2));
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty() || out.port.empty()) Usage("bad --url");
  return out;
}

std::string LoadBodyTemplate(const std::string& file_or_text, bool& from_file) {
  std::error_code ec;
  from_file = std::filesystem::is_regular_file(file_or_text, ec);
  if (!from_file) return file_or_text;
  std::ifstream in(file_or_text, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------------------------
// Report.

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

struct Report {
  double measured_s = 0;
  LatencyHistogram latency;
  std::map<int, std::uint64_t> status;
  std::uint64_t non_2xx = 0;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_kinds;
  std::uint64_t server_closes = 0;
  int unfinished = 0;
  double client_cpu_s = 0;
  std::optional<double> server_cpu_s;
  std::optional<double> peak_rss_mib;

  double rps() const { return static_cast<double>(latency.total()) / measured_s; }
  bool clean() const {
    return errors == 0 && non_2xx == 0 && unfinished == 0 && latency.total() > 0;
  }
};

double Ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

void PrintJson(const Options& o, const Report& r) {
  auto opt = [](const std::optional<double>& v) {
    if (!v) return std::string("null");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", *v);
    return std::string(buf);
  };
  std::printf(
      "{\"rps\": %.1f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p95_ms\": %.3f, \"p99_ms\": %.3f, "
      "\"p999_ms\": %.3f, "
      "\"max_ms\": %.3f, \"requests\": %llu, \"errors\": %llu, \"non_2xx\": %llu, ",
      r.rps(), Ms(r.latency.Percentile(50)), Ms(r.latency.Percentile(90)),
      Ms(r.latency.Percentile(95)), Ms(r.latency.Percentile(99)), Ms(r.latency.Percentile(99.9)),
      Ms(r.latency.max_ns()), static_cast<unsigned long long>(r.latency.total()),
      static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.non_2xx));
  std::printf("\"status_counts\": {");
  const char* sep = "";
  for (const auto& [code, n] : r.status) {
    std::printf("%s\"%d\": %llu", sep, code, static_cast<unsigned long long>(n));
    sep = ", ";
  }
  std::printf("}, \"peak_rss_mib\": %s, \"error_kinds\": {", opt(r.peak_rss_mib).c_str());
  sep = "";
  for (const auto& [kind, n] : r.error_kinds) {
    std::printf("%s\"%s\": %llu", sep, JsonEscape(kind).c_str(),
                static_cast<unsigned long long>(n));
    sep = ", ";
  }
  std::printf(
      "}, \"unfinished\": %d, \"server_closes\": %llu, \"duration_s\": %.3f, \"warmup_s\": %.3f, "
      "\"connections\": %d, \"threads\": %d, \"client_cpu_s\": %.3f, \"server_cpu_s\": %s}\n",
      r.unfinished, static_cast<unsigned long long>(r.server_closes), r.measured_s, o.warmup_s,
      o.connections, o.threads, r.client_cpu_s, opt(r.server_cpu_s).c_str());
}

void PrintText(const Options& o, const Report& r, bool body_from_file) {
  std::printf("%s %s  %d connections, %d threads, %.1f s measured after %.1f s warmup\n",
              o.method.c_str(), o.url.c_str(), o.connections, o.threads, r.measured_s, o.warmup_s);
  if (o.body_template) {
    std::printf("body template: %s\n", body_from_file ? o.body_template->c_str() : "(literal)");
  }
  std::printf("  requests     %llu  (%.1f req/s)\n",
              static_cast<unsigned long long>(r.latency.total()), r.rps());
  std::printf("  latency ms   p50 %.3f  p90 %.3f  p95 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
              Ms(r.latency.Percentile(50)), Ms(r.latency.Percentile(90)),
              Ms(r.latency.Percentile(95)), Ms(r.latency.Percentile(99)),
              Ms(r.latency.Percentile(99.9)), Ms(r.latency.max_ns()));
  std::printf("  status      ");
  for (const auto& [code, n] : r.status) {
    std::printf(" %d: %llu", code, static_cast<unsigned long long>(n));
  }
  std::printf("%s\n", r.status.empty() ? " (none)" : "");
  std::printf("  errors       %llu connection errors (whole run), %llu non-2xx\n",
              static_cast<unsigned long long>(r.errors),
              static_cast<unsigned long long>(r.non_2xx));
  for (const auto& [kind, n] : r.error_kinds) {
    std::printf("               %llu x %s\n", static_cast<unsigned long long>(n), kind.c_str());
  }
  if (r.server_closes > 0) {
    std::printf("  reconnects   %llu after \"Connection: close\" responses\n",
                static_cast<unsigned long long>(r.server_closes));
  }
  if (r.unfinished > 0) {
    std::printf("  unfinished   %d connections still waiting %lld s after the end\n", r.unfinished,
                static_cast<long long>(kStopGrace.count()));
  }
  std::printf("  client cpu   %.2f s (%.0f%% of one core)\n", r.client_cpu_s,
              100 * r.client_cpu_s / r.measured_s);
  if (o.server_pid != 0) {
    if (r.server_cpu_s) {
      std::printf("  server cpu   %.2f s (%.0f%% of one core)\n", *r.server_cpu_s,
                  100 * *r.server_cpu_s / r.measured_s);
    }
    if (r.peak_rss_mib) {
      std::printf("  server rss   %.1f MiB peak (VmHWM)\n", *r.peak_rss_mib);
    } else {
      std::printf("  server rss   unavailable: cannot read /proc/%ld/status\n", o.server_pid);
    }
  }
  if (!r.clean()) {
    std::printf("WARNING: this run is not clean (%s)\n",
                r.latency.total() == 0 ? "no responses in the measured window"
                                       : "connection errors, non-2xx or unfinished requests");
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const Options options = ParseOptions(argc, argv);
  const Url url = ParseUrl(options.url);

  auto plan = std::make_unique<Plan>();
  try {
    net::io_context resolver_ioc;
    tcp::resolver resolver{resolver_ioc};
    plan->endpoint = *resolver.resolve(url.host, url.port).begin();
  } catch (const std::exception& e) {
    std::cerr << "loadgen: cannot resolve " << url.host << ":" << url.port << ": " << e.what()
              << "\n";
    return 1;
  }

  http::request<http::string_body>& req = plan->prototype;
  const http::verb verb = http::string_to_verb(options.method);
  if (verb == http::verb::unknown) Usage("unknown method " + options.method);
  req.method(verb);
  req.target(url.target);
  req.version(11);
  req.set(http::field::host, url.host_header);
  req.set(http::field::user_agent, "caredesk-loadgen");
  req.keep_alive(true);
  bool body_from_file = false;
  if (options.body_template) {
    const std::string text = LoadBodyTemplate(*options.body_template, body_from_file);
    plan->body = BodyTemplate(text);
    req.body() = text;
    req.set(http::field::content_type, "application/json");
  }
  for (const auto& [name, value] : options.headers) req.set(name, value);
  req.prepare_payload();
  plan->twilio_token = options.twilio_token;
  plan->twilio_url = options.twilio_url;

  // Connections connect during the warmup; latency and status are recorded between
  // measure_start and measure_end.
  const auto begin = Clock::now();
  plan->measure_start = begin + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.warmup_s));
  plan->measure_end = plan->measure_start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(options.duration_s));

  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < options.threads; ++t) {
    std::vector<int> conns;
    for (int c = t; c < options.connections; c += options.threads) conns.push_back(c);
    workers.push_back(std::make_unique<Worker>());
    workers.back()->Start(*plan, conns);
  }

  Report report;
  std::this_thread::sleep_until(plan->measure_start);
  const double client_cpu_0 = SelfCpuSeconds();
  const auto server_cpu_0 =
      options.server_pid ? ReadProcessCpuSeconds(options.server_pid) : std::nullopt;
  std::this_thread::sleep_until(plan->measure_end);
  report.client_cpu_s = SelfCpuSeconds() - client_cpu_0;
  if (options.server_pid) {
    const auto server_cpu_1 = ReadProcessCpuSeconds(options.server_pid);
    if (server_cpu_0 && server_cpu_1) report.server_cpu_s = *server_cpu_1 - *server_cpu_0;
  }
  report.measured_s =
      std::chrono::duration<double>(plan->measure_end - plan->measure_start).count();

  for (auto& w : workers) w->Join();
  if (options.server_pid) report.peak_rss_mib = ReadPeakRssMib(options.server_pid);
  for (const auto& w : workers) {
    const WorkerStats& s = w->stats();
    report.latency.Merge(s.latency);
    for (int code = 0; code < static_cast<int>(s.status.size()); ++code) {
      if (s.status[code] == 0) continue;
      report.status[code] += s.status[code];
      if (code < 200 || code > 299) report.non_2xx += s.status[code];
    }
    report.errors += s.errors;
    for (const auto& [kind, n] : s.error_kinds) report.error_kinds[kind] += n;
    report.server_closes += s.server_closes;
    report.unfinished += s.active;
  }

  if (options.json) {
    PrintJson(options, report);
  } else {
    PrintText(options, report, body_from_file);
  }
  std::fflush(stdout);
  return report.clean() ? 0 : 3;
}
