// Two CareDesk nodes on one PostgreSQL database, as a practice group scales out. Each node
// group-commits on its own, so the same patient writing to both at once, or an integration
// retrying a delivery against the other node, must still give one patient, one conversation
// and one stored copy of each delivery. Runs against CAREDESK_TEST_PG_URL (the test script
// starts a throw-away cluster); fails rather than skips when CAREDESK_REQUIRE_PG=1.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <barrier>
#include <future>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "channels/sms/twilio.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "jobs/chat_router.hpp"
#include "jobs/kpi_rollup.hpp"
#include "jobs/outbox_sender.hpp"
#include "security/crypto.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "store/open.hpp"
#include "store/postgres/postgres_engine.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_twilio.hpp"
#include "support/http_client.hpp"
#include "support/ws_client.hpp"

namespace caredesk {
namespace {

namespace json = boost::json;

std::string PgUrl() {
  const char* url = std::getenv("CAREDESK_TEST_PG_URL");
  return url ? url : "";
}

// One node: its own store (connections, writer, group commit), API and HTTP server.
class Node {
 public:
  Node(const std::string& url, const Clock& clock) {
    store::SqlStoreOptions sealed;  // both nodes share the master key, as deployed
    sealed.master_key = security::SecretKey::FromBytes(std::string(32, 'm'));
    auto opened = store::OpenStore(url, sealed);
    EXPECT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    api_ = std::make_unique<http::Api>(*store_, clock, http::ApiOptions{});
    http::ServerOptions options;
    options.port = 0;
    server_ = std::make_unique<http::Server>(
        io_, pool_, options, [this](http::Request& r) { return api_->Handle(r); },
        [this](http::Request& r) { return api_->HandleInline(r); }, &reads_);
    server_->SetUpgradeHandler([this](http::Request& r) { return api_->Upgrade(r); });
    api_->JoinCluster();
    auto port = server_->Start();
    EXPECT_TRUE(port);
    port_ = port ? *port : 0;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Node() {
    server_->Stop();
    work_.reset();
    io_.stop();
    thread_.join();
    pool_.join();
    reads_.join();
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  store::Store& store() { return *store_; }
  unsigned short port() const { return port_; }

 private:
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<http::Api> api_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  boost::asio::thread_pool pool_{16};
  boost::asio::thread_pool reads_{2};
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  unsigned short port_ = 0;
};

class MultiNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgUrl().empty()) {
      if (const char* req = std::getenv("CAREDESK_REQUIRE_PG"); req && std::string(req) == "1") {
        FAIL() << "CAREDESK_REQUIRE_PG=1 but CAREDESK_TEST_PG_URL is not set";
      }
      GTEST_SKIP() << "CAREDESK_TEST_PG_URL not set";
    }
    ASSERT_TRUE(security::Init());
    schema_ = "multinode_" + std::to_string(::getpid());
    ASSERT_TRUE(Admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_));
    std::string url = PgUrl() + (PgUrl().find('?') == std::string::npos ? "?" : "&") +
                      "options=-csearch_path%3D" + schema_;
    a_ = std::make_unique<Node>(url, clock_);
    ASSERT_TRUE(a_->store().Migrate());
    b_ = std::make_unique<Node>(url, clock_);
    ASSERT_TRUE(b_->store().Migrate());

    store::Tenant t;
    t.slug = "group";
    t.name = "Practice Group";
    t.time_zone = "America/Chicago";
    t.business_hours = "always";
    auto created = a_->store().CreateTenant(t);
    ASSERT_TRUE(created);
    tenant_ = created->id;
    token_ = security::NewSecret("cdk_");
    ASSERT_TRUE(a_->store().Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      store::User u;
      u.email = "bot@group.example";
      u.display_name = "Bot";
      CD_TRY_ASSIGN(u, tx.InsertUser(u, security::HashPassword("correct horse battery").value()));
      return tx.InsertApiToken(u.id, security::HashSecret(token_), "test", clock_.Now(),
                               std::nullopt);
    }));
  }

  void TearDown() override {
    a_.reset();
    b_.reset();
    if (!schema_.empty()) (void)Admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }

  static Result<void> Admin(const std::string& script) {
    CD_TRY_ASSIGN(auto engine, store::postgres::OpenPostgres(PgUrl()));
    CD_TRY_ASSIGN(auto db, engine->Connect());
    return db->ExecuteScript(script);
  }

  testing::HttpResult Post(Node& node, const std::string& body, const std::string& key) {
    testing::HttpCall c;
    c.method = "POST";
    c.target = "/api/v1/messages";
    c.body = body;
    c.headers = {{"Authorization", "Bearer " + token_}};
    if (!key.empty()) c.headers.emplace_back("Idempotency-Key", key);
    return testing::Send(node.port(), c);
  }

  // Counts for one phone number, read through node A's store.
  struct Counts {
    std::size_t patients = 0, conversations = 0, messages = 0;
  };
  Counts CountsFor(const std::string& phone) {
    Counts n;
    auto r = a_->store().Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto found, tx.SearchPatients("", phone, std::nullopt, PatientId{}, 10));
      n.patients = found.size();
      for (const core::Patient& p : found) {
        store::InboxFilter f;
        f.patient = p.id;
        f.limit = 200;
        CD_TRY_ASSIGN(auto page, tx.ListConversations(f));
        n.conversations += page.items.size();
        for (const auto& item : page.items) {
          CD_TRY_ASSIGN(auto messages, tx.ListMessages(item.conversation.id));
          n.messages += messages.size();
        }
      }
      return {};
    });
    EXPECT_TRUE(r) << r.error().message;
    return n;
  }

  std::string schema_;
  testing::FakeClock clock_{*ParseRfc3339("2026-11-23T15:00:00Z")};
  std::unique_ptr<Node> a_, b_;
  TenantId tenant_;
  std::string token_;
};

TEST_F(MultiNodeTest, ConcurrentWritesOnTwoNodesKeepOnePatientConversationAndDelivery) {
  constexpr int kRounds = 25;
  std::barrier start(4);
  std::vector<std::map<std::string, testing::HttpResult>> results(kRounds);
  std::mutex mu;
  auto client = [&](int which) {
    for (int round = 0; round < kRounds; ++round) {
      char phone[32];
      std::snprintf(phone, sizeof phone, "+1312555%04d", round);
      Node& node = which % 2 == 0 ? *a_ : *b_;
      bool keyed = which < 2;
      std::string text = keyed ? "retried delivery" : "second thought " + std::to_string(which);
      std::string body =
          std::string(R"({"channel":"sms","from":")") + phone + R"(","text":")" + text + R"("})";
      start.arrive_and_wait();  // all four requests of a round leave together
      testing::HttpResult r = Post(node, body, keyed ? "delivery-" + std::to_string(round) : "");
      std::lock_guard lock(mu);
      results[round][std::to_string(which)] = std::move(r);
    }
  };
  std::vector<std::thread> threads;
  for (int which = 0; which < 4; ++which) threads.emplace_back(client, which);
  for (auto& t : threads) t.join();

  for (int round = 0; round < kRounds; ++round) {
    char phone[32];
    std::snprintf(phone, sizeof phone, "+1312555%04d", round);
    const auto& r = results[round];
    // The same delivery to both nodes: one stored (201), the other the same answer (200).
    int first = r.at("0").status, second = r.at("1").status;
    EXPECT_TRUE((first == 201 && second == 200) || (first == 200 && second == 201))
        << "round " << round << ": " << first << " " << second << " " << r.at("0").body << " "
        << r.at("1").body;
    EXPECT_EQ(r.at("0").body, r.at("1").body) << "round " << round;
    EXPECT_EQ(r.at("2").status, 201) << r.at("2").body;
    EXPECT_EQ(r.at("3").status, 201) << r.at("3").body;
    Counts n = CountsFor(phone);
    EXPECT_EQ(n.patients, 1u) << "round " << round;
    EXPECT_EQ(n.conversations, 1u) << "round " << round;
    EXPECT_EQ(n.messages, 3u) << "round " << round << ": one delivery and two other messages";
  }
}

// A conversation opened in a transaction that took its event ids first but committed last (one
// node slow, the other quick) is still counted: the KPI rollup does not move its mark past ids
// a running transaction may yet commit.
TEST_F(MultiNodeTest, TheRollupCountsAConversationWhoseTransactionCommittedLate) {
  int patients = 0;
  auto open = [&](store::TenantTx& tx) -> Result<ConversationId> {
    CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
    core::Patient patient;
    patient.name = "Patient " + std::to_string(++patients);
    patient.created_at = patient.updated_at = clock_.Now();
    CD_TRY_ASSIGN(patient, tx.InsertPatient(patient));
    core::Decision opened = core::OpenConversation(patient.id, core::Channel::kSms, "front-desk",
                                                   core::Priority::kNormal, {}, clock_.Now(), cal);
    CD_TRY_ASSIGN(core::Decision d, core::ReceiveInbound(opened.conversation, clock_.Now(), cal));
    CD_TRY_ASSIGN(core::Conversation c, tx.InsertConversation(d.conversation, cal, clock_.Now()));
    std::vector<core::Event> events;
    for (auto* list : {&opened.events, &d.events}) {
      for (core::Event e : *list) {
        e.conversation_id = c.id;
        events.push_back(std::move(e));
      }
    }
    CD_TRY(tx.AppendEvents(events));
    return c.id;
  };
  auto counted = [&](ConversationId c) {
    auto fact = store::ReadValue<std::optional<store::KpiFactRow>>(
        b_->store(), tenant_, [&](store::TenantTx& tx) {
          return tx.GetKpiFact("conversation:" + std::to_string(c.value));
        });
    EXPECT_TRUE(fact) << fact.error().message;
    return fact && fact->has_value();
  };
  std::promise<ConversationId> inserted;
  std::promise<void> go;
  std::shared_future<void> released = go.get_future().share();
  std::thread slow([&] {
    bool told = false;
    auto w = a_->store().Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(ConversationId c, open(tx));
      if (!told) inserted.set_value(c);
      told = true;
      released.wait();  // holds the transaction open, its ids taken
      return {};
    });
    EXPECT_TRUE(w) << w.error().message;
    if (!told) inserted.set_value(ConversationId{});
  });
  const ConversationId late = inserted.get_future().get();
  if (!late) {
    go.set_value();
    slow.join();
    FAIL() << "the slow transaction could not open its conversation";
  }
  auto quick = store::WriteValue<ConversationId>(b_->store(), tenant_, open);
  ASSERT_TRUE(quick) << quick.error().message;
  ASSERT_GT(quick->value, late.value);
  ASSERT_TRUE(jobs::RollUpAll(b_->store(), tenant_, {}));
  EXPECT_TRUE(counted(*quick));
  EXPECT_FALSE(counted(late)) << "not committed yet";
  go.set_value();
  slow.join();
  ASSERT_TRUE(jobs::RollUpAll(b_->store(), tenant_, {}));
  EXPECT_TRUE(counted(late)) << "committed below the mark the rollup had read to";
  EXPECT_TRUE(counted(*quick));
}

// Both nodes run the outbox sender over the same items at once: every text goes out exactly
// once, whichever node claims it.
TEST_F(MultiNodeTest, OutboxSendersOnTwoNodesSendEachMessageOnce) {
  testing::FakeTwilio twilio("AC1", "token-1");
  constexpr int kItems = 40;
  ASSERT_TRUE(a_->store().Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::ChannelSettings sms;
    sms.channel = "sms";
    sms.settings = channels::TwilioAccountJson({twilio.base_url(), "AC1", "+13125550100", "", ""});
    sms.secret = "token-1";
    CD_TRY(tx.PutChannelSettings(sms, clock_.Now()));
    for (int i = 0; i < kItems; ++i) {
      store::OutboxItem item;
      char phone[32];
      std::snprintf(phone, sizeof phone, "+1312555%04d", i);
      item.channel = "sms";
      item.recipient = phone;
      item.body = "reminder " + std::to_string(i);
      item.purpose = "test";
      item.created_at = clock_.Now();
      CD_TRY(tx.QueueOutbound(item));
    }
    return {};
  }));
  channels::TwilioGateway gateway_a, gateway_b;
  jobs::OutboxSenderOptions small;
  small.batch = 5;  // many passes, so the nodes contend for the same items
  jobs::OutboxSender sender_a(a_->store(), clock_, {{"sms", &gateway_a}}, small);
  jobs::OutboxSender sender_b(b_->store(), clock_, {{"sms", &gateway_b}}, small);
  std::atomic<int> attempted{0};
  auto drain = [&](jobs::OutboxSender& sender) {
    for (int pass = 0; pass < 40; ++pass) {
      auto n = sender.RunOnce();
      ASSERT_TRUE(n);
      attempted += *n;
    }
  };
  std::thread ta([&] { drain(sender_a); });
  std::thread tb([&] { drain(sender_b); });
  ta.join();
  tb.join();
  EXPECT_EQ(attempted.load(), kItems);
  EXPECT_EQ(twilio.requests(), kItems);
  std::set<std::string> recipients;
  for (const auto& s : twilio.sent()) recipients.insert(s.to);
  EXPECT_EQ(recipients.size(), static_cast<std::size_t>(kItems)) << "each once";
  EXPECT_TRUE(a_->store().DueOutbound(clock_.Now() + std::chrono::hours(1), 10)->empty());
}

TEST_F(MultiNodeTest, ChatsStartedAndRoutedOnBothNodesAtOnceGoToOneAgentEach) {
  // Three agents who each take one chat at a time; a long expected wait is still offered live.
  ASSERT_TRUE(a_->store().Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutChannelSettings({"chat", R"({"max_wait_seconds":86400})", ""}, clock_.Now()));
    for (int i = 0; i < 3; ++i) {
      store::User u;
      u.email = "agent" + std::to_string(i) + "@group.example";
      u.display_name = "Agent " + std::to_string(i);
      CD_TRY_ASSIGN(u, tx.InsertUser(u, "x"));
      store::AgentPresence p;
      p.user = u.id;
      p.status = core::AgentStatus::kAvailable;
      p.max_chats = 1;
      p.changed_at = p.idle_since = p.seen_at = clock_.Now();
      CD_TRY(tx.PutPresence(p));
    }
    return {};
  }));
  constexpr int kChatsPerNode = 8;
  std::barrier start(2 * kChatsPerNode);
  std::atomic<int> started{0};
  std::vector<std::thread> patients;
  for (int i = 0; i < 2 * kChatsPerNode; ++i) {
    patients.emplace_back([&, i] {
      Node& node = i % 2 == 0 ? *a_ : *b_;
      testing::HttpCall c;
      c.method = "POST";
      c.target = "/api/v1/widget/chats?tenant=group";
      c.body = R"({"text":"hello from patient )" + std::to_string(i) + R"("})";
      start.arrive_and_wait();
      testing::HttpResult r = testing::Send(node.port(), c);
      EXPECT_EQ(r.status, 201) << r.body;
      if (r.status == 201) started.fetch_add(1);
    });
  }
  for (auto& t : patients) t.join();
  ASSERT_EQ(started.load(), 2 * kChatsPerNode);
  // Both nodes' routers run at once as well.
  jobs::ChatRouter router_a(a_->store(), clock_), router_b(b_->store(), clock_);
  std::thread ra([&] {
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(router_a.RunOnce());
  });
  std::thread rb([&] {
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(router_b.RunOnce());
  });
  ra.join();
  rb.join();

  std::map<UserId, int> offers_per_agent;
  int offered_chats = 0, offer_events = 0;
  ASSERT_TRUE(a_->store().Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto chats, tx.OpenChats());
    EXPECT_EQ(chats.size(), static_cast<std::size_t>(2 * kChatsPerNode));
    for (const store::Chat& c : chats) {
      EXPECT_EQ(c.state, "waiting");
      if (c.offered_to) {
        ++offered_chats;
        ++offers_per_agent[c.offered_to];
      }
      CD_TRY_ASSIGN(auto events, tx.ListEvents(c.conversation));
      for (const core::Event& e : events) offer_events += e.type == "chat_offered";
    }
    return {};
  }));
  // Each agent holds exactly one offer, and no chat was offered twice.
  EXPECT_EQ(offered_chats, 3);
  EXPECT_EQ(offers_per_agent.size(), 3u);
  for (const auto& [agent, n] : offers_per_agent) EXPECT_EQ(n, 1) << agent.value;
  EXPECT_EQ(offer_events, 3);
}

// The race the routing lock exists for, made certain: each node has a new chat that the other
// cannot see yet, and both route at the same moment with one agent free. Without the lock each
// offers its chat to that agent; with it, the second waits, sees the agent taken, and offers none.
TEST_F(MultiNodeTest, TwoNodesRoutingAtTheSameMomentNeverOverfillAnAgent) {
  UserId agent;
  ASSERT_TRUE(a_->store().Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::User u;
    u.email = "solo@group.example";
    u.display_name = "Solo";
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "x"));
    agent = u.id;
    store::AgentPresence p;
    p.user = u.id;
    p.status = core::AgentStatus::kAvailable;
    p.max_chats = 1;
    p.changed_at = p.idle_since = p.seen_at = clock_.Now();
    return tx.PutPresence(p);
  }));
  std::barrier both_inserted(2);
  auto node_routes = [&](Node& node, const std::string& visitor) {
    auto w = node.store().Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      core::Patient p;
      p.visitor_id = visitor;
      p.created_at = p.updated_at = clock_.Now();
      CD_TRY_ASSIGN(p, tx.InsertPatient(p));
      CD_TRY_ASSIGN(auto cal, tx.Calendar());
      core::Decision d =
          core::OpenConversation(p.id, core::Channel::kChat, "front-desk", core::Priority::kNormal,
                                 core::SlaPolicy{}, clock_.Now(), cal);
      CD_TRY_ASSIGN(d.conversation, tx.InsertConversation(d.conversation, cal, clock_.Now()));
      store::Chat chat;
      chat.conversation = d.conversation.id;
      chat.visitor_hash = visitor;
      chat.visitor_id = visitor;
      chat.language = "en";
      chat.queue = "front-desk";
      chat.started_at = chat.patient_seen_at = clock_.Now();
      CD_TRY(tx.InsertChat(chat));
      both_inserted.arrive_and_wait();
      return jobs::RouteChats(tx, jobs::ChatSettings{}, clock_.Now()).has_value()
                 ? Result<void>{}
                 : Result<void>{Internal("routing failed")};
    });
    EXPECT_TRUE(w) << w.error().message;
  };
  std::thread on_a([&] { node_routes(*a_, "visitor-a"); });
  std::thread on_b([&] { node_routes(*b_, "visitor-b"); });
  on_a.join();
  on_b.join();
  int offers = 0;
  ASSERT_TRUE(a_->store().Read(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto chats, tx.OpenChats());
    EXPECT_EQ(chats.size(), 2u);
    for (const store::Chat& c : chats) offers += c.offered_to == agent;
    return {};
  }));
  EXPECT_EQ(offers, 1);
}

TEST_F(MultiNodeTest, APatientOnOneNodeAndTheAgentOnTheOtherTalkLive) {
  using testing::WsClient;
  // The agent's console is connected to node B, and they are available.
  testing::HttpCall presence;
  presence.method = "PUT";
  presence.target = "/api/v1/me/presence";
  presence.body = R"({"status":"available"})";
  presence.headers = {{"Authorization", "Bearer " + token_}};
  ASSERT_EQ(testing::Send(b_->port(), presence).status, 200);
  auto console = WsClient::Connect(b_->port(), "/api/v1/ws", {{"caredesk.v1", token_}, {}});
  ASSERT_TRUE(console);
  ASSERT_TRUE(console->NextWith("\"hello\""));

  // The patient starts a chat and connects to node A.
  testing::HttpCall start;
  start.method = "POST";
  start.target = "/api/v1/widget/chats?tenant=group";
  start.body = R"({"text":"Is the clinic open on Saturday?"})";
  testing::HttpResult started = testing::Send(a_->port(), start);
  ASSERT_EQ(started.status, 201) << started.body;
  json::object chat = json::parse(started.body).as_object();
  std::string chat_token(chat.at("token").as_string());
  std::int64_t chat_id = chat.at("chat_id").as_int64();
  std::int64_t conversation = chat.at("conversation_id").as_int64();
  auto widget = WsClient::Connect(a_->port(), "/api/v1/widget/ws?tenant=group",
                                  {{"caredesk.v1", chat_token}, {}});
  ASSERT_TRUE(widget);
  // Node A's offer reaches the console on node B.
  ASSERT_TRUE(console->NextWith("\"chats\""));

  // The agent accepts on node B: the patient on node A is told.
  testing::HttpCall accept;
  accept.method = "POST";
  accept.target = "/api/v1/chats/" + std::to_string(chat_id) + "/accept";
  accept.headers = {{"Authorization", "Bearer " + token_}};
  ASSERT_EQ(testing::Send(b_->port(), accept).status, 200);
  auto taken = widget->NextWith("\"state\":\"active\"");
  ASSERT_TRUE(taken) << "the chat's new state crossed from node B to node A";
  EXPECT_NE(taken->find("\"agent\":\"Bot\""), std::string::npos) << *taken;

  // Typing crosses both ways.
  widget->Send(R"({"type":"typing"})");
  ASSERT_TRUE(console->NextWith("\"typing\""));
  console->Send(R"({"type":"typing","conversation_id":)" + std::to_string(conversation) + "}");
  ASSERT_TRUE(widget->NextWith("\"typing\""));

  // The patient writes through node A; the console on node B receives it.
  testing::HttpCall write;
  write.method = "POST";
  write.target = "/api/v1/widget/chat/messages?tenant=group";
  write.body = R"({"text":"I need a flu shot","client_id":"x1"})";
  write.headers = {{"X-Chat-Token", chat_token}};
  ASSERT_EQ(testing::Send(a_->port(), write).status, 201);
  ASSERT_TRUE(console->NextWith("I need a flu shot"));

  // The agent replies through node B; the widget on node A receives it.
  testing::HttpCall reply;
  reply.method = "POST";
  reply.target = "/api/v1/conversations/" + std::to_string(conversation) + "/replies";
  reply.body = R"({"text":"Yes, walk-ins until noon"})";
  reply.headers = {{"Authorization", "Bearer " + token_}};
  ASSERT_EQ(testing::Send(b_->port(), reply).status, 201);
  auto answer = widget->NextWith("Yes, walk-ins until noon");
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->find("\"from\":\"practice\""), std::string::npos) << *answer;
  // Each arrives once: no copy from the node's own notice coming back.
  EXPECT_FALSE(widget->NextWith("Yes, walk-ins until noon", std::chrono::milliseconds(500)));
  EXPECT_FALSE(console->NextWith("I need a flu shot", std::chrono::milliseconds(200)));
}

}  // namespace
}  // namespace caredesk
