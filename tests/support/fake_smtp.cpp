#include "fake_smtp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include "security/crypto.hpp"

namespace caredesk::testing {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads one CRLF-terminated line into `line`; false when the peer is gone or stop is set.
bool ReadLine(int fd, std::string& buffer, std::string& line, const std::atomic<bool>& stop) {
  while (true) {
    auto eol = buffer.find("\r\n");
    if (eol != std::string::npos) {
      line = buffer.substr(0, eol);
      buffer.erase(0, eol + 2);
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 50);
    if (stop) return false;
    if (ready <= 0) continue;
    char chunk[4096];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

void Reply(int fd, const std::string& text) {
  std::string line = text + "\r\n";
  ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
}

std::string Address(std::string_view arg) {
  auto open = arg.find('<');
  auto close = arg.find('>');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  return std::string(arg.substr(open + 1, close - open - 1));
}

}  // namespace

std::string FakeSmtp::Mail::Header(std::string_view name) const {
  const std::string want = Lower(name) + ":";
  std::string head = data.substr(0, data.find("\r\n\r\n"));
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    if (Lower(line.substr(0, want.size())) == want) {
      std::string value = line.substr(want.size());
      // Folded continuation lines.
      while (end + 2 < head.size() && (head[end + 2] == ' ' || head[end + 2] == '\t')) {
        std::size_t next = head.find("\r\n", end + 2);
        if (next == std::string::npos) next = head.size();
        value += head.substr(end + 2, next - end - 2);
        end = next;
      }
      std::size_t start = value.find_first_not_of(' ');
      return start == std::string::npos ? "" : value.substr(start);
    }
    pos = end + 2;
  }
  return {};
}

FakeSmtp::FakeSmtp(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeSmtp::~FakeSmtp() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::vector<FakeSmtp::Mail> FakeSmtp::mails() const {
  std::lock_guard lock(mutex_);
  return mails_;
}

void FakeSmtp::FailNextRecipient(int code) {
  std::lock_guard lock(mutex_);
  failures_.push_back(code);
}

void FakeSmtp::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    Session(fd);
    ::close(fd);
  }
}

void FakeSmtp::Session(int fd) {
  std::string buffer, line;
  Mail mail;
  bool authed = username_.empty();
  Reply(fd, "220 fake-smtp.example ESMTP");
  while (ReadLine(fd, buffer, line, stop_)) {
    std::string verb = Lower(line.substr(0, line.find(' ')));
    std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
    if (verb == "ehlo" || verb == "helo") {
      if (username_.empty()) {
        Reply(fd, "250 fake-smtp.example");
      } else {
        Reply(fd, "250-fake-smtp.example");
        Reply(fd, "250 AUTH PLAIN");
      }
    } else if (verb == "auth") {
      // AUTH PLAIN <base64("\0user\0password")>, or the response on the next line.
      std::string initial = arg.size() > 6 ? arg.substr(6) : "";
      if (initial.empty()) {
        Reply(fd, "334 ");
        if (!ReadLine(fd, buffer, initial, stop_)) return;
      }
      auto decoded = security::FromBase64(initial);
      std::string expected = std::string(1, '\0') + username_ + std::string(1, '\0') + password_;
      authed = decoded && *decoded == expected;
      Reply(fd, authed ? "235 2.7.0 accepted" : "535 5.7.8 credentials invalid");
    } else if (verb == "mail") {
      if (!authed) {
        Reply(fd, "530 5.7.0 authentication required");
        continue;
      }
      mail = Mail{};
      mail.mail_from = Address(arg);
      Reply(fd, "250 2.1.0 ok");
    } else if (verb == "rcpt") {
      int fail = 0;
      {
        std::lock_guard lock(mutex_);
        if (!failures_.empty()) {
          fail = failures_.front();
          failures_.pop_front();
        }
      }
      if (fail) {
        Reply(fd,
              std::to_string(fail) + (fail >= 500 ? " 5.1.1 no such user" : " 4.3.0 try later"));
        continue;
      }
      mail.recipients.push_back(Address(arg));
      Reply(fd, "250 2.1.5 ok");
    } else if (verb == "data") {
      if (mail.recipients.empty()) {
        Reply(fd, "554 5.5.1 no valid recipients");
        continue;
      }
      Reply(fd, "354 end with .");
      std::string data;
      while (ReadLine(fd, buffer, line, stop_)) {
        if (line == ".") break;
        if (!line.empty() && line[0] == '.') line.erase(0, 1);  // dot-stuffing
        data += line + "\r\n";
      }
      mail.data = std::move(data);
      {
        std::lock_guard lock(mutex_);
        mails_.push_back(mail);
      }
      Reply(fd, "250 2.0.0 queued");
    } else if (verb == "rset") {
      mail = Mail{};
      Reply(fd, "250 2.0.0 ok");
    } else if (verb == "quit") {
      Reply(fd, "221 2.0.0 bye");
      return;
    } else if (verb == "noop") {
      Reply(fd, "250 2.0.0 ok");
    } else {
      Reply(fd, "502 5.5.2 not implemented");
    }
  }
}

}  // namespace caredesk::testing
