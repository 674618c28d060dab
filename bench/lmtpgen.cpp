// lmtpgen: a closed-loop LMTP load generator for bench/lmtp.sh. Each of --connections threads
// keeps one LMTP session and delivers messages one after another (MAIL, RCPT, DATA pipelined,
// as Postfix does), taking them in turn from a corpus of .eml files; every copy gets its own
// Message-ID and one of --senders From addresses, so each is a new mail from a known patient.
// Prints one JSON object: messages per second, latency percentiles, and answers other than 250.
//
//   lmtpgen --port PORT --rcpt ADDRESS --corpus DIR [--connections 8] [--duration 10]
//           [--warmup 2] [--senders 2000]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 0;
  std::string rcpt;
  std::string corpus;
  int connections = 8;
  double duration = 10;
  double warmup = 2;
  int senders = 2000;
};

// A message ready to send: dot-stuffed, CRLF line ends, with placeholders for the sender and
// the Message-ID replaced per copy.
struct Template {
  std::string head;  // the headers other than From and Message-ID
  std::string body;  // after the blank line, dot-stuffed
};

Template Prepare(const std::string& raw) {
  std::string text;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) text += '\r';
    text += raw[i];
  }
  auto split = text.find("\r\n\r\n");
  std::string head = text.substr(0, split + 2), body = text.substr(split + 4);
  Template t;
  // Drop From and Message-ID (unfolded single lines in the corpus); they are written per copy.
  std::size_t pos = 0;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    std::string line = head.substr(pos, end - pos);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (!lower.starts_with("from:") && !lower.starts_with("message-id:")) t.head += line + "\r\n";
    pos = end + 2;
  }
  std::size_t start = 0;
  while (start < body.size()) {
    auto end = body.find("\r\n", start);
    if (end == std::string::npos) end = body.size();
    if (body[start] == '.') t.body += '.';
    t.body.append(body, start, end - start);
    t.body += "\r\n";
    start = end + 2;
  }
  return t;
}

bool SendAll(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads complete reply lines until `count` final ones ("NNN " lines) arrived; their codes.
bool ReadReplies(int fd, std::string& buffer, int count, std::vector<int>& codes) {
  codes.clear();
  while (static_cast<int>(codes.size()) < count) {
    auto eol = buffer.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 2);
      if (line.size() >= 4 && line[3] == ' ') codes.push_back(std::atoi(line.substr(0, 3).c_str()));
      continue;
    }
    char chunk[4096];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

struct Stats {
  std::vector<double> latencies_ms;
  long not_250 = 0;
  long errors = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--port")
      o.port = std::atoi(v.c_str());
    else if (a == "--rcpt")
      o.rcpt = v;
    else if (a == "--corpus")
      o.corpus = v;
    else if (a == "--connections")
      o.connections = std::atoi(v.c_str());
    else if (a == "--duration")
      o.duration = std::atof(v.c_str());
    else if (a == "--warmup")
      o.warmup = std::atof(v.c_str());
    else if (a == "--senders")
      o.senders = std::atoi(v.c_str());
    else {
      std::cerr << "lmtpgen: unknown option " << a << "\n";
      return 1;
    }
  }
  if (o.port == 0 || o.rcpt.empty() || o.corpus.empty()) {
    std::cerr << "usage: lmtpgen --port PORT --rcpt ADDRESS --corpus DIR [--connections N] "
                 "[--duration S] [--warmup S] [--senders N]\n";
    return 1;
  }
  std::vector<Template> corpus;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(o.corpus)) {
    if (entry.path().extension() == ".eml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::size_t corpus_bytes = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    corpus.push_back(Prepare(raw));
    corpus_bytes += raw.size();
  }
  if (corpus.empty()) {
    std::cerr << "lmtpgen: no .eml files in " << o.corpus << "\n";
    return 1;
  }
  const auto begin = Clock::now();
  const auto measure_from =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  const auto measure_to = measure_from + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(o.duration));
  std::atomic<long> seq{0};
  std::vector<Stats> stats(static_cast<std::size_t>(o.connections));
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      Stats& s = stats[static_cast<std::size_t>(c)];
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<unsigned short>(o.port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::string buffer;
      std::vector<int> codes;
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          !ReadReplies(fd, buffer, 1, codes) || !SendAll(fd, "LHLO bench.example\r\n") ||
          !ReadReplies(fd, buffer, 1, codes)) {
        ++s.errors;
        ::close(fd);
        return;
      }
      while (Clock::now() < measure_to) {
        long n = seq.fetch_add(1);
        const Template& t = corpus[static_cast<std::size_t>(n) % corpus.size()];
        std::string from = "patient" + std::to_string(n % o.senders) + "@example.org";
        std::string message = "From: <" + from + ">\r\nMessage-ID: <bench-" + std::to_string(n) +
                              "-" + std::to_string(c) + "@example.org>\r\n" + t.head + "\r\n" +
                              t.body + ".\r\n";
        const auto start = Clock::now();
        if (!SendAll(fd, "MAIL FROM:<" + from + ">\r\nRCPT TO:<" + o.rcpt + ">\r\nDATA\r\n") ||
            !ReadReplies(fd, buffer, 3, codes) || !SendAll(fd, message) ||
            !ReadReplies(fd, buffer, 1, codes)) {
          ++s.errors;
          break;
        }
        const auto done = Clock::now();
        if (start >= measure_from && done <= measure_to) {
          s.latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - start).count());
          if (codes.at(0) != 250) ++s.not_250;
        }
      }
      SendAll(fd, "QUIT\r\n");
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  long not_250 = 0, errors = 0;
  for (const Stats& s : stats) {
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    not_250 += s.not_250;
    errors += s.errors;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1,
                        static_cast<std::size_t>(p * static_cast<double>(all.size())))];
  };
  std::printf(
      "{\"mails\": %zu, \"rps\": %.1f, \"p50_ms\": %.2f, \"p95_ms\": %.2f, \"p99_ms\": %.2f, "
      "\"not_250\": %ld, \"errors\": %ld, \"corpus_files\": %zu, \"corpus_bytes\": %zu}\n",
      all.size(), static_cast<double>(all.size()) / o.duration, pct(0.50), pct(0.95), pct(0.99),
      not_250, errors, corpus.size(), corpus_bytes);
  return errors ? 1 : 0;
}
