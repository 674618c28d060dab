// A fake mail server on a loopback port that speaks enough SMTP (RFC 5321: EHLO, AUTH PLAIN,
// MAIL, RCPT, DATA, RSET, QUIT; no STARTTLS, which CareDesk skips only for loopback relays) to
// receive what CareDesk submits. It records each accepted message and can be told to refuse or
// defer the next ones. One connection at a time, on its own thread. Thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace caredesk::testing {

class FakeSmtp {
 public:
  // With `username`, AUTH PLAIN is offered and required with that username and password.
  explicit FakeSmtp(std::string username = "", std::string password = "");
  ~FakeSmtp();
  FakeSmtp(const FakeSmtp&) = delete;
  FakeSmtp& operator=(const FakeSmtp&) = delete;

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  struct Mail {
    std::string mail_from;
    std::vector<std::string> recipients;
    std::string data;  // the message as received, dot-stuffing undone, CRLF line ends
    // The value of header `name` (case-insensitive; folded lines joined), "" if absent.
    std::string Header(std::string_view name) const;
  };
  std::vector<Mail> mails() const;
  // The next RCPT commands are answered `code` (e.g. 550, 451), one each, in order.
  void FailNextRecipient(int code);

 private:
  void Serve();
  void Session(int fd);

  const std::string username_, password_;
  int listen_fd_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Mail> mails_;   // guarded by mutex_
  std::deque<int> failures_;  // guarded by mutex_
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: runs Serve
};

}  // namespace caredesk::testing
