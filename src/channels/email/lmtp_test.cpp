#include "channels/email/lmtp.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

namespace caredesk::channels {
namespace {

// A raw LMTP client: sends text, reads until `replies` complete reply lines (a line whose
// fourth character is a space) arrived.
class Client {
 public:
  explicit Client(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  std::vector<std::string> Say(const std::string& text, int replies) {
    if (!text.empty()) ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
    std::vector<std::string> out;
    while (static_cast<int>(out.size()) < replies) {
      auto eol = buffer_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 2);
        if (line.size() >= 4 && line[3] == ' ') out.push_back(line);
        continue;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

struct Delivered {
  std::string recipient, sender, message;
};

class LmtpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LmtpOptions options;
    options.max_message_bytes = 2000;
    server_ = std::make_unique<LmtpServer>(
        options,
        [](const std::string& r) {
          if (r.starts_with("unsure")) return LmtpVerdict::Kind::kTemporary;
          return r.ends_with("@clinic.example") ? LmtpVerdict::Kind::kDelivered
                                                : LmtpVerdict::Kind::kRejected;
        },
        [this](const std::string& r, const std::string& s, const std::string& m) {
          std::lock_guard lock(mutex_);
          delivered_.push_back({r, s, m});
          if (r.starts_with("busy")) {
            return LmtpVerdict{LmtpVerdict::Kind::kTemporary, "try later"};
          }
          return LmtpVerdict{};
        });
    auto port = server_->Start();
    ASSERT_TRUE(port);
    port_ = *port;
  }
  std::vector<Delivered> delivered() {
    std::lock_guard lock(mutex_);
    return delivered_;
  }

  std::unique_ptr<LmtpServer> server_;
  unsigned short port_ = 0;
  std::mutex mutex_;
  std::vector<Delivered> delivered_;
};

TEST_F(LmtpTest, AnswersEachRecipientAfterItsCopyIsDelivered) {
  Client c(port_);
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.Say("", 1).at(0).substr(0, 3), "220");
  EXPECT_EQ(c.Say("MAIL FROM:<a@example.com>\r\n", 1).at(0).substr(0, 3), "503") << "LHLO first";
  auto hello = c.Say("LHLO mx.example.com\r\n", 1);
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_EQ(hello[0], "250 SIZE 2000");
  // Pipelined, as Postfix sends them.
  auto replies = c.Say(
      "MAIL FROM:<Pat@Example.com> SIZE=300\r\n"
      "RCPT TO:<stranger@elsewhere.example>\r\n"
      "RCPT TO:<FrontDesk@clinic.example>\r\n"
      "RCPT TO:<busy@clinic.example>\r\n"
      "RCPT TO:<unsure@clinic.example>\r\n"
      "DATA\r\n",
      6);
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(replies[0].substr(0, 3), "250");
  EXPECT_EQ(replies[1].substr(0, 3), "550") << "not ours";
  EXPECT_EQ(replies[2].substr(0, 3), "250");
  EXPECT_EQ(replies[3].substr(0, 3), "250");
  EXPECT_EQ(replies[4].substr(0, 3), "451") << "the store could not say: try later";
  EXPECT_EQ(replies[5].substr(0, 3), "354");
  auto verdicts = c.Say("Subject: hi\r\n\r\nline one\r\n..leading dot\r\n.\r\n", 2);
  ASSERT_EQ(verdicts.size(), 2u) << "one answer per accepted recipient";
  EXPECT_EQ(verdicts[0].substr(0, 9), "250 2.0.0");
  EXPECT_EQ(verdicts[1].substr(0, 9), "451 4.3.0");
  auto got = delivered();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].recipient, "frontdesk@clinic.example");
  EXPECT_EQ(got[0].sender, "pat@example.com");
  EXPECT_EQ(got[0].message, "Subject: hi\r\n\r\nline one\r\n.leading dot\r\n");
  EXPECT_EQ(c.Say("QUIT\r\n", 1).at(0).substr(0, 3), "221");
}

TEST_F(LmtpTest, RefusesWhatIsTooBigOrMalformedAndTakesBounces) {
  Client c(port_);
  c.Say("", 1);
  c.Say("LHLO mx\r\n", 1);
  EXPECT_EQ(c.Say("MAIL FROM:<a@example.com> SIZE=999999\r\n", 1).at(0).substr(0, 3), "552");
  EXPECT_EQ(c.Say("MAIL FROM:a@example.com\r\n", 1).at(0).substr(0, 3), "501");
  EXPECT_EQ(c.Say("RCPT TO:<x@clinic.example>\r\n", 1).at(0).substr(0, 3), "503");
  EXPECT_EQ(c.Say("HELO mx\r\n", 1).at(0).substr(0, 3), "500");
  EXPECT_EQ(c.Say(std::string(5000, 'x') + "\r\n", 1).at(0).substr(0, 3), "500");
  // A bounce has the null sender.
  c.Say("MAIL FROM:<>\r\n", 1);
  c.Say("RCPT TO:<desk@clinic.example>\r\n", 1);
  c.Say("DATA\r\n", 1);
  auto too_big = c.Say(std::string(1500, 'y') + "\r\n" + std::string(1500, 'z') + "\r\n.\r\n", 1);
  ASSERT_EQ(too_big.size(), 1u);
  EXPECT_EQ(too_big[0].substr(0, 3), "552");
  EXPECT_TRUE(delivered().empty()) << "nothing of it was delivered";
  c.Say("MAIL FROM:<>\r\n", 1);
  c.Say("RCPT TO:<desk@clinic.example>\r\n", 1);
  c.Say("DATA\r\n", 1);
  EXPECT_EQ(c.Say("Subject: bounce\r\n\r\nreturned\r\n.\r\n", 1).at(0).substr(0, 3), "250");
  ASSERT_EQ(delivered().size(), 1u);
  EXPECT_EQ(delivered()[0].sender, "");
  // RSET forgets the transaction; the session goes on.
  c.Say("MAIL FROM:<a@example.com>\r\n", 1);
  EXPECT_EQ(c.Say("RSET\r\n", 1).at(0).substr(0, 3), "250");
  EXPECT_EQ(c.Say("DATA\r\n", 1).at(0).substr(0, 3), "503");
}

TEST_F(LmtpTest, StopEndsOpenSessions) {
  Client idle(port_);
  idle.Say("", 1);
  server_->Stop();  // returns although the client never said QUIT
  Client late(port_);
  EXPECT_TRUE(late.Say("", 1).empty());
}

}  // namespace
}  // namespace caredesk::channels
