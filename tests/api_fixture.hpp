// The fixture of the API tests: an in-process server on a loopback port, a SQLite store in a
// temporary directory, a fake clock, and a socket client that is not Beast. Test files include it
// and name the fixture with `using testing::ApiTest;`.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "base/text.hpp"
#include "channels/email/email.hpp"
#include "channels/email/parse.hpp"
#include "channels/sms/twilio.hpp"
#include "http/api.hpp"
#include "net/fetch.hpp"
#include "http/server.hpp"
#include "jobs/chat_router.hpp"
#include "jobs/kpi_rollup.hpp"
#include "jobs/outbox_sender.hpp"
#include "security/crypto.hpp"
#include "security/jwt.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "security/totp.hpp"
#include "store/open.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_idp.hpp"
#include "support/fake_smtp.hpp"
#include "support/fake_twilio.hpp"
#include "support/http_client.hpp"
#include "support/openapi_check.hpp"
#include "support/ws_client.hpp"

namespace caredesk::testing {

namespace json = boost::json;
using FakeIdpLogin = FakeIdp::Login;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(security::Init());
    dir_ = std::filesystem::temp_directory_path() /
           ("caredesk-api-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqlStoreOptions sealed;  // patient information sealed at rest, as in production
    sealed.master_key = security::SecretKey::Random();
    // This fixture's tests change the database behind the server's back to prove what it
    // keeps; the store's own check for such writes is another test's.
    sealed.external_writes_check = std::chrono::hours(1);
    auto opened = store::OpenStore("sqlite:" + (dir_ / "db.sqlite").string(), sealed);
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate());
    token_ = MakeTenantWithUser("clinic", "agent@clinic.example", &tenant_, &user_);
    other_token_ = MakeTenantWithUser("other", "agent@other.example", &other_tenant_, nullptr);
    // Both practices can text (codes queue in the outbox; no sender runs unless a test starts
    // one, and this provider's address answers nothing).
    for (TenantId t : {tenant_, other_tenant_}) {
      ASSERT_TRUE(store_->Write(t, [&](store::TenantTx& tx) {
        return tx.PutChannelSettings(
            {"sms",
             R"({"account_sid":"AC1","from":"+13125550100","base_url":"http://127.0.0.1:9"})",
             "token"},
            clock_.Now());
      }));
    }

    api_ = std::make_unique<http::Api>(*store_, clock_, http::ApiOptions{});
    http::ServerOptions opts;
    opts.port = 0;
    opts.upload_paths = api_->UploadPaths();  // as app/application.cpp wires it
    server_ = std::make_unique<http::Server>(
        io_, pool_, opts, [this](http::Request& r) { return api_->Handle(r); },
        [this](http::Request& r) { return api_->HandleInline(r); }, &reads_);
    server_->SetUpgradeHandler([this](http::Request& r) { return api_->Upgrade(r); });
    auto port = server_->Start();
    ASSERT_TRUE(port);
    port_ = *port;
    for (int i = 0; i < 2; ++i) io_threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    server_->Stop();
    work_.reset();
    io_.stop();
    for (auto& t : io_threads_) t.join();
    pool_.join();
    reads_.join();
    server_.reset();
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string MakeTenantWithUser(const std::string& slug, const std::string& email,
                                 TenantId* tenant, UserId* user) {
    store::Tenant t;
    t.slug = slug;
    t.name = slug;
    t.time_zone = "America/Chicago";
    t.business_hours = "always";
    auto created = store_->CreateTenant(t);
    EXPECT_TRUE(created);
    *tenant = created->id;
    std::string token = security::NewSecret("cdk_");
    auto w = store_->Write(created->id, [&](store::TenantTx& tx) -> Result<void> {
      store::User u;
      u.email = email;
      u.display_name = "Agent";
      CD_TRY_ASSIGN(u, tx.InsertUser(u, security::HashPassword("correct horse battery").value()));
      if (user) *user = u.id;
      return tx.InsertApiToken(u.id, security::HashSecret(token), "test", clock_.Now(),
                               std::nullopt);
    });
    EXPECT_TRUE(w);
    return token;
  }

  // A user with `role` in `tenant`; returns a bearer token for them.
  std::string MakeUser(TenantId tenant, const std::string& email, core::Role role,
                       std::vector<std::string> queues = {}) {
    std::string token = security::NewSecret("cdk_");
    auto w = store_->Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
      store::User u;
      u.email = email;
      u.display_name = email;
      u.role = role;
      u.queues = queues;
      CD_TRY_ASSIGN(u, tx.InsertUser(u, security::HashPassword("correct horse battery").value()));
      return tx.InsertApiToken(u.id, security::HashSecret(token), "test", clock_.Now(),
                               std::nullopt);
    });
    EXPECT_TRUE(w);
    return token;
  }

  // A location named `name` added through the API with an admin's `token`: its id, as text.
  std::string MakeLocation(const std::string& token, const std::string& name) {
    HttpResult r = Call("POST", "/api/v1/locations", R"({"name":")" + name + R"("})", &token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::to_string(Json(r).at("id").as_int64()) : std::string("0");
  }

  HttpResult Call(std::string method, std::string target, std::string body = {},
                  const std::string* token = nullptr,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpCall c;
    c.method = std::move(method);
    c.target = std::move(target);
    c.body = std::move(body);
    c.headers = std::move(headers);
    c.headers.emplace_back("Authorization", "Bearer " + (token ? *token : token_));
    return Checked(c);
  }

  // Sends `c` and checks the answer against the OpenAPI document (see OpenApiCheck).
  HttpResult Checked(const HttpCall& c) {
    HttpResult r = Send(port_, c);
    for (const std::string& problem : openapi_.Check(c.method, c.target, r.status, r.body)) {
      ADD_FAILURE() << "response does not match the OpenAPI document: " << problem;
    }
    return r;
  }

  // A browser: the session cookie and CSRF token of one sign-in.
  struct Browser {
    std::string cookie;  // "caredesk_session=..."
    std::string csrf;
    std::string secret;  // the TOTP secret, once set up
    HttpCall Call(std::string method, std::string target, std::string body = {}) const {
      HttpCall c;
      c.method = std::move(method);
      c.target = std::move(target);
      c.body = std::move(body);
      c.headers = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
      return c;
    }
  };
  HttpResult SignIn(const std::string& email, const std::string& password = "correct horse battery",
                    const std::string& extra = {}) {
    HttpCall c;
    c.method = "POST";
    c.target = "/api/v1/session";
    c.body = R"({"tenant":"clinic","email":")" + email + R"(","password":")" + password + "\"" +
             extra + "}";
    return Checked(c);
  }
  static Browser BrowserOf(const HttpResult& login) {
    Browser b;
    auto it = login.headers.find("set-cookie");
    if (it == login.headers.end()) return b;
    b.cookie = it->second.substr(0, it->second.find(';'));
    b.csrf = std::string(Json(login).at("csrf_token").as_string());
    return b;
  }
  // Sets up TOTP in `b`'s session; returns the recovery codes (nullopt on failure).
  std::optional<json::array> SetUpSecondFactor(Browser& b) {
    HttpResult started = Checked(b.Call("POST", "/api/v1/me/second-factor"));
    if (started.status != 201) return std::nullopt;
    b.secret = std::string(Json(started).at("secret").as_string());
    HttpResult confirmed = Checked(
        b.Call("POST", "/api/v1/me/second-factor/confirm", R"({"code":")" + Code(b, 0) + "\"}"));
    if (confirmed.status != 200) return std::nullopt;
    return Json(confirmed).at("recovery_codes").as_array();
  }
  // The TOTP code `steps_ahead` 30-second steps from now, moving the clock there.
  std::string Code(const Browser& b, int steps_ahead) {
    clock_.Advance(std::chrono::seconds(30) * steps_ahead);
    return *security::TotpCode(b.secret, security::TotpStep(clock_.Now()));
  }

  // A call from the chat widget: no staff credentials, the chat's secret when given.
  static HttpCall WidgetCall(std::string method, std::string target, std::string body = {},
                             const std::string& chat_token = {}) {
    HttpCall c;
    c.method = std::move(method);
    c.target = std::move(target);
    c.body = std::move(body);
    if (!chat_token.empty()) c.headers.emplace_back("X-Chat-Token", chat_token);
    return c;
  }

  static json::object Json(const HttpResult& r) {
    auto v = json::parse(r.body);
    return v.as_object();
  }

  static std::string ErrorCode(const HttpResult& r) {
    auto o = Json(r);
    return std::string(o.at("error").at("code").as_string());
  }
  static std::string ErrorField(const HttpResult& r) {
    return std::string(Json(r).at("error").at("field").as_string());
  }

  std::int64_t Inbound(const std::string& from, const std::string& text,
                       const std::string& channel = "sms") {
    json::object body{{"channel", channel}, {"from", from}, {"text", text}};
    HttpResult r = Call("POST", "/api/v1/messages", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? Json(r).at("conversation_id").as_int64() : 0;
  }

  std::size_t InboxSize(const std::string* token = nullptr) {
    HttpResult r = Call("GET", "/api/v1/conversations?limit=200", {}, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r).at("items").as_array().size();
  }

  std::size_t MessageCount(std::int64_t conversation) {
    HttpResult r = Call("GET", "/api/v1/conversations/" + std::to_string(conversation));
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r).at("messages").as_array().size();
  }

  static inline std::atomic<int> counter_{0};
  const testing::OpenApiCheck openapi_{json::parse(http::OpenApiDocument())};
  std::filesystem::path dir_;
  testing::FakeClock clock_{*ParseRfc3339("2026-11-23T15:00:00Z")};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<http::Api> api_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  boost::asio::thread_pool pool_{8};
  boost::asio::thread_pool reads_{2};  // GET requests, as in the server
  std::vector<std::thread> io_threads_;
  std::unique_ptr<http::Server> server_;
  unsigned short port_ = 0;
  TenantId tenant_, other_tenant_;
  UserId user_;
  std::string token_, other_token_;
};

}  // namespace caredesk::testing
