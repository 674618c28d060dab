// The API over real HTTP: an in-process server on a loopback port, a SQLite store in a
// temporary directory, a fake clock, and a socket client that is not Beast.
#include "api_fixture.hpp"

namespace caredesk {
namespace {

namespace json = boost::json;
using testing::HttpCall;
using testing::HttpResult;
using testing::Send;
using FakeIdpLogin = testing::FakeIdp::Login;

using testing::ApiTest;

TEST_F(ApiTest, HealthReadinessAndOpenApiNeedNoCredentials) {
  HttpCall c;
  c.target = "/healthz";
  EXPECT_EQ(Checked(c).status, 200);
  c.target = "/readyz";
  HttpResult ready = Checked(c);
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, R"({"status":"ready"})");
  c.target = "/api/openapi.json";
  HttpResult doc = Checked(c);
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(json::parse(doc.body).at("openapi").as_string(), "3.0.3");
}

TEST_F(ApiTest, OpenApiDocumentsExactlyTheServedRoutes) {
  json::object paths = json::parse(http::OpenApiDocument()).at("paths").as_object();
  std::set<std::pair<std::string, std::string>> documented, served;
  for (const auto& kv : paths) {
    for (const auto& op : kv.value().as_object()) {
      std::string method(op.key());
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.emplace(method, std::string(kv.key()));
    }
  }
  for (const auto& r : api_->Routes()) served.insert(r);
  EXPECT_EQ(documented, served);
}

// Every response in this suite goes through Checked(); this shows the check catches drift.
TEST_F(ApiTest, ResponsesThatDriftFromTheDocumentAreCaught) {
  std::int64_t conv = Inbound("+13125550100", "hello");
  std::string target = "/api/v1/conversations/" + std::to_string(conv);
  HttpResult real = Call("GET", target);
  ASSERT_EQ(real.status, 200);
  EXPECT_TRUE(openapi_.Check("GET", target, 200, real.body).empty());
  json::object drifted = Json(real);
  drifted.erase("status");
  drifted["priority"] = 3;
  drifted["messages"].as_array()[0].as_object()["kind"] = "fax";
  drifted["surprise"] = true;  // extra fields are allowed unless a schema forbids them
  auto problems = openapi_.Check("GET", target, 200, json::serialize(drifted));
  EXPECT_THAT(problems, ::testing::UnorderedElementsAre(
                            ::testing::HasSubstr("missing required status"),
                            ::testing::HasSubstr(".priority: expected string"),
                            ::testing::HasSubstr(".messages[0].kind: \"fax\" is not in the enum")));
  EXPECT_THAT(openapi_.Check("GET", target, 201, real.body),
              ::testing::ElementsAre(::testing::HasSubstr("status not documented")));
  EXPECT_THAT(openapi_.Check("GET", target, 404, R"({"error":"gone"})"),
              ::testing::Not(::testing::IsEmpty()));
  EXPECT_EQ(openapi_.TemplateOf("/api/v1/conversations/12/replies"),
            "/api/v1/conversations/{id}/replies");
  EXPECT_EQ(openapi_.TemplateOf("/api/v1/conversations/x"), "");
}

// Authorization, route by route: every operation in the OpenAPI document is tried with no
// credentials, with every role, and with another practice's ids. A route added without an
// entry here fails the test.
TEST_F(ApiTest, EveryRouteAnswersEveryRoleAsThePolicySays) {
  using core::Role;
  const std::vector<Role> roles = {Role::kAgent, Role::kSupervisor, Role::kCounselor, Role::kAdmin,
                                   Role::kAuditor};
  std::map<Role, std::string> tokens;
  for (Role r : roles) {
    tokens[r] = MakeUser(tenant_, "role-" + std::string(core::Name(r)) + "@clinic.example", r);
  }
  std::string other_admin = MakeUser(other_tenant_, "boss@other.example", Role::kAdmin);
  // One of each object in both practices.
  auto objects = [&](const std::string& token, const std::string& phone, const std::string& slug) {
    std::map<std::string, std::string> ids;
    HttpResult in = Call("POST", "/api/v1/messages",
                         R"({"channel":"sms","from":")" + phone + R"(","text":"hello"})", &token);
    EXPECT_EQ(in.status, 201) << in.body;
    ids["conversations"] = std::to_string(Json(in).at("conversation_id").as_int64());
    ids["patients"] = std::to_string(Json(in).at("patient_id").as_int64());
    HttpResult loc = Call("POST", "/api/v1/locations", R"({"name":"Main"})", &token);
    EXPECT_EQ(loc.status, 201) << loc.body;
    ids["locations"] = std::to_string(Json(loc).at("id").as_int64());
    HttpResult pol = Call("POST", "/api/v1/sla-policies", R"({"name":"p"})", &token);
    EXPECT_EQ(pol.status, 201) << pol.body;
    ids["sla-policies"] = std::to_string(Json(pol).at("id").as_int64());
    HttpResult tok =
        Call("POST", "/api/v1/tokens", R"({"name":"spare","scopes":["inbox:read"]})", &token);
    EXPECT_EQ(tok.status, 201) << tok.body;
    ids["tokens"] = std::to_string(Json(tok).at("id").as_int64());
    HttpResult rep = Call("POST", "/api/v1/patients/" + ids["patients"] + "/representatives",
                          R"({"name":"Ada Rep","relationship":"spouse",)"
                          R"("date_of_birth":"1972-03-04","scope":["scheduling"]})",
                          &token);
    EXPECT_EQ(rep.status, 201) << rep.body;
    ids["representatives"] = std::to_string(Json(rep).at("id").as_int64());
    ids["users"] =
        std::to_string(Json(Call("GET", "/api/v1/me", {}, &token)).at("user_id").as_int64());
    HttpResult chat =
        Checked(WidgetCall("POST", "/api/v1/widget/chats?tenant=" + slug, R"({"text":"hello"})"));
    EXPECT_EQ(chat.status, 201) << chat.body;
    ids["chats"] = std::to_string(Json(chat).at("chat_id").as_int64());
    return ids;
  };
  auto mine = objects(tokens[Role::kAdmin], "+13125550161", "clinic");
  auto theirs = objects(other_admin, "+13125550162", "other");
  // An attachment in each practice's conversation (they arrive with texts and mail).
  for (auto [tenant, ids] : {std::pair{tenant_, &mine}, std::pair{other_tenant_, &theirs}}) {
    ASSERT_TRUE(store_->Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
      ConversationId conversation{std::stoll(ids->at("conversations"))};
      CD_TRY_ASSIGN(auto messages, tx.ListMessages(conversation));
      store::Attachment a;
      a.message = messages.at(0).id;
      a.content_type = "image/png";
      a.content = "png";
      CD_TRY_ASSIGN(std::int64_t id, tx.InsertAttachment(conversation, a, clock_.Now()));
      (*ids)["attachments"] = std::to_string(id);
      return {};
    }));
  }
  // A browser session in each practice (the second factor still to be set up).
  auto session_of = [&](const std::string& slug, const std::string& email,
                        const std::string& token) {
    HttpCall login;
    login.method = "POST";
    login.target = "/api/v1/session";
    login.body = R"({"tenant":")" + slug + R"(","email":")" + email +
                 R"(","password":"correct horse battery"})";
    EXPECT_EQ(Checked(login).status, 201);
    HttpResult list = Call("GET", "/api/v1/sessions", {}, &token);
    return std::to_string(Json(list).at("items").as_array().at(0).at("id").as_int64());
  };
  mine["sessions"] = session_of("clinic", "role-admin@clinic.example", tokens[Role::kAdmin]);
  theirs["sessions"] = session_of("other", "boss@other.example", other_admin);

  const std::set<Role> everyone(roles.begin(), roles.end());
  const std::set<Role> staff = {Role::kAgent, Role::kSupervisor, Role::kCounselor, Role::kAdmin};
  const std::set<Role> leads = {Role::kSupervisor, Role::kAdmin};
  const std::set<Role> admins = {Role::kAdmin};
  const std::set<Role> oversight = {Role::kAdmin, Role::kAuditor};
  struct Policy {
    bool is_public = false;
    std::set<Role> allowed;
    std::string body;
    bool chat_token = false;  // public, but only with a chat's secret (401 without)
  };
  const std::map<std::string, Policy> policy = {
      {"GET /healthz", {true, {}, ""}},
      {"GET /readyz", {true, {}, ""}},
      {"GET /metrics", {true, {}, ""}},  // from loopback, as the tests call
      {"GET /api/openapi.json", {true, {}, ""}},
      {"POST /api/v1/session", {true, {}, "{}"}},
      {"DELETE /api/v1/session", {false, everyone, ""}},
      {"GET /api/v1/auth/oidc/start", {true, {}, ""}},
      {"GET /api/v1/auth/oidc/callback", {true, {}, ""}},
      {"GET /api/v1/settings/oidc", {false, admins, ""}},
      {"GET /api/v1/settings/sms", {false, admins, ""}},
      {"POST /hooks/twilio/status", {true, {}, ""}},
      {"POST /hooks/twilio/sms", {true, {}, ""}},
      {"GET /api/v1/settings/email", {false, admins, ""}},
      {"PUT /api/v1/settings/email",
       {false, admins, R"({"address":"desk@clinic.example","smtp_url":"smtp://127.0.0.1:9"})"}},
      {"PUT /api/v1/settings/sms",
       {false, admins, R"({"account_sid":"AC1","from":"+13125550100","auth_token":"t"})"}},
      {"PUT /api/v1/settings/oidc",
       {false, admins,
        R"({"enabled":false,"issuer":"https://login.example.org","client_id":"x"})"}},
      {"GET /api/v1/me", {false, everyone, ""}},
      {"GET /api/v1/widget/status", {true, {}, ""}},
      {"POST /api/v1/widget/chats", {true, {}, R"({"text":"hi"})"}},
      {"GET /api/v1/widget/chat", {true, {}, "", true}},
      {"POST /api/v1/widget/chat/messages", {true, {}, R"({"text":"hi"})", true}},
      {"POST /api/v1/widget/chat/seen", {true, {}, R"({"message_id":1})", true}},
      {"POST /api/v1/widget/chat/files", {true, {}, "%PDF-1.4", true}},
      {"POST /api/v1/widget/chat/transcript", {true, {}, R"({"email":"me@example.org"})", true}},
      {"POST /api/v1/widget/chat/contact", {true, {}, R"({"phone":"3125550100"})", true}},
      {"POST /api/v1/widget/chat/leave", {true, {}, "", true}},
      {"POST /api/v1/widget/chat/rating", {true, {}, R"({"score":5})", true}},
      {"GET /api/v1/me/presence", {false, staff, ""}},
      {"PUT /api/v1/me/presence", {false, staff, R"({"status":"busy"})"}},
      {"GET /api/v1/me/chats", {false, staff, ""}},
      {"POST /api/v1/chats/{id}/accept", {false, staff, ""}},
      {"POST /api/v1/chats/{id}/decline", {false, staff, ""}},
      {"POST /api/v1/chats/{id}/end", {false, staff, ""}},
      {"POST /api/v1/chats/{id}/seen", {false, staff, R"({"message_id":1})"}},
      {"POST /api/v1/chats/{id}/assign", {false, leads, R"({"agent_id":)" + mine["users"] + "}"}},
      {"GET /api/v1/chats/live", {false, leads, ""}},
      {"GET /api/v1/settings/chat", {false, everyone, ""}},
      {"PUT /api/v1/settings/chat", {false, admins, R"({"offer_timeout_seconds":30})"}},
      {"GET /api/v1/canned-responses", {false, everyone, ""}},
      {"PUT /api/v1/canned-responses", {false, leads, R"({"items":[]})"}},
      {"POST /api/v1/messages",
       {false, staff, R"({"channel":"sms","from":"+13125550161","text":"x"})"}},
      {"POST /api/v1/calls",
       {false, staff,
        R"({"call_id":"policy-1","outcome":"abandoned","entered_at":"2026-11-29T10:00:00Z","ended_at":"2026-11-29T10:00:05Z"})"}},
      {"GET /api/v1/calls", {false, everyone, ""}},
      {"GET /api/v1/staffing/erlang", {false, everyone, ""}},
      {"GET /api/v1/staffing", {false, {Role::kSupervisor, Role::kAdmin, Role::kAuditor}, ""}},
      {"GET /api/v1/wellbeing", {false, leads, ""}},
      {"GET /api/v1/me/wellbeing", {false, staff, ""}},
      {"GET /api/v1/settings/reports",
       {false, {Role::kSupervisor, Role::kAdmin, Role::kAuditor}, ""}},
      {"PUT /api/v1/settings/reports", {false, leads, "{}"}},
      {"GET /api/v1/reports/kpis/{metric}/conversations",
       {false, {Role::kSupervisor, Role::kAdmin, Role::kAuditor}, ""}},
      {"GET /api/v1/reports/kpis", {false, {Role::kSupervisor, Role::kAdmin, Role::kAuditor}, ""}},
      {"GET /api/v1/reports/kpis/daily",
       {false, {Role::kSupervisor, Role::kAdmin, Role::kAuditor}, ""}},
      {"GET /api/v1/conversations", {false, everyone, ""}},
      {"GET /api/v1/conversations/{id}", {false, everyone, ""}},
      {"GET /api/v1/attachments/{id}", {false, everyone, ""}},
      {"POST /api/v1/conversations",
       {false, staff, R"({"patient_id":1,"channel":"sms","text":"x"})"}},
      {"POST /api/v1/conversations/{id}/replies", {false, staff, R"({"text":"x"})"}},
      {"POST /api/v1/conversations/{id}/files", {false, staff, "%PDF-1.4"}},
      {"POST /api/v1/conversations/{id}/notes", {false, staff, R"({"text":"x"})"}},
      {"POST /api/v1/conversations/{id}/assign", {false, staff, R"({"queue":"billing"})"}},
      {"POST /api/v1/conversations/{id}/status", {false, staff, R"({"status":"pending"})"}},
      {"POST /api/v1/conversations/{id}/tags", {false, staff, R"({"tags":["x"]})"}},
      {"POST /api/v1/conversations/{id}/survey", {false, leads, R"({"survey":"csat","score":5})"}},
      {"GET /api/v1/patients", {false, everyone, ""}},
      {"POST /api/v1/patients", {false, staff, R"({"name":"New Patient"})"}},
      {"GET /api/v1/patients/{id}", {false, everyone, ""}},
      {"PATCH /api/v1/patients/{id}", {false, staff, R"({"language":"es"})"}},
      {"GET /api/v1/patients/{id}/access-log", {false, oversight, ""}},
      {"GET /api/v1/settings", {false, everyone, ""}},
      {"PATCH /api/v1/settings", {false, admins, R"({"name":"Clinic"})"}},
      {"GET /api/v1/locations", {false, everyone, ""}},
      {"POST /api/v1/locations", {false, admins, R"({"name":"Branch"})"}},
      {"PATCH /api/v1/locations/{id}", {false, admins, R"({"address":"2 Lake St"})"}},
      {"GET /api/v1/sla-policies", {false, everyone, ""}},
      {"POST /api/v1/sla-policies", {false, leads, R"({"name":"q"})"}},
      {"PATCH /api/v1/sla-policies/{id}", {false, leads, R"({"name":"r"})"}},
      {"DELETE /api/v1/sla-policies/{id}", {false, leads, ""}},
      {"GET /api/v1/sessions", {false, everyone, ""}},
      {"DELETE /api/v1/sessions/{id}", {false, everyone, ""}},
      {"GET /api/v1/tokens", {false, everyone, ""}},
      {"POST /api/v1/tokens", {false, everyone, R"({"name":"t","scopes":["inbox:read"]})"}},
      {"DELETE /api/v1/tokens/{id}", {false, everyone, ""}},
      {"POST /api/v1/me/second-factor", {false, everyone, ""}},
      {"POST /api/v1/me/second-factor/confirm", {false, everyone, R"({"code":"abcdef"})"}},
      {"POST /api/v1/me/recovery-codes", {false, everyone, R"({"code":"abcdef"})"}},
      {"GET /api/v1/conversations/{id}/verification", {false, everyone, ""}},
      {"POST /api/v1/conversations/{id}/verification/check",
       {false, staff, R"({"name":"Someone Else","date_of_birth":"1970-01-01"})"}},
      {"POST /api/v1/conversations/{id}/verification/code", {false, staff, R"({"channel":"sms"})"}},
      {"POST /api/v1/conversations/{id}/verification/confirm",
       {false, staff, R"({"code":"123456"})"}},
      {"GET /api/v1/patients/{id}/representatives", {false, everyone, ""}},
      {"POST /api/v1/patients/{id}/representatives",
       {false, staff,
        R"({"name":"Bo Rep","relationship":"parent","date_of_birth":"1950-05-06",)"
        R"("scope":["billing"]})"}},
      {"DELETE /api/v1/representatives/{id}", {false, staff, ""}},
      {"GET /api/v1/alerts", {false, leads, ""}},
      {"GET /api/v1/users", {false, everyone, ""}},
      {"POST /api/v1/users",
       {false, admins,
        R"({"email":"new@clinic.example","role":"agent","password":"a long enough password"})"}},
      {"PATCH /api/v1/users/{id}", {false, admins, R"({"queues":["billing"]})"}},
      {"POST /api/v1/users/{id}/second-factor/reset", {false, admins, ""}},
      {"POST /api/v1/me/password",
       {false, everyone, R"({"current_password":"wrong","new_password":"another long password"})"}},
  };

  auto with_ids = [](std::string pattern, const std::map<std::string, std::string>& ids) {
    if (std::size_t m = pattern.find("{metric}"); m != std::string::npos) {
      pattern.replace(m, 8, "calls_offered");
    }
    std::size_t at = pattern.find("{id}");
    if (at == std::string::npos) return pattern;
    std::string kind = pattern.substr(8, pattern.rfind('/', at - 2) - 8);  // "/api/v1/<kind>/"
    kind = kind.substr(0, kind.find('/'));
    return pattern.replace(at, 4, ids.at(kind));
  };
  json::object paths = json::parse(http::OpenApiDocument()).at("paths").as_object();
  std::size_t checked = 0;
  for (const auto& path : paths) {
    for (const auto& op : path.value().as_object()) {
      std::string method(op.key());
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::string name = method + " " + std::string(path.key());
      auto entry = policy.find(name);
      if (entry == policy.end()) {
        ADD_FAILURE() << name << " has no entry in this test's policy table";
        continue;
      }
      ++checked;
      const Policy& p = entry->second;
      std::string target = with_ids(std::string(path.key()), mine);
      if (p.is_public) {
        HttpCall c;
        c.method = method;
        c.target = target + (p.chat_token ? "?tenant=clinic" : "");
        c.body = p.body;
        if (p.chat_token) {
          EXPECT_EQ(Checked(c).status, 401) << name << " without the chat's secret";
        } else {
          EXPECT_NE(Checked(c).status, 401) << name << " is public";
        }
        continue;
      }
      HttpCall anonymous;
      anonymous.method = method;
      anonymous.target = target;
      anonymous.body = p.body;
      EXPECT_EQ(Checked(anonymous).status, 401) << name << " without credentials";
      for (Role r : roles) {
        HttpResult res = Call(method, target, p.body, &tokens[r]);
        if (p.allowed.count(r)) {
          EXPECT_NE(res.status, 401) << name << " as " << core::Name(r) << ": " << res.body;
          EXPECT_NE(res.status, 403) << name << " as " << core::Name(r) << ": " << res.body;
          EXPECT_LT(res.status, 500) << name << " as " << core::Name(r) << ": " << res.body;
        } else {
          EXPECT_EQ(res.status, 403) << name << " as " << core::Name(r) << ": " << res.body;
        }
      }
      if (path.key().find("{id}") != std::string::npos) {
        Role someone = *p.allowed.begin();
        HttpResult foreign =
            Call(method, with_ids(std::string(path.key()), theirs), p.body, &tokens[someone]);
        EXPECT_EQ(foreign.status, 404) << name << " with another practice's id: " << foreign.body;
      }
    }
  }
  EXPECT_EQ(checked, policy.size()) << "an entry in the table names a route that is gone";
}

TEST_F(ApiTest, RequestsWithoutValidCredentialsAre401) {
  HttpCall c;
  c.target = "/api/v1/conversations";
  HttpResult none = Checked(c);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  c.headers = {{"Authorization", "Bearer cdk_forged"}};
  EXPECT_EQ(Checked(c).status, 401);
}

TEST_F(ApiTest, InboundMessageCreatesPatientAndConversationThenThreads) {
  HttpResult first =
      Call("POST", "/api/v1/messages",
           R"({"channel":"sms","from":"(312) 555-0142","text":"Can I refill my prescription?",)"
           R"("patient":{"name":"Ana Ruiz","date_of_birth":"1984-02-29","language":"es"}})");
  ASSERT_EQ(first.status, 201) << first.body;
  json::object a = Json(first);
  EXPECT_TRUE(a.at("created_conversation").as_bool());
  EXPECT_EQ(a.at("conversation_status").as_string(), "open");
  // Same phone written differently, minutes later: same patient, same conversation.
  clock_.Advance(std::chrono::minutes(3));
  HttpResult second =
      Call("POST", "/api/v1/messages",
           R"({"channel":"sms","from":"+1 312 555 0142","text":"It is lisinopril"})");
  ASSERT_EQ(second.status, 201) << second.body;
  json::object b = Json(second);
  EXPECT_EQ(b.at("conversation_id"), a.at("conversation_id"));
  EXPECT_EQ(b.at("patient_id"), a.at("patient_id"));
  EXPECT_FALSE(b.at("created_conversation").as_bool());

  HttpResult conv =
      Call("GET", "/api/v1/conversations/" + std::to_string(a.at("conversation_id").as_int64()));
  ASSERT_EQ(conv.status, 200);
  json::object c = Json(conv);
  EXPECT_EQ(c.at("patient").at("name").as_string(), "Ana Ruiz");
  EXPECT_EQ(c.at("patient").at("phone").as_string(), "***-***-0142") << "masked until verified";
  EXPECT_EQ(c.at("patient").at("language").as_string(), "es");
  HttpResult record =
      Call("GET", "/api/v1/patients/" + std::to_string(a.at("patient_id").as_int64()));
  EXPECT_EQ(Json(record).at("phone").as_string(), "+13125550142");
  EXPECT_EQ(c.at("messages").as_array().size(), 2u);
  EXPECT_EQ(c.at("sla").at("state").as_string(), "ok");
  EXPECT_EQ(c.at("sla").at("due_at").as_string(), "2026-11-23T15:30:00.000Z");
  std::vector<std::string> types;
  for (const auto& e : c.at("events").as_array()) types.emplace_back(e.at("type").as_string());
  // patient_created is the patient's event, not the conversation's.
  EXPECT_THAT(types, ::testing::ElementsAre("conversation_created", "message_received",
                                            "message_received"));
}

TEST_F(ApiTest, InboundKeepsChannelMetadataAndPriorityOnlyRises) {
  HttpResult first =
      Call("POST", "/api/v1/messages",
           R"({"channel":"email","from":"pat@example.com","text":"refill please",)"
           R"("priority":"high","metadata":{"subject":"Refill","message_id":"<a@b>"}})");
  ASSERT_EQ(first.status, 201) << first.body;
  std::string base =
      "/api/v1/conversations/" + std::to_string(Json(first).at("conversation_id").as_int64());
  json::object c = Json(Call("GET", base));
  EXPECT_EQ(c.at("priority").as_string(), "high");
  EXPECT_EQ(json::serialize(c.at("messages").at(0).at("metadata")),
            R"({"subject":"Refill","message_id":"<a@b>"})");

  // A later message marked lower leaves the priority alone; one marked higher raises it.
  ASSERT_EQ(
      Call("POST", "/api/v1/messages",
           R"({"channel":"email","from":"pat@example.com","text":"no rush","priority":"low"})")
          .status,
      201);
  EXPECT_EQ(Json(Call("GET", base)).at("priority").as_string(), "high");
  ASSERT_EQ(
      Call("POST", "/api/v1/messages",
           R"({"channel":"email","from":"pat@example.com","text":"worse now","priority":"urgent"})")
          .status,
      201);
  c = Json(Call("GET", base));
  EXPECT_EQ(c.at("priority").as_string(), "urgent");
  EXPECT_TRUE(c.at("messages").at(2).at("metadata").as_object().empty());
  int routed = 0;
  for (const auto& e : c.at("events").as_array()) {
    if (e.at("type").as_string() == "routed") {
      ++routed;
      EXPECT_EQ(e.at("data").at("to_priority").as_string(), "urgent");
      EXPECT_TRUE(e.at("actor_id").is_null()) << "raised by the system, not a person";
    }
  }
  EXPECT_EQ(routed, 1);
}

TEST_F(ApiTest, AChatVisitorThreadsByVisitorIdAndNeverByAClaimedPhone) {
  HttpResult known = Call("POST", "/api/v1/messages",
                          R"({"channel":"sms","from":"+13125550111","text":"my refill"})");
  ASSERT_EQ(known.status, 201);
  std::int64_t known_patient = Json(known).at("patient_id").as_int64();
  auto chat = [&](const std::string& body, const std::string* token = nullptr) {
    HttpResult r = Call("POST", "/api/v1/messages", body, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return Json(r);
  };
  json::object first = chat(
      R"({"channel":"chat","from":"visitor-7f3a","text":"hello?","patient":{"phone":"+13125550111"}})");
  json::object second = chat(R"({"channel":"chat","from":"visitor-7f3a","text":"anyone there?"})");
  EXPECT_EQ(second.at("patient_id"), first.at("patient_id"));
  EXPECT_EQ(second.at("conversation_id"), first.at("conversation_id"));
  EXPECT_FALSE(second.at("created_conversation").as_bool());
  EXPECT_EQ(MessageCount(first.at("conversation_id").as_int64()), 2u);
  // Typing a known patient's phone into the chat does not join that patient's record.
  EXPECT_NE(first.at("patient_id").as_int64(), known_patient);
  // Another visitor, and the same visitor id at another practice, are other people.
  json::object stranger = chat(R"({"channel":"chat","from":"visitor-0000","text":"hi"})");
  EXPECT_NE(stranger.at("patient_id"), first.at("patient_id"));
  json::object elsewhere =
      chat(R"({"channel":"chat","from":"visitor-7f3a","text":"hi"})", &other_token_);
  EXPECT_TRUE(elsewhere.at("created_conversation").as_bool());
}

TEST_F(ApiTest, IdempotencyKeyNeverStoresTwice) {
  std::string body = R"({"channel":"email","from":"pat@example.com","text":"Need my records"})";
  HttpResult first =
      Call("POST", "/api/v1/messages", body, nullptr, {{"Idempotency-Key", "delivery-1"}});
  ASSERT_EQ(first.status, 201);
  HttpResult again =
      Call("POST", "/api/v1/messages", body, nullptr, {{"Idempotency-Key", "delivery-1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(MessageCount(Json(first).at("conversation_id").as_int64()), 1u);
  HttpResult changed = Call("POST", "/api/v1/messages",
                            R"({"channel":"email","from":"pat@example.com","text":"different"})",
                            nullptr, {{"Idempotency-Key", "delivery-1"}});
  EXPECT_EQ(changed.status, 409);
  EXPECT_EQ(ErrorField(changed), "Idempotency-Key");
  // The same key in another tenant is another delivery.
  HttpResult other =
      Call("POST", "/api/v1/messages", body, &other_token_, {{"Idempotency-Key", "delivery-1"}});
  EXPECT_EQ(other.status, 201);
  EXPECT_EQ(MessageCount(Json(first).at("conversation_id").as_int64()), 1u);
}

struct BadInput {
  const char* name;
  std::string body;
  int status;
  const char* code;
  const char* field;
  bool json_type = true;
};

TEST_F(ApiTest, BadInboundInputIsRejectedClearlyAndChangesNothing) {
  std::int64_t conv = Inbound("+13125550100", "first message");
  const std::vector<BadInput> cases = {
      {"malformed json", R"({"channel":"sms",)", 400, "invalid", ""},
      {"not an object", R"(["sms"])", 400, "invalid", ""},
      {"wrong type", R"({"channel":"sms","from":"+13125550100","text":5})", 400, "invalid", "text"},
      {"unknown field", R"({"channel":"sms","from":"+13125550100","text":"x","admin":true})", 400,
       "invalid", "admin"},
      {"missing field", R"({"channel":"sms","from":"+13125550100"})", 400, "invalid", "text"},
      {"bad channel", R"({"channel":"fax","from":"+13125550100","text":"x"})", 400, "invalid",
       "channel"},
      {"bad phone", R"({"channel":"sms","from":"555-0100","text":"x"})", 400, "invalid", "from"},
      {"bad email", R"({"channel":"email","from":"nobody","text":"x"})", 400, "invalid", "from"},
      {"invalid utf-8", "{\"channel\":\"sms\",\"from\":\"+13125550100\",\"text\":\"\xC3\x28\"}",
       400, "invalid", ""},
      {"empty text", R"({"channel":"sms","from":"+13125550100","text":"   "})", 400, "invalid",
       "text"},
      {"text too long",
       R"({"channel":"sms","from":"+13125550100","text":")" + std::string(70000, 'a') + "\"}", 413,
       "too_large", "text"},
      {"future birth date",
       R"({"channel":"sms","from":"+13125550199","text":"x","patient":{"date_of_birth":"2099-01-01"}})",
       400, "invalid", "patient.date_of_birth"},
      {"unknown patient field",
       R"({"channel":"sms","from":"+13125550199","text":"x","patient":{"ssn":"1"}})", 400,
       "invalid", "patient.ssn"},
      {"patient id of nobody",
       R"({"channel":"sms","from":"+13125550100","text":"x","patient_id":999999})", 404,
       "not_found", ""},
      {"deep nesting",
       R"({"channel":"sms","from":"+13125550100","text":"x","patient":)" + std::string(40, '[') +
           std::string(40, ']') + "}",
       400, "invalid", ""},
      {"not json content type", R"({"channel":"sms","from":"+13125550100","text":"x"})", 415,
       "unsupported_media_type", "", false},
      {"bad priority", R"({"channel":"sms","from":"+13125550100","text":"x","priority":"asap"})",
       400, "invalid", "priority"},
      {"metadata not an object",
       R"({"channel":"sms","from":"+13125550100","text":"x","metadata":"sid"})", 400, "invalid",
       "metadata"},
      {"metadata value not a string",
       R"({"channel":"sms","from":"+13125550100","text":"x","metadata":{"sid":5}})", 400, "invalid",
       "metadata"},
      {"metadata key not allowed",
       R"({"channel":"sms","from":"+13125550100","text":"x","metadata":{"Jane Doe":"x"}})", 400,
       "invalid", "metadata"},
      {"metadata value too long",
       R"({"channel":"sms","from":"+13125550100","text":"x","metadata":{"subject":")" +
           std::string(1025, 's') + "\"}}",
       400, "invalid", "metadata.subject"},
  };
  for (const BadInput& c : cases) {
    HttpCall call;
    call.method = "POST";
    call.target = "/api/v1/messages";
    call.body = c.body;
    call.json = c.json_type;
    call.headers = {{"Authorization", "Bearer " + token_}};
    if (!c.json_type) call.headers.emplace_back("Content-Type", "text/plain");
    HttpResult r = Checked(call);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    ASSERT_FALSE(r.body.empty()) << c.name;
    EXPECT_EQ(ErrorCode(r), c.code) << c.name;
    EXPECT_EQ(ErrorField(r), c.field) << c.name;
  }
  EXPECT_EQ(InboxSize(), 1u);
  EXPECT_EQ(MessageCount(conv), 1u);
  HttpResult patients = Call("GET", "/api/v1/patients");
  EXPECT_EQ(Json(patients).at("items").as_array().size(), 1u);
}

// Every route that takes a body or query parameters, with each kind of bad input: the answer
// names the problem and the field, and nothing stored changes.
TEST_F(ApiTest, BadInputOnEveryRouteIsRejectedClearlyAndChangesNothing) {
  std::int64_t conv = Inbound("+13125550100", "first message");
  HttpResult patient_made = Call("POST", "/api/v1/patients", R"({"name":"Ada Lovelace"})");
  ASSERT_EQ(patient_made.status, 201);
  std::string pid = std::to_string(Json(patient_made).at("id").as_int64());
  UserId inactive;
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::User u;
    u.email = "former@clinic.example";
    u.display_name = "Former";
    u.active = false;
    CD_TRY_ASSIGN(u, tx.InsertUser(u, security::HashPassword("correct horse battery").value()));
    inactive = u.id;
    return {};
  }));
  std::string c = "/api/v1/conversations/" + std::to_string(conv);
  std::string inactive_id = std::to_string(inactive.value);
  struct Case {
    std::string method, target, body;
    int status;
    std::string code, field;
  };
  const std::vector<Case> cases = {
      {"POST", c + "/replies", R"({"text":)", 400, "invalid", ""},
      {"POST", c + "/replies", R"({"text":5})", 400, "invalid", "text"},
      {"POST", c + "/replies", R"({"text":"hi","cc":"x"})", 400, "invalid", "cc"},
      {"POST", c + "/replies", R"({})", 400, "invalid", "text"},
      {"POST", c + "/replies", R"({"text":"  "})", 400, "invalid", "text"},
      {"POST", c + "/replies", "{\"text\":\"\xFF\xFE\"}", 400, "invalid", ""},
      {"POST", c + "/replies", R"({"text":"hi","status":"closed"})", 400, "invalid", "status"},
      {"POST", c + "/replies", R"({"text":"hi","status":"later"})", 400, "invalid", "status"},
      {"POST", c + "/replies", R"({"text":")" + std::string(70000, 'a') + "\"}", 413, "too_large",
       "text"},
      {"POST", c + "/notes", R"({"text":["a"]})", 400, "invalid", "text"},
      {"POST", c + "/notes", R"([])", 400, "invalid", ""},
      {"POST", c + "/assign", R"({})", 400, "invalid", ""},
      {"POST", c + "/assign", R"({"assignee_id":"7"})", 400, "invalid", "assignee_id"},
      {"POST", c + "/assign", R"({"assignee_id":-1})", 400, "invalid", "assignee_id"},
      {"POST", c + "/assign", R"({"assignee_id":424242})", 400, "invalid", "assignee_id"},
      {"POST", c + "/assign", R"({"assignee_id":)" + inactive_id + "}", 400, "invalid",
       "assignee_id"},
      {"POST", c + "/assign", R"({"queue":""})", 400, "invalid", "queue"},
      {"POST", c + "/assign", R"({"priority":"extreme"})", 400, "invalid", "priority"},
      {"POST", c + "/assign", R"({"category":"astrology"})", 400, "invalid", "category"},
      {"POST", c + "/assign", R"({"queue":"billing","team":"x"})", 400, "invalid", "team"},
      {"POST", c + "/status", R"({"status":"archived"})", 400, "invalid", "status"},
      {"POST", c + "/status", R"({"status":true})", 400, "invalid", "status"},
      {"POST", c + "/status", R"({})", 400, "invalid", "status"},
      {"POST", c + "/tags", R"({"tags":"x"})", 400, "invalid", "tags"},
      {"POST", c + "/tags", R"({"tags":[1]})", 400, "invalid", "tags"},
      {"POST", c + "/tags", R"({"tags":["no spaces"]})", 400, "invalid", "tags"},
      {"POST", c + "/tags", R"({})", 400, "invalid", "tags"},
      {"POST", "/api/v1/patients", R"({})", 400, "invalid", "name"},
      {"POST", "/api/v1/patients", R"({"name":5})", 400, "invalid", "name"},
      {"POST", "/api/v1/patients", R"({"name":"A","phone":"555"})", 400, "invalid", "phone"},
      {"POST", "/api/v1/patients", R"({"name":"A","email":"nobody"})", 400, "invalid", "email"},
      {"POST", "/api/v1/patients", R"({"name":"A","date_of_birth":"1990-13-45"})", 400, "invalid",
       "date_of_birth"},
      {"POST", "/api/v1/patients", R"({"name":"A","preferred_channel":"fax"})", 400, "invalid",
       "preferred_channel"},
      {"POST", "/api/v1/patients", R"({"name":"A","consent_sms":"yes"})", 400, "invalid",
       "consent_sms"},
      {"POST", "/api/v1/patients", R"({"name":"A","ssn":"1"})", 400, "invalid", "ssn"},
      {"PATCH", "/api/v1/patients/" + pid, R"({"name":""})", 400, "invalid", "name"},
      {"PATCH", "/api/v1/patients/" + pid, R"({"phone":12})", 400, "invalid", "phone"},
      {"PATCH", "/api/v1/patients/" + pid, R"({"name":"B","email":"x@"})", 400, "invalid", "email"},
      {"PATCH", "/api/v1/patients/" + pid, R"({"name":)", 400, "invalid", ""},
      {"PATCH", "/api/v1/patients/999999", R"({"name":"B"})", 404, "not_found", ""},
      {"GET", "/api/v1/conversations?limit=0", "", 400, "invalid", "limit"},
      {"GET", "/api/v1/conversations?limit=201", "", 400, "invalid", "limit"},
      {"GET", "/api/v1/conversations?limit=ten", "", 400, "invalid", "limit"},
      {"GET", "/api/v1/conversations?status=done", "", 400, "invalid", "status"},
      {"GET", "/api/v1/conversations?sla=late", "", 400, "invalid", "sla"},
      {"GET", "/api/v1/conversations?sort=oldest", "", 400, "invalid", "sort"},
      {"GET", "/api/v1/conversations?channel=fax", "", 400, "invalid", "channel"},
      {"GET", "/api/v1/conversations?cursor=garbage", "", 400, "invalid", "cursor"},
      {"GET", "/api/v1/conversations?q=a", "", 400, "invalid", "q"},
      {"GET", "/api/v1/conversations?q=%FF%FE", "", 400, "invalid", "q"},
      {"GET", "/api/v1/conversations?page=2", "", 400, "invalid", "page"},
      {"GET", "/api/v1/patients?limit=0", "", 400, "invalid", "limit"},
      {"GET", "/api/v1/patients?cursor=x", "", 400, "invalid", "cursor"},
      {"GET", "/api/v1/patients?sort=name", "", 400, "invalid", "sort"},
      {"POST", "/api/v1/session", R"({"tenant":"clinic"})", 400, "invalid", "email"},
      {"POST", "/api/v1/session", R"({"tenant":"clinic","email":"a@b.c","password":1})", 400,
       "invalid", "password"},
  };
  auto snapshot = [&] {
    return Call("GET", c).body + Call("GET", "/api/v1/patients").body +
           Call("GET", "/api/v1/conversations").body;
  };
  std::string before = snapshot();
  for (const Case& k : cases) {
    HttpResult r = Call(k.method, k.target, k.body);
    std::string what = k.method + " " + k.target + " " + k.body.substr(0, 60);
    EXPECT_EQ(r.status, k.status) << what << ": " << r.body;
    ASSERT_FALSE(r.body.empty()) << what;
    EXPECT_EQ(ErrorCode(r), k.code) << what;
    EXPECT_EQ(ErrorField(r), k.field) << what;
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(ApiTest, CannedResponsesAreSharedByThePracticeAndCheckedBeforeTheyAreKept) {
  HttpResult none = Call("GET", "/api/v1/canned-responses");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.body, R"({"items":[]})");
  const std::string good =
      R"({"items":[{"title":"Greeting","shortcut":"hi","text":"Hello {{first_name}}, this is )"
      R"({{agent_name}}."},{"title":"Hours","text":"We are open {{ location_hours }}."}]})";
  HttpResult refused = Call("PUT", "/api/v1/canned-responses", good);
  EXPECT_EQ(refused.status, 403) << "agents use them; supervisors and admins keep them";
  std::string supervisor = MakeUser(tenant_, "sup@clinic.example", core::Role::kSupervisor);
  HttpResult saved = Call("PUT", "/api/v1/canned-responses", good, &supervisor);
  ASSERT_EQ(saved.status, 200) << saved.body;
  const std::string kept = Call("GET", "/api/v1/canned-responses").body;
  EXPECT_EQ(kept, saved.body);
  auto items = Json(saved).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("shortcut").as_string(), "hi");
  EXPECT_EQ(items[1].at("shortcut").as_string(), "") << "a shortcut is optional";

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"items":[{"title":"A","text":"Your {{diagnosis}}"}]})", "items[0].text"},
      {R"({"items":[{"title":"A","text":"x"},{"title":"B","shortcut":"Bad One","text":"y"}]})",
       "items[1].shortcut"},
      {R"({"items":[{"title":"A","shortcut":"a","text":"x"},{"title":"B","shortcut":"a","text":"y"}]})",
       "items[1].shortcut"},
      {R"({"items":[{"title":"","text":"x"}]})", "items[0].title"},
      {R"({"items":[{"title":"A","text":7}]})", "items[0].text"},
      {R"({"items":[{"text":"x"}]})", "items[0].title"},
      {R"({"items":[{"title":"A","text":"x","html":"<b>"}]})", "items[0].html"},
      {R"({"items":["hello"]})", "items[0]"},
      {R"({"items":{"title":"A"}})", "items"},
      {R"({"items":[{"title":"A","text":"x"}],"more":1})", "more"},
      {R"({"items":[{"title":"A","text":"x"})", ""},
  };
  for (const auto& [body, field] : bad) {
    HttpResult r = Call("PUT", "/api/v1/canned-responses", body, &supervisor);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid") << body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/canned-responses").body, kept) << "nothing changed";
  // Another practice sees its own (empty) list, never this one.
  EXPECT_EQ(Call("GET", "/api/v1/canned-responses", {}, &other_token_).body, R"({"items":[]})");
}

TEST_F(ApiTest, PracticeSettingsAreChangedByAdminsAndMoveRunningDeadlines) {
  std::int64_t conv = Inbound("+13125550100", "Can I come in today?");  // Mon 09:00 Chicago
  std::string base = "/api/v1/conversations/" + std::to_string(conv);
  auto due = [&] {
    return std::string(Json(Call("GET", base)).at("sla").at("due_at").as_string());
  };
  EXPECT_EQ(due(), "2026-11-23T15:30:00.000Z") << "open always: 30 minutes";
  clock_.Advance(std::chrono::minutes(10));

  HttpResult read = Call("GET", "/api/v1/settings");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(Json(read).at("time_zone").as_string(), "America/Chicago");
  HttpResult refused = Call("PATCH", "/api/v1/settings", R"({"business_hours":"mon 10:00-11:00"})");
  EXPECT_EQ(refused.status, 403) << "agents may not change the practice's hours";
  EXPECT_EQ(ErrorCode(refused), "forbidden");

  std::string admin = MakeUser(tenant_, "admin@clinic.example", core::Role::kAdmin);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"time_zone":"Mars/Base"})", "time_zone"},
      {R"({"business_hours":"whenever"})", "business_hours"},
      {R"({"holidays":["2026-02-30"]})", "holidays"},
      {R"({"holidays":"2026-12-25"})", "holidays"},
      {R"({"name":""})", "name"},
      {R"({"slug":"new"})", "slug"},
      {R"({})", ""},
  };
  for (const auto& [body, field] : bad) {
    HttpResult r = Call("PATCH", "/api/v1/settings", body, &admin);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/settings").body, read.body) << "nothing changed";
  EXPECT_EQ(due(), "2026-11-23T15:30:00.000Z");

  // 10 of 30 minutes used; now open only 16:00-18:00 Chicago (22:00Z): 20 minutes are left.
  HttpResult hours =
      Call("PATCH", "/api/v1/settings", R"({"business_hours":"Mon-Fri 16:00-18:00"})", &admin);
  ASSERT_EQ(hours.status, 200) << hours.body;
  EXPECT_EQ(Json(hours).at("business_hours").as_string(), "mon-fri 16:00-18:00");
  EXPECT_EQ(due(), "2026-11-23T22:20:00.000Z");
  HttpResult holiday = Call("PATCH", "/api/v1/settings",
                            R"({"holidays":["2026-12-25","2026-11-23","2026-11-23"]})", &admin);
  ASSERT_EQ(holiday.status, 200) << holiday.body;
  EXPECT_EQ(json::serialize(Json(holiday).at("holidays")), R"(["2026-11-23","2026-12-25"])");
  EXPECT_EQ(due(), "2026-11-24T22:20:00.000Z") << "closed all Monday: Tuesday 16:20 Chicago";
  HttpResult sorted = Call("GET", "/api/v1/conversations?sort=time_left");
  EXPECT_EQ(Json(sorted).at("items").at(0).at("sla").at("due_at").as_string(),
            "2026-11-24T22:20:00.000Z");
}

TEST_F(ApiTest, SlaPoliciesAndLocationsAreKeptThroughTheApi) {
  std::string supervisor = MakeUser(tenant_, "lead@clinic.example", core::Role::kSupervisor);
  std::string admin = MakeUser(tenant_, "admin@clinic.example", core::Role::kAdmin);
  std::string other_admin = MakeUser(other_tenant_, "admin@other.example", core::Role::kAdmin);
  EXPECT_EQ(Call("POST", "/api/v1/sla-policies", R"({"name":"x"})").status, 403);
  HttpResult made =
      Call("POST", "/api/v1/sla-policies",
           R"({"name":"Urgent","priority":"urgent","first_response_minutes":5})", &supervisor);
  ASSERT_EQ(made.status, 201) << made.body;
  json::object p = Json(made);
  EXPECT_EQ(p.at("first_response_minutes").as_int64(), 5);
  EXPECT_EQ(p.at("next_response_minutes").as_int64(), 60) << "defaults fill the rest";
  EXPECT_EQ(p.at("resolution_minutes").as_int64(), 1440);
  EXPECT_EQ(p.at("at_risk_percent").as_int64(), 80);
  EXPECT_TRUE(p.at("queue").is_null());
  std::string id = std::to_string(p.at("id").as_int64());

  HttpResult urgent =
      Call("POST", "/api/v1/messages",
           R"({"channel":"sms","from":"+13125550111","text":"bleeding","priority":"urgent"})");
  ASSERT_EQ(urgent.status, 201);
  std::string conv = std::to_string(Json(urgent).at("conversation_id").as_int64());
  EXPECT_EQ(Json(Call("GET", "/api/v1/conversations/" + conv)).at("sla").at("due_at").as_string(),
            "2026-11-23T15:05:00.000Z");

  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"first_response_minutes":0})", "first_response_minutes"},
           {R"({"first_response_minutes":"5"})", "first_response_minutes"},
           {R"({"at_risk_percent":100})", "at_risk_percent"},
           {R"({"channel":"fax"})", "channel"},
           {R"({"name":"  "})", "name"},
           {R"({"targets":{}})", "targets"}}) {
    HttpResult r = Call("PATCH", "/api/v1/sla-policies/" + id, body, &admin);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  HttpResult patched = Call("PATCH", "/api/v1/sla-policies/" + id,
                            R"({"first_response_minutes":10,"queue":"clinical"})", &admin);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Json(patched).at("queue").as_string(), "clinical");
  EXPECT_EQ(Json(patched).at("name").as_string(), "Urgent");
  EXPECT_EQ(Call("PATCH", "/api/v1/sla-policies/" + id, R"({"queue":"x"})", &other_admin).status,
            404);
  EXPECT_EQ(Call("DELETE", "/api/v1/sla-policies/" + id, {}, &other_admin).status, 404);
  HttpResult list = Call("GET", "/api/v1/sla-policies");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(Json(list).at("items").as_array().size(), 1u);
  EXPECT_EQ(Json(list).at("items").at(0).at("first_response_minutes").as_int64(), 10);
  EXPECT_EQ(Json(list).at("default").at("first_response_minutes").as_int64(), 30);
  EXPECT_EQ(Call("DELETE", "/api/v1/sla-policies/" + id).status, 403);
  EXPECT_EQ(Call("DELETE", "/api/v1/sla-policies/" + id, {}, &admin).status, 204);
  EXPECT_EQ(Call("DELETE", "/api/v1/sla-policies/" + id, {}, &admin).status, 404);
  EXPECT_EQ(Json(Call("GET", "/api/v1/sla-policies")).at("items").as_array().size(), 0u);

  EXPECT_EQ(Call("POST", "/api/v1/locations", R"({"name":"Main"})", &supervisor).status, 403);
  HttpResult loc =
      Call("POST", "/api/v1/locations",
           R"({"name":"Main","address":"1 Lake St","business_hours":"mon-fri 08:00-17:00",)"
           R"("holidays":["2026-12-25"]})",
           &admin);
  ASSERT_EQ(loc.status, 201) << loc.body;
  std::string lid = std::to_string(Json(loc).at("id").as_int64());
  EXPECT_EQ(
      Call("POST", "/api/v1/locations", R"({"name":"B","holidays":["12/25/2026"]})", &admin).status,
      400);
  HttpResult moved =
      Call("PATCH", "/api/v1/locations/" + lid, R"({"business_hours":null,"holidays":[]})", &admin);
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_TRUE(Json(moved).at("business_hours").is_null()) << "uses the practice's hours";
  EXPECT_EQ(Json(moved).at("holidays").as_array().size(), 0u);
  EXPECT_EQ(Call("PATCH", "/api/v1/locations/" + lid, R"({"name":"x"})", &other_admin).status, 404);
  HttpResult locations = Call("GET", "/api/v1/locations");
  ASSERT_EQ(Json(locations).at("items").as_array().size(), 1u);
  EXPECT_EQ(Json(locations).at("items").at(0).at("address").as_string(), "1 Lake St");
  EXPECT_EQ(Json(Call("GET", "/api/v1/locations", {}, &other_admin)).at("items").as_array().size(),
            0u);
}

TEST_F(ApiTest, EveryReadAndChangeOfPatientInformationIsAudited) {
  HttpResult in = Call("POST", "/api/v1/messages",
                       R"({"channel":"sms","from":"+13125550142","text":"My rash is worse",)"
                       R"("patient":{"name":"Grace Hopper","date_of_birth":"1906-12-09"}})");
  ASSERT_EQ(in.status, 201);
  std::int64_t conv = Json(in).at("conversation_id").as_int64();
  std::int64_t patient = Json(in).at("patient_id").as_int64();
  std::string c = "/api/v1/conversations/" + std::to_string(conv);
  std::string p = "/api/v1/patients/" + std::to_string(patient);
  ASSERT_EQ(Call("GET", c).status, 200);
  ASSERT_EQ(Call("POST", c + "/replies", R"({"text":"Please send a photo"})").status, 201);
  ASSERT_EQ(Call("GET", "/api/v1/conversations").status, 200);
  ASSERT_EQ(Call("GET", p).status, 200);
  ASSERT_EQ(Call("PATCH", p, R"({"language":"es"})").status, 200);
  ASSERT_EQ(Call("GET", "/api/v1/patients?q=hopper").status, 200);
  ASSERT_EQ(Call("GET", c, {}, &other_token_).status, 404) << "a refused read reads nothing";
  api_->FlushAudit();

  auto trail = store::ReadValue<std::vector<store::AuditRecord>>(
      *store_, tenant_, [](store::TenantTx& tx) { return tx.AuditTrail(std::nullopt, 0, 100); });
  ASSERT_TRUE(trail);
  std::vector<std::string> seen;
  for (const store::AuditRecord& r : *trail) {
    seen.push_back(r.action + " " + r.object_type + " " + r.detail);
    EXPECT_EQ(r.actor, user_);
    EXPECT_EQ(r.session, "t:" + security::HashSecret(token_).substr(0, 16));
    EXPECT_EQ(r.remote_address, "127.0.0.1");
    if (r.object_type == "conversation" || r.object_type == "patient" ||
        r.object_type == "message") {
      EXPECT_EQ(r.patient.value, patient) << r.action << " " << r.object_type;
    }
    for (const char* phi : {"3125550142", "Grace", "Hopper", "hopper", "1906", "rash", "photo"}) {
      EXPECT_EQ((r.detail + r.action + r.object_type).find(phi), std::string::npos) << phi;
    }
  }
  std::string ids = "patients=" + std::to_string(patient);
  // Changes are chained as they commit, reads when their batch is written: by time, not order.
  EXPECT_THAT(
      seen, ::testing::UnorderedElementsAre(
                "create message inbound sms", "read conversation ", "update conversation reply",
                "read conversation_list " + ids, "read patient ", "update patient fields=language",
                "read patient_list " + ids));
  auto about = store::ReadValue<std::vector<store::AuditRecord>>(
      *store_, tenant_,
      [&](store::TenantTx& tx) { return tx.AuditTrail(PatientId{patient}, 0, 100); });
  ASSERT_TRUE(about);
  EXPECT_EQ(about->size(), 5u) << "the lists name the patient in their detail instead";
  auto other = store::ReadValue<std::vector<store::AuditRecord>>(
      *store_, other_tenant_,
      [](store::TenantTx& tx) { return tx.AuditTrail(std::nullopt, 0, 100); });
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
  auto verified = store_->VerifyAudit();
  ASSERT_TRUE(verified);
  EXPECT_FALSE(verified->broken);
  EXPECT_EQ(verified->records, 7);

  // The privacy officer's report: who saw or changed this patient, newest first.
  std::string report = p + "/access-log";
  EXPECT_EQ(Call("GET", report).status, 403) << "agents may not read who looked";
  std::string admin = MakeUser(tenant_, "privacy@clinic.example", core::Role::kAdmin);
  std::string other_admin = MakeUser(other_tenant_, "privacy@other.example", core::Role::kAdmin);
  EXPECT_EQ(Call("GET", report, {}, &other_admin).status, 404);
  HttpResult page = Call("GET", report + "?limit=5", {}, &admin);
  ASSERT_EQ(page.status, 200) << page.body;
  json::array items = Json(page).at("items").as_array();
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].at("actor_id").as_int64(), user_.value);
  EXPECT_EQ(items[0].at("remote_address").as_string(), "127.0.0.1");
  std::int64_t previous = INT64_MAX;
  for (const auto& item : items) {
    EXPECT_LT(item.at("id").as_int64(), previous) << "newest first";
    previous = item.at("id").as_int64();
  }
  std::string cursor(Json(page).at("next_cursor").as_string());
  HttpResult rest = Call("GET", report + "?cursor=" + cursor, {}, &admin);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(Json(rest).at("items").as_array().size(), 2u) << "all 7 touched this patient";
  EXPECT_TRUE(Json(rest).at("next_cursor").is_null());
  EXPECT_EQ(Call("GET", report + "?limit=0", {}, &admin).status, 400);
  api_->FlushAudit();
  HttpResult again = Call("GET", report + "?limit=1", {}, &admin);
  EXPECT_EQ(Json(again).at("items").at(0).at("object_type").as_string(), "patient_access_log")
      << "looking is recorded too";
}

TEST_F(ApiTest, AnAgentSeesOnlyTheQueuesTheyServe) {
  std::int64_t front = Inbound("+13125550171", "front desk question");
  HttpResult billing_in =
      Call("POST", "/api/v1/messages",
           R"({"channel":"sms","from":"+13125550172","text":"my bill","queue":"billing"})");
  ASSERT_EQ(billing_in.status, 201);
  std::int64_t billing = Json(billing_in).at("conversation_id").as_int64();
  std::string biller = MakeUser(tenant_, "biller@clinic.example", core::Role::kAgent, {"billing"});
  std::string lead = MakeUser(tenant_, "lead@clinic.example", core::Role::kSupervisor, {"billing"});

  auto inbox_ids = [&](const std::string& token, const std::string& query) {
    std::set<std::int64_t> ids;
    HttpResult r = Call("GET", "/api/v1/conversations" + query, {}, &token);
    EXPECT_EQ(r.status, 200) << r.body;
    json::object page = Json(r);
    for (const auto& item : page.at("items").as_array()) ids.insert(item.at("id").as_int64());
    return ids;
  };
  EXPECT_EQ(inbox_ids(biller, ""), std::set<std::int64_t>{billing});
  EXPECT_EQ(inbox_ids(biller, "?queue=front-desk"), std::set<std::int64_t>{});
  EXPECT_EQ(inbox_ids(biller, "?q=question"), std::set<std::int64_t>{});
  EXPECT_EQ(inbox_ids(lead, ""), (std::set<std::int64_t>{front, billing})) << "supervisors see all";
  EXPECT_EQ(inbox_ids(token_, ""), (std::set<std::int64_t>{front, billing}))
      << "an agent with no queues named is a generalist";

  std::string outside = "/api/v1/conversations/" + std::to_string(front);
  EXPECT_EQ(Call("GET", outside, {}, &biller).status, 404);
  EXPECT_EQ(Call("POST", outside + "/replies", R"({"text":"hi"})", &biller).status, 404);
  EXPECT_EQ(Call("POST", outside + "/assign", R"({"queue":"billing"})", &biller).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/conversations/" + std::to_string(billing), {}, &biller).status,
            200);
  EXPECT_EQ(MessageCount(front), 1u) << "nothing was added through the refused reply";
}

TEST_F(ApiTest, OversizedBodyIs413WithoutBeingRead) {
  HttpResult r = Call("POST", "/api/v1/messages", std::string(2 << 20, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ErrorCode(r), "too_large");
  EXPECT_EQ(InboxSize(), 0u);
}

TEST_F(ApiTest, AnotherTenantsIdsAnswer404AndChangeNothing) {
  std::int64_t conv = Inbound("+13125550100", "private matter");
  std::string id = std::to_string(conv);
  HttpResult conv_view = Call("GET", "/api/v1/conversations/" + id);
  std::int64_t patient = Json(conv_view).at("patient_id").as_int64();
  std::string pid = std::to_string(patient);
  struct Probe {
    std::string method, target, body;
  };
  const std::vector<Probe> probes = {
      {"GET", "/api/v1/conversations/" + id, ""},
      {"POST", "/api/v1/conversations/" + id + "/replies", R"({"text":"hi"})"},
      {"POST", "/api/v1/conversations/" + id + "/notes", R"({"text":"hi"})"},
      {"POST", "/api/v1/conversations/" + id + "/assign", R"({"queue":"billing"})"},
      {"POST", "/api/v1/conversations/" + id + "/status", R"({"status":"closed"})"},
      {"POST", "/api/v1/conversations/" + id + "/tags", R"({"tags":["x"]})"},
      {"GET", "/api/v1/patients/" + pid, ""},
      {"PATCH", "/api/v1/patients/" + pid, R"({"name":"Mallory"})"},
      {"POST", "/api/v1/messages",
       R"({"channel":"sms","from":"+13125550100","text":"x","patient_id":)" + pid + "}"},
  };
  for (const Probe& p : probes) {
    HttpResult r = Call(p.method, p.target, p.body, &other_token_);
    EXPECT_EQ(r.status, 404) << p.method << " " << p.target << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "not_found");
  }
  HttpResult after = Call("GET", "/api/v1/conversations/" + id);
  json::object c = Json(after);
  EXPECT_EQ(c.at("status").as_string(), "open");
  EXPECT_EQ(c.at("messages").as_array().size(), 1u);
  EXPECT_EQ(c.at("queue").as_string(), "front-desk");
  EXPECT_EQ(c.at("patient").at("name").as_string(), "");
  HttpResult list = Call("GET", "/api/v1/conversations?patient_id=" + pid, {}, &other_token_);
  EXPECT_EQ(Json(list).at("items").as_array().size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/conversations/abc").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/conversations/0").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/conversations/99999999999999999999").status, 404);
}

TEST_F(ApiTest, StaffWorkflowMovesStatusAndSlaThroughTheApi) {
  std::int64_t conv = Inbound("+13125550100", "Is Dr. Patel in on Friday?");
  std::string base = "/api/v1/conversations/" + std::to_string(conv);
  clock_.Advance(std::chrono::minutes(10));
  HttpResult reply =
      Call("POST", base + "/replies", R"({"text":"Yes, from 9 to 5.","status":"pending"})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  json::object r = Json(reply);
  EXPECT_TRUE(r.at("message_id").is_int64());
  EXPECT_EQ(r.at("conversation").at("status").as_string(), "pending");
  EXPECT_EQ(r.at("conversation").at("first_response_at").as_string(), "2026-11-23T15:10:00.000Z");
  EXPECT_EQ(r.at("conversation").at("sla").at("state").as_string(), "paused");

  HttpResult note = Call("POST", base + "/notes", R"({"text":"Patient prefers mornings"})");
  EXPECT_EQ(note.status, 201);
  HttpResult assign =
      Call("POST", base + "/assign",
           R"({"assignee_id":)" + std::to_string(user_.value) + R"(,"category":"appointment"})");
  ASSERT_EQ(assign.status, 200) << assign.body;
  EXPECT_EQ(Json(assign).at("conversation").at("assignee_id").as_int64(), user_.value);
  HttpResult bad_assignee = Call("POST", base + "/assign", R"({"assignee_id":424242})");
  EXPECT_EQ(bad_assignee.status, 400);
  EXPECT_EQ(ErrorField(bad_assignee), "assignee_id");
  HttpResult tags = Call("POST", base + "/tags", R"({"tags":["Friday","scheduling"]})");
  ASSERT_EQ(tags.status, 200);
  EXPECT_EQ(json::serialize(Json(tags).at("conversation").at("tags")),
            R"(["friday","scheduling"])");
  EXPECT_EQ(Call("POST", base + "/tags", R"({"tags":["no spaces"]})").status, 400);

  clock_.Advance(std::chrono::hours(1));
  Inbound("+13125550100", "Thanks! Book me at 9.");
  HttpResult view = Call("GET", base);
  json::object v = Json(view);
  EXPECT_EQ(v.at("status").as_string(), "open");
  EXPECT_EQ(v.at("sla").at("due_at").as_string(), "2026-11-23T17:10:00.000Z")
      << "next response: 60 min";
  HttpResult resolve = Call("POST", base + "/status", R"({"status":"resolved"})");
  ASSERT_EQ(resolve.status, 200);
  HttpResult close = Call("POST", base + "/status", R"({"status":"closed"})");
  ASSERT_EQ(close.status, 200);
  HttpResult after_close = Call("POST", base + "/replies", R"({"text":"one more"})");
  EXPECT_EQ(after_close.status, 409);
  EXPECT_EQ(ErrorCode(after_close), "conflict");
  // A new message from the patient after closing opens a new conversation.
  std::int64_t next = Inbound("+13125550100", "Also, my bill?");
  EXPECT_NE(next, conv);
  EXPECT_EQ(Call("POST", base + "/status", R"({"status":"archived"})").status, 400);
}

TEST_F(ApiTest, InboxFiltersSearchesSortsAndPaginates) {
  std::int64_t a = Inbound("+13125550101", "refill for metformin");
  clock_.Advance(std::chrono::minutes(1));
  std::int64_t b = Inbound("b@example.com", "appointment on Monday", "email");
  clock_.Advance(std::chrono::minutes(1));
  std::int64_t c = Inbound("visitor-42", "Do you take Aetna? refill too", "chat");
  auto ids = [&](const std::string& query) {
    HttpResult r = Call("GET", "/api/v1/conversations" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::vector<std::int64_t> out;
    json::object page = Json(r);
    for (const auto& item : page.at("items").as_array()) out.push_back(item.at("id").as_int64());
    return out;
  };
  EXPECT_THAT(ids(""), ::testing::ElementsAre(c, b, a));
  EXPECT_THAT(ids("?q=refill"), ::testing::ElementsAre(c, a));
  EXPECT_THAT(ids("?q=REFILL%20metformin"), ::testing::ElementsAre(a));
  EXPECT_THAT(ids("?channel=email"), ::testing::ElementsAre(b));
  EXPECT_THAT(ids("?sort=time_left"), ::testing::ElementsAre(a, b, c));
  EXPECT_THAT(ids("?status=pending"), ::testing::IsEmpty());
  EXPECT_THAT(ids("?assignee=none"), ::testing::ElementsAre(c, b, a));
  HttpResult page1 = Call("GET", "/api/v1/conversations?limit=2");
  json::object p1 = Json(page1);
  ASSERT_TRUE(p1.at("next_cursor").is_string());
  EXPECT_THAT(ids("?limit=2&cursor=" + std::string(p1.at("next_cursor").as_string())),
              ::testing::ElementsAre(a));
  clock_.Advance(std::chrono::minutes(25));
  HttpResult timed = Call("GET", "/api/v1/conversations?sort=time_left&limit=1");
  EXPECT_EQ(Json(timed).at("items").at(0).at("sla").at("time_left_ms").as_int64(), 3 * 60 * 1000);
  for (const char* bad : {"?status=bogus", "?limit=0", "?limit=201", "?cursor=xyz", "?sort=name",
                          "?q=a", "?sla=late", "?colour=red", "?patient_id=-1", "?assignee=x"}) {
    HttpResult r = Call("GET", std::string("/api/v1/conversations") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(ErrorCode(r), "invalid") << bad;
  }
}

TEST_F(ApiTest, RevokedOrExpiredTokensStopWorkingWithinTheCacheTime) {
  // A second token that expires in 400 ms, used once so both are cached.
  std::string expiring = security::NewSecret("cdk_");
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) {
    return tx.InsertApiToken(user_, security::HashSecret(expiring), "short", clock_.Now(),
                             clock_.Now() + std::chrono::milliseconds(400));
  }));
  ASSERT_EQ(Call("GET", "/api/v1/me").status, 200);
  ASSERT_EQ(Call("GET", "/api/v1/me", {}, &expiring).status, 200);
  // Revoke the first token behind the server's back, as another process would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "db.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE api_tokens SET revoked_at = 1 WHERE name = 'test'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  clock_.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(Call("GET", "/api/v1/me").status, 200);                 // still cached (under 1 s)
  EXPECT_EQ(Call("GET", "/api/v1/me", {}, &expiring).status, 401);  // cached only until expiry
  clock_.Advance(std::chrono::milliseconds(600));
  HttpResult revoked = Call("GET", "/api/v1/me");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(ErrorCode(revoked), "unauthenticated");
}

TEST_F(ApiTest, InboxItemsCarryTheSameFieldsAsTheConversation) {
  // The list writes its JSON by hand; it must say what the single-conversation view says, and
  // escape a name with quotes, a backslash, a tab and non-ASCII letters into valid JSON.
  HttpResult in = Call("POST", "/api/v1/messages",
                       R"({"channel":"sms","from":"+13125550177","text":"hi",)"
                       R"("patient":{"name":"Zo\u00eb \"Z\" O\\Neil\tJr"}})");
  ASSERT_EQ(in.status, 201) << in.body;
  std::int64_t id = Json(in).at("conversation_id").as_int64();
  ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(id) + "/tags",
                 R"({"tags":["refill","urgent-callback"]})")
                .status,
            200);
  clock_.Advance(std::chrono::minutes(4));
  json::object item =
      Json(Call("GET", "/api/v1/conversations?limit=1")).at("items").at(0).as_object();
  json::object detail = Json(Call("GET", "/api/v1/conversations/" + std::to_string(id)));
  EXPECT_EQ(item.at("patient_name").as_string(), "Zo\u00eb \"Z\" O\\Neil\tJr");
  item.erase("patient_name");
  for (const char* extra : {"patient", "verification", "messages", "events", "sms_consent"}) {
    detail.erase(extra);
  }
  EXPECT_EQ(item, detail);
  EXPECT_EQ(item.at("tags").as_array().size(), 2u);
  EXPECT_EQ(item.at("sla").at("time_left_ms").as_int64(), 26 * 60 * 1000);
}

TEST_F(ApiTest, InboxPagesAreKeptUntilTheTenantsDataChanges) {
  std::string second = security::NewSecret("cdk_");
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::User u;
    u.email = "second@clinic.example";
    u.display_name = "Second";
    CD_TRY_ASSIGN(u, tx.InsertUser(u, security::HashPassword("another horse battery").value()));
    return tx.InsertApiToken(u.id, security::HashSecret(second), "second", clock_.Now(),
                             std::nullopt);
  }));
  std::int64_t id = Inbound("+13125550188", "refill please");
  auto first_item = [&](const std::string* token = nullptr) {
    HttpResult r = Call("GET", "/api/v1/conversations?q=refill", {}, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r).at("items").at(0).as_object();
  };
  EXPECT_EQ(first_item().at("queue").as_string(), "front-desk");
  // Change the row behind the server's back: the kept page is what the user sees again, and
  // proves the page is kept. Its time left still follows the clock.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "db.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);  // the server's writer may be committing the read's audit
  ASSERT_EQ(sqlite3_exec(db, "UPDATE conversations SET queue = 'changed-behind'", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  clock_.Advance(std::chrono::minutes(2));
  json::object kept = first_item();
  EXPECT_EQ(kept.at("queue").as_string(), "front-desk");
  EXPECT_EQ(kept.at("sla").at("time_left_ms").as_int64(), 28 * 60 * 1000);
  // Another user of the same practice never gets this user's page: theirs is read afresh.
  EXPECT_EQ(first_item(&second).at("queue").as_string(), "changed-behind");
  EXPECT_EQ(first_item().at("queue").as_string(), "front-desk");
  // Any write to the practice moves its generation, so the next read is fresh.
  ASSERT_EQ(
      Call("POST", "/api/v1/conversations/" + std::to_string(id) + "/tags", R"({"tags":["seen"]})")
          .status,
      200);
  EXPECT_EQ(first_item().at("queue").as_string(), "changed-behind");

  // Every acknowledged write is visible on the next read: a patient rename...
  std::string patient = std::to_string(first_item().at("patient_id").as_int64());
  HttpResult patch = Call("PATCH", "/api/v1/patients/" + patient, R"({"name":"Renamed Patient"})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(first_item().at("patient_name").as_string(), "Renamed Patient");
  // ...a staff command...
  ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(id) + "/assign",
                 R"({"queue":"billing"})")
                .status,
            200);
  EXPECT_EQ(first_item().at("queue").as_string(), "billing");
  // ...and a new conversation on a page that was kept.
  std::size_t before = InboxSize();
  EXPECT_EQ(InboxSize(), before);
  Inbound("+13125550189", "another refill");
  EXPECT_EQ(InboxSize(), before + 1);
}

TEST_F(ApiTest, PatientsAreCreatedSearchedAndPatched) {
  HttpResult created = Call(
      "POST", "/api/v1/patients",
      R"({"name":"Grace Hopper","phone":"312.555.0177","email":"Grace@Example.com","date_of_birth":"1906-12-09","consent_sms":true})");
  ASSERT_EQ(created.status, 201) << created.body;
  json::object p = Json(created);
  EXPECT_EQ(p.at("phone").as_string(), "+13125550177");
  EXPECT_EQ(p.at("email").as_string(), "grace@example.com");
  std::string id = std::to_string(p.at("id").as_int64());
  for (const char* q : {"?q=(312)%20555-0177", "?q=grace%40example.com", "?q=hopp"}) {
    HttpResult r = Call("GET", std::string("/api/v1/patients") + q);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(Json(r).at("items").as_array().size(), 1u) << q;
  }
  HttpResult patched = Call("PATCH", "/api/v1/patients/" + id, R"({"email":null,"language":"es"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(Json(patched).at("email").is_null());
  EXPECT_EQ(Json(patched).at("name").as_string(), "Grace Hopper");
  EXPECT_EQ(Json(patched).at("language").as_string(), "es");
  HttpResult bad = Call("PATCH", "/api/v1/patients/" + id, R"({"date_of_birth":"1906-02-30"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorField(bad), "date_of_birth");
  EXPECT_EQ(Call("POST", "/api/v1/patients", R"({"phone":"+13125550000"})").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/patients/" + id).status, 200);
  EXPECT_EQ(Json(Call("GET", "/api/v1/patients/" + id)).at("language").as_string(), "es");
}

TEST_F(ApiTest, RepeatedFailedSignInsLockTheAccountAndThenTheAddress) {
  http::ApiOptions unlimited;  // the per-address request rate is another test's
  unlimited.public_rate_per_minute = 100000;
  unlimited.public_burst = 1000;
  api_ = std::make_unique<http::Api>(*store_, clock_, unlimited);
  auto sign_in = [&](const std::string& email, const std::string& password) {
    HttpCall c;
    c.method = "POST";
    c.target = "/api/v1/session";
    c.body = R"({"tenant":"clinic","email":")" + email + R"(","password":")" + password + "\"}";
    return Checked(c);
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sign_in("agent@clinic.example", "guess").status, 401);
  HttpResult locked = sign_in("agent@clinic.example", "correct horse battery");
  EXPECT_EQ(locked.status, 429) << "locked even with the right password";
  EXPECT_EQ(ErrorCode(locked), "too_many_attempts");
  EXPECT_EQ(locked.headers["retry-after"], "901");
  // An email with no account locks the same way, so a lockout tells nothing about accounts.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sign_in("nobody@clinic.example", "guess").status, 401);
  EXPECT_EQ(sign_in("nobody@clinic.example", "guess").status, 429);
  clock_.Advance(std::chrono::minutes(15));
  EXPECT_EQ(sign_in("agent@clinic.example", "correct horse battery").status, 201);
  // One address trying many accounts is stopped after 20 failures in 15 minutes.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(sign_in("user" + std::to_string(i) + "@clinic.example", "guess").status, 401);
  }
  EXPECT_EQ(sign_in("agent@clinic.example", "correct horse battery").status, 429);
  clock_.Advance(std::chrono::minutes(15));
  EXPECT_EQ(sign_in("agent@clinic.example", "correct horse battery").status, 201);
}

TEST_F(ApiTest, BrowserSessionsUseCookiesCsrfAndIdleLogoff) {
  HttpResult denied = SignIn("agent@clinic.example", "wrong password");
  EXPECT_EQ(denied.status, 401);
  HttpResult ok = SignIn("Agent@Clinic.example");
  ASSERT_EQ(ok.status, 201) << ok.body;
  std::string cookie = ok.headers["set-cookie"];
  EXPECT_THAT(cookie, ::testing::HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, ::testing::HasSubstr("SameSite=Strict"));
  EXPECT_THAT(cookie, ::testing::HasSubstr("Secure"));
  Browser browser = BrowserOf(ok);
  ASSERT_TRUE(SetUpSecondFactor(browser).has_value());

  HttpCall me = browser.Call("GET", "/api/v1/me");
  HttpResult who = Checked(me);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(Json(who).at("tenant").at("slug").as_string(), "clinic");

  HttpCall post = browser.Call("POST", "/api/v1/patients", R"({"name":"Via Browser"})");
  post.headers.pop_back();  // no X-CSRF-Token
  HttpResult no_csrf = Checked(post);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(Checked(browser.Call("POST", "/api/v1/patients", R"({"name":"Via Browser"})")).status,
            201);

  clock_.Advance(std::chrono::minutes(16));
  HttpResult idle = Checked(me);
  EXPECT_EQ(idle.status, 401) << "15 minutes idle ends the session";
}

TEST_F(ApiTest, SecondFactorIsSetUpBeforeAnythingElseThenRequiredAtEverySignIn) {
  HttpResult first = SignIn("agent@clinic.example");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(Json(first).at("second_factor").as_string(), "setup_required")
      << "the practice requires it and the user has none yet";
  Browser browser = BrowserOf(first);
  HttpResult inbox = Checked(browser.Call("GET", "/api/v1/conversations"));
  EXPECT_EQ(inbox.status, 403);
  EXPECT_EQ(ErrorCode(inbox), "second_factor_setup_required");
  EXPECT_EQ(Checked(browser.Call("POST", "/api/v1/tokens",
                                 R"({"name":"sneaky","scopes":["inbox:read"]})"))
                .status,
            403)
      << "no token as a way around it";
  HttpResult me = Checked(browser.Call("GET", "/api/v1/me"));
  ASSERT_EQ(me.status, 200);
  EXPECT_TRUE(Json(me).at("second_factor").at("setup_pending").as_bool());
  // The console's automatic logoff: the server's idle time (15 minutes by default).
  EXPECT_EQ(Json(me).at("session_idle_seconds").as_int64(), 15 * 60);

  HttpResult started = Checked(browser.Call("POST", "/api/v1/me/second-factor"));
  ASSERT_EQ(started.status, 201) << started.body;
  std::string secret(Json(started).at("secret").as_string());
  EXPECT_THAT(std::string(Json(started).at("otpauth_uri").as_string()),
              ::testing::StartsWith("otpauth://totp/CareDesk%20clinic:agent%40clinic.example?"));
  HttpResult wrong =
      Checked(browser.Call("POST", "/api/v1/me/second-factor/confirm", R"({"code":"123456x"})"));
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(Checked(browser.Call("GET", "/api/v1/conversations")).status, 403);
  std::string code = *security::TotpCode(secret, security::TotpStep(clock_.Now()));
  HttpResult confirmed = Checked(
      browser.Call("POST", "/api/v1/me/second-factor/confirm", R"({"code":")" + code + R"("})"));
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  json::array codes = Json(confirmed).at("recovery_codes").as_array();
  ASSERT_EQ(codes.size(), 10u);
  EXPECT_EQ(Checked(browser.Call("GET", "/api/v1/conversations")).status, 200)
      << "the same session may now work";
  EXPECT_EQ(Checked(browser.Call("POST", "/api/v1/me/second-factor")).status, 409);

  // From now on the password alone is not enough.
  HttpResult password_only = SignIn("agent@clinic.example");
  EXPECT_EQ(password_only.status, 401);
  EXPECT_EQ(ErrorCode(password_only), "second_factor_required");
  HttpResult replayed =
      SignIn("agent@clinic.example", "correct horse battery", R"(,"code":")" + code + "\"");
  EXPECT_EQ(replayed.status, 401) << "a code works once";
  clock_.Advance(std::chrono::seconds(30));
  std::string next = *security::TotpCode(secret, security::TotpStep(clock_.Now()));
  HttpResult with_code =
      SignIn("agent@clinic.example", "correct horse battery", R"(,"code":")" + next + "\"");
  ASSERT_EQ(with_code.status, 201) << with_code.body;
  EXPECT_EQ(Json(with_code).at("second_factor").as_string(), "verified");
  std::string recovery(codes.at(3).as_string());
  HttpResult by_recovery = SignIn("agent@clinic.example", "correct horse battery",
                                  R"(,"recovery_code":")" + recovery + "\"");
  EXPECT_EQ(by_recovery.status, 201) << by_recovery.body;
  EXPECT_EQ(SignIn("agent@clinic.example", "correct horse battery",
                   R"(,"recovery_code":")" + recovery + "\"")
                .status,
            401)
      << "a recovery code works once";
  Browser later = BrowserOf(with_code);
  EXPECT_EQ(Json(Checked(later.Call("GET", "/api/v1/me")))
                .at("second_factor")
                .at("recovery_codes_left")
                .as_int64(),
            9);
  // New recovery codes need a fresh code and replace the old ones.
  clock_.Advance(std::chrono::seconds(30));
  next = *security::TotpCode(secret, security::TotpStep(clock_.Now()));
  HttpResult renewed =
      Checked(later.Call("POST", "/api/v1/me/recovery-codes", R"({"code":")" + next + "\"}"));
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  EXPECT_EQ(SignIn("agent@clinic.example", "correct horse battery",
                   R"(,"recovery_code":")" + std::string(codes.at(5).as_string()) + "\"")
                .status,
            401)
      << "old codes are gone";

  // Each sign-in is in the audit log with how it was made.
  api_->FlushAudit();
  auto trail = store::ReadValue<std::vector<store::AuditRecord>>(
      *store_, tenant_, [](store::TenantTx& tx) { return tx.AuditTrail(std::nullopt, 0, 500); });
  ASSERT_TRUE(trail);
  std::multiset<std::string> sign_ins;
  std::set<std::string> changes;
  for (const auto& r : *trail) {
    if (r.action == "sign_in") sign_ins.insert(r.detail);
    if (r.object_type == "second_factor" || r.object_type == "recovery_codes") {
      changes.insert(r.action);
    }
  }
  EXPECT_EQ(sign_ins.count("password"), 1u);
  EXPECT_EQ(sign_ins.count("password+totp"), 1u);
  EXPECT_EQ(sign_ins.count("password+recovery_code"), 1u);
  EXPECT_EQ(changes, (std::set<std::string>{"start", "enable", "replace"}));
}

TEST_F(ApiTest, PracticeMayLetStaffSignInWithThePasswordAlone) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  HttpResult off = Call("PATCH", "/api/v1/settings", R"({"require_second_factor":false})", &admin);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(Json(off).at("require_second_factor").as_bool());
  HttpResult in = SignIn("agent@clinic.example");
  ASSERT_EQ(in.status, 201);
  EXPECT_EQ(Json(in).at("second_factor").as_string(), "not_required");
  EXPECT_EQ(Checked(BrowserOf(in).Call("GET", "/api/v1/conversations")).status, 200);
  EXPECT_EQ(Call("PATCH", "/api/v1/settings", R"({"require_second_factor":"no"})", &admin).status,
            400);
  // The retention period, by the same route: six years unless changed, within sane bounds.
  EXPECT_EQ(Json(Call("GET", "/api/v1/settings")).at("retention_days").as_int64(), 2190);
  for (const char* bad : {R"({"retention_days":29})", R"({"retention_days":36501})",
                          R"({"retention_days":"forever"})"}) {
    EXPECT_EQ(Call("PATCH", "/api/v1/settings", bad, &admin).status, 400) << bad;
  }
  EXPECT_EQ(Call("PATCH", "/api/v1/settings", R"({"retention_days":3650})").status, 403)
      << "admins only";
  HttpResult kept = Call("PATCH", "/api/v1/settings", R"({"retention_days":3650})", &admin);
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(Json(kept).at("retention_days").as_int64(), 3650);
}

TEST_F(ApiTest, UsersListAndEndTheirSessionsAndAdminsEndAnyones) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  std::string colleague = MakeUser(tenant_, "colleague@clinic.example", core::Role::kAgent);
  HttpResult a = SignIn("agent@clinic.example");
  Browser laptop = BrowserOf(a);
  ASSERT_TRUE(SetUpSecondFactor(laptop));
  HttpResult b = SignIn("agent@clinic.example", "correct horse battery",
                        R"(,"code":")" + Code(laptop, 1) + "\"");
  ASSERT_EQ(b.status, 201) << b.body;
  Browser phone = BrowserOf(b);
  HttpResult listed = Checked(phone.Call("GET", "/api/v1/sessions"));
  ASSERT_EQ(listed.status, 200) << listed.body;
  json::array items = Json(listed).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_TRUE(items.at(0).at("current").as_bool()) << "newest first, and it is this one";
  EXPECT_FALSE(items.at(1).at("current").as_bool());
  EXPECT_EQ(items.at(1).at("remote_address").as_string(), "127.0.0.1");
  std::string laptop_id = std::to_string(items.at(1).at("id").as_int64());
  std::string phone_id = std::to_string(items.at(0).at("id").as_int64());

  // Ending the laptop's session from the phone signs the laptop out at once.
  EXPECT_EQ(Checked(laptop.Call("GET", "/api/v1/me")).status, 200);
  EXPECT_EQ(Checked(phone.Call("DELETE", "/api/v1/sessions/" + laptop_id)).status, 204);
  EXPECT_EQ(Checked(laptop.Call("GET", "/api/v1/me")).status, 401);
  // A colleague can neither see nor end it; an admin can do both.
  EXPECT_EQ(Call("GET", "/api/v1/sessions?user_id=all", {}, &colleague).status, 403);
  EXPECT_EQ(Call("DELETE", "/api/v1/sessions/" + phone_id, {}, &colleague).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/sessions/" + phone_id, {}, &other_token_).status, 404);
  EXPECT_EQ(Checked(phone.Call("GET", "/api/v1/me")).status, 200);
  HttpResult everyone = Call("GET", "/api/v1/sessions?user_id=all", {}, &admin);
  ASSERT_EQ(everyone.status, 200);
  EXPECT_EQ(Json(everyone).at("items").as_array().size(), 1u);
  EXPECT_EQ(
      Call("GET", "/api/v1/sessions?user_id=" + std::to_string(user_.value), {}, &admin).status,
      200);
  EXPECT_EQ(Call("GET", "/api/v1/sessions?user_id=x", {}, &admin).status, 400);
  EXPECT_EQ(Call("DELETE", "/api/v1/sessions/" + phone_id, {}, &admin).status, 204);
  EXPECT_EQ(Checked(phone.Call("GET", "/api/v1/me")).status, 401);

  // Signing in again from a browser that holds a session ends the old one (rotation).
  HttpResult c = SignIn("agent@clinic.example", "correct horse battery",
                        R"(,"code":")" + Code(laptop, 2) + "\"");
  Browser before = BrowserOf(c);
  HttpCall again;
  again.method = "POST";
  again.target = "/api/v1/session";
  again.body = R"({"tenant":"clinic","email":"agent@clinic.example","password":"correct horse )"
               R"(battery","code":")" +
               Code(laptop, 3) + "\"}";
  again.headers = {{"Cookie", before.cookie}};
  HttpResult rotated = Checked(again);
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  EXPECT_NE(BrowserOf(rotated).cookie, before.cookie);
  EXPECT_EQ(Checked(before.Call("GET", "/api/v1/me")).status, 401);
  EXPECT_EQ(Checked(BrowserOf(rotated).Call("GET", "/api/v1/me")).status, 200);
}

// The one-time code waiting in the outbox for `conversation` (the SMS/email sender is issue #5).
std::string QueuedCode(store::Store& st, TenantId tenant, std::string* recipient = nullptr) {
  auto pending = store::ReadValue<std::vector<store::OutboxItem>>(
      st, tenant, [](store::TenantTx& tx) { return tx.PendingOutbound(100); });
  if (!pending || pending->empty()) return "";
  const std::string& body = pending->back().body;
  if (recipient) *recipient = pending->back().recipient;
  auto at = body.find("code is ");
  return at == std::string::npos ? "" : body.substr(at + 8, 6);
}

TEST_F(ApiTest, IdentityIsVerifiedBeforeAnythingAboutThePatientIsDisclosed) {
  HttpResult in = Call("POST", "/api/v1/messages",
                       R"({"channel":"sms","from":"+13125550188","text":"Are my test results in?",)"
                       R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})");
  ASSERT_EQ(in.status, 201) << in.body;
  std::string conv =
      "/api/v1/conversations/" + std::to_string(Json(in).at("conversation_id").as_int64());

  json::object view = Json(Call("GET", conv));
  EXPECT_EQ(view.at("patient").at("date_of_birth").as_string(), "****-**-**");
  EXPECT_EQ(view.at("patient").at("phone").as_string(), "***-***-0188");
  EXPECT_TRUE(view.at("patient").at("masked").as_bool());
  EXPECT_EQ(view.at("verification").at("state").as_string(), "unverified");
  EXPECT_TRUE(view.at("verification").at("may_disclose").as_array().empty());

  // A reply that tells results to someone not verified is held back; small talk is not.
  HttpResult held = Call("POST", conv + "/replies", R"({"text":"Your HIV results are negative."})");
  EXPECT_EQ(held.status, 409);
  EXPECT_EQ(Json(held).at("error").at("field").as_string(), "override_phi_warning");
  EXPECT_THAT(held.body, ::testing::HasSubstr("clinical"));
  EXPECT_EQ(Call("POST", conv + "/replies", R"({"text":"We are open 8 to 5 today."})").status, 201);

  // Details are compared, never revealed.
  HttpResult wrong = Call("POST", conv + "/verification/check",
                          R"({"name":"Zebulon Quartz","date_of_birth":"1971-01-02"})");
  ASSERT_EQ(wrong.status, 200) << wrong.body;
  EXPECT_EQ(Json(wrong).at("result").as_string(), "does_not_match");
  EXPECT_EQ(Json(wrong).at("verification").at("failures").as_int64(), 1);
  HttpResult right = Call("POST", conv + "/verification/check",
                          R"({"name":"zebulon  QUARTZ","date_of_birth":"01/02/1970"})");
  ASSERT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(Json(right).at("result").as_string(), "matches");
  for (const HttpResult* r : {&wrong, &right}) {
    EXPECT_THAT(r->body, ::testing::Not(::testing::HasSubstr("1970-01-02")));
    EXPECT_THAT(r->body, ::testing::Not(::testing::HasSubstr("5550188")));
  }
  EXPECT_EQ(Json(Call("GET", conv)).at("verification").at("verified").as_bool(), false)
      << "matching details are not enough";

  HttpResult sent = Call("POST", conv + "/verification/code", R"({"channel":"sms"})");
  ASSERT_EQ(sent.status, 202) << sent.body;
  EXPECT_EQ(Json(sent).at("sent_to").as_string(), "***-***-0188");
  EXPECT_EQ(Call("POST", conv + "/verification/code", R"({"channel":"email"})").status, 409)
      << "no email on record";
  std::string to;
  std::string code = QueuedCode(*store_, tenant_, &to);
  ASSERT_EQ(code.size(), 6u);
  EXPECT_EQ(to, "+13125550188") << "the number on record";
  EXPECT_THAT(sent.body, ::testing::Not(::testing::HasSubstr(code)));
  std::string other = code == "111111" ? "222222" : "111111";
  HttpResult bad = Call("POST", conv + "/verification/confirm", R"({"code":")" + other + "\"}");
  ASSERT_EQ(bad.status, 200);
  EXPECT_EQ(Json(bad).at("result").as_string(), "wrong_code");
  HttpResult good = Call("POST", conv + "/verification/confirm", R"({"code":")" + code + "\"}");
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(Json(good).at("result").as_string(), "verified");

  view = Json(Call("GET", conv));
  EXPECT_EQ(view.at("patient").at("date_of_birth").as_string(), "1970-01-02");
  EXPECT_FALSE(view.at("patient").as_object().contains("masked"));
  EXPECT_EQ(view.at("verification").at("may_disclose").as_array().size(), 4u);
  EXPECT_EQ(Call("POST", conv + "/replies", R"({"text":"Your HIV results are negative."})").status,
            201);
  clock_.Advance(std::chrono::hours(9));
  EXPECT_EQ(Json(Call("GET", conv)).at("verification").at("state").as_string(), "expired");
  HttpResult again = Call("POST", conv + "/replies", R"({"text":"Your lab results are back."})");
  EXPECT_EQ(again.status, 409) << "verification lasts 8 hours";
  HttpResult forced = Call("POST", conv + "/replies",
                           R"({"text":"Your lab results are back.","override_phi_warning":true})");
  EXPECT_EQ(forced.status, 201);

  api_->FlushAudit();
  auto trail = store::ReadValue<std::vector<store::AuditRecord>>(
      *store_, tenant_, [](store::TenantTx& tx) { return tx.AuditTrail(std::nullopt, 0, 500); });
  std::multiset<std::string> seen;
  for (const auto& r : *trail) {
    if (r.action.starts_with("verify") || r.action == "override")
      seen.insert(r.action + ":" + r.detail);
  }
  EXPECT_EQ(seen,
            (std::multiset<std::string>{"verify_details:does_not_match", "verify_details:matches",
                                        "verify_code_sent:sms", "verify_code:wrong_code",
                                        "verify_code:verified", "override:clinical"}));
}

TEST_F(ApiTest, SocialEngineeringIsFlaggedAndSupervisorsAlerted) {
  std::string supervisor = MakeUser(tenant_, "sup@clinic.example", core::Role::kSupervisor);
  HttpResult first = Call("POST", "/api/v1/messages",
                          R"({"channel":"sms","from":"+13125550188","text":"hi",)"
                          R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})");
  std::string patient = std::to_string(Json(first).at("patient_id").as_int64());
  // Someone else's phone, on this patient's matter, who knows the name and birthday.
  HttpResult in = Call("POST", "/api/v1/messages",
                       R"({"channel":"sms","from":"+13125550177","patient_id":)" + patient +
                           R"(,"text":"I am his wife, what did his biopsy show?"})");
  ASSERT_EQ(in.status, 201) << in.body;
  std::string conv =
      "/api/v1/conversations/" + std::to_string(Json(in).at("conversation_id").as_int64());
  HttpResult check = Call("POST", conv + "/verification/check",
                          R"({"name":"Zebulon Quartz","date_of_birth":"1970-01-02"})");
  ASSERT_EQ(check.status, 200);
  EXPECT_TRUE(Json(check).at("verification").at("flagged").as_bool());
  EXPECT_THAT(std::string(Json(check).at("verification").at("guidance").as_string()),
              ::testing::HasSubstr("disclose nothing"));
  EXPECT_EQ(Call("GET", "/api/v1/alerts").status, 403) << "agents do not see alerts";
  HttpResult alerts = Call("GET", "/api/v1/alerts", {}, &supervisor);
  ASSERT_EQ(alerts.status, 200);
  json::array items = Json(alerts).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items.at(0).at("reason").as_string(),
            "writing from a number that is not the one on record");

  // Three wrong guesses lock the verification (another patient, on their own number).
  HttpResult second = Call("POST", "/api/v1/messages",
                           R"({"channel":"sms","from":"+13125550166","text":"hi",)"
                           R"("patient":{"name":"Wanda Ng","date_of_birth":"1980-05-06"}})");
  std::string first_conv =
      "/api/v1/conversations/" + std::to_string(Json(second).at("conversation_id").as_int64());
  for (const char* dob : {"1970-02-01", "1969-01-02", "1970-01-03"}) {
    EXPECT_EQ(Json(Call("POST", first_conv + "/verification/check",
                        R"({"name":"Wanda Ng","date_of_birth":")" + std::string(dob) + "\"}"))
                  .at("result")
                  .as_string(),
              "does_not_match");
  }
  HttpResult locked = Call("POST", first_conv + "/verification/check",
                           R"({"name":"Wanda Ng","date_of_birth":"1980-05-06"})");
  EXPECT_EQ(locked.status, 409) << "even the right answer, once locked";
  EXPECT_EQ(Json(Call("GET", first_conv + "/verification")).at("state").as_string(), "failed");
  EXPECT_EQ(Json(Call("GET", "/api/v1/alerts", {}, &supervisor)).at("items").as_array().size(), 2u);
  json::object events = Json(Call("GET", first_conv));
  bool evented = false;
  for (const auto& e : events.at("events").as_array()) {
    evented = evented || e.at("type").as_string() == "social_engineering_suspected";
  }
  EXPECT_TRUE(evented);
}

TEST_F(ApiTest, RepresentativesAreVerifiedInTheirOwnRightAndToldOnlyTheirScope) {
  HttpResult first = Call("POST", "/api/v1/messages",
                          R"({"channel":"sms","from":"+13125550188","text":"hi",)"
                          R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})");
  std::string patient = std::to_string(Json(first).at("patient_id").as_int64());
  HttpResult rep =
      Call("POST", "/api/v1/patients/" + patient + "/representatives",
           R"({"name":"Ada Quartz","relationship":"Spouse","date_of_birth":"1972-03-04",)"
           R"("phone":"(312) 555-0177","scope":["scheduling","scheduling"]})");
  ASSERT_EQ(rep.status, 201) << rep.body;
  EXPECT_EQ(Json(rep).at("phone").as_string(), "+13125550177");
  EXPECT_EQ(Json(rep).at("scope").as_array().size(), 1u);
  std::string rep_id = std::to_string(Json(rep).at("id").as_int64());
  for (
      const char* bad :
      {R"({"name":"X","relationship":"spouse","date_of_birth":"1972-03-04","scope":[]})",
       R"({"name":"X","relationship":"spouse","date_of_birth":"1972-03-04","scope":["all"]})",
       R"({"name":"X","relationship":"spouse","date_of_birth":"3000-01-01","scope":["billing"]})",
       R"({"name":"","relationship":"spouse","date_of_birth":"1972-03-04","scope":["billing"]})",
       R"({"name":"X","relationship":"spouse","date_of_birth":"1972-03-04","phone":"call me","scope":["billing"]})"}) {
    EXPECT_EQ(Call("POST", "/api/v1/patients/" + patient + "/representatives", bad).status, 400)
        << bad;
  }
  EXPECT_EQ(
      Call(
          "POST", "/api/v1/patients/" + patient + "/representatives",
          R"({"name":"X","relationship":"spouse","date_of_birth":"1972-03-04","scope":["billing"]})",
          &other_token_)
          .status,
      404);

  HttpResult in = Call("POST", "/api/v1/messages",
                       R"({"channel":"sms","from":"+13125550177","patient_id":)" + patient +
                           R"(,"text":"Calling for my husband about his appointment"})");
  std::string conv =
      "/api/v1/conversations/" + std::to_string(Json(in).at("conversation_id").as_int64());
  HttpResult as_patient = Call("POST", conv + "/verification/check",
                               R"({"name":"Ada Quartz","date_of_birth":"1972-03-04"})");
  EXPECT_EQ(Json(as_patient).at("result").as_string(), "does_not_match")
      << "she is not the patient";
  HttpResult as_rep = Call(
      "POST", conv + "/verification/check",
      R"({"name":"Ada Quartz","date_of_birth":"1972-03-04","representative_id":)" + rep_id + "}");
  ASSERT_EQ(as_rep.status, 200) << as_rep.body;
  EXPECT_EQ(Json(as_rep).at("result").as_string(), "matches");
  EXPECT_FALSE(Json(as_rep).at("verification").at("flagged").as_bool()) << "her own number";
  ASSERT_EQ(Call("POST", conv + "/verification/code", R"({"channel":"sms"})").status, 202);
  std::string to;
  std::string code = QueuedCode(*store_, tenant_, &to);
  EXPECT_EQ(to, "+13125550177") << "the representative's number on record";
  HttpResult ok = Call("POST", conv + "/verification/confirm", R"({"code":")" + code + "\"}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  json::object v = Json(ok).at("verification").as_object();
  EXPECT_EQ(v.at("subject").as_string(), "representative");
  EXPECT_EQ(v.at("may_disclose").as_array().size(), 1u);
  EXPECT_EQ(v.at("may_disclose").as_array().at(0).as_string(), "scheduling");
  EXPECT_TRUE(Json(Call("GET", conv)).at("patient").at("masked").as_bool()) << "no records scope";
  EXPECT_EQ(Call("POST", conv + "/replies", R"({"text":"He is booked Friday at 9:30."})").status,
            201);
  EXPECT_EQ(Call("POST", conv + "/replies", R"({"text":"His lab results are normal."})").status,
            409);

  EXPECT_EQ(Call("DELETE", "/api/v1/representatives/" + rep_id, {}, &other_token_).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/representatives/" + rep_id).status, 204);
  EXPECT_TRUE(Json(Call("GET", conv + "/verification")).at("may_disclose").as_array().empty())
      << "a revoked representative is told nothing";
  json::object listed = Json(Call("GET", "/api/v1/patients/" + patient + "/representatives"));
  EXPECT_FALSE(listed.at("items").as_array().at(0).at("revoked_at").is_null());
}

TEST_F(ApiTest, PublicSignInIsRateLimitedPerAddress) {
  http::ApiOptions limited;
  limited.public_rate_per_minute = 6;  // one every 10 s
  limited.public_burst = 3;
  limited.trusted_proxies = {"127.0.0.1"};
  api_ = std::make_unique<http::Api>(*store_, clock_, limited);
  auto attempt = [&](const std::string& from) {
    HttpCall c;
    c.method = "POST";
    c.target = "/api/v1/session";
    c.body = R"({"tenant":"clinic","email":"nobody@clinic.example","password":"x"})";
    c.headers = {{"X-Forwarded-For", from}};
    return Checked(c);
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(attempt("198.51.100.7").status, 401) << i;
  HttpResult limited_out = attempt("198.51.100.7");
  EXPECT_EQ(limited_out.status, 429);
  EXPECT_EQ(ErrorCode(limited_out), "rate_limited");
  EXPECT_EQ(limited_out.headers["retry-after"], "11");
  EXPECT_EQ(attempt("198.51.100.8").status, 401) << "another address has its own allowance";
  EXPECT_EQ(Call("GET", "/api/v1/me").status, 200) << "authenticated routes are not limited";
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(attempt("198.51.100.7").status, 401) << "refilled";
  EXPECT_EQ(attempt("198.51.100.7").status, 429);
}

TEST_F(ApiTest, AdminsManageStaffAndDeactivationEndsEverythingAtOnce) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  HttpResult made =
      Call("POST", "/api/v1/users",
           R"({"email":"New.Agent@Clinic.example","role":"agent","queues":["billing"],)"
           R"("languages":["es"],"password":"blue kettle morning"})",
           &admin);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(Json(made).at("email").as_string(), "new.agent@clinic.example");
  EXPECT_FALSE(Json(made).at("second_factor").as_bool());
  std::string id = std::to_string(Json(made).at("id").as_int64());
  for (
      const char* bad :
      {R"({"email":"x@clinic.example","role":"wizard","password":"blue kettle morning"})",
       R"({"email":"x@clinic.example","role":"agent","password":"password123"})",
       R"({"email":"not-an-email","role":"agent","password":"blue kettle morning"})",
       R"({"email":"x@clinic.example","role":"agent","queues":["Front Desk"],"password":"blue kettle morning"})"}) {
    EXPECT_EQ(Call("POST", "/api/v1/users", bad, &admin).status, 400) << bad;
  }
  EXPECT_EQ(
      Call(
          "POST", "/api/v1/users",
          R"({"email":"new.agent@clinic.example","role":"agent","password":"blue kettle morning"})",
          &admin)
          .status,
      409)
      << "the email is taken";
  json::object directory = Json(Call("GET", "/api/v1/users"));
  EXPECT_EQ(directory.at("items").as_array().size(), 3u) << "everyone sees the staff list";

  // The new agent signs in and holds a token; deactivation ends both at once.
  HttpResult in = SignIn("new.agent@clinic.example", "blue kettle morning");
  ASSERT_EQ(in.status, 201);
  Browser browser = BrowserOf(in);
  ASSERT_TRUE(SetUpSecondFactor(browser));
  HttpResult tok =
      Checked(browser.Call("POST", "/api/v1/tokens", R"({"name":"x","scopes":["inbox:read"]})"));
  ASSERT_EQ(tok.status, 201) << tok.body;
  std::string token(Json(tok).at("token").as_string());
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &token).status, 200);
  EXPECT_EQ(Call("PATCH", "/api/v1/users/" + id, R"({"active":false})").status, 403)
      << "agents do not manage staff";
  HttpResult off = Call("PATCH", "/api/v1/users/" + id, R"({"active":false})", &admin);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(Json(off).at("active").as_bool());
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &token).status, 401);
  EXPECT_EQ(Checked(browser.Call("GET", "/api/v1/me")).status, 401);
  EXPECT_EQ(SignIn("new.agent@clinic.example", "blue kettle morning").status, 401);

  std::string self =
      std::to_string(Json(Call("GET", "/api/v1/me", {}, &admin)).at("user_id").as_int64());
  EXPECT_EQ(Call("PATCH", "/api/v1/users/" + self, R"({"role":"agent"})", &admin).status, 409);
  EXPECT_EQ(Call("PATCH", "/api/v1/users/" + self, R"({"active":false})", &admin).status, 409);
  EXPECT_EQ(Call("PATCH", "/api/v1/users/" + id, R"({"role":"agent"})", &other_token_).status, 403);
}

TEST_F(ApiTest, ANewSignInBeyondTheCapEndsTheOldestSession) {
  http::ApiOptions capped;
  capped.max_sessions_per_user = 2;
  api_ = std::make_unique<http::Api>(*store_, clock_, capped);
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  ASSERT_EQ(Call("PATCH", "/api/v1/settings", R"({"require_second_factor":false})", &admin).status,
            200);
  std::vector<Browser> browsers;
  for (int i = 0; i < 3; ++i) browsers.push_back(BrowserOf(SignIn("agent@clinic.example")));
  EXPECT_EQ(Checked(browsers[0].Call("GET", "/api/v1/me")).status, 401) << "the oldest ended";
  EXPECT_EQ(Checked(browsers[1].Call("GET", "/api/v1/me")).status, 200);
  EXPECT_EQ(Checked(browsers[2].Call("GET", "/api/v1/me")).status, 200);
  EXPECT_EQ(
      Json(Checked(browsers[2].Call("GET", "/api/v1/sessions"))).at("items").as_array().size(), 2u);
}

TEST_F(ApiTest, AdminsResetALostSecondFactor) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  Browser browser = BrowserOf(SignIn("agent@clinic.example"));
  ASSERT_TRUE(SetUpSecondFactor(browser));
  std::string id = std::to_string(user_.value);
  EXPECT_EQ(Call("POST", "/api/v1/users/" + id + "/second-factor/reset", {}, &other_token_).status,
            403);
  EXPECT_EQ(Call("POST", "/api/v1/users/" + id + "/second-factor/reset", {}, &admin).status, 204);
  EXPECT_EQ(Checked(browser.Call("GET", "/api/v1/me")).status, 401) << "sessions ended";
  HttpResult again = SignIn("agent@clinic.example");
  ASSERT_EQ(again.status, 201) << "the password alone, once more";
  EXPECT_EQ(Json(again).at("second_factor").as_string(), "setup_required");
}

TEST_F(ApiTest, ChangingThePasswordEndsTheOtherSessions) {
  HttpResult a = SignIn("agent@clinic.example");
  Browser laptop = BrowserOf(a);
  ASSERT_TRUE(SetUpSecondFactor(laptop));
  HttpResult b = SignIn("agent@clinic.example", "correct horse battery",
                        R"(,"code":")" + Code(laptop, 1) + "\"");
  Browser phone = BrowserOf(b);
  HttpResult wrong =
      Checked(laptop.Call("POST", "/api/v1/me/password",
                          R"({"current_password":"guess","new_password":"blue kettle morning"})"));
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(Json(wrong).at("error").at("field").as_string(), "current_password");
  HttpResult weak = Checked(
      laptop.Call("POST", "/api/v1/me/password",
                  R"({"current_password":"correct horse battery","new_password":"password1"})"));
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(Json(weak).at("error").at("field").as_string(), "new_password");
  EXPECT_EQ(Checked(phone.Call("GET", "/api/v1/me")).status, 200);
  EXPECT_EQ(
      Checked(
          laptop.Call(
              "POST", "/api/v1/me/password",
              R"({"current_password":"correct horse battery","new_password":"blue kettle morning"})"))
          .status,
      204);
  EXPECT_EQ(Checked(laptop.Call("GET", "/api/v1/me")).status, 200) << "this session stays";
  EXPECT_EQ(Checked(phone.Call("GET", "/api/v1/me")).status, 401) << "the others end";
  EXPECT_EQ(SignIn("agent@clinic.example", "correct horse battery",
                   R"(,"code":")" + Code(laptop, 1) + "\"")
                .status,
            401);
  EXPECT_EQ(
      SignIn("agent@clinic.example", "blue kettle morning", R"(,"code":")" + Code(laptop, 1) + "\"")
          .status,
      201);
}

TEST_F(ApiTest, ClientAddressComesFromTrustedProxiesOnly) {
  auto address_of_sign_in = [&](const std::string& forwarded) {
    HttpCall login;
    login.method = "POST";
    login.target = "/api/v1/session";
    login.body = R"({"tenant":"clinic","email":"agent@clinic.example","password":"correct )"
                 R"(horse battery"})";
    login.headers = {{"X-Forwarded-For", forwarded}};
    HttpResult r = Checked(login);
    EXPECT_EQ(r.status, 201) << r.body;
    api_->FlushAudit();
    auto trail = store::ReadValue<std::vector<store::AuditRecord>>(
        *store_, tenant_, [](store::TenantTx& tx) { return tx.AuditTrail(std::nullopt, 0, 1000); });
    return trail && !trail->empty() ? trail->back().remote_address : std::string("none");
  };
  EXPECT_EQ(address_of_sign_in("203.0.113.9"), "127.0.0.1") << "no proxy trusted: ignored";
  http::ApiOptions behind_proxy;
  behind_proxy.trusted_proxies = {"127.0.0.1"};
  api_ = std::make_unique<http::Api>(*store_, clock_, behind_proxy);
  EXPECT_EQ(address_of_sign_in("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(address_of_sign_in("198.51.100.1, 2001:db8::7"), "2001:db8::7")
      << "the address the proxy appended, not what the client sent before it";
  EXPECT_EQ(address_of_sign_in("not-an-address"), "127.0.0.1");
}

TEST_F(ApiTest, TokensAreScopedExpiringAndRevocable) {
  HttpResult made = Call("POST", "/api/v1/tokens",
                         R"({"name":"wallboard","scopes":["inbox:read"],"expires_in_days":1})");
  ASSERT_EQ(made.status, 201) << made.body;
  std::string reader(Json(made).at("token").as_string());
  std::string id = std::to_string(Json(made).at("id").as_int64());
  EXPECT_THAT(reader, ::testing::StartsWith("cdk_"));
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &reader).status, 200);
  HttpResult out_of_scope = Call("GET", "/api/v1/patients", {}, &reader);
  EXPECT_EQ(out_of_scope.status, 403);
  EXPECT_THAT(out_of_scope.body, ::testing::HasSubstr("patients:read"));
  EXPECT_EQ(Call("POST", "/api/v1/messages",
                 R"({"channel":"sms","from":"+13125550100","text":"x"})", &reader)
                .status,
            403);
  EXPECT_EQ(Call("GET", "/api/v1/tokens", {}, &reader).status, 403) << "needs the account scope";
  HttpResult me = Call("GET", "/api/v1/me", {}, &reader);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(Json(me).at("scopes").as_array().size(), 1u);

  // A token cannot make a token with more than it has.
  HttpResult manager =
      Call("POST", "/api/v1/tokens", R"({"name":"manager","scopes":["account","inbox:read"]})");
  ASSERT_EQ(manager.status, 201);
  std::string limited(Json(manager).at("token").as_string());
  EXPECT_EQ(
      Call("POST", "/api/v1/tokens", R"({"name":"x","scopes":["patients:read"]})", &limited).status,
      403);
  EXPECT_EQ(
      Call("POST", "/api/v1/tokens", R"({"name":"x","scopes":["inbox:read"]})", &limited).status,
      201);
  // Bad requests change nothing.
  for (const char* bad : {R"({"name":"x","scopes":["everything"]})", R"({"name":"x","scopes":[]})",
                          R"({"name":"","scopes":["inbox:read"]})",
                          R"({"name":"x","scopes":["inbox:read"],"expires_in_days":0})",
                          R"({"name":"x","scopes":["inbox:read"],"expires_in_days":366})",
                          R"({"name":"x","scopes":"inbox:read"})",
                          R"({"name":"x","scopes":["inbox:read"],"ttl":1})"}) {
    EXPECT_EQ(Call("POST", "/api/v1/tokens", bad).status, 400) << bad;
  }
  HttpResult listed = Call("GET", "/api/v1/tokens");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(Json(listed).at("items").as_array().size(), 4u) << "the fixture's, 3 made here";
  EXPECT_THAT(listed.body, ::testing::Not(::testing::HasSubstr(reader))) << "secrets never shown";

  // Revoked: refused at once, though a verification was just cached.
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &reader).status, 200);
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id, {}, &other_token_).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &reader).status, 401);
  json::object after = Json(Call("GET", "/api/v1/tokens"));
  bool seen_revoked = false;
  for (const auto& t : after.at("items").as_array()) {
    if (std::to_string(t.at("id").as_int64()) == id) seen_revoked = !t.at("revoked_at").is_null();
  }
  EXPECT_TRUE(seen_revoked);
  // Expired: a day later a one-day token is refused; the 90-day default still works.
  HttpResult short_lived = Call("POST", "/api/v1/tokens",
                                R"({"name":"short","scopes":["inbox:read"],"expires_in_days":1})");
  std::string brief(Json(short_lived).at("token").as_string());
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &brief).status, 200);
  clock_.Advance(std::chrono::hours(24) + std::chrono::seconds(2));
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &brief).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/conversations", {}, &limited).status, 200) << "90 days";
}

TEST_F(ApiTest, LogsCarryNoPatientInformation) {
  std::string log_path = (dir_ / "stderr.log").string();
  std::fflush(stderr);
  int saved = ::dup(2);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, 2);
  Call(
      "POST", "/api/v1/messages",
      R"({"channel":"sms","from":"312-555-0188","text":"my HIV test results please","patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})");
  Call("GET", "/api/v1/conversations?q=hiv");
  Call("GET", "/api/v1/patients?q=Zebulon");
  Call("POST", "/api/v1/messages", R"({"channel":"sms","from":"zebulon@example.com","text":5})");
  Call("GET", "/api/v1/conversations/1", {}, &other_token_);
  Call("GET", "/api/v1/patients/Zebulon%20Quartz");  // no such route: 404
  Call("DELETE", "/api/v1/patients/1");              // wrong method: 405
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(log_path);
  std::string logs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(logs, ::testing::HasSubstr("http_request")) << "the access log is on";
  EXPECT_THAT(logs, ::testing::HasSubstr(R"("route":"/api/v1/conversations/{id}")"));
  EXPECT_THAT(logs, ::testing::HasSubstr(R"x("route":"(no route)","status":404)x"));
  EXPECT_THAT(logs, ::testing::HasSubstr(R"x("route":"(method not allowed)","status":405)x"));
  for (const char* phi :
       {"HIV", "hiv", "Zebulon", "zebulon", "Quartz", "0188", "1970-01-02", "results"}) {
    EXPECT_THAT(logs, ::testing::Not(::testing::HasSubstr(phi))) << phi;
  }
}

// Sign-in through the practice's OpenID Connect provider, against a fake provider that speaks
// the protocol over real HTTP and signs with its own RSA key.
class OidcTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    http::ApiOptions options;
    options.public_url = "https://desk.example-clinic.org";
    options.secure_cookies = false;
    options.public_rate_per_minute = 100000;  // the per-address rate is another test's
    options.public_burst = 1000;
    api_ = std::make_unique<http::Api>(*store_, clock_, options);
    admin_ = MakeUser(tenant_, "it@clinic.example", core::Role::kAdmin);
    HttpResult put = Call("PUT", "/api/v1/settings/oidc",
                          json::serialize(json::object{{"enabled", true},
                                                       {"issuer", idp_.issuer()},
                                                       {"client_id", "caredesk"},
                                                       {"client_secret", "s3cret-of-the-client"}}),
                          &admin_);
    ASSERT_EQ(put.status, 200) << put.body;
  }

  // The ID token's claims a real sign-in of agent@clinic.example would carry.
  FakeIdpLogin Agent() {
    FakeIdpLogin login;
    std::int64_t now = ToEpochMillis(clock_.Now()) / 1000;
    login.claims = {{"email", "agent@clinic.example"},
                    {"email_verified", true},
                    {"amr", json::array{"pwd", "mfa"}},
                    {"iat", now},
                    {"exp", now + 300}};
    return login;
  }

  struct Attempt {
    HttpResult start;
    std::string cookie;                          // "caredesk_oidc=..."
    std::map<std::string, std::string> request;  // the authorization request's parameters
  };
  Attempt Start(const std::string& slug = "clinic") {
    HttpCall c;
    c.target = "/api/v1/auth/oidc/start?tenant=" + slug;
    Attempt a;
    a.start = Checked(c);
    if (a.start.status != 302) return a;
    const std::string& cookie = a.start.headers["set-cookie"];
    a.cookie = cookie.substr(0, cookie.find(';'));
    const std::string& location = a.start.headers["location"];
    for (auto& [k, v] : http::ParseQuery(location.substr(location.find('?') + 1))) {
      a.request[k] = v;
    }
    return a;
  }
  HttpResult Callback(const std::string& code, const std::string& state,
                      const std::string& cookie) {
    HttpCall c;
    c.target = "/api/v1/auth/oidc/callback?" +
               net::FormEncode({{"code", code}, {"state", state}, {"session_state", "x"}});
    if (!cookie.empty()) c.headers = {{"Cookie", cookie}};
    return Checked(c);
  }
  // The whole round trip for `login`; the callback's answer.
  HttpResult SignInThroughProvider(const FakeIdpLogin& login) {
    Attempt a = Start();
    EXPECT_EQ(a.start.status, 302) << a.start.body;
    std::string code = idp_.Authorize(a.request, login);
    EXPECT_FALSE(code.empty());
    return Callback(code, a.request["state"], a.cookie);
  }
  std::size_t OpenSessions() {
    HttpResult r = Call("GET", "/api/v1/sessions?user_id=all", {}, &admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r).at("items").as_array().size();
  }
  std::vector<store::AuditRecord> Audit() {
    std::vector<store::AuditRecord> out;
    EXPECT_TRUE(store_->Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(out, tx.AuditTrail(std::nullopt, 0, 1000));
      return {};
    }));
    return out;
  }

  testing::FakeIdp idp_{"caredesk", "s3cret-of-the-client"};
  std::string admin_;
};

TEST_F(OidcTest, AStaffMemberSignsInThroughTheProviderAndIsLinkedToTheirAccount) {
  Attempt a = Start();
  ASSERT_EQ(a.start.status, 302) << a.start.body;
  // The authorization request: code flow, PKCE S256, our redirect URI, a state naming the
  // practice, a nonce; the browser's secret in an HttpOnly cookie that survives the redirect.
  EXPECT_TRUE(a.start.headers["location"].starts_with(idp_.issuer() + "/protocol/auth?"));
  EXPECT_EQ(a.request["response_type"], "code");
  EXPECT_EQ(a.request["client_id"], "caredesk");
  EXPECT_EQ(a.request["redirect_uri"], "https://desk.example-clinic.org/api/v1/auth/oidc/callback");
  EXPECT_EQ(a.request["code_challenge_method"], "S256");
  EXPECT_EQ(a.request["code_challenge"].size(), 43u);
  EXPECT_EQ(a.request["state"].substr(0, a.request["state"].find('.')),
            std::to_string(tenant_.value));
  EXPECT_FALSE(a.request["nonce"].empty());
  EXPECT_THAT(a.start.headers["set-cookie"], ::testing::HasSubstr("HttpOnly; SameSite=Lax"));
  EXPECT_THAT(a.start.headers["set-cookie"], ::testing::HasSubstr("Path=/api/v1/auth/oidc"));

  std::string code = idp_.Authorize(a.request, Agent());
  HttpResult done = Callback(code, a.request["state"], a.cookie);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_THAT(done.body, ::testing::HasSubstr("url=/"));
  EXPECT_EQ(idp_.token_requests(), 1);
  // The session cookie, and the attempt's cookie cleared.
  const std::string& cookies = done.headers["set-cookie"];
  EXPECT_THAT(cookies, ::testing::HasSubstr("caredesk_session="));
  EXPECT_THAT(cookies, ::testing::HasSubstr("SameSite=Strict"));
  EXPECT_THAT(cookies, ::testing::HasSubstr("caredesk_oidc=; Path=/api/v1/auth/oidc"));
  Browser b;
  b.cookie = cookies.substr(cookies.find("caredesk_session="));
  b.cookie = b.cookie.substr(0, b.cookie.find(';'));
  HttpResult me = Checked(b.Call("GET", "/api/v1/me"));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Json(me).at("user_id").as_int64(), user_.value);
  EXPECT_FALSE(Json(me).at("second_factor").at("setup_pending").as_bool());
  // The console learns its CSRF token from /me and can then change things.
  b.csrf = std::string(Json(me).at("csrf_token").as_string());
  EXPECT_EQ(Checked(b.Call("POST", "/api/v1/patients", R"({"name":"Pat Doe"})")).status, 201);

  // Linked: the provider's subject finds the user even after their email there changed.
  FakeIdpLogin renamed = Agent();
  renamed.claims["email"] = "a.agent@clinic.example";
  EXPECT_EQ(SignInThroughProvider(renamed).status, 200);
  std::multiset<std::string> actions;
  for (const auto& r : Audit()) {
    if (r.actor == user_) actions.insert(r.action + " " + r.detail);
  }
  EXPECT_EQ(actions.count("link_identity oidc"), 1u);
  EXPECT_EQ(actions.count("sign_in oidc+provider_mfa"), 2u);
  // Another provider identity claiming the same email cannot take the account over.
  FakeIdpLogin intruder = Agent();
  intruder.claims["sub"] = "user-2";
  EXPECT_EQ(SignInThroughProvider(intruder).status, 403);
  // Until an admin unlinks it (which also ends the user's sessions).
  HttpResult unlinked = Call("PATCH", "/api/v1/users/" + std::to_string(user_.value),
                             R"({"identity_provider_linked":false})", &admin_);
  ASSERT_EQ(unlinked.status, 200) << unlinked.body;
  EXPECT_FALSE(Json(unlinked).at("identity_provider_linked").as_bool());
  EXPECT_EQ(Checked(b.Call("GET", "/api/v1/me")).status, 401);
  EXPECT_EQ(SignInThroughProvider(intruder).status, 200);
  json::object listed = Json(Call("GET", "/api/v1/users", {}, &admin_));
  for (const auto& u : listed.at("items").as_array()) {
    EXPECT_EQ(u.at("identity_provider_linked").as_bool(), u.at("id").as_int64() == user_.value);
  }
}

TEST_F(OidcTest, ForgedOrMisdirectedAnswersAreRefusedAndOpenNoSession) {
  const std::size_t before = OpenSessions();
  std::int64_t now = ToEpochMillis(clock_.Now()) / 1000;
  struct Case {
    std::string what;
    std::function<void(FakeIdpLogin&)> change;
  };
  std::vector<Case> cases = {
      {"signed with a key the provider never published",
       [](FakeIdpLogin& l) { l.other_key = true; }},
      {"unsigned (alg none)", [](FakeIdpLogin& l) { l.alg = "none"; }},
      {"an HMAC algorithm", [](FakeIdpLogin& l) { l.alg = "HS256"; }},
      {"for another client", [](FakeIdpLogin& l) { l.claims["aud"] = "someone-else"; }},
      {"from another issuer",
       [](FakeIdpLogin& l) { l.claims["iss"] = "https://login.example.net/"; }},
      {"of another sign-in (nonce)", [](FakeIdpLogin& l) { l.claims["nonce"] = "replayed"; }},
      {"expired", [now](FakeIdpLogin& l) { l.claims["exp"] = now - 120; }},
      {"issued in the future", [now](FakeIdpLogin& l) { l.claims["iat"] = now + 600; }},
      {"without a subject", [](FakeIdpLogin& l) { l.claims["sub"] = ""; }},
  };
  for (const Case& c : cases) {
    FakeIdpLogin login = Agent();
    c.change(login);
    HttpResult r = SignInThroughProvider(login);
    EXPECT_EQ(r.status, 401) << c.what << ": " << r.body;
    EXPECT_EQ(r.headers.count("set-cookie"), 0u) << c.what;
  }
  // The browser's half of the attempt is required: another browser's state, no cookie, a
  // state this server never made, a code used twice.
  Attempt mine = Start();
  Attempt theirs = Start();
  std::string code = idp_.Authorize(mine.request, Agent());
  EXPECT_EQ(Callback(code, mine.request["state"], theirs.cookie).status, 400);
  EXPECT_EQ(Callback(code, mine.request["state"], "").status, 400);
  EXPECT_EQ(Callback(code, "x" + mine.request["state"], mine.cookie).status, 400);
  EXPECT_EQ(Callback(code, mine.request["state"], mine.cookie).status, 200);
  EXPECT_EQ(Callback(code, mine.request["state"], mine.cookie).status, 401) << "code reused";
  HttpCall refused;
  refused.target = "/api/v1/auth/oidc/callback?error=access_denied&state=" + mine.request["state"];
  EXPECT_EQ(Checked(refused).status, 401);
  EXPECT_EQ(OpenSessions(), before + 1) << "only the one good sign-in opened a session";
}

TEST_F(OidcTest, OnlyActiveStaffWithAProviderCheckedSecondFactorGetIn) {
  FakeIdpLogin unknown = Agent();
  unknown.claims["email"] = "stranger@clinic.example";
  unknown.claims["sub"] = "user-9";
  EXPECT_EQ(SignInThroughProvider(unknown).status, 403) << "nobody is created at sign-in";
  FakeIdpLogin unverified = Agent();
  unverified.claims["email_verified"] = false;
  EXPECT_EQ(SignInThroughProvider(unverified).status, 403) << "an unverified email links nobody";
  FakeIdpLogin password_only = Agent();
  password_only.claims["amr"] = json::array{"pwd"};
  HttpResult no_mfa = SignInThroughProvider(password_only);
  EXPECT_EQ(no_mfa.status, 403);
  EXPECT_THAT(no_mfa.body, ::testing::HasSubstr("second factor"));
  // A practice that does not require the second factor takes the provider's word alone.
  ASSERT_EQ(Call("PATCH", "/api/v1/settings", R"({"require_second_factor":false})", &admin_).status,
            200);
  EXPECT_EQ(SignInThroughProvider(password_only).status, 200);
  // ... or one that does not trust the provider's "mfa" refuses it.
  ASSERT_EQ(Call("PATCH", "/api/v1/settings", R"({"require_second_factor":true})", &admin_).status,
            200);
  HttpResult distrust = Call("PUT", "/api/v1/settings/oidc",
                             json::serialize(json::object{{"enabled", true},
                                                          {"issuer", idp_.issuer()},
                                                          {"client_id", "caredesk"},
                                                          {"accept_provider_mfa", false}}),
                             &admin_);
  ASSERT_EQ(distrust.status, 200) << distrust.body;
  EXPECT_EQ(SignInThroughProvider(Agent()).status, 403);
  // A deactivated user is refused even when linked.
  ASSERT_EQ(Call("PUT", "/api/v1/settings/oidc",
                 json::serialize(json::object{{"enabled", true},
                                              {"issuer", idp_.issuer()},
                                              {"client_id", "caredesk"},
                                              {"accept_provider_mfa", true}}),
                 &admin_)
                .status,
            200);
  EXPECT_EQ(SignInThroughProvider(Agent()).status, 200);
  ASSERT_EQ(
      Call("PATCH", "/api/v1/users/" + std::to_string(user_.value), R"({"active":false})", &admin_)
          .status,
      200);
  EXPECT_EQ(SignInThroughProvider(Agent()).status, 403);
}

TEST_F(OidcTest, TheProviderSettingsKeepTheSecretSealedAndCheckTheIssuer) {
  HttpResult got = Call("GET", "/api/v1/settings/oidc", {}, &admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Json(got).at("issuer").as_string(), idp_.issuer());
  EXPECT_TRUE(Json(got).at("client_secret_set").as_bool());
  EXPECT_EQ(Json(got).at("redirect_uri").as_string(),
            "https://desk.example-clinic.org/api/v1/auth/oidc/callback");
  EXPECT_EQ(got.body.find("s3cret"), std::string::npos) << "the secret is never shown";
  EXPECT_EQ(Call("GET", "/api/v1/settings/oidc").status, 403) << "admins only";
  // Not https (outside loopback), or a provider that does not answer: refused, nothing changed.
  auto put = [&](const std::string& issuer) {
    return Call("PUT", "/api/v1/settings/oidc",
                json::serialize(
                    json::object{{"enabled", true}, {"issuer", issuer}, {"client_id", "other"}}),
                &admin_);
  };
  HttpResult plain = put("http://login.example.org/realms/clinic");
  EXPECT_EQ(plain.status, 400);
  EXPECT_EQ(ErrorField(plain), "issuer");
  EXPECT_EQ(put("http://127.0.0.1:1/realms/clinic").status, 503);
  EXPECT_EQ(Json(Call("GET", "/api/v1/settings/oidc", {}, &admin_)).at("client_id").as_string(),
            "caredesk");
  // Sealed at rest: the database file does not hold the client secret.
  api_->FlushAudit();
  std::string bytes;
  for (const char* name : {"db.sqlite", "db.sqlite-wal"}) {
    std::ifstream in(dir_ / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("s3cret-of-the-client"), std::string::npos);
  // Another practice, or one without a provider, has no provider sign-in.
  EXPECT_EQ(Start("other").start.status, 404);
  EXPECT_EQ(Start("no-such-practice").start.status, 404);
  HttpCall no_tenant;
  no_tenant.target = "/api/v1/auth/oidc/start";
  EXPECT_EQ(Checked(no_tenant).status, 400);
  // Off: sign-in through the provider stops at once.
  ASSERT_EQ(
      Call("PUT", "/api/v1/settings/oidc",
           R"({"enabled":false,"issuer":"https://login.example.org","client_id":"x"})", &admin_)
          .status,
      200);
  EXPECT_EQ(Start().start.status, 404);
}

TEST(JwtTest, OnlyAnRs256SignatureByAPublishedKeyVerifies) {
  testing::FakeIdp idp("c", "s");
  json::value keys = idp.Jwks();
  json::object claims{{"sub", "1"}};
  auto check = [&](const std::string& token) {
    auto jwt = security::ParseJwt(token);
    if (!jwt) return false;
    return static_cast<bool>(security::VerifyJwtSignature(*jwt, keys));
  };
  json::object header{{"alg", "RS256"}, {"kid", "key-1"}};
  std::string good = idp.Sign(header, claims, false);
  EXPECT_TRUE(check(good));
  EXPECT_FALSE(check(idp.Sign(header, claims, true))) << "another key";
  std::string tampered = good;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_FALSE(check(tampered)) << "claims changed after signing";
  EXPECT_FALSE(check(idp.Sign({{"alg", "RS256"}, {"kid", "key-2"}}, claims, false)))
      << "a key id the provider does not have";
  EXPECT_TRUE(check(idp.Sign({{"alg", "RS256"}}, claims, false))) << "the only key, no kid";
  EXPECT_FALSE(check(idp.Sign({{"alg", "none"}}, claims, false)));
  EXPECT_FALSE(check(idp.Sign({{"alg", "RS512"}, {"kid", "key-1"}}, claims, false)));
  for (const char* malformed :
       {"", "a.b", "a.b.c.d", "!!.e30.c2ln", "e30.e30.", "bnVsbA.e30.c2ln"}) {
    EXPECT_FALSE(check(malformed)) << malformed;
  }
  // A key set with a short RSA key is refused.
  json::value weak = keys;
  std::string n(weak.at("keys").at(0).at("n").as_string());
  weak.at("keys").at(0).as_object()["n"] = n.substr(0, 100);
  auto jwt = security::ParseJwt(good);
  ASSERT_TRUE(jwt);
  EXPECT_FALSE(security::VerifyJwtSignature(*jwt, weak));
}

// The outbox sender delivering one-time codes through a Twilio-compatible provider (a fake that
// speaks its wire format over loopback HTTP). The sender's passes are run by the test, on the
// fixture's clock.
class OutboxTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    admin_ = MakeUser(tenant_, "it@clinic.example", core::Role::kAdmin);
    sender_ = std::make_unique<jobs::OutboxSender>(
        *store_, clock_, std::map<std::string, jobs::OutboundGateway*>{{"sms", &sms_}});
  }
  HttpResult SetUpSms(json::object extra = {}) {
    json::object body{{"account_sid", "AC0123456789"},
                      {"auth_token", "auth-token-of-the-practice"},
                      {"from", "+13125550100"},
                      {"base_url", twilio_.base_url()}};
    for (const auto& [k, v] : extra) body[k] = v;
    return Call("PUT", "/api/v1/settings/sms", json::serialize(body), &admin_);
  }
  // A conversation with a patient whose phone on record is +1 312 555 0188.
  std::string Conversation() {
    HttpResult in = Call("POST", "/api/v1/messages",
                         R"({"channel":"sms","from":"+13125550188","text":"Are my results in?",)"
                         R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"}})");
    EXPECT_EQ(in.status, 201) << in.body;
    return "/api/v1/conversations/" + std::to_string(Json(in).at("conversation_id").as_int64());
  }
  // The agent checks the stated details, then asks for a code by text: the answer's status.
  int RequestCode(const std::string& conv) {
    HttpResult check = Call("POST", conv + "/verification/check",
                            R"({"name":"Zebulon Quartz","date_of_birth":"1970-01-02"})");
    EXPECT_EQ(check.status, 200) << check.body;
    return Call("POST", conv + "/verification/code", R"({"channel":"sms"})").status;
  }
  int Pass() {
    auto ran = sender_->RunOnce();
    EXPECT_TRUE(ran);
    return ran ? *ran : -1;
  }
  // The reasons of the conversation's outbound_failed events.
  std::vector<std::string> Failures(const std::string& conv) {
    std::vector<std::string> out;
    json::object view = Json(Call("GET", conv));
    for (const auto& e : view.at("events").as_array()) {
      if (e.at("type").as_string() == "outbound_failed") {
        out.emplace_back(e.at("data").at("reason").as_string());
      }
    }
    return out;
  }

  testing::FakeTwilio twilio_{"AC0123456789", "auth-token-of-the-practice"};
  channels::TwilioGateway sms_;
  std::unique_ptr<jobs::OutboxSender> sender_;
  std::string admin_;
};

TEST_F(OutboxTest, ACodeReachesThePhoneOnRecordThroughThePracticesProvider) {
  HttpResult set = SetUpSms();
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_TRUE(Json(set).at("auth_token_set").as_bool());
  EXPECT_EQ(set.body.find("auth-token-of"), std::string::npos) << "the token is never shown";
  std::string conv = Conversation();
  ASSERT_EQ(RequestCode(conv), 202);
  EXPECT_EQ(Pass(), 1);
  auto sent = twilio_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "+13125550188") << "the number on record";
  EXPECT_EQ(sent[0].from, "+13125550100") << "the practice's number";
  auto at = sent[0].body.find("code is ");
  ASSERT_NE(at, std::string::npos) << sent[0].body;
  std::string code = sent[0].body.substr(at + 8, 6);
  EXPECT_EQ(Pass(), 0) << "sent once";
  HttpResult confirmed =
      Call("POST", conv + "/verification/confirm", R"({"code":")" + code + "\"}");
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(Json(confirmed).at("result").as_string(), "verified");
  EXPECT_TRUE(Failures(conv).empty());
  // The provider's token is sealed at rest.
  std::string bytes;
  for (const char* name : {"db.sqlite", "db.sqlite-wal"}) {
    std::ifstream in(dir_ / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(bytes.find("auth-token-of-the-practice"), std::string::npos);
}

TEST_F(OutboxTest, BusyProvidersAreRetriedWithBackoffAndRefusalsShowInTheConversation) {
  ASSERT_EQ(SetUpSms().status, 200);
  std::string conv = Conversation();
  twilio_.FailNext(429);  // "too many requests": not acted on, so safe to ask again
  twilio_.FailNext(429);
  ASSERT_EQ(RequestCode(conv), 202);
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(Pass(), 0) << "not due again yet";
  clock_.Advance(std::chrono::seconds(31));
  EXPECT_EQ(Pass(), 1) << "retried after 30 s";
  clock_.Advance(std::chrono::seconds(31));
  EXPECT_EQ(Pass(), 0) << "the second retry waits 60 s";
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(twilio_.requests(), 3);
  EXPECT_EQ(twilio_.sent().size(), 1u);
  EXPECT_TRUE(Failures(conv).empty());
  // A refusal (Twilio's 21211: not a valid number) is final and the agent sees why.
  twilio_.FailNext(400, 21211);
  ASSERT_EQ(RequestCode(conv), 202);
  EXPECT_EQ(Pass(), 1);
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(Pass(), 0) << "not retried";
  auto failures = Failures(conv);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], ::testing::HasSubstr("21211"));
  EXPECT_THAT(failures[0], ::testing::Not(::testing::HasSubstr("0188"))) << "no phone number";
  // A server error may have sent the text anyway: without a provider that drops repeats it is
  // not asked again.
  twilio_.FailNext(503);
  ASSERT_EQ(RequestCode(conv), 202);
  EXPECT_EQ(Pass(), 1);
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(Pass(), 0);
  failures = Failures(conv);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_THAT(failures[1], ::testing::HasSubstr("outcome is unknown"));
  // Wrong credentials are final too.
  ASSERT_EQ(SetUpSms({{"auth_token", "stale"}}).status, 200);
  ASSERT_EQ(RequestCode(conv), 202);
  EXPECT_EQ(Pass(), 1);
  failures = Failures(conv);
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_THAT(failures[2], ::testing::HasSubstr("credentials"));
}

TEST_F(OutboxTest, ASendInterruptedByACrashIsNeverDoubled) {
  ASSERT_EQ(SetUpSms().status, 200);
  std::string conv = Conversation();
  auto claim_and_die = [&] {
    // A sender claims the item and dies before recording what happened.
    auto due = store_->DueOutbound(clock_.Now(), 10);
    EXPECT_TRUE(due && due->size() == 1u);
    std::optional<store::OutboxItem> item;
    EXPECT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(item, tx.ClaimOutbound(due->at(0).id, clock_.Now(), std::chrono::seconds(60)));
      return {};
    }));
    EXPECT_TRUE(item.has_value());
    return item ? item->id : 0;
  };
  ASSERT_EQ(RequestCode(conv), 202);
  claim_and_die();
  EXPECT_EQ(Pass(), 0) << "still claimed";
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(twilio_.requests(), 0) << "Twilio cannot drop a repeat, so the outcome stays unknown";
  auto failures = Failures(conv);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], ::testing::HasSubstr("interrupted"));

  // A provider that drops repeated keys gets the same key again, and the patient one text.
  ASSERT_EQ(SetUpSms({{"idempotency_header", "Idempotency-Key"}}).status, 200);
  ASSERT_EQ(RequestCode(conv), 202);
  std::int64_t id = claim_and_die();
  jobs::OutboundMessage first;
  first.recipient = "+13125550188";
  first.body = "the text that went out before the crash";
  first.idempotency_key = "caredesk-" + std::to_string(tenant_.value) + "-" + std::to_string(id);
  auto settings = store::ReadValue<std::optional<store::ChannelSettings>>(
      *store_, tenant_, [](store::TenantTx& tx) { return tx.GetChannelSettings("sms"); });
  ASSERT_TRUE(settings && *settings);
  ASSERT_EQ(sms_.Send(first, **settings).kind, jobs::SendResult::Kind::kSent);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(twilio_.requests(), 2) << "asked again";
  EXPECT_EQ(twilio_.sent().size(), 1u) << "and delivered once";
  EXPECT_EQ(Failures(conv).size(), 1u) << "no new failure";
  EXPECT_EQ(Pass(), 0);
}

TEST_F(OutboxTest, WithoutAProviderTheAgentIsToldAtOnceAndSettingsAreChecked) {
  std::string conv = Conversation();
  // Without a mail server set up, email codes are refused up front; an email item that reaches
  // a sender without an email gateway fails with the reason in the conversation.
  HttpResult check = Call("POST", conv + "/verification/check",
                          R"({"name":"Zebulon Quartz","date_of_birth":"1970-01-02"})");
  ASSERT_EQ(check.status, 200);
  ASSERT_EQ(Call("PATCH",
                 "/api/v1/patients/" +
                     std::to_string(Json(Call("GET", conv)).at("patient").at("id").as_int64()),
                 R"({"email":"zebulon@example.com"})")
                .status,
            200);
  HttpResult by_email = Call("POST", conv + "/verification/code", R"({"channel":"email"})");
  EXPECT_EQ(by_email.status, 409);
  EXPECT_THAT(by_email.body, ::testing::HasSubstr("no mail server set up"));
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::OutboxItem item;
    item.conversation = ConversationId{std::stoll(conv.substr(conv.rfind('/') + 1))};
    item.channel = "email";
    item.recipient = "zebulon@example.com";
    item.body = "a follow-up";
    item.purpose = "test";
    item.created_at = clock_.Now();
    return tx.QueueOutbound(item).has_value() ? Result<void>{} : Internal("queue failed");
  }));
  EXPECT_EQ(Pass(), 1);
  auto failures = Failures(conv);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], ::testing::HasSubstr("this server has no sender for email"));
  // A practice without an SMS provider is told so when the agent asks for a code.
  TenantId third;
  std::string third_token = MakeTenantWithUser("third", "agent@third.example", &third, nullptr);
  HttpResult in = Call("POST", "/api/v1/messages",
                       R"({"channel":"sms","from":"+13125550177","text":"hi",)"
                       R"("patient":{"name":"Ada Lovelace","date_of_birth":"1980-12-10"}})",
                       &third_token);
  ASSERT_EQ(in.status, 201);
  std::string theirs =
      "/api/v1/conversations/" + std::to_string(Json(in).at("conversation_id").as_int64());
  ASSERT_EQ(Call("POST", theirs + "/verification/check",
                 R"({"name":"Ada Lovelace","date_of_birth":"1980-12-10"})", &third_token)
                .status,
            200);
  HttpResult no_sms =
      Call("POST", theirs + "/verification/code", R"({"channel":"sms"})", &third_token);
  EXPECT_EQ(no_sms.status, 409);
  EXPECT_THAT(no_sms.body, ::testing::HasSubstr("no SMS provider"));
  // Settings: admins only, checked field by field, nothing stored on a refusal.
  HttpResult shown = Call("GET", "/api/v1/settings/sms", {}, &admin_);
  ASSERT_EQ(shown.status, 200);
  EXPECT_TRUE(Json(shown).at("configured").as_bool());
  EXPECT_EQ(Json(shown).at("base_url").as_string(), "http://127.0.0.1:9");
  EXPECT_EQ(Call("GET", "/api/v1/settings/sms").status, 403) << "admins only";
  struct Bad {
    json::object body;
    std::string field;
  };
  std::vector<Bad> bad = {
      {{{"account_sid", "AC1"}, {"from", "+13125550100"}, {"auth_token", ""}}, "auth_token"},
      {{{"account_sid", "AC1"}, {"from", "555-0100"}, {"auth_token", "t"}}, "from"},
      {{{"account_sid", "AC1"},
        {"from", "+13125550100"},
        {"auth_token", "t"},
        {"base_url", "http://sms.example.org"}},
       "base_url"},
      {{{"from", "+13125550100"}, {"auth_token", "t"}}, "account_sid"},
  };
  for (const Bad& b : bad) {
    HttpResult r = Call("PUT", "/api/v1/settings/sms", json::serialize(b.body), &admin_);
    EXPECT_EQ(r.status, 400) << json::serialize(b.body);
    if (r.status == 400) {
      EXPECT_EQ(ErrorField(r), b.field) << r.body;
    }
  }
  EXPECT_EQ(Json(Call("GET", "/api/v1/settings/sms", {}, &admin_)).at("base_url").as_string(),
            "http://127.0.0.1:9")
      << "nothing stored";
}

// The provider reports what became of each text; reports are signed, ordered and recorded.
TEST_F(OutboxTest, TheProvidersDeliveryReportsAreSignedAndRecorded) {
  const std::string public_url = "https://desk.example-clinic.org";
  http::ApiOptions options;
  options.public_url = public_url;
  api_ = std::make_unique<http::Api>(*store_, clock_, options);
  channels::TwilioGateway reporting(public_url);
  jobs::OutboxSender sender(*store_, clock_, {{"sms", &reporting}});
  ASSERT_EQ(SetUpSms().status, 200);
  std::string conv = Conversation();
  ASSERT_EQ(RequestCode(conv), 202);
  ASSERT_EQ(*sender.RunOnce(), 1);
  ASSERT_EQ(twilio_.sent().size(), 1u);
  const std::string sid = twilio_.sent()[0].sid;
  const std::string target = "/hooks/twilio/status?tenant=clinic";
  EXPECT_EQ(twilio_.sent()[0].status_callback, public_url + target);

  auto report = [&](const std::string& message_sid, const std::string& status,
                    const std::string& error_code, const std::string& token) {
    std::vector<std::pair<std::string, std::string>> params = {
        {"MessageSid", message_sid}, {"MessageStatus", status}, {"AccountSid", "AC0123456789"},
        {"To", "+13125550188"},      {"From", "+13125550100"},  {"ApiVersion", "2010-04-01"}};
    if (!error_code.empty()) params.emplace_back("ErrorCode", error_code);
    HttpCall c;
    c.method = "POST";
    c.target = target;
    c.json = false;
    c.body = net::FormEncode(params);
    c.headers = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"X-Twilio-Signature", channels::TwilioSignature(token, public_url + target, params)}};
    return Checked(c);
  };
  auto delivery_status = [&] {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ / "db.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    std::string out;
    sqlite3_prepare_v2(db, "SELECT delivery_status || '/' || state FROM outbox", -1, &st, nullptr);
    if (sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  };
  const std::string token = "auth-token-of-the-practice";
  EXPECT_EQ(report(sid, "sent", "", token).status, 204);
  EXPECT_EQ(delivery_status(), "sent/sent");
  EXPECT_EQ(report(sid, "delivered", "", token).status, 204);
  EXPECT_EQ(report(sid, "sent", "", token).status, 204) << "late, and ignored";
  EXPECT_EQ(delivery_status(), "delivered/sent");
  // Forged, unsigned, for an unknown practice, or not a form: refused, nothing changes.
  EXPECT_EQ(report(sid, "undelivered", "30003", "a guessed token").status, 403);
  HttpCall unsigned_call;
  unsigned_call.method = "POST";
  unsigned_call.target = target;
  unsigned_call.json = false;
  unsigned_call.body = "MessageSid=" + sid + "&MessageStatus=failed";
  unsigned_call.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  EXPECT_EQ(Checked(unsigned_call).status, 403);
  unsigned_call.target = "/hooks/twilio/status?tenant=nowhere";
  unsigned_call.headers.emplace_back("X-Twilio-Signature", "AAAA");
  EXPECT_EQ(Checked(unsigned_call).status, 403);
  unsigned_call.headers = {{"Content-Type", "application/json"}};
  unsigned_call.body = "{}";
  EXPECT_EQ(Checked(unsigned_call).status, 415);
  EXPECT_EQ(delivery_status(), "delivered/sent");
  EXPECT_TRUE(Failures(conv).empty());
  // A carrier's refusal after acceptance is a failure the agent sees, with the provider's code.
  ASSERT_EQ(RequestCode(conv), 202);
  ASSERT_EQ(*sender.RunOnce(), 1);
  ASSERT_EQ(twilio_.sent().size(), 2u);
  EXPECT_EQ(report(twilio_.sent()[1].sid, "undelivered", "30003", token).status, 204);
  EXPECT_EQ(report(twilio_.sent()[1].sid, "undelivered", "30003", token).status, 204)
      << "a replayed report is acknowledged";
  EXPECT_EQ(report(twilio_.sent()[1].sid, "failed", "30003", token).status, 204);
  auto failures = Failures(conv);
  ASSERT_EQ(failures.size(), 1u) << "and recorded once";
  EXPECT_THAT(failures[0], ::testing::HasSubstr("provider error 30003, undelivered"));
  // Reports about messages we never sent are acknowledged; nonsense statuses are not.
  EXPECT_EQ(report("SM00000000000000000000000000000999", "delivered", "", token).status, 204);
  EXPECT_EQ(report(sid, "teleported", "", token).status, 400);
}

// Two-way texting: texts from patients through the signed webhook, replies through the outbox,
// and the number's consent (STOP, START, HELP) honoured at every send.
class TwoWaySmsTest : public OutboxTest {
 protected:
  void SetUp() override {
    OutboxTest::SetUp();
    http::ApiOptions options;
    options.public_url = kPublicUrl;
    api_ = std::make_unique<http::Api>(*store_, clock_, options);
    sender_ = std::make_unique<jobs::OutboxSender>(
        *store_, clock_, std::map<std::string, jobs::OutboundGateway*>{{"sms", &reporting_}});
    ASSERT_EQ(SetUpSms({{"help_contact", "call 312-555-0100"}}).status, 200);
  }
  // The provider delivers a text from `from`, signed with `token` (the practice's by default).
  HttpResult Text(const std::string& sid, const std::string& from, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> extra = {},
                  const std::string& token = "auth-token-of-the-practice") {
    std::vector<std::pair<std::string, std::string>> params = {{"MessageSid", sid},
                                                               {"AccountSid", "AC0123456789"},
                                                               {"From", from},
                                                               {"To", "+13125550100"},
                                                               {"Body", body},
                                                               {"NumMedia", "0"},
                                                               {"ApiVersion", "2010-04-01"},
                                                               {"SmsStatus", "received"}};
    for (auto& p : extra) {
      auto it = std::find_if(params.begin(), params.end(),
                             [&](const auto& q) { return q.first == p.first; });
      if (it != params.end()) {
        it->second = p.second;
      } else {
        params.push_back(p);
      }
    }
    return Checked(Signed("/hooks/twilio/sms?tenant=clinic", params, token));
  }
  // A form POST to `target` signed as the provider signs it.
  static HttpCall Signed(const std::string& target,
                         const std::vector<std::pair<std::string, std::string>>& params,
                         const std::string& token = "auth-token-of-the-practice") {
    HttpCall c;
    c.method = "POST";
    c.target = target;
    c.json = false;
    c.body = net::FormEncode(params);
    c.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"X-Twilio-Signature",
                  channels::TwilioSignature(token, std::string(kPublicUrl) + target, params)}};
    return c;
  }
  // The conversations of the patient texting from `phone` (by the inbox's patient filter).
  std::vector<std::int64_t> ConversationsOf(const std::string& phone) {
    std::vector<std::int64_t> out;
    json::object list = Json(Call("GET", "/api/v1/patients?q=" + PercentEncode(phone)));
    for (const auto& p : list.at("items").as_array()) {
      json::object convs = Json(
          Call("GET", "/api/v1/conversations?patient_id=" + std::to_string(p.at("id").as_int64())));
      for (const auto& c : convs.at("items").as_array()) out.push_back(c.at("id").as_int64());
    }
    return out;
  }
  std::vector<std::string> EventTypes(const std::string& conv) {
    std::vector<std::string> out;
    json::object view = Json(Call("GET", conv));
    for (const auto& e : view.at("events").as_array()) {
      out.emplace_back(e.at("type").as_string());
    }
    return out;
  }

  static constexpr const char* kPublicUrl = "https://desk.example-clinic.org";
  channels::TwilioGateway reporting_{kPublicUrl};
};

TEST_F(TwoWaySmsTest, ATextLandsOnceAndTheReplyGoesBackAsATextWhoseDeliveryIsShown) {
  HttpResult first = Text("SM0001", "(312) 555-0177", "Can I move my appointment to Friday?");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)");
  // The provider retries (it saw no answer in time): acknowledged, not stored again.
  EXPECT_EQ(Text("SM0001", "(312) 555-0177", "Can I move my appointment to Friday?").status, 200);
  auto convs = ConversationsOf("+13125550177");
  ASSERT_EQ(convs.size(), 1u);
  const std::string conv = "/api/v1/conversations/" + std::to_string(convs[0]);
  json::object view = Json(Call("GET", conv));
  EXPECT_EQ(view.at("channel").as_string(), "sms");
  const json::array& messages = view.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u) << "stored once";
  EXPECT_EQ(messages[0].at("text").as_string(), "Can I move my appointment to Friday?");
  EXPECT_EQ(messages[0].at("metadata").at("provider_ref").as_string(), "SM0001");

  HttpResult reply = Call("POST", conv + "/replies", R"({"text":"Yes: Friday 9:30 works."})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  const std::int64_t reply_id = Json(reply).at("message_id").as_int64();
  auto delivery = [&] {
    json::object v = Json(Call("GET", conv));
    for (const auto& m : v.at("messages").as_array()) {
      if (m.at("id").as_int64() == reply_id) {
        return std::string(m.at("delivery_status").as_string());
      }
    }
    return std::string("missing");
  };
  EXPECT_EQ(delivery(), "queued");
  EXPECT_EQ(Pass(), 1);
  auto sent = twilio_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "+13125550177");
  EXPECT_EQ(sent[0].body, "Yes: Friday 9:30 works.");
  EXPECT_EQ(sent[0].status_callback,
            std::string(kPublicUrl) + "/hooks/twilio/status?tenant=clinic");
  EXPECT_EQ(delivery(), "sent");
  // The carrier's report moves it on.
  EXPECT_EQ(Checked(Signed("/hooks/twilio/status?tenant=clinic",
                           {{"MessageSid", sent[0].sid}, {"MessageStatus", "delivered"}}))
                .status,
            204);
  EXPECT_EQ(delivery(), "delivered");
  EXPECT_EQ(Pass(), 0) << "sent once";
  // The patient answers: the same conversation.
  ASSERT_EQ(Text("SM0002", "+13125550177", "Thanks 👍").status, 200);
  EXPECT_EQ(ConversationsOf("+13125550177").size(), 1u);
  EXPECT_EQ(Json(Call("GET", conv)).at("messages").as_array().size(), 3u);
}

TEST_F(TwoWaySmsTest, ForgedTamperedOrMalformedTextsStoreNothing) {
  // Signed with a guessed token; or signed, then one byte of the body changed in transit.
  EXPECT_EQ(Text("SM0100", "+13125550166", "hello", {}, "guessed").status, 403);
  HttpCall c = Signed("/hooks/twilio/sms?tenant=clinic",
                      {{"MessageSid", "SM0101"}, {"From", "+13125550166"}, {"Body", "hello"}});
  HttpCall tampered = c;
  tampered.body[tampered.body.size() - 1] = 'p';  // "hellp"
  EXPECT_EQ(Checked(tampered).status, 403);
  HttpCall elsewhere = c;  // a signature for one practice replayed at another
  elsewhere.target = "/hooks/twilio/sms?tenant=other";
  EXPECT_EQ(Checked(elsewhere).status, 403);
  EXPECT_TRUE(ConversationsOf("+13125550166").empty());
  EXPECT_EQ(Checked(c).status, 200) << "the untouched request is accepted";
  EXPECT_EQ(ConversationsOf("+13125550166").size(), 1u);
  // Signed but malformed: a clear 400, nothing stored.
  HttpResult no_sid = Text("", "+13125550155", "hi");
  EXPECT_EQ(no_sid.status, 400);
  EXPECT_EQ(Json(no_sid).at("error").at("field").as_string(), "MessageSid");
  HttpResult bad_from = Text("SM0102", "call me", "hi");
  EXPECT_EQ(bad_from.status, 400);
  EXPECT_EQ(Json(bad_from).at("error").at("field").as_string(), "From");
  HttpResult empty = Text("SM0103", "+13125550155", "   ");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Text("SM0104", "+13125550155", std::string("caf\xc3", 4)).status, 400);
  EXPECT_EQ(Text("SM0107", "+13125550155", "pictures", {{"NumMedia", "11"}}).status, 400)
      << "a provider sends at most 10";
  EXPECT_TRUE(ConversationsOf("+13125550155").empty());
  // An emoji alone, and a picture with no words, are messages.
  EXPECT_EQ(Text("SM0105", "+13125550155", "🤒").status, 200);
  EXPECT_EQ(Text("SM0106", "+13125550155", "", {{"NumMedia", "1"}}).status, 200);
  auto convs = ConversationsOf("+13125550155");
  ASSERT_EQ(convs.size(), 1u);
  json::object view = Json(Call("GET", "/api/v1/conversations/" + std::to_string(convs[0])));
  const json::array& messages = view.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("text").as_string(), "🤒");
  EXPECT_EQ(messages[1].at("metadata").at("media_count").as_string(), "1");
}

TEST_F(TwoWaySmsTest, StopIsHonouredAtEverySendAndStartUndoesIt) {
  ASSERT_EQ(Text("SM0200", "+13125550144", "Is the clinic open Saturday?").status, 200);
  auto convs = ConversationsOf("+13125550144");
  ASSERT_EQ(convs.size(), 1u);
  const std::string conv = "/api/v1/conversations/" + std::to_string(convs[0]);
  // A console is open: it hears that a number's consent changed (and not which number).
  auto console = testing::WsClient::Connect(port_, "/api/v1/ws", {{"caredesk.v1", token_}, {}});
  ASSERT_TRUE(console);
  ASSERT_TRUE(console->NextWith("\"hello\""));
  // A reply is queued; the patient says STOP before the sender runs.
  ASSERT_EQ(Call("POST", conv + "/replies", R"({"text":"Yes, 9 to 12."})").status, 201);
  HttpResult stop = Text("SM0201", "+13125550144", "Stop");
  ASSERT_EQ(stop.status, 200);
  auto consent = console->NextWith("\"consent\"");
  ASSERT_TRUE(consent);
  EXPECT_EQ(*consent, R"({"type":"consent"})");
  EXPECT_THAT(stop.body, ::testing::HasSubstr("<Message>"));
  EXPECT_THAT(stop.body, ::testing::HasSubstr("no longer receive text messages"));
  EXPECT_EQ(Text("SM0201", "+13125550144", "Stop").body, stop.body) << "a retry, answered alike";
  EXPECT_EQ(Pass(), 1);
  EXPECT_TRUE(twilio_.sent().empty()) << "nothing but the confirmation reaches the number";
  auto failures = Failures(conv);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], ::testing::HasSubstr("opted out"));
  auto types = EventTypes(conv);
  EXPECT_EQ(std::count(types.begin(), types.end(), "sms_opted_out"), 1);
  // The keyword opened nothing and is no message to answer.
  EXPECT_EQ(ConversationsOf("+13125550144").size(), 1u);
  EXPECT_EQ(Json(Call("GET", conv)).at("messages").as_array().size(), 2u);
  // New replies and codes are refused at once, saying why.
  HttpResult refused = Call("POST", conv + "/replies", R"({"text":"Are you there?"})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Json(refused).at("error").at("field").as_string(), "consent");
  HttpResult code = Call("POST", conv + "/verification/code", R"({"channel":"sms"})");
  EXPECT_EQ(code.status, 409) << code.body;
  // HELP answers with the practice and its contact; START opts back in, in either language.
  HttpResult help = Text("SM0202", "+13125550144", "HELP");
  EXPECT_THAT(help.body, ::testing::HasSubstr("call 312-555-0100"));
  HttpResult start = Text("SM0203", "+13125550144", "start");
  EXPECT_THAT(start.body, ::testing::HasSubstr("receive text messages from us again"));
  ASSERT_EQ(Call("POST", conv + "/replies", R"({"text":"Welcome back."})").status, 201);
  EXPECT_EQ(Pass(), 1);
  ASSERT_EQ(twilio_.sent().size(), 1u);
  EXPECT_EQ(twilio_.sent()[0].body, "Welcome back.");
  HttpResult alto = Text("SM0204", "+13125550144", "ALTO");
  EXPECT_THAT(alto.body, ::testing::HasSubstr("ya no recibirá"));
  EXPECT_EQ(Call("POST", conv + "/replies", R"({"text":"?"})").status, 409);
  // The consent is the number's, kept sealed: the stored row does not show the number.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "db.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT phone || phone_index || keyword FROM sms_consent", -1, &st,
                     nullptr);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    std::string row = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    EXPECT_EQ(row.find("5550144"), std::string::npos);
    EXPECT_THAT(row, ::testing::EndsWith("ALTO"));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(rows, 1);
}

TEST_F(TwoWaySmsTest, QuietHoursHoldOnlyTextsThePracticeStarts) {
  ASSERT_EQ(SetUpSms({{"quiet_hours", "21:00-08:00"}, {"help_contact", ""}}).status, 200);
  HttpResult bad = SetUpSms({{"quiet_hours", "9pm-8am"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad).at("error").at("field").as_string(), "quiet_hours");
  ASSERT_EQ(Text("SM0300", "+13125550133", "Running late, sorry").status, 200);
  const std::string conv =
      "/api/v1/conversations/" + std::to_string(ConversationsOf("+13125550133").at(0));
  // 22:30 in Chicago: a reminder the practice queued waits; a reply does not.
  clock_.Set(*ParseRfc3339("2026-11-24T04:30:00Z"));
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::OutboxItem reminder;
    reminder.conversation = ConversationId{ConversationsOf("+13125550133").at(0)};
    reminder.channel = "sms";
    reminder.recipient = "+13125550133";
    reminder.body = "Reminder: your visit is tomorrow at 10:00.";
    reminder.purpose = "reminder";
    reminder.created_at = clock_.Now();
    CD_TRY(tx.QueueOutbound(reminder));
    return {};
  }));
  ASSERT_EQ(Call("POST", conv + "/replies", R"({"text":"No problem."})").status, 201);
  EXPECT_EQ(Pass(), 2);
  ASSERT_EQ(twilio_.sent().size(), 1u);
  EXPECT_EQ(twilio_.sent()[0].body, "No problem.");
  clock_.Set(*ParseRfc3339("2026-11-24T13:59:00Z"));  // 07:59
  EXPECT_EQ(Pass(), 0) << "held until 08:00 local";
  clock_.Set(*ParseRfc3339("2026-11-24T14:00:00Z"));
  EXPECT_EQ(Pass(), 1);
  ASSERT_EQ(twilio_.sent().size(), 2u);
  EXPECT_EQ(twilio_.sent()[1].body, "Reminder: your visit is tomorrow at 10:00.");
  EXPECT_TRUE(Failures(conv).empty()) << "holding is not a failure, nor an attempt used up";
}

// Email: replies and codes go out over SMTP, threaded under the patient's mail.
class EmailTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    admin_ = MakeUser(tenant_, "it@clinic.example", core::Role::kAdmin);
    sender_ = std::make_unique<jobs::OutboxSender>(
        *store_, clock_, std::map<std::string, jobs::OutboundGateway*>{{"email", &email_}});
  }
  HttpResult SetUpEmail() {
    return Call("PUT", "/api/v1/settings/email",
                json::serialize(json::object{{"address", "frontdesk@clinic.example"},
                                             {"smtp_url", smtp_.url()},
                                             {"smtp_username", "frontdesk"},
                                             {"smtp_password", "mail-password-of-the-practice"}}),
                &admin_);
  }
  // The patient's mail opens a conversation, as the LMTP listener or an integration posts it.
  std::string Conversation() {
    HttpResult in =
        Call("POST", "/api/v1/messages",
             R"({"channel":"email","from":"Zeb.Quartz@Example.com","text":"Is my refill ready?",)"
             R"("patient":{"name":"Zebulon Quartz","date_of_birth":"1970-01-02"},)"
             R"("metadata":{"subject":"Refill question","message_id":"<CAF123@mail.example.com>",)"
             R"("references":"<first@mail.example.com>"}})");
    EXPECT_EQ(in.status, 201) << in.body;
    return "/api/v1/conversations/" + std::to_string(Json(in).at("conversation_id").as_int64());
  }
  std::string DeliveryOf(const std::string& conv, std::int64_t message_id) {
    json::object v = Json(Call("GET", conv));
    for (const auto& m : v.at("messages").as_array()) {
      if (m.at("id").as_int64() == message_id) {
        return std::string(m.at("delivery_status").as_string());
      }
    }
    return "missing";
  }
  std::vector<std::string> Failures(const std::string& conv) {
    std::vector<std::string> out;
    json::object view = Json(Call("GET", conv));
    for (const auto& e : view.at("events").as_array()) {
      if (e.at("type").as_string() == "outbound_failed") {
        out.emplace_back(e.at("data").at("reason").as_string());
      }
    }
    return out;
  }

  testing::FakeSmtp smtp_{"frontdesk", "mail-password-of-the-practice"};
  channels::EmailGateway email_;
  std::unique_ptr<jobs::OutboxSender> sender_;
  std::string admin_;
};

TEST_F(EmailTest, AReplyIsMailedInThePatientsThread) {
  HttpResult set = SetUpEmail();
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_TRUE(Json(set).at("smtp_password_set").as_bool());
  EXPECT_EQ(set.body.find("mail-password"), std::string::npos) << "never shown";
  HttpResult bad =
      Call("PUT", "/api/v1/settings/email",
           R"({"address":"frontdesk@clinic.example","smtp_url":"smtp://u:p@host"})", &admin_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad).at("error").at("field").as_string(), "smtp_url");
  std::string conv = Conversation();
  HttpResult reply =
      Call("POST", conv + "/replies", R"({"text":"Yes, it is ready.\n\nPick it up any time."})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  const std::int64_t message_id = Json(reply).at("message_id").as_int64();
  EXPECT_EQ(DeliveryOf(conv, message_id), "queued");
  ASSERT_EQ(*sender_->RunOnce(), 1);
  auto mails = smtp_.mails();
  ASSERT_EQ(mails.size(), 1u);
  const auto& mail = mails[0];
  EXPECT_EQ(mail.mail_from, "frontdesk@clinic.example");
  EXPECT_EQ(mail.recipients, std::vector<std::string>{"zeb.quartz@example.com"});
  const std::string conv_id = conv.substr(conv.rfind('/') + 1);
  EXPECT_EQ(mail.Header("Subject"), "Re: Refill question [#C" + conv_id + "]")
      << "with the conversation's token, for clients that drop In-Reply-To";
  EXPECT_EQ(mail.Header("In-Reply-To"), "<CAF123@mail.example.com>");
  EXPECT_EQ(mail.Header("References"), "<first@mail.example.com> <CAF123@mail.example.com>");
  EXPECT_EQ(mail.Header("Message-ID").rfind("<caredesk.", 0), 0u) << mail.Header("Message-ID");
  EXPECT_THAT(mail.Header("Message-ID"), ::testing::EndsWith("@clinic.example>"));
  EXPECT_THAT(mail.Header("From"), ::testing::HasSubstr("<frontdesk@clinic.example>"));
  EXPECT_EQ(mail.Header("Auto-Submitted"), "") << "an agent wrote it";
  EXPECT_THAT(mail.data, ::testing::HasSubstr("Yes, it is ready."));
  EXPECT_THAT(mail.data, ::testing::HasSubstr("<p>Pick it up any time.</p>"));
  EXPECT_EQ(DeliveryOf(conv, message_id), "sent");
  EXPECT_EQ(*sender_->RunOnce(), 0) << "mailed once";
  EXPECT_TRUE(Failures(conv).empty());
}

TEST_F(EmailTest, StaffSendAFormWithAnEmailReply) {
  ASSERT_EQ(SetUpEmail().status, 200);
  std::string conv = Conversation();
  auto upload = [&](const std::string& target, std::string bytes) {
    HttpCall c;
    c.method = "POST";
    c.target = target;
    c.body = std::move(bytes);
    c.json = false;
    c.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/pdf"}};
    return Checked(c);
  };
  // A form over the ordinary body limit: uploads take up to the upload limit.
  std::string pdf = "%PDF-1.4\n" + std::string(3 << 19, 'f') + "%%EOF";
  HttpResult up = upload(conv + "/files?name=Intake%20form.pdf", pdf);
  ASSERT_EQ(up.status, 201) << up.body;
  const std::int64_t file = Json(up).at("id").as_int64();
  EXPECT_EQ(Json(up).at("filename").as_string(), "Intake form.pdf");
  EXPECT_EQ(upload(conv + "/files?name=x.pdf", "<script>").status, 415);
  EXPECT_EQ(upload("/api/v1/conversations/999999/files", pdf).status, 404);

  const std::string with_file =
      R"({"text":"Here is the form.","attachment_ids":[)" + std::to_string(file) + "]}";
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"text":"x","attachment_ids":[999999]})", "attachment_ids"},
           {R"({"text":"x","attachment_ids":"1"})", "attachment_ids"},
           {R"({"text":"x","attachment_ids":[1,2,3,4,5,6]})", "attachment_ids"},
       }) {
    HttpResult r = Call("POST", conv + "/replies", body);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << body << ": " << r.body;
    EXPECT_EQ(ErrorField(r), field) << body;
  }
  EXPECT_EQ(Json(Call("GET", conv)).at("messages").as_array().size(), 1u) << "nothing stored";
  HttpResult reply = Call("POST", conv + "/replies", with_file);
  ASSERT_EQ(reply.status, 201) << reply.body;
  EXPECT_EQ(Call("POST", conv + "/replies", with_file).status, 404) << "a file goes out once";
  // The reply shows its file in the conversation, and the mail carries it.
  json::array messages = Json(Call("GET", conv)).at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_EQ(messages[1].at("attachments").as_array().size(), 1u);
  EXPECT_EQ(messages[1].at("attachments").at(0).at("id").as_int64(), file);
  ASSERT_EQ(*sender_->RunOnce(), 1);
  auto mails = smtp_.mails();
  ASSERT_EQ(mails.size(), 1u);
  auto parsed = channels::ParseMail(mails[0].data);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text, "Here is the form.");
  ASSERT_EQ(parsed->attachments.size(), 1u);
  EXPECT_EQ(parsed->attachments[0].filename, "Intake form.pdf");
  EXPECT_EQ(parsed->attachments[0].content_type, "application/pdf");
  EXPECT_EQ(parsed->attachments[0].bytes, pdf);
}

TEST_F(EmailTest, CodesByEmailReachTheAddressOnRecordMarkedAutomatic) {
  std::string conv = Conversation();
  ASSERT_EQ(Call("POST", conv + "/verification/check",
                 R"({"name":"Zebulon Quartz","date_of_birth":"1970-01-02"})")
                .status,
            200);
  HttpResult refused = Call("POST", conv + "/verification/code", R"({"channel":"email"})");
  EXPECT_EQ(refused.status, 409) << "no mail server yet";
  EXPECT_THAT(Json(refused).at("error").at("message").as_string(),
              ::testing::HasSubstr("settings/email"));
  ASSERT_EQ(SetUpEmail().status, 200);
  ASSERT_EQ(Call("POST", conv + "/verification/code", R"({"channel":"email"})").status, 202);
  ASSERT_EQ(*sender_->RunOnce(), 1);
  auto mails = smtp_.mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].Header("Auto-Submitted"), "auto-generated");
  EXPECT_THAT(mails[0].Header("Subject"), ::testing::HasSubstr("your verification code"));
  auto at = mails[0].data.find("code is ");
  ASSERT_NE(at, std::string::npos);
  std::string code = mails[0].data.substr(at + 8, 6);
  HttpResult confirmed =
      Call("POST", conv + "/verification/confirm", R"({"code":")" + code + "\"}");
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(Json(confirmed).at("result").as_string(), "verified");
}

TEST_F(EmailTest, RefusedMailShowsInTheConversationAndDeferredMailIsRetried) {
  ASSERT_EQ(SetUpEmail().status, 200);
  std::string conv = Conversation();
  smtp_.FailNextRecipient(550);
  HttpResult first = Call("POST", conv + "/replies", R"({"text":"First answer"})");
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(*sender_->RunOnce(), 1);
  EXPECT_TRUE(smtp_.mails().empty());
  auto failures = Failures(conv);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], ::testing::HasSubstr("refused the message (reply 550)"));
  EXPECT_EQ(DeliveryOf(conv, Json(first).at("message_id").as_int64()), "failed");
  // 451: try later. Not before the backoff; then it goes.
  smtp_.FailNextRecipient(451);
  ASSERT_EQ(Call("POST", conv + "/replies", R"({"text":"Second answer"})").status, 201);
  ASSERT_EQ(*sender_->RunOnce(), 1);
  EXPECT_TRUE(smtp_.mails().empty());
  EXPECT_EQ(*sender_->RunOnce(), 0) << "not due yet";
  clock_.Advance(std::chrono::seconds(31));
  ASSERT_EQ(*sender_->RunOnce(), 1);
  ASSERT_EQ(smtp_.mails().size(), 1u);
  EXPECT_THAT(smtp_.mails()[0].data, ::testing::HasSubstr("Second answer"));
  EXPECT_EQ(Failures(conv).size(), 1u);
  // Wrong credentials are final, and say so without the password.
  ASSERT_EQ(Call("PUT", "/api/v1/settings/email",
                 json::serialize(json::object{{"address", "frontdesk@clinic.example"},
                                              {"smtp_url", smtp_.url()},
                                              {"smtp_username", "frontdesk"},
                                              {"smtp_password", "wrong"}}),
                 &admin_)
                .status,
            200);
  ASSERT_EQ(Call("POST", conv + "/replies", R"({"text":"Third answer"})").status, 201);
  ASSERT_EQ(*sender_->RunOnce(), 1);
  failures = Failures(conv);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_THAT(failures[1], ::testing::HasSubstr("credentials"));
  EXPECT_EQ(failures[1].find("wrong"), std::string::npos);
}

TEST_F(EmailTest, DeliveredMailThreadsIntoItsConversationAndAutoRepliesAndBouncesOpenNothing) {
  ASSERT_EQ(SetUpEmail().status, 200);
  // Mail is routed by address, so no other practice may take this one (or a +tag of it).
  const std::string other_admin = MakeUser(other_tenant_, "it@other.example", core::Role::kAdmin);
  HttpResult taken =
      Call("PUT", "/api/v1/settings/email",
           R"({"address":"frontdesk+other@clinic.example","smtp_url":"smtp://127.0.0.1:9"})",
           &other_admin);
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(Json(taken).at("error").at("field").as_string(), "address");
  using Kind = http::MailVerdict::Kind;
  EXPECT_EQ(api_->CheckMailRecipient("someone@clinic.example"), Kind::kRejected);
  EXPECT_EQ(api_->CheckMailRecipient("FrontDesk@clinic.example"), Kind::kDelivered);
  EXPECT_EQ(api_->CheckMailRecipient("frontdesk+billing@clinic.example"), Kind::kDelivered);
  auto deliver = [&](const std::string& raw, const std::string& sender = "zeb@example.com") {
    return api_->DeliverMail("frontdesk@clinic.example", sender, raw);
  };
  // A new mail opens a conversation; delivered again (the MTA missed our answer), stored once.
  const std::string first =
      "From: Zeb Quartz <zeb@example.com>\r\nTo: frontdesk@clinic.example\r\n"
      "Subject: Refill\r\nMessage-ID: <m1@example.com>\r\n\r\nIs my refill ready?\r\n";
  EXPECT_EQ(deliver(first).kind, Kind::kDelivered);
  EXPECT_EQ(deliver(first).kind, Kind::kDelivered);
  json::object inbox = Json(Call("GET", "/api/v1/conversations?channel=email"));
  ASSERT_EQ(inbox.at("items").as_array().size(), 1u);
  const std::int64_t first_id = inbox.at("items").at(0).at("id").as_int64();
  const std::string conv = "/api/v1/conversations/" + std::to_string(first_id);
  json::object view = Json(Call("GET", conv));
  ASSERT_EQ(view.at("messages").as_array().size(), 1u);
  EXPECT_EQ(view.at("messages").at(0).at("metadata").at("message_id").as_string(),
            "<m1@example.com>");
  // The agent answers; the patient's reply to that answer threads back into it, even after
  // the patient started a second conversation meanwhile.
  ASSERT_EQ(
      Call("POST", conv + "/replies", R"({"text":"Ready Friday.","status":"pending"})").status,
      201);
  ASSERT_EQ(*sender_->RunOnce(), 1);
  const std::string our_id = smtp_.mails().at(0).Header("Message-ID");
  ASSERT_EQ(Call("POST", conv + "/status", R"({"status":"resolved"})").status, 200);
  // Meanwhile the front desk opened another conversation with the patient (a call, say):
  // it is now the patient's latest.
  const PatientId patient{view.at("patient").at("id").as_int64()};
  ConversationId second_id;
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    core::Conversation c;
    c.patient_id = patient;
    c.channel = core::Channel::kPhone;
    c.created_at = c.updated_at = c.last_message_at = clock_.Now();
    CD_TRY_ASSIGN(auto cal, tx.Calendar());
    CD_TRY_ASSIGN(c, tx.InsertConversation(c, cal, clock_.Now()));
    second_id = c.id;
    return {};
  }));
  ASSERT_NE(second_id.value, first_id);
  const std::string reply =
      "From: zeb@example.com\r\nTo: frontdesk@clinic.example\r\n"
      "Subject: Re: Refill\r\nMessage-ID: <m2@example.com>\r\n"
      "In-Reply-To: " +
      our_id + "\r\nReferences: <m1@example.com> " + our_id +
      "\r\n\r\nThanks!\r\n\r\nOn Monday you wrote:\r\n> Ready "
      "Friday.\r\n";
  EXPECT_EQ(deliver(reply).kind, Kind::kDelivered);
  view = Json(Call("GET", conv));
  ASSERT_EQ(view.at("messages").as_array().size(), 3u) << "threaded by In-Reply-To";
  const auto& threaded = view.at("messages").at(2);
  EXPECT_EQ(threaded.at("metadata").at("folded_at").as_string(), "9") << "history folded";
  EXPECT_EQ(view.at("status").as_string(), "open") << "reopened";
  // Someone else quoting our Message-ID does not get into that conversation.
  const std::string stranger =
      "From: mallory@example.net\r\nSubject: Re: Refill\r\n"
      "Message-ID: <x1@example.net>\r\nIn-Reply-To: " +
      our_id + "\r\n\r\nlet me in\r\n";
  EXPECT_EQ(deliver(stranger, "mallory@example.net").kind, Kind::kDelivered);
  EXPECT_EQ(Json(Call("GET", conv)).at("messages").as_array().size(), 3u);
  // A client that dropped In-Reply-To and References but kept the subject's token.
  const std::string token_only = "From: zeb@example.com\r\nSubject: Re: Refill [#C" +
                                 std::to_string(first_id) +
                                 "]\r\nMessage-ID: <m3@example.com>\r\n\r\nOne more thing\r\n";
  EXPECT_EQ(deliver(token_only).kind, Kind::kDelivered);
  ASSERT_EQ(Json(Call("GET", conv)).at("messages").as_array().size(), 4u)
      << "threaded by the subject's token, not into the patient's latest conversation";
  // An out-of-office answer is noted in the conversation and opens nothing.
  const std::string ooo =
      "From: zeb@example.com\r\nSubject: Automatic reply: Re: Refill\r\n"
      "Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.com>\r\n"
      "In-Reply-To: " +
      our_id + "\r\n\r\nI am away.\r\n";
  const std::size_t conversations_before =
      Json(Call("GET", "/api/v1/conversations?channel=email")).at("items").as_array().size();
  EXPECT_EQ(deliver(ooo).kind, Kind::kDelivered);
  view = Json(Call("GET", conv));
  EXPECT_EQ(view.at("messages").as_array().size(), 4u);
  bool noted = false;
  for (const auto& e : view.at("events").as_array()) {
    noted = noted || e.at("type").as_string() == "auto_reply_received";
  }
  EXPECT_TRUE(noted);
  EXPECT_EQ(Json(Call("GET", "/api/v1/conversations?channel=email")).at("items").as_array().size(),
            conversations_before);
  // Someone else's auto-reply naming the conversation's token notes nothing there.
  const std::string forged_ooo = "From: mallory@example.net\r\nSubject: Auto: Re: Refill [#C" +
                                 std::to_string(first_id) +
                                 "]\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n";
  EXPECT_EQ(deliver(forged_ooo, "mallory@example.net").kind, Kind::kDelivered);
  int auto_events = 0;
  json::object after_forgery = Json(Call("GET", conv));
  for (const auto& e : after_forgery.at("events").as_array()) {
    auto_events += e.at("type").as_string() == "auto_reply_received" ? 1 : 0;
  }
  EXPECT_EQ(auto_events, 1);
  // A bounce of our mail fails that message, with the reason where the agent sees it.
  const std::string bounce =
      "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"
      "--r\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--r\r\n"
      "Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: " +
      our_id + "\r\n--r--\r\n";
  EXPECT_EQ(deliver(bounce, "").kind, Kind::kDelivered);
  view = Json(Call("GET", conv));
  bool failed = false;
  for (const auto& e : view.at("events").as_array()) {
    failed = failed || e.at("type").as_string() == "outbound_failed";
  }
  EXPECT_TRUE(failed);
  // Not ours, our own address, or not mail at all.
  EXPECT_EQ(api_->DeliverMail("nobody@clinic.example", "zeb@example.com", first).kind,
            Kind::kRejected);
  EXPECT_EQ(deliver("From: frontdesk@clinic.example\r\nSubject: loop\r\n\r\nx\r\n").kind,
            Kind::kDelivered);
  EXPECT_EQ(deliver("garbage without headers").kind, Kind::kRejected);
  EXPECT_EQ(Json(Call("GET", "/api/v1/conversations?channel=email")).at("items").as_array().size(),
            conversations_before)
      << "none of them opened a conversation";
  EXPECT_EQ(conversations_before, 2u) << "the patient's, and the stranger's own";
}

TEST_F(TwoWaySmsTest, MmsPicturesAreFetchedFromTheProviderAndKeptWithTheMessage) {
  const std::string png("\x89PNG\r\n\x1a\n-a-picture-of-a-rash", 28);
  const std::string picture = twilio_.AddMedia(png, "image/png");
  HttpResult in = Text("SM0400", "+13125550122", "Is this rash serious?",
                       {{"NumMedia", "2"},
                        {"MediaUrl0", picture},
                        {"MediaContentType0", "image/png"},
                        {"MediaUrl1", "https://elsewhere.example/steal.jpg"},
                        {"MediaContentType1", "image/jpeg"}});
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string conv =
      "/api/v1/conversations/" + std::to_string(ConversationsOf("+13125550122").at(0));
  json::object view = Json(Call("GET", conv));
  const json::object& message = view.at("messages").at(0).as_object();
  EXPECT_EQ(message.at("metadata").at("media_count").as_string(), "2");
  EXPECT_EQ(message.at("metadata").at("media_missing").as_string(), "1")
      << "a URL off the provider's host is not fetched";
  ASSERT_EQ(message.at("attachments").as_array().size(), 1u);
  const json::object& file = message.at("attachments").at(0).as_object();
  EXPECT_EQ(file.at("content_type").as_string(), "image/png");
  EXPECT_EQ(file.at("size").as_int64(), 28);
  const std::string target = "/api/v1/attachments/" + std::to_string(file.at("id").as_int64());
  HttpResult got = Call("GET", target);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, png);
  EXPECT_EQ(Call("GET", target, "", &other_token_).status, 404) << "another practice's";
  EXPECT_EQ(Call("GET", "/api/v1/attachments/999999").status, 404);
}

TEST_F(EmailTest, MailAttachmentsAreKeptAndOversizedOnesBounce) {
  ASSERT_EQ(SetUpEmail().status, 200);
  std::ifstream in(std::string(CAREDESK_SOURCE_DIR) + "/tests/mail/attachments.eml",
                   std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(raw.empty());
  using Kind = http::MailVerdict::Kind;
  ASSERT_EQ(api_->DeliverMail("frontdesk@clinic.example", "pat@example.com", raw).kind,
            Kind::kDelivered);
  json::object inbox = Json(Call("GET", "/api/v1/conversations?channel=email"));
  ASSERT_EQ(inbox.at("items").as_array().size(), 1u);
  const std::string conv =
      "/api/v1/conversations/" + std::to_string(inbox.at("items").at(0).at("id").as_int64());
  json::object view = Json(Call("GET", conv));
  const json::array& files = view.at("messages").at(0).at("attachments").as_array();
  ASSERT_EQ(files.size(), 2u) << "the inline image and the PDF";
  EXPECT_EQ(files[1].at("filename").as_string(), "card.pdf");
  HttpResult pdf =
      Call("GET", "/api/v1/attachments/" + std::to_string(files[1].at("id").as_int64()));
  ASSERT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.body.substr(0, 8), "%PDF-1.4");
  // 25 MB is kept whole; more is refused, so the sender's server tells them.
  auto mail_with = [](std::size_t bytes, const std::string& id) {
    std::string content(bytes, '\0');
    for (std::size_t i = 0; i < bytes; ++i) content[i] = static_cast<char>(i * 131 % 251);
    std::string b64 = security::ToBase64(content), folded;
    for (std::size_t i = 0; i < b64.size(); i += 76) folded += b64.substr(i, 76) + "\r\n";
    return "From: pat@example.com\r\nSubject: Scan\r\nMessage-ID: <" + id +
           "@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
           "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMy scan.\r\n--b\r\n"
           "Content-Type: application/pdf\r\nContent-Disposition: attachment; "
           "filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           folded + "--b--\r\n";
  };
  const std::size_t limit = std::size_t{25} << 20;
  EXPECT_EQ(
      api_->DeliverMail("frontdesk@clinic.example", "pat@example.com", mail_with(limit + 1, "big"))
          .kind,
      Kind::kRejected);
  ASSERT_EQ(
      api_->DeliverMail("frontdesk@clinic.example", "pat@example.com", mail_with(limit, "ok")).kind,
      Kind::kDelivered);
  view = Json(Call("GET", conv));
  const json::array& messages = view.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u) << "the refused mail left nothing behind";
  const json::object& scan = messages[1].at("attachments").at(0).as_object();
  EXPECT_EQ(scan.at("size").as_int64(), static_cast<std::int64_t>(limit));
  HttpResult whole = Call("GET", "/api/v1/attachments/" + std::to_string(scan.at("id").as_int64()));
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body.size(), limit);
  EXPECT_EQ(static_cast<unsigned char>(whole.body[limit - 1]), (limit - 1) * 131 % 251);
}

TEST_F(TwoWaySmsTest, AgentsStartTextConversationsThatRespectConsentAndQuietHours) {
  HttpResult patient =
      Call("POST", "/api/v1/patients", R"({"name":"Olga Pines","phone":"(312) 555-0111"})");
  ASSERT_EQ(patient.status, 201) << patient.body;
  const std::int64_t patient_id = Json(patient).at("id").as_int64();
  const std::string start_body =
      R"({"patient_id":)" + std::to_string(patient_id) +
      R"(,"channel":"sms","text":"Your lab results are in; please call us to discuss."})";
  HttpResult started = Call("POST", "/api/v1/conversations", start_body);
  ASSERT_EQ(started.status, 201) << started.body;
  json::object view = Json(started);
  EXPECT_EQ(view.at("conversation").at("status").as_string(), "pending")
      << "waiting on the patient";
  EXPECT_EQ(view.at("sms_segments").at("encoding").as_string(), "gsm7");
  EXPECT_EQ(view.at("sms_segments").at("segments").as_int64(), 1);
  const std::string conv =
      "/api/v1/conversations/" + std::to_string(view.at("conversation").at("id").as_int64());
  EXPECT_EQ(Pass(), 1);
  ASSERT_EQ(twilio_.sent().size(), 1u);
  EXPECT_EQ(twilio_.sent()[0].to, "+13125550111");
  // The patient's answer lands in it and puts it back in the agents' court.
  ASSERT_EQ(Text("SM0500", "+13125550111", "Calling now").status, 200);
  json::object after = Json(Call("GET", conv));
  EXPECT_EQ(after.at("messages").as_array().size(), 2u);
  EXPECT_EQ(after.at("status").as_string(), "open");
  // At night the text waits for the end of the practice's quiet hours.
  ASSERT_EQ(SetUpSms({{"quiet_hours", "21:00-08:00"}}).status, 200);
  clock_.Set(*ParseRfc3339("2026-11-24T04:30:00Z"));  // 22:30 in Chicago
  ASSERT_EQ(Call("POST", "/api/v1/conversations", start_body).status, 201);
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(twilio_.sent().size(), 1u) << "held";
  clock_.Set(*ParseRfc3339("2026-11-24T14:00:00Z"));  // 08:00
  EXPECT_EQ(Pass(), 1);
  EXPECT_EQ(twilio_.sent().size(), 2u);
  // STOP: refused at once. Another practice's patient, or no phone: clear answers.
  ASSERT_EQ(Text("SM0501", "+13125550111", "STOP").status, 200);
  HttpResult refused = Call("POST", "/api/v1/conversations", start_body);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Json(refused).at("error").at("field").as_string(), "consent");
  EXPECT_EQ(Call("POST", "/api/v1/conversations", start_body, &other_token_).status, 404);
  HttpResult no_phone = Call("POST", "/api/v1/patients", R"({"name":"Nora Nophone"})");
  ASSERT_EQ(no_phone.status, 201);
  HttpResult nothing_to_text =
      Call("POST", "/api/v1/conversations",
           R"({"patient_id":)" + std::to_string(Json(no_phone).at("id").as_int64()) +
               R"(,"channel":"sms","text":"hi"})");
  EXPECT_EQ(nothing_to_text.status, 409);
  EXPECT_EQ(Json(nothing_to_text).at("error").at("field").as_string(), "phone");
  EXPECT_EQ(
      Call("POST", "/api/v1/conversations", R"({"patient_id":1,"channel":"chat","text":"hi"})")
          .status,
      400);
}

TEST_F(EmailTest, AgentsStartEmailConversationsWithTheirOwnSubject) {
  ASSERT_EQ(SetUpEmail().status, 200);
  HttpResult patient =
      Call("POST", "/api/v1/patients", R"({"name":"Olga Pines","email":"olga@example.com"})");
  ASSERT_EQ(patient.status, 201) << patient.body;
  HttpResult started = Call(
      "POST", "/api/v1/conversations",
      R"({"patient_id":)" + std::to_string(Json(patient).at("id").as_int64()) +
          R"(,"channel":"email","subject":"Your visit on Friday","text":"Please bring your card."})");
  ASSERT_EQ(started.status, 201) << started.body;
  EXPECT_FALSE(Json(started).contains("sms_segments"));
  ASSERT_EQ(*sender_->RunOnce(), 1);
  auto mails = smtp_.mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipients, std::vector<std::string>{"olga@example.com"});
  EXPECT_EQ(mails[0].Header("Subject"),
            "Your visit on Friday [#C" +
                std::to_string(Json(started).at("conversation").at("id").as_int64()) + "]");
  EXPECT_EQ(mails[0].Header("In-Reply-To"), "");
  EXPECT_EQ(mails[0].Header("Auto-Submitted"), "") << "a person wrote it";
}

// ---- Live chat: the widget's calls, routing to agents, and honest offline handling.

class ChatTest : public ApiTest {
 protected:
  struct Chat {
    std::int64_t id = 0, conversation = 0;
    std::string token, state;
  };
  Chat StartChat(const std::string& body = R"({"text":"Can I move my appointment?"})",
                 const std::string& slug = "clinic") {
    HttpResult r = Checked(WidgetCall("POST", "/api/v1/widget/chats?tenant=" + slug, body));
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    json::object o = Json(r);
    return {o.at("chat_id").as_int64(), o.at("conversation_id").as_int64(),
            std::string(o.at("token").as_string()), std::string(o.at("state").as_string())};
  }
  HttpResult Patient(const Chat& chat, std::string method, const std::string& path,
                     std::string body = {}) {
    return Checked(
        WidgetCall(std::move(method), path + "?tenant=clinic", std::move(body), chat.token));
  }
  void SetPresence(const std::string& token, const std::string& body) {
    HttpResult r = Call("PUT", "/api/v1/me/presence", body, &token);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::vector<std::string> EventTypes(std::int64_t conversation) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_->Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto events, tx.ListEvents(ConversationId{conversation}));
      for (const core::Event& e : events) out.push_back(e.type);
      return {};
    }));
    return out;
  }
  std::optional<core::Event> LastEvent(std::int64_t conversation, const std::string& type) {
    std::optional<core::Event> out;
    EXPECT_TRUE(store_->Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto events, tx.ListEvents(ConversationId{conversation}));
      for (const core::Event& e : events) {
        if (e.type == type) out = e;
      }
      return {};
    }));
    return out;
  }
  static std::string DataOf(const core::Event& e, const std::string& key) {
    for (const auto& [k, v] : e.data) {
      if (k == key) return v;
    }
    return {};
  }
  std::int64_t OfferedChat(const std::string& token) {
    HttpResult mine = Call("GET", "/api/v1/me/chats", {}, &token);
    EXPECT_EQ(mine.status, 200) << mine.body;
    json::object o = Json(mine);
    const json::array& offered = o.at("offered").as_array();
    return offered.empty() ? 0 : offered.at(0).at("chat_id").as_int64();
  }
};

TEST_F(ChatTest, APatientSendsAPhotoOrAPdfAndNothingElse) {
  Chat chat = StartChat();
  auto upload = [&](const std::string& query, const std::string& type, std::string bytes,
                    const std::string& token) {
    HttpCall c = WidgetCall("POST", "/api/v1/widget/chat/files?tenant=clinic" + query,
                            std::move(bytes), token);
    c.json = false;
    c.headers.emplace_back("Content-Type", type);
    return Checked(c);
  };
  auto messages = [&] {
    return Json(Call("GET", "/api/v1/conversations/" + std::to_string(chat.conversation)))
        .at("messages")
        .as_array();
  };
  const std::size_t before = messages().size();
  // A phone's photo: over the ordinary 1 MiB body limit, within the 10 MiB upload limit.
  std::string photo = "\x89PNG\r\n\x1A\n" + std::string(2 << 20, 'p');
  for (int i = 0; i < 2; ++i) {
    HttpResult sent =
        upload("&name=..%2F..%2Frash%20photo.png&client_id=f-1", "image/png", photo, chat.token);
    EXPECT_EQ(sent.status, i == 0 ? 201 : 200) << "a resend is stored once: " << sent.body;
  }
  json::array after = messages();
  ASSERT_EQ(after.size(), before + 1);
  const json::object& m = after.back().as_object();
  EXPECT_EQ(m.at("kind").as_string(), "inbound");
  EXPECT_EQ(m.at("text").as_string(), "\xF0\x9F\x93\x8E rash photo.png");
  EXPECT_EQ(m.at("metadata").at("client_id").as_string(), "f-1");
  ASSERT_EQ(m.at("attachments").as_array().size(), 1u);
  const json::object& file = m.at("attachments").as_array()[0].as_object();
  EXPECT_EQ(file.at("filename").as_string(), "rash photo.png");
  EXPECT_EQ(file.at("content_type").as_string(), "image/png");
  EXPECT_EQ(file.at("size").as_int64(), static_cast<std::int64_t>(photo.size()));
  HttpResult fetched =
      Call("GET", "/api/v1/attachments/" + std::to_string(file.at("id").as_int64()));
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.body, photo);

  // A PDF under a misleading type is known by its bytes; a page dressed as a photo is not.
  EXPECT_EQ(upload("&name=referral.pdf", "image/jpeg", "%PDF-1.4\n...", chat.token).status, 201);
  EXPECT_EQ(messages().back().at("attachments").at(0).at("content_type").as_string(),
            "application/pdf");
  const std::size_t kept = messages().size();
  HttpResult page =
      upload("&name=x.png", "image/png", "<html><script>alert(1)</script>", chat.token);
  EXPECT_EQ(page.status, 415) << page.body;
  EXPECT_EQ(ErrorCode(page), "unsupported_media_type");
  HttpResult empty = upload("&name=x.png", "image/png", "", chat.token);
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(ErrorField(empty), "file");
  EXPECT_EQ(upload("", "image/png", photo, "").status, 401) << "only with the chat's secret";
  EXPECT_EQ(upload("", "image/png", photo, "cdc_forged").status, 401);
  HttpResult huge =
      upload("", "image/png", "\x89PNG\r\n\x1A\n" + std::string(10 << 20, 'p'), chat.token);
  EXPECT_EQ(huge.status, 413) << huge.body;
  EXPECT_EQ(ErrorCode(huge), "too_large");
  // Elsewhere the ordinary limit stands.
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/messages",
                    R"({"text":")" + std::string(2 << 20, 'a') + R"("})")
                .status,
            413);
  EXPECT_EQ(messages().size(), kept) << "nothing refused was stored";
}

TEST_F(ChatTest, APatientRatesAnAnsweredChatAndTheStarsAreTheCsatFigure) {
  SetPresence(token_, R"({"status":"available"})");
  Chat chat = StartChat(R"({"text":"Can I move my appointment?"})");
  auto rate = [&](const std::string& body) {
    return Patient(chat, "POST", "/api/v1/widget/chat/rating", body);
  };
  HttpResult early = rate(R"({"score":5})");
  EXPECT_EQ(early.status, 409) << "nobody has answered yet: " << early.body;
  ASSERT_EQ(Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/accept").status, 200);
  for (const char* bad : {R"({"score":0})", R"({"score":6})", R"({"score":"5"})", R"({})",
                          R"({"score":4,"extra":1})", R"([5])"}) {
    HttpResult r = rate(bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
  EXPECT_EQ(
      Checked(WidgetCall("POST", "/api/v1/widget/chat/rating?tenant=clinic", R"({"score":5})"))
          .status,
      401)
      << "needs the chat's secret";
  HttpResult five = rate(R"({"score":5})");
  ASSERT_EQ(five.status, 200) << five.body;
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  auto csat = [&] {
    EXPECT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
    const std::string day = FormatRfc3339(clock_.Now()).substr(0, 10);
    return Json(Call("GET", "/api/v1/reports/kpis?from=" + day + "&to=" + day, {}, &lead))
        .at("metrics")
        .at("csat")
        .as_object();
  };
  json::object first = csat();
  EXPECT_EQ(first.at("value"), 1);
  EXPECT_EQ(first.at("count"), 1);
  // Thinking better of it: the latest rating counts, still one answer.
  ASSERT_EQ(rate(R"({"score":2})").status, 200);
  json::object second = csat();
  EXPECT_EQ(second.at("value"), 0);
  EXPECT_EQ(second.at("count"), 1);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(rate(R"({"score":3})").status, 200);
  HttpResult sixth = rate(R"({"score":5})");
  EXPECT_EQ(sixth.status, 409) << "five ratings are enough: " << sixth.body;
  EXPECT_EQ(csat().at("value"), 0) << "the refused one changed nothing";
}

TEST_F(ChatTest, AChatFromALocationsPageCountsUnderThatLocation) {
  std::string admin = MakeUser(tenant_, "boss@clinic.example", core::Role::kAdmin);
  const std::string location = MakeLocation(admin, "Northside");
  std::string other_admin = MakeUser(other_tenant_, "boss2@other.example", core::Role::kAdmin);
  const std::string theirs = MakeLocation(other_admin, "Theirs");
  Chat chat =
      StartChat(R"({"text":"Is the north office open Saturday?","location":)" + location + "}");
  ASSERT_NE(chat.conversation, 0);
  EXPECT_EQ(
      std::to_string(Json(Call("GET", "/api/v1/conversations/" + std::to_string(chat.conversation)))
                         .at("location_id")
                         .as_int64()),
      location);
  Chat plain = StartChat();  // a page that names no location
  EXPECT_TRUE(Json(Call("GET", "/api/v1/conversations/" + std::to_string(plain.conversation)))
                  .at("location_id")
                  .is_null());
  // Another practice's location, none, or not a number: refused, and no chat begins.
  for (const std::string& bad :
       {R"({"text":"hi","location":)" + theirs + "}", std::string(R"({"text":"hi","location":0})"),
        std::string(R"({"text":"hi","location":"north"})")}) {
    HttpResult r = Checked(WidgetCall("POST", "/api/v1/widget/chats?tenant=clinic", bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(ErrorField(r), "location") << bad;
  }
  std::string lead = MakeUser(tenant_, "manager@clinic.example", core::Role::kSupervisor);
  ASSERT_TRUE(jobs::RollUpAll(*store_, tenant_, {}));
  const std::string day = FormatRfc3339(clock_.Now()).substr(0, 10);
  auto conversations = [&](const std::string& cut) {
    return Json(Call("GET", "/api/v1/reports/kpis?from=" + day + "&to=" + day + cut, {}, &lead))
        .at("metrics")
        .at("conversations")
        .at("value");
  };
  EXPECT_EQ(conversations(""), 2) << "the refused ones began nothing";
  EXPECT_EQ(conversations("&location=" + location), 1);
}

TEST_F(ChatTest, APatientGetsACopyOfTheChatByEmail) {
  SetPresence(token_, R"({"status":"available"})");
  Chat chat = StartChat(R"({"text":"Is the clinic open on Saturday?"})");
  ASSERT_EQ(Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/accept").status, 200);
  const std::string conv = "/api/v1/conversations/" + std::to_string(chat.conversation);
  ASSERT_EQ(Call("POST", conv + "/replies", R"({"text":"Yes, 9 to 12."})").status, 201);
  ASSERT_EQ(Call("POST", conv + "/notes", R"({"text":"regular patient"})").status, 201);
  auto transcript = [&](const std::string& body) {
    return Patient(chat, "POST", "/api/v1/widget/chat/transcript", body);
  };
  // No mail account yet: said plainly, nothing queued.
  HttpResult none = transcript(R"({"email":"pat@example.org"})");
  EXPECT_EQ(none.status, 409) << none.body;
  EXPECT_EQ(ErrorField(none), "email");
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) {
    return tx.PutChannelSettings(
        {"email", R"({"address":"desk@clinic.example","smtp_url":"smtp://127.0.0.1:9"})", ""},
        clock_.Now());
  }));
  HttpResult bad = transcript(R"({"email":"not an address"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorField(bad), "email");
  EXPECT_EQ(Checked(WidgetCall("POST", "/api/v1/widget/chat/transcript?tenant=clinic",
                               R"({"email":"pat@example.org"})"))
                .status,
            401)
      << "needs the chat's secret";

  HttpResult sent = transcript(R"({"email":" Pat@Example.org "})");
  ASSERT_EQ(sent.status, 202) << sent.body;
  EXPECT_EQ(Json(sent).at("sent_to").as_string(), core::MaskEmail("pat@example.org"));
  auto due = store_->DueOutbound(clock_.Now(), 10);
  ASSERT_TRUE(due && due->size() == 1u);
  std::optional<store::OutboxItem> item;
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(item, tx.ClaimOutbound(due->at(0).id, clock_.Now(), std::chrono::seconds(60)));
    return {};
  }));
  ASSERT_TRUE(item);
  EXPECT_EQ(item->channel, "email");
  EXPECT_EQ(item->recipient, "pat@example.org");
  EXPECT_EQ(item->purpose, "transcript");
  auto envelope = channels::ParseEmailEnvelope(item->body);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(envelope->subject, "Your chat with clinic");
  EXPECT_THAT(envelope->text, ::testing::HasSubstr("You: Is the clinic open on Saturday?"));
  EXPECT_THAT(envelope->text, ::testing::HasSubstr(": Yes, 9 to 12."));
  EXPECT_EQ(envelope->text.find("regular patient"), std::string::npos) << "never the notes";
  auto types = EventTypes(chat.conversation);
  EXPECT_EQ(std::count(types.begin(), types.end(), "chat_transcript_sent"), 1);
  // Three copies at most.
  EXPECT_EQ(transcript(R"({"email":"pat@example.org"})").status, 202);
  EXPECT_EQ(transcript(R"({"email":"pat@example.org"})").status, 202);
  HttpResult fourth = transcript(R"({"email":"pat@example.org"})");
  EXPECT_EQ(fourth.status, 409);
  EXPECT_EQ(ErrorField(fourth), "email");
}

TEST_F(ChatTest, APatientReachesAnAvailableAgentAndTheyTalk) {
  // Nobody has said they are available: the widget must not pretend otherwise.
  HttpResult before = Checked(WidgetCall("GET", "/api/v1/widget/status?tenant=clinic"));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_FALSE(Json(before).at("live").as_bool());
  EXPECT_EQ(Json(before).at("agents_available").as_int64(), 0);

  SetPresence(token_, R"({"status":"available","max_chats":2})");
  HttpResult status = Checked(WidgetCall("GET", "/api/v1/widget/status?tenant=clinic"));
  EXPECT_TRUE(Json(status).at("live").as_bool()) << status.body;
  EXPECT_EQ(Json(status).at("expected_wait_seconds").as_int64(), 0);

  Chat chat = StartChat();
  ASSERT_EQ(chat.state, "waiting");
  // Offered to the one available agent at once, not at the router's next pass.
  ASSERT_EQ(OfferedChat(token_), chat.id);
  HttpResult accepted = Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/accept");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(Json(accepted).at("state").as_string(), "active");
  HttpResult conversation =
      Call("GET", "/api/v1/conversations/" + std::to_string(chat.conversation));
  EXPECT_EQ(Json(conversation).at("assignee_id").as_int64(), user_.value);

  clock_.Advance(std::chrono::seconds(20));
  HttpResult reply =
      Call("POST", "/api/v1/conversations/" + std::to_string(chat.conversation) + "/replies",
           R"({"text":"Of course. Which day suits you?"})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  (void)Call("POST", "/api/v1/conversations/" + std::to_string(chat.conversation) + "/notes",
             R"({"text":"internal: check the schedule"})");

  HttpResult seen = Patient(chat, "GET", "/api/v1/widget/chat");
  ASSERT_EQ(seen.status, 200) << seen.body;
  json::object view = Json(seen);
  EXPECT_EQ(view.at("state").as_string(), "active");
  EXPECT_EQ(view.at("agent").as_string(), "Agent");
  const json::array& messages = view.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u) << "the note must never reach the patient: " << seen.body;
  EXPECT_EQ(messages[0].at("from").as_string(), "patient");
  EXPECT_EQ(messages[1].at("from").as_string(), "practice");
  EXPECT_EQ(messages[1].at("text").as_string(), "Of course. Which day suits you?");
  std::int64_t reply_id = messages[1].at("id").as_int64();
  // The reply was there for the patient the moment it was stored: no outbox, no "queued".
  HttpResult staff_view = Call("GET", "/api/v1/conversations/" + std::to_string(chat.conversation));
  EXPECT_EQ(Json(staff_view).at("messages").as_array().at(1).at("delivery_status").as_string(),
            "sent")
      << staff_view.body;

  // The patient writes; the widget resends after a lost answer under the same client id.
  for (int i = 0; i < 2; ++i) {
    HttpResult sent = Patient(chat, "POST", "/api/v1/widget/chat/messages",
                              R"({"text":"Tuesday morning","client_id":"m-1"})");
    EXPECT_EQ(sent.status, i == 0 ? 201 : 200) << sent.body;
  }
  HttpResult after = Patient(chat, "GET", "/api/v1/widget/chat");
  EXPECT_EQ(Json(after).at("messages").as_array().size(), 3u);
  // Only what is new since the widget's last message id.
  HttpResult newer = Checked(
      WidgetCall("GET", "/api/v1/widget/chat?tenant=clinic&after=" + std::to_string(reply_id), {},
                 chat.token));
  ASSERT_EQ(Json(newer).at("messages").as_array().size(), 1u) << newer.body;
  EXPECT_EQ(Json(newer).at("messages").as_array()[0].at("text").as_string(), "Tuesday morning");
  // With the id the widget sent it under, so its "sending" copy is replaced, never doubled.
  EXPECT_EQ(Json(newer).at("messages").as_array()[0].at("client_id").as_string(), "m-1");
  EXPECT_FALSE(Json(after).at("messages").as_array()[1].as_object().contains("client_id"))
      << "the practice's messages have none";

  HttpResult read = Patient(chat, "POST", "/api/v1/widget/chat/seen",
                            R"({"message_id":)" + std::to_string(reply_id) + "}");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Json(read).at("patient_seen_message_id").as_int64(), reply_id);

  clock_.Advance(std::chrono::minutes(4));
  HttpResult ended = Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/end");
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_EQ(Json(ended).at("state").as_string(), "ended");

  // Every step is an event for the figures: started, offered, accepted (with the wait) and
  // ended (with how long the patient waited and how long the chat took).
  std::vector<std::string> types = EventTypes(chat.conversation);
  for (std::string t : {"chat_started", "chat_offered", "chat_accepted", "chat_ended"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  }
  auto end_event = LastEvent(chat.conversation, "chat_ended");
  ASSERT_TRUE(end_event);
  EXPECT_EQ(DataOf(*end_event, "wait_ms"), "0");
  EXPECT_EQ(DataOf(*end_event, "duration_ms"), std::to_string(4 * 60 * 1000 + 20 * 1000));
  EXPECT_EQ(DataOf(*end_event, "agent_id"), std::to_string(user_.value));
}

TEST_F(ChatTest, ChatsGoToTheLeastLoadedSkilledAgentAndMoveOnWhenAnOfferRunsOut) {
  std::string ana = MakeUser(tenant_, "ana@clinic.example", core::Role::kAgent);
  std::string ben = MakeUser(tenant_, "ben@clinic.example", core::Role::kAgent);
  std::string lead = MakeUser(tenant_, "lead@clinic.example", core::Role::kSupervisor);
  // Ben speaks Spanish; Ana only English.
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto users, tx.ListUsers());
    for (store::User u : users) {
      if (u.email == "ana@clinic.example") u.languages = {"en"};
      if (u.email == "ben@clinic.example") u.languages = {"en", "es"};
      if (u.email == "agent@clinic.example") u.languages = {"fr"};
      CD_TRY(tx.UpdateUser(u));
    }
    return {};
  }));
  SetPresence(ana, R"({"status":"available","max_chats":2})");
  clock_.Advance(std::chrono::seconds(1));
  SetPresence(ben, R"({"status":"available","max_chats":2})");

  Chat spanish = StartChat(R"({"text":"Necesito una cita","language":"es"})");
  EXPECT_EQ(OfferedChat(ben), spanish.id) << "only Ben speaks Spanish";
  EXPECT_EQ(OfferedChat(ana), 0);
  // Ben now has one chat, Ana none: the next English chat goes to Ana.
  clock_.Advance(std::chrono::seconds(1));
  Chat first = StartChat(R"({"text":"Hello","language":"en"})");
  EXPECT_EQ(OfferedChat(ana), first.id);
  // Both hold one now; Ben's load last changed before Ana's, so he has been idle longer.
  clock_.Advance(std::chrono::seconds(1));
  Chat second = StartChat(R"({"text":"Hi there","language":"en"})");
  HttpResult bens = Call("GET", "/api/v1/me/chats", {}, &ben);
  ASSERT_EQ(Json(bens).at("offered").as_array().size(), 2u) << bens.body;

  // Ben takes the Spanish chat. Ana lets her offer run out: the router moves it on, sets her to
  // busy (she is not at her desk), and the supervisor sees the chat at risk: Ben is full.
  HttpResult took =
      Call("POST", "/api/v1/chats/" + std::to_string(spanish.id) + "/accept", {}, &ben);
  ASSERT_EQ(took.status, 200) << took.body;
  clock_.Advance(std::chrono::milliseconds(29'500));  // Ana's offer ran out, Ben's has not
  SetPresence(ben, R"({"status":"available"})");      // a heartbeat; Ben is still there
  jobs::ChatRouter router(*store_, clock_);
  ASSERT_TRUE(router.RunOnce());
  EXPECT_EQ(OfferedChat(ana), 0);
  ASSERT_TRUE(LastEvent(first.conversation, "chat_offer_expired"));
  HttpResult ana_presence = Call("GET", "/api/v1/me/presence", {}, &ana);
  EXPECT_EQ(Json(ana_presence).at("status").as_string(), "busy");
  HttpResult live = Call("GET", "/api/v1/chats/live", {}, &lead);
  ASSERT_EQ(live.status, 200) << live.body;
  bool flagged = false;
  json::object live_view = Json(live);
  for (const auto& q : live_view.at("queues").as_array()) {
    for (const auto& c : q.at("waiting").as_array()) {
      if (c.at("chat_id").as_int64() == first.id) {
        flagged = c.at("at_risk").as_bool() && c.at("passed_over").as_int64() == 1 &&
                  c.at("offered_to").as_int64() == 0;
      }
    }
  }
  EXPECT_TRUE(flagged) << live.body;
  // Ben declines the second chat: that frees a slot, which the older waiting chat takes; the
  // one he declined is not bounced back to him.
  HttpResult declined =
      Call("POST", "/api/v1/chats/" + std::to_string(second.id) + "/decline", {}, &ben);
  ASSERT_EQ(declined.status, 200) << declined.body;
  HttpResult bens_now = Call("GET", "/api/v1/me/chats", {}, &ben);
  std::set<std::int64_t> offered_to_ben;
  json::object bens_view = Json(bens_now);
  for (const auto& c : bens_view.at("offered").as_array()) {
    offered_to_ben.insert(c.at("chat_id").as_int64());
  }
  EXPECT_EQ(offered_to_ben, (std::set<std::int64_t>{first.id})) << bens_now.body;
  // Ana is back: the chat nobody else could take goes to her.
  SetPresence(ana, R"({"status":"available"})");
  EXPECT_EQ(OfferedChat(ana), second.id);

  // Accepting what is not offered to you is refused and changes nothing.
  HttpResult stolen =
      Call("POST", "/api/v1/chats/" + std::to_string(spanish.id) + "/accept", {}, &ana);
  EXPECT_EQ(stolen.status, 409) << stolen.body;
  // A supervisor can hand a chat straight to someone.
  HttpResult me = Call("GET", "/api/v1/me", {}, &ana);
  std::int64_t ana_id = Json(me).at("user_id").as_int64();
  HttpResult handed = Call("POST", "/api/v1/chats/" + std::to_string(spanish.id) + "/assign",
                           R"({"agent_id":)" + std::to_string(ana_id) + "}", &lead);
  ASSERT_EQ(handed.status, 200) << handed.body;
  EXPECT_EQ(Json(handed).at("state").as_string(), "active");
}

TEST_F(ChatTest, NobodyAvailableTurnsIntoAFollowUpByTextWithItsSla) {
  HttpResult status = Checked(WidgetCall("GET", "/api/v1/widget/status?tenant=clinic"));
  EXPECT_FALSE(Json(status).at("live").as_bool());
  Chat chat = StartChat(R"({"text":"Is my referral ready?"})");
  EXPECT_EQ(chat.state, "offline");
  HttpResult contact =
      Patient(chat, "POST", "/api/v1/widget/chat/contact", R"({"phone":"(312) 555-0199"})");
  ASSERT_EQ(contact.status, 200) << contact.body;
  // The question is in the inbox with a response target.
  HttpResult view = Call("GET", "/api/v1/conversations/" + std::to_string(chat.conversation));
  ASSERT_EQ(view.status, 200);
  json::object c = Json(view);
  EXPECT_EQ(c.at("status").as_string(), "open");
  EXPECT_NE(c.at("sla").at("due_at"), nullptr) << view.body;
  // The answer goes out by text, to the number the patient left.
  HttpResult reply =
      Call("POST", "/api/v1/conversations/" + std::to_string(chat.conversation) + "/replies",
           R"({"text":"Yes, it went to Dr. Lee this morning."})");
  ASSERT_EQ(reply.status, 201) << reply.body;
  std::vector<store::OutboxItem> queued;
  ASSERT_TRUE(store_->Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(queued, tx.PendingOutbound(10));
    return {};
  }));
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].channel, "sms");
  EXPECT_EQ(queued[0].recipient, "+13125550199");
  auto started = LastEvent(chat.conversation, "chat_started");
  ASSERT_TRUE(started);
  EXPECT_EQ(DataOf(*started, "live"), "false");
}

TEST_F(ChatTest, APatientWhoLeavesWhileWaitingIsAnAbandonedChat) {
  // A long expected wait is still offered live here (the default would send the second patient
  // to a follow-up at once: a chat takes 6 minutes and the agent takes one at a time).
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) {
    return tx.PutChannelSettings({"chat", R"({"max_wait_seconds":3600})", ""}, clock_.Now());
  }));
  SetPresence(token_, R"({"status":"available","max_chats":1})");
  Chat busy = StartChat();  // takes the agent's only slot (offered)
  Chat waiting = StartChat(R"({"text":"Anyone there?"})");
  EXPECT_EQ(waiting.state, "waiting");
  HttpResult queue = Patient(waiting, "GET", "/api/v1/widget/chat");
  EXPECT_EQ(Json(queue).at("position").as_int64(), 0) << queue.body;
  clock_.Advance(std::chrono::seconds(45));
  HttpResult left = Patient(waiting, "POST", "/api/v1/widget/chat/leave");
  ASSERT_EQ(left.status, 200) << left.body;
  EXPECT_EQ(Json(left).at("state").as_string(), "abandoned");
  auto abandoned = LastEvent(waiting.conversation, "chat_abandoned");
  ASSERT_TRUE(abandoned);
  EXPECT_EQ(DataOf(*abandoned, "wait_ms"), "45000");
  // No way to reach them: nothing to follow up, so the conversation does not sit and breach.
  HttpResult view = Call("GET", "/api/v1/conversations/" + std::to_string(waiting.conversation));
  EXPECT_EQ(Json(view).at("status").as_string(), "resolved");

  // One who left a number and goes silent is followed up: the conversation stays open.
  Chat reachable = StartChat(R"({"text":"Call me back please","phone":"312-555-0142"})");
  clock_.Advance(std::chrono::minutes(3));
  SetPresence(token_, R"({"status":"available"})");
  jobs::ChatRouter router(*store_, clock_);
  ASSERT_TRUE(router.RunOnce());
  HttpResult gone = Patient(reachable, "GET", "/api/v1/widget/chat");
  EXPECT_EQ(Json(gone).at("state").as_string(), "abandoned") << gone.body;
  HttpResult open = Call("GET", "/api/v1/conversations/" + std::to_string(reachable.conversation));
  EXPECT_EQ(Json(open).at("status").as_string(), "open");
  (void)busy;
}

TEST_F(ChatTest, TheWidgetsCallsRefuseBadInputAndOtherChats) {
  SetPresence(token_, R"({"status":"available"})");
  Chat chat = StartChat();
  // A wrong secret, a secret for another practice, none at all: 401 and nothing revealed.
  HttpCall forged = WidgetCall("GET", "/api/v1/widget/chat?tenant=clinic", {}, "cdc_forged");
  EXPECT_EQ(Checked(forged).status, 401);
  HttpCall elsewhere = WidgetCall("GET", "/api/v1/widget/chat?tenant=other", {}, chat.token);
  EXPECT_EQ(Checked(elsewhere).status, 401);
  EXPECT_EQ(Checked(WidgetCall("GET", "/api/v1/widget/chat?tenant=clinic")).status, 401);
  // Malformed and wrong-typed bodies change nothing.
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/messages", "{\"text\":").status, 400);
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/messages", R"({"text":5})").status, 400);
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/messages", R"({"text":"  "})").status, 400);
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/messages", "{\"text\":\"\xff\"}").status,
            400);
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/contact", R"({"phone":"call me"})").status,
            400);
  EXPECT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/seen", R"({"message_id":999999})").status,
            404);
  EXPECT_EQ(
      Checked(WidgetCall("POST", "/api/v1/widget/chats?tenant=nowhere", R"({"text":"x"})")).status,
      404);
  EXPECT_EQ(
      Checked(WidgetCall("POST", "/api/v1/widget/chats?tenant=clinic", R"({"text":""})")).status,
      400);
  EXPECT_EQ(MessageCount(chat.conversation), 1u);
  // Staff input.
  EXPECT_EQ(Call("PUT", "/api/v1/me/presence", R"({"max_chats":0})").status, 400);
  EXPECT_EQ(Call("PUT", "/api/v1/me/presence", R"({"status":"away"})").status, 400);
  std::string admin = MakeUser(tenant_, "admin@clinic.example", core::Role::kAdmin);
  EXPECT_EQ(Call("PUT", "/api/v1/settings/chat", R"({"offer_timeout_seconds":1})", &admin).status,
            400);
  EXPECT_EQ(Call("PUT", "/api/v1/settings/chat", R"({"colour":"red"})", &admin).status, 400);
  EXPECT_EQ(Call("PUT", "/api/v1/settings/chat", R"({"languages":["EN"]})", &admin).status, 400);
  HttpResult kept = Call("GET", "/api/v1/settings/chat", {}, &admin);
  EXPECT_EQ(Json(kept).at("offer_timeout_seconds").as_int64(), 30) << kept.body;
  EXPECT_EQ(Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/accept", {}, &other_token_)
                .status,
            404);
}

TEST_F(ChatTest, TheWidgetMayCallFromThePracticesOwnWebsite) {
  HttpCall preflight = WidgetCall("OPTIONS", "/api/v1/widget/chats?tenant=clinic");
  preflight.headers = {{"Origin", "https://www.clinic.example"},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "content-type,x-chat-token"}};
  HttpResult p = Send(port_, preflight);
  EXPECT_EQ(p.status, 204);
  EXPECT_EQ(p.headers["access-control-allow-origin"], "*");
  EXPECT_THAT(p.headers["access-control-allow-headers"], ::testing::HasSubstr("X-Chat-Token"));
  HttpResult status = Checked(WidgetCall("GET", "/api/v1/widget/status?tenant=clinic"));
  EXPECT_EQ(status.headers["access-control-allow-origin"], "*");
  EXPECT_EQ(status.headers["cross-origin-resource-policy"], "cross-origin");
  // Staff routes stay same-origin.
  HttpResult staff = Call("GET", "/api/v1/me/presence");
  EXPECT_EQ(staff.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(staff.headers["cross-origin-resource-policy"], "same-origin");
}

TEST_F(ChatTest, MessagesTypingAndTheChatsStateArePushedToWhoShouldSeeThem) {
  using testing::WsClient;
  SetPresence(token_, R"({"status":"available"})");
  int status = 0;
  auto console = WsClient::Connect(port_, "/api/v1/ws", {{"caredesk.v1", token_}, {}}, &status);
  ASSERT_TRUE(console) << status;
  EXPECT_EQ(console->protocol(), "caredesk.v1");
  ASSERT_TRUE(console->NextWith("\"hello\""));
  auto elsewhere = WsClient::Connect(port_, "/api/v1/ws", {{"caredesk.v1", other_token_}, {}});
  ASSERT_TRUE(elsewhere);
  ASSERT_TRUE(elsewhere->NextWith("\"hello\""));

  Chat chat = StartChat(R"({"text":"My prescription ran out"})");
  auto widget = WsClient::Connect(port_, "/api/v1/widget/ws?tenant=clinic",
                                  {{"caredesk.v1", chat.token}, {}}, &status);
  ASSERT_TRUE(widget) << status;
  ASSERT_TRUE(console->NextWith("\"chats\"")) << "the console learns of the new chat";

  // Taken: the patient's widget is told who answers.
  ASSERT_EQ(Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/accept").status, 200);
  auto taken = widget->NextWith("\"type\":\"chat\"");
  ASSERT_TRUE(taken);
  EXPECT_NE(taken->find("\"state\":\"active\""), std::string::npos) << *taken;
  EXPECT_NE(taken->find("\"agent\":\"Agent\""), std::string::npos) << *taken;

  // The patient types and writes: the console hears both.
  widget->Send(R"({"type":"typing"})");
  auto typing = console->NextWith("\"typing\"");
  ASSERT_TRUE(typing);
  EXPECT_NE(typing->find("\"who\":\"patient\""), std::string::npos) << *typing;
  ASSERT_EQ(Patient(chat, "POST", "/api/v1/widget/chat/messages",
                    R"({"text":"It was lisinopril","client_id":"a1"})")
                .status,
            201);
  auto arrived = console->NextWith("It was lisinopril");
  ASSERT_TRUE(arrived);
  EXPECT_NE(arrived->find("\"conversation_id\":" + std::to_string(chat.conversation)),
            std::string::npos);
  // The widget gets its own message back with the id it sent it under, to replace its copy.
  auto echo = widget->NextWith("It was lisinopril");
  ASSERT_TRUE(echo);
  EXPECT_NE(echo->find("\"client_id\":\"a1\""), std::string::npos) << *echo;

  // The agent types and answers: the widget hears both; a note never reaches it.
  console->Send(R"({"type":"typing","conversation_id":)" + std::to_string(chat.conversation) + "}");
  ASSERT_TRUE(widget->NextWith("\"typing\""));
  (void)Call("POST", "/api/v1/conversations/" + std::to_string(chat.conversation) + "/notes",
             R"({"text":"private note"})");
  ASSERT_EQ(Call("POST", "/api/v1/conversations/" + std::to_string(chat.conversation) + "/replies",
                 R"({"text":"I have sent a refill request"})")
                .status,
            201);
  auto reply = widget->NextWith("\"message\"");
  ASSERT_TRUE(reply);
  // The agent reads the patient's message: the widget shows it read.
  HttpResult patient_view = Patient(chat, "GET", "/api/v1/widget/chat");
  std::int64_t patient_message = 0;
  json::object patient_json = Json(patient_view);
  for (const auto& m : patient_json.at("messages").as_array()) {
    if (m.at("from") == "patient") patient_message = m.at("id").as_int64();
  }
  ASSERT_EQ(Call("POST", "/api/v1/chats/" + std::to_string(chat.id) + "/seen",
                 R"({"message_id":)" + std::to_string(patient_message) + "}")
                .status,
            200);
  auto read = widget->NextWith("\"seen\"");
  ASSERT_TRUE(read);
  EXPECT_NE(read->find("\"agent_seen_message_id\":" + std::to_string(patient_message)),
            std::string::npos)
      << *read;
  EXPECT_EQ(Json(Patient(chat, "GET", "/api/v1/widget/chat")).at("agent_seen_message_id"),
            patient_message);
  EXPECT_NE(reply->find("I have sent a refill request"), std::string::npos) << *reply;
  EXPECT_NE(reply->find("\"from\":\"practice\""), std::string::npos) << *reply;
  EXPECT_NE(reply->find("\"author\":\"Agent\""), std::string::npos) << *reply;
  EXPECT_EQ(reply->find("private note"), std::string::npos);
  // The other practice's console heard nothing of it.
  auto leaked = elsewhere->NextWith("\"type\"", std::chrono::milliseconds(300));
  EXPECT_FALSE(leaked) << *leaked;

  // The widget's connection drops; two answers go out meanwhile. Reconnected, it asks for
  // everything after the last message it has and gets exactly those two.
  std::int64_t last_seen = json::parse(*reply).at("message").at("id").as_int64();
  widget->Drop();
  widget.reset();
  for (std::string text : {"First while away", "Second while away"}) {
    ASSERT_EQ(
        Call("POST", "/api/v1/conversations/" + std::to_string(chat.conversation) + "/replies",
             json::serialize(json::object{{"text", text}}))
            .status,
        201);
  }
  widget = WsClient::Connect(port_, "/api/v1/widget/ws?tenant=clinic",
                             {{"caredesk.v1", chat.token}, {}});
  ASSERT_TRUE(widget);
  HttpResult missed = Checked(
      WidgetCall("GET", "/api/v1/widget/chat?tenant=clinic&after=" + std::to_string(last_seen), {},
                 chat.token));
  json::object missed_view = Json(missed);
  const json::array& texts = missed_view.at("messages").as_array();
  ASSERT_EQ(texts.size(), 2u) << missed.body;
  EXPECT_EQ(texts[0].at("text").as_string(), "First while away");
  EXPECT_EQ(texts[1].at("text").as_string(), "Second while away");
}

TEST_F(ChatTest, WebSocketsNeedTheRightCredentialAndOrigin) {
  using testing::WsClient;
  int status = 0;
  EXPECT_FALSE(WsClient::Connect(port_, "/api/v1/ws", {{"caredesk.v1"}, {}}, &status));
  EXPECT_EQ(status, 401);
  EXPECT_FALSE(
      WsClient::Connect(port_, "/api/v1/ws", {{"caredesk.v1", "cdk_forged"}, {}}, &status));
  EXPECT_EQ(status, 401);
  EXPECT_FALSE(WsClient::Connect(port_, "/api/v1/widget/ws?tenant=clinic",
                                 {{"caredesk.v1", "cdc_forged"}, {}}, &status));
  EXPECT_EQ(status, 401);
  Chat chat = StartChat();
  EXPECT_FALSE(WsClient::Connect(port_, "/api/v1/widget/ws?tenant=other",
                                 {{"caredesk.v1", chat.token}, {}}, &status));
  EXPECT_EQ(status, 401) << "a chat's secret opens nothing at another practice";
  std::string auditor = MakeUser(tenant_, "audit@clinic.example", core::Role::kAuditor);
  EXPECT_FALSE(WsClient::Connect(port_, "/api/v1/ws", {{"caredesk.v1", auditor}, {}}, &status));
  EXPECT_EQ(status, 403);
  // A signed-in console's cookie from a page on another site is refused (cross-site WebSocket
  // hijacking); from the console's own origin it is accepted.
  std::string lead = MakeUser(tenant_, "lead@clinic.example", core::Role::kSupervisor);
  (void)lead;
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Tenant t, tx.GetTenant());
    t.require_second_factor = false;
    return tx.UpdateTenantSettings(t);
  }));
  HttpResult login = SignIn("lead@clinic.example");
  ASSERT_EQ(login.status, 201) << login.body;
  Browser b = BrowserOf(login);
  std::string host = "127.0.0.1:" + std::to_string(port_);
  EXPECT_FALSE(WsClient::Connect(port_, "/api/v1/ws",
                                 {{}, {{"Cookie", b.cookie}, {"Origin", "https://evil.example"}}},
                                 &status));
  EXPECT_EQ(status, 403);
  EXPECT_TRUE(WsClient::Connect(
      port_, "/api/v1/ws", {{}, {{"Cookie", b.cookie}, {"Origin", "http://" + host}}}, &status))
      << status;
  // Without an upgrade the address says what it is for.
  HttpCall plain;
  plain.target = "/api/v1/ws";
  EXPECT_EQ(Send(port_, plain).status, 426);
}

// A widget that stops reading (a phone that went to sleep) must not make the server hold an
// ever-growing queue for it: once ws_max_queued_frames frames wait, it is dropped.
TEST_F(ChatTest, AClientThatStopsReadingIsDroppedNotBuffered) {
  Chat chat = StartChat();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int small = 4096;  // a small receive window, so the server's writes stall soon
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string upgrade =
      "GET /api/v1/widget/ws?tenant=clinic HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: caredesk.v1, " +
      chat.token + "\r\n\r\n";
  ASSERT_EQ(::write(fd, upgrade.data(), upgrade.size()), static_cast<ssize_t>(upgrade.size()));
  char head[512];
  ssize_t n = ::read(fd, head, sizeof head);
  ASSERT_GT(n, 0);
  ASSERT_EQ(std::string(head, static_cast<std::size_t>(n)).rfind("HTTP/1.1 101", 0), 0u);
  for (int i = 0; i < 100 && api_->hub().Size() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(api_->hub().Size(), 1u);
  // Push far more than the socket buffers and the queue hold, and never read.
  http::Frame big = http::MakeFrame(std::string(64 * 1024, 'x'));
  for (int i = 0; i < 1000 && api_->hub().Size() > 0; ++i) {
    api_->hub().ToChat(tenant_, chat.id, big);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 300 && api_->hub().Size() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(api_->hub().Size(), 0u) << "the stalled client is still held";
  ::close(fd);
}

}  // namespace
}  // namespace caredesk
