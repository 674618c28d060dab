// Durability: kill -9 the real server during a burst of concurrent inbound messages. After a
// restart every message that was acknowledged with a 2xx is stored exactly once, nothing is
// stored twice, and SQLite's integrity check passes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "security/crypto.hpp"
#include "store/open.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace caredesk {
namespace {

using testing::ChildProcess;
using testing::RunCommand;

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("caredesk-crash-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = dir_.string();
    int status = 0;
    RunCommand(
        {kBinary, "tenant", "create", "--slug", "crash", "--name", "Crash Clinic", "--data", data_},
        "", &status);
    ASSERT_EQ(status, 0);
    RunCommand({kBinary, "user", "create", "--tenant", "crash", "--email", "bot@crash.example",
                "--role", "agent", "--data", data_},
               "a long enough password\n", &status);
    ASSERT_EQ(status, 0);
    token_ = RunCommand({kBinary, "token", "create", "--tenant", "crash", "--user",
                         "bot@crash.example", "--data", data_},
                        "", &status);
    ASSERT_EQ(status, 0);
    while (!token_.empty() && token_.back() == '\n') token_.pop_back();
    ASSERT_TRUE(token_.starts_with("cdk_")) << token_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  unsigned short StartServer(ChildProcess& p) {
    EXPECT_TRUE(p.Start({kBinary, "serve", "--data", data_, "--listen", "127.0.0.1:0"}));
    std::string line = p.WaitForLine("listening on http://127.0.0.1:", 20000);
    EXPECT_FALSE(line.empty()) << "server did not start";
    return static_cast<unsigned short>(std::stoi(line.substr(line.rfind(':') + 1)));
  }

  static constexpr const char* kBinary = CAREDESK_BINARY;
  std::filesystem::path dir_;
  std::string data_;
  std::string token_;
};

TEST_F(CrashTest, AcknowledgedMessagesSurviveKillNineExactlyOnce) {
  ChildProcess server;
  unsigned short port = StartServer(server);
  std::mutex mu;
  std::set<std::string> acked;  // guarded by mu
  std::atomic<int> sent{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        std::string marker = "crashmsg" + std::to_string(c) + "n" + std::to_string(i);
        char phone[32];
        std::snprintf(phone, sizeof phone, "+1312555%04d", c * 37 % 10000);
        testing::HttpCall call;
        call.method = "POST";
        call.target = "/api/v1/messages";
        call.headers = {{"Authorization", "Bearer " + token_}, {"Idempotency-Key", marker}};
        call.body = std::string(R"({"channel":"sms","from":")") + phone + R"(","text":")" + marker +
                    R"("})";
        ++sent;
        auto r = testing::Send(port, call);
        if (r.status == 0) return;  // server gone
        if (r.status == 201 || r.status == 200) {
          std::lock_guard lock(mu);
          acked.insert(marker);
        }
      }
    });
  }
  // Let the burst run, then pull the plug.
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard lock(mu);
    if (acked.size() >= 400) break;
  }
  server.Kill(SIGKILL);
  EXPECT_EQ(server.Wait(), 128 + SIGKILL);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GT(acked.size(), 50u) << "the burst should have been acknowledged in part before the kill";

  // Restart: recovery must succeed and every acknowledged message be there once.
  ChildProcess again;
  unsigned short port2 = StartServer(again);
  ASSERT_NE(port2, 0);
  again.Kill(SIGTERM);
  EXPECT_EQ(again.Wait(), 0) << "graceful stop after recovery";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "caredesk.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* check = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(db);
  // The bodies are sealed: read them back through a store holding the master key.
  std::map<std::string, int> stored;
  {
    store::SqlStoreOptions options;
    auto key = security::ReadKeyFile(data_ + "/master.key");
    ASSERT_TRUE(key) << key.error().message;
    options.master_key = std::move(*key);
    auto opened = store::OpenStore("sqlite:" + data_ + "/caredesk.db", options);
    ASSERT_TRUE(opened);
    auto tenant = (*opened)->FindTenantBySlug("crash");
    ASSERT_TRUE(tenant && tenant->has_value());
    auto read = (*opened)->Read((*tenant)->id, [&](store::TenantTx& tx) -> Result<void> {
      store::InboxFilter all;
      all.limit = 200;
      CD_TRY_ASSIGN(auto page, tx.ListConversations(all));
      EXPECT_FALSE(page.next_cursor) << "one page holds the 32 senders' conversations";
      for (const auto& item : page.items) {
        CD_TRY_ASSIGN(auto messages, tx.ListMessages(item.conversation.id));
        for (const auto& m : messages) ++stored[m.text];
      }
      return {};
    });
    ASSERT_TRUE(read) << read.error().message;
  }
  int missing = 0;
  for (const std::string& m : acked) {
    auto it = stored.find(m);
    if (it == stored.end()) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << acked.size() << " acknowledged messages";
  for (const auto& [body, count] : stored) EXPECT_EQ(count, 1) << "stored twice";
  std::cerr << "crash test: " << sent.load() << " sent, " << acked.size() << " acknowledged, "
            << stored.size() << " stored\n";
}

}  // namespace
}  // namespace caredesk
