// An LMTP listener (RFC 2033) so Postfix, or any MTA, can hand mail to CareDesk: LHLO, MAIL,
// RCPT (each recipient checked), DATA (answered once per accepted recipient, after that
// recipient's copy is stored or refused), RSET, NOOP, QUIT; PIPELINING, 8BITMIME, SIZE and
// ENHANCEDSTATUSCODES. A thread per connection (the MTA opens a few and keeps them), up to
// max_connections at once. Start/Stop from one thread; the callbacks run on connection threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.hpp"

namespace caredesk::channels {

struct LmtpOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;                                // 0: any free port (tests)
  std::size_t max_message_bytes = std::size_t{40} << 20;  // a 25 MB attachment in base64 fits
  int max_connections = 32;
  std::chrono::seconds idle_timeout{300};
};

// What became of one recipient's copy, as LMTP answers it.
struct LmtpVerdict {
  enum class Kind {
    kDelivered,  // 250: stored (or knowingly dropped: a bounce we recorded, an auto-reply)
    kTemporary,  // 451: could not store now; the MTA keeps the mail and tries again
    kRejected,   // 550: will never be taken as it is
  } kind = Kind::kDelivered;
  std::string reason;  // PHI-free; said to the MTA after the status code
};

class LmtpServer {
 public:
  // Whether `recipient` (an address, lower case) is one CareDesk takes mail for: kDelivered
  // yes, kRejected no (550), kTemporary cannot say now (451, the MTA tries again).
  using Accepts = std::function<LmtpVerdict::Kind(const std::string& recipient)>;
  // Delivers one recipient's copy of a message from `envelope_sender` ("" for a bounce).
  using Deliver =
      std::function<LmtpVerdict(const std::string& recipient, const std::string& envelope_sender,
                                const std::string& message)>;

  LmtpServer(LmtpOptions options, Accepts accepts, Deliver deliver);
  ~LmtpServer();  // stops
  LmtpServer(const LmtpServer&) = delete;
  LmtpServer& operator=(const LmtpServer&) = delete;

  // Listens; returns the port.
  [[nodiscard]] Result<unsigned short> Start();
  // Stops accepting, ends every session and waits for their threads.
  void Stop();

 private:
  void AcceptLoop();
  void Session(int fd);

  LmtpOptions options_;
  Accepts accepts_;
  Deliver deliver_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable idle_;
  int sessions_ = 0;    // guarded by mutex_
  std::set<int> live_;  // guarded by mutex_: the sessions' sockets, shut down by Stop
  std::thread acceptor_;
};

}  // namespace caredesk::channels
