#include "channels/email/lmtp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/log.hpp"
#include "base/text.hpp"

namespace caredesk::channels {

namespace {

constexpr std::size_t kMaxCommandLine = 4096;  // RFC 5321 allows 512; MTAs add parameters
constexpr std::size_t kMaxRecipients = 100;

// Reads CRLF (or LF) terminated lines from a socket, waiting in short polls so that Stop and
// the idle timeout are noticed.
class LineReader {
 public:
  LineReader(int fd, const std::atomic<bool>& stop, std::chrono::seconds idle)
      : fd_(fd), stop_(stop), idle_(idle) {}

  enum class Status { kLine, kClosed, kTooLong };

  // A line without its line end. Lines longer than `max` are consumed and reported kTooLong.
  Status Next(std::string& line, std::size_t max) {
    auto waited = std::chrono::milliseconds(0);
    bool too_long = false;
    while (true) {
      auto eol = buffer_.find('\n', scanned_);
      if (eol != std::string::npos) {
        std::size_t end = eol > 0 && buffer_[eol - 1] == '\r' ? eol - 1 : eol;
        line.assign(buffer_, 0, end);
        buffer_.erase(0, eol + 1);
        scanned_ = 0;
        return too_long || line.size() > max ? Status::kTooLong : Status::kLine;
      }
      scanned_ = buffer_.size();
      if (buffer_.size() > max + 2) {  // keep reading to the line's end, dropping it
        too_long = true;
        buffer_.clear();
        scanned_ = 0;
      }
      if (stop_) return Status::kClosed;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (ready == 0) {
        waited += std::chrono::milliseconds(100);
        if (waited >= idle_) return Status::kClosed;
        continue;
      }
      if (ready < 0 && errno == EINTR) continue;
      char chunk[16384];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return Status::kClosed;
      waited = std::chrono::milliseconds(0);
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  const std::atomic<bool>& stop_;
  std::chrono::seconds idle_;
  std::string buffer_;
  std::size_t scanned_ = 0;
};

bool Send(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The address in "FROM:<a@b> SIZE=10" / "TO:<a@b>"; nullopt when malformed. "<>" is "".
std::optional<std::string> PathOf(std::string_view arg, std::string_view keyword,
                                  std::string_view* params) {
  std::string upper;
  for (char c : arg.substr(0, keyword.size())) {
    upper.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  }
  if (upper != keyword) return std::nullopt;
  arg.remove_prefix(keyword.size());
  arg = Trim(arg);
  if (arg.empty() || arg.front() != '<') return std::nullopt;
  auto close = arg.find('>');
  if (close == std::string_view::npos) return std::nullopt;
  std::string address = AsciiLower(arg.substr(1, close - 1));
  if (params) *params = Trim(arg.substr(close + 1));
  // A source route ("<@relay:user@host>") names the mailbox after the colon.
  if (!address.empty() && address.front() == '@') {
    auto colon = address.find(':');
    if (colon == std::string::npos) return std::nullopt;
    address.erase(0, colon + 1);
  }
  for (char c : address) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return address;
}

}  // namespace

LmtpServer::LmtpServer(LmtpOptions options, Accepts accepts, Deliver deliver)
    : options_(std::move(options)), accepts_(std::move(accepts)), deliver_(std::move(deliver)) {}

LmtpServer::~LmtpServer() { Stop(); }

Result<unsigned short> LmtpServer::Start() {
  const bool v6 = options_.host.find(':') != std::string::npos;
  listen_fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Unavailable("cannot open the LMTP socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(options_.port);
    if (::inet_pton(AF_INET6, options_.host.c_str(), &a->sin6_addr) != 1) {
      return Invalid("the LMTP address is not an IP address", "lmtp");
    }
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(options_.port);
    if (::inet_pton(AF_INET, options_.host.c_str(), &a->sin_addr) != 1) {
      return Invalid("the LMTP address is not an IP address", "lmtp");
    }
    length = sizeof *a;
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    std::string why = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return Unavailable("cannot listen for LMTP on " + options_.host + ": " + why);
  }
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&storage), &length);
  unsigned short port = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port)
                           : ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  stop_ = false;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  log::Info("lmtp_listening", {{"host", options_.host}, {"port", unsigned{port}}});
  return port;
}

void LmtpServer::Stop() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock lock(mutex_);
  // Wakes a session blocked in send() or recv(); it sees the error and ends.
  for (int fd : live_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [this] { return sessions_ == 0; });
  lock.unlock();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void LmtpServer::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Replies are small and come in runs (pipelined commands): without this, Nagle holds the
    // second one back until the client's delayed ACK, 40 ms a message.
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A client that stops reading cannot hold a session thread for ever in send().
    timeval send_timeout{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    {
      std::lock_guard lock(mutex_);
      if (sessions_ >= options_.max_connections) {
        Send(fd, "421 4.3.2 too many connections, try again later\r\n");
        ::close(fd);
        continue;
      }
      ++sessions_;
      live_.insert(fd);
    }
    std::thread([this, fd] {
      Session(fd);
      std::lock_guard lock(mutex_);
      live_.erase(fd);
      ::close(fd);
      --sessions_;
      idle_.notify_all();
    }).detach();
  }
}

void LmtpServer::Session(int fd) {
  LineReader reader(fd, stop_, options_.idle_timeout);
  const std::string max_size = std::to_string(options_.max_message_bytes);
  if (!Send(fd, "220 caredesk LMTP ready\r\n")) return;
  bool greeted = false;
  std::optional<std::string> sender;
  std::vector<std::string> recipients;
  std::string line;
  while (true) {
    LineReader::Status status = reader.Next(line, kMaxCommandLine);
    if (status == LineReader::Status::kClosed) return;
    if (status == LineReader::Status::kTooLong) {
      if (!Send(fd, "500 5.5.2 line too long\r\n")) return;
      continue;
    }
    std::string_view command = line;
    std::string verb = AsciiLower(command.substr(0, command.find(' ')));
    std::string_view arg =
        command.find(' ') == std::string_view::npos ? "" : command.substr(command.find(' ') + 1);
    std::string reply;
    if (verb == "lhlo") {
      greeted = true;
      sender.reset();
      recipients.clear();
      reply =
          "250-caredesk\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
          "250 SIZE " +
          max_size + "\r\n";
    } else if (verb == "helo" || verb == "ehlo") {
      reply = "500 5.5.1 this is LMTP: say LHLO\r\n";
    } else if (verb == "mail") {
      std::string_view params;
      auto from = PathOf(arg, "FROM:", &params);
      if (!greeted) {
        reply = "503 5.5.1 LHLO first\r\n";
      } else if (sender) {
        reply = "503 5.5.1 nested MAIL command\r\n";
      } else if (!from) {
        reply = "501 5.5.4 syntax: MAIL FROM:<address>\r\n";
      } else {
        std::string upper_params = AsciiLower(params);
        auto size_at = upper_params.find("size=");
        if (size_at != std::string::npos &&
            std::strtoull(upper_params.c_str() + size_at + 5, nullptr, 10) >
                options_.max_message_bytes) {
          reply = "552 5.3.4 message too big\r\n";
        } else {
          sender = *from;
          reply = "250 2.1.0 ok\r\n";
        }
      }
    } else if (verb == "rcpt") {
      auto to = PathOf(arg, "TO:", nullptr);
      if (!sender) {
        reply = "503 5.5.1 MAIL first\r\n";
      } else if (!to || to->empty()) {
        reply = "501 5.5.4 syntax: RCPT TO:<address>\r\n";
      } else if (recipients.size() >= kMaxRecipients) {
        reply = "452 4.5.3 too many recipients\r\n";
      } else {
        switch (accepts_(*to)) {
          case LmtpVerdict::Kind::kDelivered:
            recipients.push_back(*to);
            reply = "250 2.1.5 ok\r\n";
            break;
          case LmtpVerdict::Kind::kTemporary:
            reply = "451 4.3.0 cannot check this mailbox now, try again later\r\n";
            break;
          case LmtpVerdict::Kind::kRejected:
            reply = "550 5.1.1 no such mailbox here\r\n";
            break;
        }
      }
    } else if (verb == "data") {
      if (!sender || recipients.empty()) {
        reply = "503 5.5.1 no valid recipients\r\n";
      } else {
        if (!Send(fd, "354 go ahead, end with <CRLF>.<CRLF>\r\n")) return;
        std::string message;
        bool too_big = false;
        while (true) {
          // Message lines may be long (RFC 5322 allows 998; some senders break it).
          status = reader.Next(line, options_.max_message_bytes);
          if (status == LineReader::Status::kClosed) return;  // nothing was acknowledged
          if (status == LineReader::Status::kTooLong) {
            too_big = true;
            continue;
          }
          if (line == ".") break;
          std::string_view content = line;
          if (!content.empty() && content.front() == '.') content.remove_prefix(1);
          if (message.size() + content.size() + 2 > options_.max_message_bytes) too_big = true;
          if (!too_big) {
            message.append(content);
            message.append("\r\n");
          }
        }
        for (const std::string& recipient : recipients) {
          LmtpVerdict verdict;
          if (too_big) {
            verdict.kind = LmtpVerdict::Kind::kRejected;
            verdict.reason = "message too big";
          } else {
            try {
              verdict = deliver_(recipient, *sender, message);
            } catch (const std::exception&) {
              verdict.kind = LmtpVerdict::Kind::kTemporary;
              verdict.reason = "internal error";
            }
          }
          switch (verdict.kind) {
            case LmtpVerdict::Kind::kDelivered:
              reply += "250 2.0.0 delivered\r\n";
              break;
            case LmtpVerdict::Kind::kTemporary:
              reply += "451 4.3.0 " + verdict.reason + "\r\n";
              break;
            case LmtpVerdict::Kind::kRejected:
              reply += (too_big ? "552 5.3.4 " : "550 5.6.0 ") + verdict.reason + "\r\n";
              break;
          }
        }
        sender.reset();
        recipients.clear();
      }
    } else if (verb == "rset") {
      sender.reset();
      recipients.clear();
      reply = "250 2.0.0 ok\r\n";
    } else if (verb == "noop") {
      reply = "250 2.0.0 ok\r\n";
    } else if (verb == "vrfy") {
      reply = "252 2.5.0 cannot verify, but will accept\r\n";
    } else if (verb == "quit") {
      Send(fd, "221 2.0.0 bye\r\n");
      return;
    } else {
      reply = "500 5.5.2 command not recognized\r\n";
    }
    if (!Send(fd, reply)) return;
  }
}

}  // namespace caredesk::channels
