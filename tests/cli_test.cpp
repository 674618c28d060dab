// The command line is a contract with scripts and operators: run the real binary and check the
// documented forms, the environment variables, the exit codes, and the readiness probe.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/sms/twilio.hpp"
#include "net/fetch.hpp"
#include "support/fake_smtp.hpp"
#include "support/fake_twilio.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace caredesk {
namespace {

using testing::ChildProcess;
using testing::RunCommand;

constexpr const char* kBinary = CAREDESK_BINARY;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("caredesk-cli-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `caredesk ARGS...` with `env` (NAME=VALUE entries) in front; returns stdout.
  static std::string Run(const std::vector<std::string>& args, int* status,
                         const std::vector<std::string>& env = {}, const std::string& input = "") {
    std::vector<std::string> argv = {"/usr/bin/env",    "-u", "CAREDESK_DATA",    "-u",
                                     "CAREDESK_LISTEN", "-u", "CAREDESK_DATABASE"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.emplace_back(kBinary);
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, input, status);
  }

  // Starts `argv` (a server) and returns the port it prints; 0 when it did not start.
  static unsigned short StartServer(ChildProcess& server, const std::vector<std::string>& argv) {
    if (!server.Start(argv)) return 0;
    std::string line = server.WaitForLine("listening on http://127.0.0.1:", 20000);
    if (line.empty()) return 0;
    return static_cast<unsigned short>(std::stoi(line.substr(line.rfind(':') + 1)));
  }

  // A practice with one user of `role` and an API token for them; returns the token.
  static std::string PracticeWithToken(const std::string& data, const std::string& slug,
                                       const std::string& email, const std::string& role) {
    int status = -1;
    Run({"tenant", "create", "--slug", slug, "--name", slug + " clinic", "--data", data}, &status);
    EXPECT_EQ(status, 0);
    Run({"user", "create", "--tenant", slug, "--email", email, "--role", role, "--data", data},
        &status, {}, "a long enough password\n");
    EXPECT_EQ(status, 0);
    std::string token =
        Run({"token", "create", "--tenant", slug, "--user", email, "--data", data}, &status);
    EXPECT_EQ(status, 0);
    if (!token.empty()) token.pop_back();  // the newline
    return token;
  }

  // How often `needle` occurs in `text` (items of a JSON list, say).
  static std::size_t Occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = text.find(needle, at)) != std::string::npos; ++at) ++n;
    return n;
  }

  // One integer from an SQL query on a database file, or -1.
  static long long Scalar(const std::filesystem::path& db_file, const char* sql) {
    sqlite3* db = nullptr;
    long long value = -1;
    if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        value = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return value;
  }

  std::filesystem::path dir_;
};

TEST_F(CliTest, MigrateCreatesTheSchemaOnceAndExits) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  std::string out = Run({"migrate", "--data", data}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, "migrations applied\n");
  std::filesystem::path db = dir_ / "data" / "caredesk.db";
  ASSERT_TRUE(std::filesystem::exists(db));
  long long version = Scalar(db, "SELECT MAX(version) FROM schema_migrations");
  long long count = Scalar(db, "SELECT COUNT(*) FROM schema_migrations");
  EXPECT_GE(version, 3);
  EXPECT_EQ(count, version);
  Run({"migrate", "--data", data}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(Scalar(db, "SELECT COUNT(*) FROM schema_migrations"), count) << "applied twice";

  // --database sqlite:PATH wins over the data directory.
  std::filesystem::path elsewhere = dir_ / "elsewhere.db";
  Run({"migrate", "--data", data, "--database", "sqlite:" + elsewhere.string()}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(Scalar(elsewhere, "SELECT MAX(version) FROM schema_migrations"), version);
}

TEST_F(CliTest, EnvironmentVariablesChooseStorage) {
  int status = -1;
  std::string data = (dir_ / "from-env").string();
  Run({"tenant", "create", "--slug", "env-clinic", "--name", "Env Clinic"}, &status,
      {"CAREDESK_DATA=" + data});
  ASSERT_EQ(status, 0);
  EXPECT_EQ(Scalar(dir_ / "from-env" / "caredesk.db",
                   "SELECT COUNT(*) FROM tenants WHERE slug = 'env-clinic'"),
            1);
  std::filesystem::path file = dir_ / "url.db";
  Run({"tenant", "create", "--slug", "url-clinic", "--name", "Url Clinic"}, &status,
      {"CAREDESK_DATA=" + data, "CAREDESK_DATABASE=sqlite:" + file.string()});
  ASSERT_EQ(status, 0);
  EXPECT_EQ(Scalar(file, "SELECT COUNT(*) FROM tenants WHERE slug = 'url-clinic'"), 1);
  EXPECT_EQ(Scalar(dir_ / "from-env" / "caredesk.db",
                   "SELECT COUNT(*) FROM tenants WHERE slug = 'url-clinic'"),
            0);
  // A flag beats the environment.
  std::string flag_data = (dir_ / "from-flag").string();
  Run({"tenant", "create", "--slug", "flag-clinic", "--name", "F", "--data", flag_data}, &status,
      {"CAREDESK_DATA=" + data});
  ASSERT_EQ(status, 0);
  EXPECT_EQ(Scalar(dir_ / "from-flag" / "caredesk.db", "SELECT COUNT(*) FROM tenants"), 1);
}

TEST_F(CliTest, TenantUserAndTokenCreateGiveAWorkingTokenAlone) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  Run({"tenant", "create", "--slug", "cli", "--name", "Cli Clinic", "--time-zone", "America/Denver",
       "--data", data},
      &status);
  ASSERT_EQ(status, 0);
  Run({"user", "create", "--tenant", "cli", "--email", "Front@Cli.example", "--role", "supervisor",
       "--data", data},
      &status, {}, "a long enough password\n");
  ASSERT_EQ(status, 0);
  std::string token =
      Run({"token", "create", "--tenant", "cli", "--user", "front@cli.example", "--data", data},
          &status);
  ASSERT_EQ(status, 0);
  ASSERT_TRUE(token.starts_with("cdk_")) << token;
  ASSERT_EQ(token.find('\n'), token.size() - 1) << "the token alone on one line";
  token.pop_back();

  // Mistakes exit non-zero and print nothing on standard output.
  struct Bad {
    std::vector<std::string> args;
    std::string input;
  };
  const std::vector<Bad> bad = {
      {{"tenant", "create", "--slug", "cli", "--name", "Again", "--data", data}, ""},
      {{"tenant", "create", "--slug", "Bad Slug", "--name", "X", "--data", data}, ""},
      {{"tenant", "create", "--slug", "tz", "--name", "X", "--time-zone", "Mars/Base", "--data",
        data},
       ""},
      {{"user", "create", "--tenant", "cli", "--email", "x@cli.example", "--role", "wizard",
        "--data", data},
       "a long enough password\n"},
      {{"user", "create", "--tenant", "cli", "--email", "y@cli.example", "--role", "agent",
        "--data", data},
       "short\n"},
      {{"user", "create", "--tenant", "nowhere", "--email", "z@cli.example", "--role", "agent",
        "--data", data},
       "a long enough password\n"},
      {{"token", "create", "--tenant", "cli", "--user", "nobody@cli.example", "--data", data}, ""},
      {{"token", "create", "--tenant", "cli", "--user", "front@cli.example", "--scopes",
        "inbox:read,everything", "--data", data},
       ""},
      {{"user", "reset-second-factor", "--tenant", "cli", "--email", "nobody@cli.example", "--data",
        data},
       ""},
      {{"tenant", "delete", "--slug", "cli", "--data", data}, ""},
      {{"serve", "--data", data, "--listen", "not-an-address"}, ""},
  };
  for (const Bad& b : bad) {
    std::string out = Run(b.args, &status, {}, b.input);
    EXPECT_NE(status, 0) << b.args[0] << " " << b.args[1] << " " << b.args[2];
    EXPECT_EQ(out, "") << b.args[0] << " " << b.args[1];
  }
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db", "SELECT COUNT(*) FROM tenants"), 1);
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db", "SELECT COUNT(*) FROM users"), 1);

  // The token works against a server listening where CAREDESK_LISTEN says.
  ChildProcess server;
  unsigned short port = StartServer(server, {"/usr/bin/env", "CAREDESK_LISTEN=127.0.0.1:0",
                                             "CAREDESK_DATA=" + data, kBinary, "serve"});
  ASSERT_NE(port, 0) << "server did not start";
  EXPECT_NE(port, 8080) << "CAREDESK_LISTEN was ignored";
  testing::HttpCall me;
  me.target = "/api/v1/me";
  me.headers = {{"Authorization", "Bearer " + token}};
  testing::HttpResult r = testing::Send(port, me);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"role\":\"supervisor\""), std::string::npos) << r.body;
  // A token for an integration that only delivers messages.
  std::string ingest = Run({"token", "create", "--tenant", "cli", "--user", "front@cli.example",
                            "--scopes", "messages:write", "--data", data},
                           &status);
  ASSERT_EQ(status, 0);
  ingest.pop_back();
  testing::HttpCall inbox;
  inbox.target = "/api/v1/conversations";
  inbox.headers = {{"Authorization", "Bearer " + ingest}};
  EXPECT_EQ(testing::Send(port, inbox).status, 403) << "outside the token's scopes";
  inbox.headers = me.headers;
  EXPECT_EQ(testing::Send(port, inbox).status, 200);
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

TEST_F(CliTest, ResetSecondFactorTurnsItOffDropsCodesAndIsAudited) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  Run({"tenant", "create", "--slug", "cli", "--name", "Cli Clinic", "--data", data}, &status);
  ASSERT_EQ(status, 0);
  Run({"user", "create", "--tenant", "cli", "--email", "lost@cli.example", "--role", "agent",
       "--data", data},
      &status, {}, "a long enough password\n");
  ASSERT_EQ(status, 0);
  auto db_file = dir_ / "data" / "caredesk.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "UPDATE users SET totp_secret = 'GEZDGNBV', totp_enabled = 1;"
                   "INSERT INTO recovery_codes (tenant_id, user_id, code_hash, created_at) "
                   "SELECT tenant_id, id, 'h', 0 FROM users;"
                   "INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_token, created_at,"
                   " last_seen_at, expires_at) SELECT 's', tenant_id, id, 'c', 0, 0, "
                   "9999999999999 FROM users;",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  std::string out = Run({"user", "reset-second-factor", "--tenant", "cli", "--email",
                         "lost@cli.example", "--data", data},
                        &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("reset"), std::string::npos) << out;
  EXPECT_EQ(Scalar(db_file, "SELECT totp_enabled FROM users"), 0);
  EXPECT_EQ(Scalar(db_file, "SELECT COUNT(*) FROM recovery_codes"), 0);
  EXPECT_EQ(Scalar(db_file, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL"), 0);
  EXPECT_EQ(Scalar(db_file,
                   "SELECT COUNT(*) FROM audit_log WHERE action = 'reset' AND "
                   "object_type = 'second_factor' AND session_ref = 'cli'"),
            1);
}

TEST_F(CliTest, AuditVerifyAndExportSeeWhatTheServerRecorded) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  std::string token = PracticeWithToken(data, "aud", "bot@aud.example", "agent");
  {
    ChildProcess server;
    unsigned short port =
        StartServer(server, {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"});
    ASSERT_NE(port, 0);
    testing::HttpCall post;
    post.method = "POST";
    post.target = "/api/v1/messages";
    post.headers = {{"Authorization", "Bearer " + token}};
    post.body = R"({"channel":"sms","from":"+13125550188","text":"refill please"})";
    ASSERT_EQ(testing::Send(port, post).status, 201);
    testing::HttpCall read;
    read.target = "/api/v1/conversations/1";
    read.headers = post.headers;
    ASSERT_EQ(testing::Send(port, read).status, 200);
    server.Kill(SIGTERM);  // a graceful stop writes the queued record of the read
    ASSERT_EQ(server.Wait(), 0);
  }
  std::string verified = Run({"audit", "verify", "--data", data}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(verified, "audit log intact: 2 records\n");
  std::string exported = Run({"audit", "export", "--tenant", "aud", "--from", "2000-01-01", "--to",
                              "2199-12-31", "--data", data},
                             &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(exported.find(R"("action":"create","object_type":"message")"), std::string::npos)
      << exported;
  EXPECT_NE(exported.find(R"("action":"read","object_type":"conversation")"), std::string::npos);
  EXPECT_EQ(exported.find("3125550188"), std::string::npos) << "no PHI in the audit log";
  EXPECT_EQ(Run({"audit", "export", "--tenant", "aud", "--from", "2000-01-01", "--to", "2000-01-02",
                 "--data", data},
                &status),
            "");
  Run({"audit", "export", "--tenant", "aud", "--from", "01/01/2000", "--to", "2000-01-02", "--data",
       data},
      &status);
  EXPECT_EQ(status, 2);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "data" / "caredesk.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit_log SET actor_id = 99 WHERE id = 1", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(Run({"audit", "verify", "--data", data}, &status), "");
  EXPECT_EQ(status, 1) << "a changed record fails the check";
}

TEST_F(CliTest, ImportQueueLogReportsSkipsMalformedLinesAndAddsNothingTheSecondTime) {
  std::string data = (dir_ / "data").string();
  int status = -1;
  Run({"tenant", "create", "--slug", "phones", "--name", "Phones", "--data", data}, &status);
  ASSERT_EQ(status, 0);
  std::string out = Run(
      {"import", "queue-log", "--tenant", "phones", "--data", data, CAREDESK_QUEUE_LOG}, &status);
  EXPECT_EQ(status, 0) << "malformed lines are reported, not fatal";
  // The sample's calls are a year old: counted, but too old to call back.
  EXPECT_EQ(out,
            "34 lines read: 30 events stored, 0 stored before, 2 malformed, 2 with nothing to "
            "count; 10 calls recorded or changed, 0 callbacks opened\n");
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db", "SELECT COUNT(*) FROM calls"), 10);
  out = Run({"import", "queue-log", "--tenant", "phones", "--data", data, CAREDESK_QUEUE_LOG},
            &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out,
            "34 lines read: 0 events stored, 30 stored before, 2 malformed, 2 with nothing to "
            "count; 0 calls recorded or changed, 0 callbacks opened\n");
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db", "SELECT COUNT(*) FROM phone_events"), 30);

  Run({"import", "queue-log", "--tenant", "nowhere", "--data", data, CAREDESK_QUEUE_LOG}, &status);
  EXPECT_NE(status, 0);
  Run({"import", "queue-log", "--tenant", "phones", "--data", data, (dir_ / "none").string()},
      &status);
  EXPECT_NE(status, 0);
  Run({"import", "queue-log", "--data", data, CAREDESK_QUEUE_LOG}, &status);
  EXPECT_EQ(status, 2) << "--tenant is required";
}

TEST_F(CliTest, ImportQueueLogFollowsTheFileUntilStopped) {
  std::string data = (dir_ / "data").string();
  int status = -1;
  Run({"tenant", "create", "--slug", "tail", "--name", "Tail", "--data", data}, &status);
  ASSERT_EQ(status, 0);
  auto log = dir_ / "queue_log";
  { std::ofstream(log) << "1764403400|7.1|frontdesk|NONE|ENTERQUEUE||3125550111|1\n"; }
  ChildProcess follower;
  ASSERT_TRUE(follower.Start({kBinary, "import", "queue-log", "--tenant", "tail", "--follow",
                              "--data", data, log.string()}));
  EXPECT_NE(follower.WaitForLine("1 lines read: 1 events stored", 20000), "");
  { std::ofstream(log, std::ios::app) << "1764403450|7.1|frontdesk|NONE|ABANDON|1|1|50\n"; }
  EXPECT_NE(follower.WaitForLine("2 lines read: 2 events stored", 20000), "");
  follower.Kill(SIGTERM);
  EXPECT_EQ(follower.Wait(), 0);
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db",
                   "SELECT COUNT(*) FROM calls WHERE outcome = 'abandoned'"),
            1);
}

TEST_F(CliTest, KeysRotateWhileTheServerKeepsServing) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  std::string token = PracticeWithToken(data, "rot", "bot@rot.example", "agent");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "master.key")) << "made on first use";
  ChildProcess server;
  unsigned short port =
      StartServer(server, {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"});
  ASSERT_NE(port, 0);
  auto post = [&](int i) {
    testing::HttpCall c;
    c.method = "POST";
    c.target = "/api/v1/messages";
    c.headers = {{"Authorization", "Bearer " + token}};
    c.body = R"({"channel":"sms","from":"+1312555)" + std::to_string(1000 + i) +
             R"(","text":"refill number )" + std::to_string(i) + "\"}";
    return testing::Send(port, c).status;
  };
  for (int i = 0; i < 5; ++i) ASSERT_EQ(post(i), 201);

  // The rotation runs in another process while the server takes messages and answers reads.
  ChildProcess rotate;
  ASSERT_TRUE(rotate.Start({kBinary, "keys", "rotate", "--tenant", "rot", "--data", data}));
  int served = 0, refused = 0;
  for (int i = 5; i < 40; ++i) {
    (post(i) == 201 ? served : refused)++;
    testing::HttpCall search;
    search.target = "/api/v1/conversations?q=refill";
    search.headers = {{"Authorization", "Bearer " + token}};
    (testing::Send(port, search).status == 200 ? served : refused)++;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(rotate.Wait(), 0) << "every value re-sealed, the old key deleted";
  EXPECT_EQ(refused, 0) << "no downtime";
  EXPECT_EQ(served, 70);
  testing::HttpCall search;
  search.target = "/api/v1/conversations?q=refill&limit=100";
  search.headers = {{"Authorization", "Bearer " + token}};
  testing::HttpResult found = testing::Send(port, search);
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(Occurrences(found.body, "\"patient_id\""), 40u)
      << "search still finds every conversation";

  // The blind-index key too: every word and phone is re-indexed while search keeps finding.
  ChildProcess reindex;
  ASSERT_TRUE(
      reindex.Start({kBinary, "keys", "rotate", "--tenant", "rot", "--index", "--data", data}));
  int searches_missing = 0;
  for (int i = 40; i < 60; ++i) {
    EXPECT_EQ(post(i), 201);
    testing::HttpCall during;
    during.target = "/api/v1/conversations?q=refill&limit=100";
    during.headers = {{"Authorization", "Bearer " + token}};
    testing::HttpResult r = testing::Send(port, during);
    EXPECT_EQ(r.status, 200);
    if (Occurrences(r.body, "\"patient_id\"") != static_cast<std::size_t>(i + 1)) {
      ++searches_missing;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(reindex.Wait(), 0);
  EXPECT_EQ(searches_missing, 0) << "every search found every conversation during the rotation";
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db",
                   "SELECT MIN(version) FROM tenant_keys WHERE purpose = 'index'"),
            2);
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  auto db_file = dir_ / "data" / "caredesk.db";
  EXPECT_EQ(Scalar(db_file, "SELECT COUNT(*) FROM messages WHERE body NOT LIKE 'enc2.%'"), 0);
  EXPECT_EQ(Scalar(db_file, "SELECT COUNT(*) FROM patients WHERE phone NOT LIKE 'enc2.%'"), 0);
  EXPECT_EQ(Scalar(db_file, "SELECT MIN(version) FROM tenant_keys WHERE purpose = 'data'"), 2);

  Run({"keys", "rotate", "--tenant", "nowhere", "--settle-seconds", "0", "--data", data}, &status);
  EXPECT_EQ(status, 1) << "an unknown practice";
  std::filesystem::remove(dir_ / "data" / "master.key");
  Run({"keys", "rotate", "--tenant", "rot", "--settle-seconds", "0", "--data", data}, &status);
  EXPECT_NE(status, 0) << "a new master key does not open the practice's keys";
}

// A master key that may have leaked is replaced with the servers running: they are given
// the new key and the old one, `keys rewrap` wraps everything with the new one, and from then
// on the old key opens nothing.
TEST_F(CliTest, KeysRewrapReplacesTheMasterKeyWhileTheServerKeepsServing) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  std::string old_key = data + "/master.key";
  std::string new_key = (dir_ / "new.key").string();
  std::string token = PracticeWithToken(data, "wrap", "bot@wrap.example", "agent");
  const std::vector<std::string> both = {"--master-key-file", new_key, "--previous-master-key-file",
                                         old_key};
  std::string made = Run({"keys", "new-master-key", "--out", new_key}, &status);
  ASSERT_EQ(status, 0) << made;
  Run({"keys", "new-master-key", "--out", new_key}, &status);
  EXPECT_NE(status, 0) << "an existing key file is never overwritten";
  std::vector<std::string> serve = {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"};
  serve.insert(serve.end(), both.begin(), both.end());
  ChildProcess server;
  unsigned short port = StartServer(server, serve);
  ASSERT_NE(port, 0);
  auto post = [&](const std::string& text) {
    testing::HttpCall c;
    c.method = "POST";
    c.target = "/api/v1/messages";
    c.headers = {{"Authorization", "Bearer " + token}};
    c.body = R"({"channel":"sms","from":"+13125550144","text":")" + text + "\"}";
    return testing::Send(port, c).status;
  };
  ASSERT_EQ(post("before the rewrap"), 201);
  std::vector<std::string> rewrap = {"keys", "rewrap", "--data", data};
  rewrap.insert(rewrap.end(), both.begin(), both.end());
  std::string out = Run(rewrap, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("2 practice keys"), std::string::npos) << out;
  ASSERT_EQ(post("after the rewrap"), 201) << "the server keeps working";
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));  // past its key refresh
  testing::HttpCall read;
  read.target = "/api/v1/conversations/1";
  read.headers = {{"Authorization", "Bearer " + token}};
  testing::HttpResult got = testing::Send(port, read);
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("after the rewrap"), std::string::npos);
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);

  // The old key alone opens nothing now; the new key alone opens everything.
  Run({"patient", "export", "--tenant", "wrap", "--id", "1", "--data", data}, &status);
  EXPECT_NE(status, 0) << "the old master key no longer opens the practice's keys";
  out = Run({"patient", "export", "--tenant", "wrap", "--id", "1", "--data", data,
             "--master-key-file", new_key},
            &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("before the rewrap"), std::string::npos);
  // A new master key that was never made is refused, not made up (each node would invent
  // its own); a wrong previous key changes nothing.
  Run({"keys", "rewrap", "--data", data, "--master-key-file", (dir_ / "third.key").string(),
       "--previous-master-key-file", new_key},
      &status);
  EXPECT_NE(status, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "third.key"));
  Run({"keys", "new-master-key", "--out", (dir_ / "third.key").string()}, &status);
  Run({"keys", "rewrap", "--data", data, "--master-key-file", (dir_ / "third.key").string(),
       "--previous-master-key-file", old_key},
      &status);
  EXPECT_NE(status, 0);
  Run({"patient", "export", "--tenant", "wrap", "--id", "1", "--data", data, "--master-key-file",
       new_key},
      &status);
  EXPECT_EQ(status, 0) << "the keys are still wrapped by the new master key";
}

// The server's own outbox sender texts a verification code through the practice's provider.
TEST_F(CliTest, TheServerTextsAVerificationCodeThroughThePracticesProvider) {
  testing::FakeTwilio twilio("AC42", "token-of-the-practice");
  std::string data = (dir_ / "data").string();
  std::string token = PracticeWithToken(data, "sms", "it@sms.example", "admin");
  ChildProcess server;
  unsigned short port =
      StartServer(server, {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"});
  ASSERT_NE(port, 0);
  auto call = [&](const std::string& method, const std::string& target, const std::string& body) {
    testing::HttpCall c;
    c.method = method;
    c.target = target;
    c.body = body;
    c.headers = {{"Authorization", "Bearer " + token}};
    return testing::Send(port, c);
  };
  ASSERT_EQ(call("PUT", "/api/v1/settings/sms",
                 R"({"account_sid":"AC42","auth_token":"token-of-the-practice",)"
                 R"("from":"+13125550100","base_url":")" +
                     twilio.base_url() + "\"}")
                .status,
            200);
  ASSERT_EQ(call("POST", "/api/v1/messages",
                 R"({"channel":"sms","from":"+13125550188","text":"is my refill ready?",)"
                 R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})")
                .status,
            201);
  ASSERT_EQ(call("POST", "/api/v1/conversations/1/verification/check",
                 R"({"name":"Zebulon Quartz","date_of_birth":"1970-01-02"})")
                .status,
            200);
  ASSERT_EQ(
      call("POST", "/api/v1/conversations/1/verification/code", R"({"channel":"sms"})").status,
      202);
  for (int i = 0; i < 50 && twilio.sent().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto sent = twilio.sent();
  ASSERT_EQ(sent.size(), 1u) << "sent within 5 s";
  EXPECT_EQ(sent[0].to, "+13125550188");
  std::string code = sent[0].body.substr(sent[0].body.find("code is ") + 8, 6);
  testing::HttpResult confirmed =
      call("POST", "/api/v1/conversations/1/verification/confirm", R"({"code":")" + code + "\"}");
  EXPECT_EQ(confirmed.status, 200);
  EXPECT_NE(confirmed.body.find("\"verified\""), std::string::npos) << confirmed.body;
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

TEST_F(CliTest, AnSmsChannelAddedFromTheCommandLineCarriesAConversationBothWays) {
  testing::FakeTwilio twilio("AC77", "token-from-a-file");
  std::string data = (dir_ / "data").string();
  std::string token = PracticeWithToken(data, "texts", "agent@texts.example", "agent");
  const std::string token_file = (dir_ / "twilio.token").string();
  {
    std::ofstream f(token_file);
    f << "token-from-a-file\n";
  }
  int status = -1;
  // Malformed input is refused with exit 2 and stores nothing.
  Run({"channel", "add-sms", "--tenant", "texts", "--number", "555-0100", "--account-sid", "AC77",
       "--auth-token-file", token_file, "--data", data},
      &status);
  EXPECT_EQ(status, 2) << "a number without an area code";
  Run({"channel", "add-sms", "--tenant", "texts", "--number", "+13125550100", "--account-sid",
       "AC77", "--auth-token-file", (dir_ / "missing").string(), "--data", data},
      &status);
  EXPECT_EQ(status, 2) << "no token file";
  std::string out = Run({"channel", "add-sms", "--tenant", "texts", "--number", "(312) 555-0100",
                         "--account-sid", "AC77", "--auth-token-file", token_file, "--api-base",
                         twilio.base_url(), "--help-contact", "call 312-555-0100", "--data", data},
                        &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("/hooks/twilio/sms?tenant=texts"), std::string::npos) << out;
  EXPECT_EQ(out.find("token-from-a-file"), std::string::npos);

  const std::string public_url = "https://desk.example-clinic.org";
  ChildProcess server;
  unsigned short port = StartServer(server, {kBinary, "serve", "--data", data, "--listen",
                                             "127.0.0.1:0", "--public-url", public_url});
  ASSERT_NE(port, 0);
  // The patient texts; the provider signs its webhook with the token from the file.
  const std::string target = "/hooks/twilio/sms?tenant=texts";
  std::vector<std::pair<std::string, std::string>> params = {
      {"MessageSid", "SM9001"},
      {"From", "+13125550188"},
      {"To", "+13125550100"},
      {"Body", "Do you take walk-ins today?"},
      {"NumMedia", "0"}};
  testing::HttpCall hook;
  hook.method = "POST";
  hook.target = target;
  hook.json = false;
  hook.body = net::FormEncode(params);
  hook.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"X-Twilio-Signature",
                   channels::TwilioSignature("token-from-a-file", public_url + target, params)}};
  ASSERT_EQ(testing::Send(port, hook).status, 200);
  hook.headers[1].second = channels::TwilioSignature("guessed", public_url + target, params);
  EXPECT_EQ(testing::Send(port, hook).status, 403);
  // The agent answers; the answer reaches the patient's phone through the provider.
  testing::HttpCall reply;
  reply.method = "POST";
  reply.target = "/api/v1/conversations/1/replies";
  reply.headers = {{"Authorization", "Bearer " + token}};
  reply.body = R"({"text":"Yes, until 4 pm."})";
  ASSERT_EQ(testing::Send(port, reply).status, 201);
  for (int i = 0; i < 50 && twilio.sent().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto sent = twilio.sent();
  ASSERT_EQ(sent.size(), 1u) << "sent within 5 s";
  EXPECT_EQ(sent[0].to, "+13125550188");
  EXPECT_EQ(sent[0].from, "+13125550100");
  EXPECT_EQ(sent[0].body, "Yes, until 4 pm.");
  EXPECT_EQ(sent[0].status_callback, public_url + "/hooks/twilio/status?tenant=texts");
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

TEST_F(CliTest, AMailChannelAddedFromTheCommandLineAnswersByEmail) {
  testing::FakeSmtp smtp("desk", "mail-password-from-a-file");
  std::string data = (dir_ / "data").string();
  std::string token = PracticeWithToken(data, "mail", "agent@mail.example", "agent");
  const std::string password_file = (dir_ / "mail.password").string();
  {
    std::ofstream f(password_file);
    f << "mail-password-from-a-file\n";
  }
  int status = -1;
  Run({"channel", "add-email", "--tenant", "mail", "--address", "desk@mail.example", "--smtp",
       "http://mail.example", "--data", data},
      &status);
  EXPECT_EQ(status, 2) << "not an SMTP URL";
  Run({"channel", "add-email", "--tenant", "mail", "--address", "desk@mail.example", "--smtp",
       smtp.url(), "--smtp-username", "desk", "--data", data},
      &status);
  EXPECT_EQ(status, 2) << "a user name without a password";
  std::string out =
      Run({"channel", "add-email", "--tenant", "mail", "--address", "desk@mail.example", "--smtp",
           smtp.url(), "--smtp-username", "desk", "--password-file", password_file, "--data", data},
          &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.find("mail-password"), std::string::npos);
  ChildProcess server;
  unsigned short port =
      StartServer(server, {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"});
  ASSERT_NE(port, 0);
  testing::HttpCall call;
  call.method = "POST";
  call.target = "/api/v1/messages";
  call.headers = {{"Authorization", "Bearer " + token}};
  call.body = R"({"channel":"email","from":"pat@example.com","text":"Open Saturday?",)"
              R"("metadata":{"subject":"Hours","message_id":"<q1@example.com>"}})";
  ASSERT_EQ(testing::Send(port, call).status, 201);
  call.target = "/api/v1/conversations/1/replies";
  call.body = R"({"text":"Yes, 9 to 12."})";
  ASSERT_EQ(testing::Send(port, call).status, 201);
  for (int i = 0; i < 50 && smtp.mails().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto mails = smtp.mails();
  ASSERT_EQ(mails.size(), 1u) << "mailed within 5 s";
  EXPECT_EQ(mails[0].recipients, std::vector<std::string>{"pat@example.com"});
  EXPECT_EQ(mails[0].Header("Subject"), "Re: Hours [#C1]");
  EXPECT_EQ(mails[0].Header("In-Reply-To"), "<q1@example.com>");
  EXPECT_NE(mails[0].data.find("Yes, 9 to 12."), std::string::npos);
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

TEST_F(CliTest, PatientExportGivesEverythingAndEraseKeepsOnlyWhatIdentifiesNoOne) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  Run({"tenant", "create", "--slug", "priv", "--name", "Privacy Clinic", "--data", data}, &status);
  Run({"tenant", "create", "--slug", "other", "--name", "Other Clinic", "--data", data}, &status);
  Run({"user", "create", "--tenant", "priv", "--email", "bot@priv.example", "--role", "agent",
       "--data", data},
      &status, {}, "a long enough password\n");
  std::string token =
      Run({"token", "create", "--tenant", "priv", "--user", "bot@priv.example", "--data", data},
          &status);
  ASSERT_EQ(status, 0);
  token.pop_back();
  {
    ChildProcess server;
    unsigned short port =
        StartServer(server, {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"});
    ASSERT_NE(port, 0);
    testing::HttpCall post;
    post.method = "POST";
    post.target = "/api/v1/messages";
    post.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
    post.body = R"({"channel":"sms","from":"+13125550188","text":"my biopsy results please",)"
                R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})";
    ASSERT_EQ(testing::Send(port, post).status, 201);
    post.target = "/api/v1/patients/1/representatives";
    post.body = R"({"name":"Ada Quartz","relationship":"spouse","date_of_birth":"1972-03-04",)"
                R"("scope":["scheduling"]})";
    ASSERT_EQ(testing::Send(port, post).status, 201);
    testing::HttpCall read;
    read.target = "/api/v1/conversations/1";
    read.headers = post.headers;
    ASSERT_EQ(testing::Send(port, read).status, 200);
    server.Kill(SIGTERM);
    ASSERT_EQ(server.Wait(), 0);
  }
  std::string exported =
      Run({"patient", "export", "--tenant", "priv", "--id", "1", "--data", data}, &status);
  ASSERT_EQ(status, 0);
  for (const char* expected : {"\"name\":\"Zebulon Quartz\"", "\"date_of_birth\":\"1970-01-02\"",
                               "my biopsy results please", "Ada Quartz", "\"access_log\":[{"}) {
    EXPECT_NE(exported.find(expected), std::string::npos) << expected << " in " << exported;
  }
  Run({"patient", "export", "--tenant", "other", "--id", "1", "--data", data}, &status);
  EXPECT_EQ(status, 1) << "another practice's patient is not found";

  EXPECT_EQ(Run({"patient", "erase", "--tenant", "priv", "--id", "1", "--data", data}, &status),
            "");
  EXPECT_EQ(status, 2) << "erasing needs --yes";
  Run({"patient", "erase", "--tenant", "priv", "--id", "1", "--yes", "--data", data}, &status);
  EXPECT_EQ(status, 0);
  std::string after =
      Run({"patient", "export", "--tenant", "priv", "--id", "1", "--data", data}, &status);
  ASSERT_EQ(status, 0);
  for (const char* gone : {"Zebulon", "1970-01-02", "5550188", "biopsy", "Ada Quartz"}) {
    EXPECT_EQ(after.find(gone), std::string::npos) << gone << " in " << after;
  }
  EXPECT_NE(after.find("[erased]"), std::string::npos);
  EXPECT_NE(after.find("\"conversations\":[{"), std::string::npos) << "the matter is kept";
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db", "SELECT COUNT(*) FROM message_tokens"), 0);
  EXPECT_EQ(Scalar(dir_ / "data" / "caredesk.db",
                   "SELECT COUNT(*) FROM audit_log WHERE session_ref = 'cli' AND action IN "
                   "('export', 'erase')"),
            3);
  Run({"audit", "verify", "--data", data}, &status);
  EXPECT_EQ(status, 0) << "erasure keeps the audit chain whole";
}

TEST_F(CliTest, ReadinessFailsWhenTheSchemaIsBehind) {
  int status = -1;
  std::string data = (dir_ / "data").string();
  Run({"migrate", "--data", data}, &status);
  ASSERT_EQ(status, 0);
  ChildProcess server;
  unsigned short port =
      StartServer(server, {kBinary, "serve", "--data", data, "--listen", "127.0.0.1:0"});
  ASSERT_NE(port, 0);
  testing::HttpCall ready;
  ready.target = "/readyz";
  EXPECT_EQ(testing::Send(port, ready).status, 200);

  // Another process (an operator restoring an old backup, say) takes the schema back.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "data" / "caredesk.db").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  ASSERT_EQ(sqlite3_exec(db,
                         "DELETE FROM schema_migrations WHERE version = "
                         "(SELECT MAX(version) FROM schema_migrations)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  testing::HttpResult r = testing::Send(port, ready);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("\"code\":\"unavailable\""), std::string::npos) << r.body;
  testing::HttpCall health;
  health.target = "/healthz";
  EXPECT_EQ(testing::Send(port, health).status, 200) << "the process itself is fine";
  server.Kill(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
}

}  // namespace
}  // namespace caredesk
