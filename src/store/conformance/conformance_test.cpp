// The storage conformance suite: every engine must pass the same tests. SQLite always runs;
// PostgreSQL runs against CAREDESK_TEST_PG_URL (the test script starts a throw-away cluster)
// and fails, rather than skips, when CAREDESK_REQUIRE_PG=1 and no URL is given.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "base/text.hpp"
#include "core/inbox/conversation.hpp"
#include "security/password.hpp"
#include "store/open.hpp"
#include "store/sql/encryption.hpp"
#include "store/sql/migrations.hpp"
#include "store/postgres/postgres_engine.hpp"
#include "store/sqlite/sqlite_engine.hpp"

namespace caredesk::store {
namespace {

using std::chrono::minutes;

Timestamp T0() { return *ParseRfc3339("2026-11-23T15:00:00Z"); }

// The master key of every store in this suite: patient information is sealed, as in production.
SqlStoreOptions Sealed(char fill = 'k') {
  SqlStoreOptions o;
  o.master_key = security::SecretKey::FromBytes(std::string(32, fill));
  return o;
}

std::string PgUrl() {
  const char* url = std::getenv("CAREDESK_TEST_PG_URL");
  return url ? url : "";
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (PgUrl().empty()) {
        if (const char* req = std::getenv("CAREDESK_REQUIRE_PG"); req && std::string(req) == "1") {
          FAIL() << "CAREDESK_REQUIRE_PG=1 but CAREDESK_TEST_PG_URL is not set";
        }
        GTEST_SKIP() << "CAREDESK_TEST_PG_URL not set";
      }
      // Each test process gets its own schema, so ctest may run them in parallel.
      schema_ = "conf_" + std::to_string(::getpid());
      auto engine = postgres::OpenPostgres(PgUrl());
      ASSERT_TRUE(engine);
      auto db = (*engine)->Connect();
      ASSERT_TRUE(db);
      ASSERT_TRUE((*db)->ExecuteScript("DROP SCHEMA IF EXISTS " + schema_ +
                                       " CASCADE; CREATE SCHEMA " + schema_));
      url_ = PgUrl() + (PgUrl().find('?') == std::string::npos ? "?" : "&") +
             "options=-csearch_path%3D" + schema_;
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("caredesk-conf-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "caredesk.db").string();
    }
    ASSERT_TRUE(security::Init());
    auto opened = OpenStore(url_, Sealed());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    auto migrated = store_->Migrate();
    ASSERT_TRUE(migrated) << migrated.error().message;
    EXPECT_EQ(*migrated, static_cast<int>(AllMigrations().size()));
    a_ = MakeTenant("alpha");
    b_ = MakeTenant("beta");
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!schema_.empty()) {
      auto engine = postgres::OpenPostgres(PgUrl());
      if (engine) {
        if (auto db = (*engine)->Connect())
          (void)(*db)->ExecuteScript("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      }
    }
  }

  // The store again, on the same database, with `options` (another key, or none); migrated.
  Result<void> Reopen(SqlStoreOptions options) {
    store_.reset();
    CD_TRY_ASSIGN(store_, OpenStore(url_, std::move(options)));
    CD_TRY(store_->Migrate());
    return {};
  }

  // Every text value of `column` in `table`, as stored, read past the store.
  std::vector<std::string> Raw(const std::string& table, const std::string& column) {
    std::unique_ptr<SqlEngine> engine;
    if (GetParam() == "postgres") {
      engine = std::move(*postgres::OpenPostgres(url_));
    } else {
      engine = std::move(*sqlite::OpenSqlite(url_.substr(7)));
    }
    auto db = engine->Connect();
    std::vector<std::string> out;
    if (!db) return out;
    auto rows = (*db)->Query("SELECT " + column + " FROM " + table);
    if (!rows) return out;
    for (const SqlRow& r : *rows) out.push_back(r.IsNull(0) ? "" : r.Text(0));
    return out;
  }

  // A patient and a conversation full of patient information.
  void WritePatientInformation(TenantId tenant) {
    auto w = store_->Write(tenant, [&](TenantTx& tx) -> Result<void> {
      core::Patient p;
      p.name = "Zebulon Quartz";
      p.date_of_birth = "1970-01-02";
      p.phone = "+13125550188";
      p.email = "zebulon@example.com";
      p.created_at = p.updated_at = T0();
      CD_TRY_ASSIGN(p, tx.InsertPatient(p));
      core::Conversation c;
      c.patient_id = p.id;
      c.channel = core::Channel::kSms;
      c.created_at = c.updated_at = c.last_message_at = T0();
      CD_TRY_ASSIGN(auto cal, tx.Calendar());
      CD_TRY_ASSIGN(c, tx.InsertConversation(c, cal, T0()));
      core::Message m;
      m.conversation_id = c.id;
      m.kind = core::MessageKind::kInbound;
      m.channel = core::Channel::kSms;
      m.sender = "+13125550188";
      m.text = "my HIV results please";
      m.metadata = {{"subject", "Quartz lab results"}};
      m.created_at = T0();
      CD_TRY_ASSIGN(m, tx.InsertMessage(m));
      Attachment photo;
      photo.message = m.id;
      photo.filename = "Zebulon rash.jpg";
      photo.content_type = "image/jpeg";
      photo.content = std::string("\xff\xd8\xff Quartz skin photo");
      CD_TRY(tx.InsertAttachment(c.id, photo, T0()));
      core::Representative rep;
      rep.patient = p.id;
      rep.name = "Ada Quartz";
      rep.relationship = "spouse";
      rep.date_of_birth = "1972-03-04";
      rep.phone = "+13125550177";
      rep.scope = {core::Disclosure::kScheduling};
      rep.created_at = T0();
      CD_TRY(tx.InsertRepresentative(rep));
      OutboxItem item;
      item.conversation = c.id;
      item.channel = "sms";
      item.recipient = "+13125550188";
      item.body = "Zebulon, your verification code is 123456";
      item.purpose = "verification_code";
      item.created_at = T0();
      CD_TRY(tx.QueueOutbound(item));
      SmsConsent stop;
      stop.opted_out = true;
      stop.keyword = "STOP";
      stop.changed_at = T0();
      CD_TRY(tx.PutSmsConsent("+13125550188", stop));
      return {};
    });
    ASSERT_TRUE(w) << w.error().message;
  }

  // What a front desk does with that information still works.
  void ExpectPatientInformationFound(TenantId tenant) {
    auto r = store_->Read(tenant, [&](TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto by_phone, tx.FindPatientByPhone("+13125550188"));
      EXPECT_TRUE(by_phone.has_value());
      if (by_phone) {
        EXPECT_EQ(by_phone->name, "Zebulon Quartz");
        EXPECT_EQ(by_phone->date_of_birth, "1970-01-02");
        EXPECT_EQ(by_phone->email, "zebulon@example.com");
      }
      CD_TRY_ASSIGN(auto by_email, tx.FindPatientByEmail("zebulon@example.com"));
      EXPECT_TRUE(by_email.has_value());
      for (const char* typed : {"zeb", "Quartz", "quar zebulon", "ZEBULON"}) {
        CD_TRY_ASSIGN(auto found,
                      tx.SearchPatients(typed, std::nullopt, std::nullopt, PatientId{}, 10));
        EXPECT_EQ(found.size(), 1u) << typed;
      }
      for (const char* typed : {"bulon", "z", "zebulons", "quartz smith"}) {
        CD_TRY_ASSIGN(auto found,
                      tx.SearchPatients(typed, std::nullopt, std::nullopt, PatientId{}, 10));
        EXPECT_TRUE(found.empty()) << typed << ": words are matched from their start";
      }
      InboxFilter f;
      f.search_tokens = {"hiv", "results"};
      CD_TRY_ASSIGN(auto page, tx.ListConversations(f));
      EXPECT_EQ(page.items.size(), 1u);
      if (!page.items.empty()) {
        EXPECT_EQ(page.items[0].patient_name, "Zebulon Quartz");
        CD_TRY_ASSIGN(auto messages, tx.ListMessages(page.items[0].conversation.id));
        EXPECT_EQ(messages.at(0).text, "my HIV results please");
        EXPECT_EQ(messages.at(0).sender, "+13125550188");
        EXPECT_EQ(messages.at(0).metadata.at(0).second, "Quartz lab results");
        CD_TRY_ASSIGN(auto files, tx.ListAttachments(page.items[0].conversation.id));
        EXPECT_EQ(files.size(), 1u);
        if (!files.empty()) {
          EXPECT_EQ(files[0].filename, "Zebulon rash.jpg");
          EXPECT_EQ(files[0].size, 21);
          EXPECT_TRUE(files[0].content.empty()) << "listed without content";
          CD_TRY_ASSIGN(auto got, tx.GetAttachment(files[0].id));
          EXPECT_EQ(got.first.content, std::string("\xff\xd8\xff Quartz skin photo"));
          EXPECT_EQ(got.second, page.items[0].conversation.id);
        }
        CD_TRY_ASSIGN(auto reps, tx.Representatives(page.items[0].conversation.patient_id));
        EXPECT_EQ(reps.at(0).name, "Ada Quartz");
        EXPECT_EQ(reps.at(0).phone, "+13125550177");
        EXPECT_EQ(reps.at(0).scope, std::vector<core::Disclosure>{core::Disclosure::kScheduling});
      }
      CD_TRY_ASSIGN(auto outbox, tx.PendingOutbound(10));
      EXPECT_FALSE(outbox.empty());
      for (const auto& item : outbox) EXPECT_EQ(item.recipient, "+13125550188");
      CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent("+13125550188"));
      EXPECT_TRUE(consent && consent->opted_out && consent->keyword == "STOP");
      CD_TRY_ASSIGN(auto other, tx.GetSmsConsent("+13125550177"));
      EXPECT_FALSE(other.has_value());
      return {};
    });
    ASSERT_TRUE(r) << r.error().message;
  }

  // Nothing the patient said or is appears as stored.
  void ExpectNothingReadable() {
    std::vector<std::pair<std::string, std::string>> columns = {
        {"patients", "name"},        {"patients", "name_lower"},     {"patients", "date_of_birth"},
        {"patients", "phone"},       {"patients", "email"},          {"patients", "phone_index"},
        {"patients", "email_index"}, {"patient_tokens", "token"},    {"messages", "body"},
        {"messages", "sender"},      {"messages", "metadata"},       {"message_tokens", "token"},
        {"sms_consent", "phone"},    {"sms_consent", "phone_index"}, {"attachments", "filename"},
        {"attachments", "content"}};
    std::size_t values = 0;
    for (const auto& [table, column] : columns) {
      for (const std::string& v : Raw(table, column)) {
        ++values;
        // Five letters or more, exact case: random base64 never matches by chance.
        for (const char* phi : {"Zebulon", "zebulon", "Quartz", "quartz", "results", "please",
                                "5550188", "5550177", "1970-01", "1972-03", "example"}) {
          EXPECT_EQ(v.find(phi), std::string::npos) << table << "." << column << ": " << v;
        }
      }
    }
    EXPECT_GT(values, 20u) << "the columns were read";
  }

  TenantId MakeTenant(const std::string& slug) {
    Tenant t;
    t.slug = slug;
    t.name = slug + " clinic";
    t.time_zone = "UTC";
    t.business_hours = "always";
    auto created = store_->CreateTenant(t);
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->id : TenantId{};
  }

  // A patient plus an open conversation on `channel`, with one inbound message of `text`.
  ConversationId MakeConversation(TenantId tenant, const std::string& text,
                                  core::Channel channel = core::Channel::kSms, Timestamp at = T0(),
                                  std::string queue = "front-desk") {
    ConversationId id;
    auto r = store_->Write(tenant, [&](TenantTx& tx) -> Result<void> {
      core::Patient p;
      p.name = "Test Patient";
      p.created_at = p.updated_at = at;
      CD_TRY_ASSIGN(p, tx.InsertPatient(p));
      CD_TRY_ASSIGN(auto cal, tx.Calendar());
      core::Decision d = core::OpenConversation(p.id, channel, queue, core::Priority::kNormal,
                                                core::SlaPolicy{}, at, cal);
      CD_TRY_ASSIGN(d.conversation, tx.InsertConversation(d.conversation, cal, at));
      core::Message m;
      m.conversation_id = d.conversation.id;
      m.channel = channel;
      m.text = text;
      m.created_at = at;
      CD_TRY(tx.InsertMessage(m));
      for (auto& e : d.events) e.conversation_id = d.conversation.id;
      CD_TRY(tx.AppendEvents(d.events));
      id = d.conversation.id;
      return {};
    });
    EXPECT_TRUE(r) << r.error().message;
    return id;
  }

  Result<InboxPage> List(TenantId tenant, InboxFilter f) {
    return ReadValue<InboxPage>(*store_, tenant,
                                [&](TenantTx& tx) { return tx.ListConversations(f); });
  }

  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
  std::string schema_;
  std::string url_;
  std::unique_ptr<Store> store_;
  TenantId a_, b_;
};

TEST_P(ConformanceTest, MigrationsAreIdempotentAndReadyReportsThem) {
  auto again = store_->Migrate();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  EXPECT_TRUE(store_->Ready());
  auto check = store_->IntegrityCheck();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "ok");
}

TEST_P(ConformanceTest, DuplicateTenantSlugIsAConflict) {
  Tenant t;
  t.slug = "alpha";
  t.name = "again";
  auto r = store_->CreateTenant(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(r.error().field, "slug");
  auto found = store_->FindTenantBySlug("alpha");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, a_);
}

TEST_P(ConformanceTest, AnotherTenantsIdsAreNotFound) {
  ConversationId id = MakeConversation(a_, "my refill");
  auto r = store_->Read(b_, [&](TenantTx& tx) -> Result<void> {
    auto c = tx.GetConversation(id);
    EXPECT_FALSE(c);
    EXPECT_EQ(c.error().kind, ErrorKind::kNotFound);
    auto p = tx.GetPatient(PatientId{1});
    EXPECT_EQ(p.error().kind, ErrorKind::kNotFound);
    auto msgs = tx.ListMessages(id);
    EXPECT_TRUE(msgs && msgs->empty());
    auto events = tx.ListEvents(id);
    EXPECT_TRUE(events && events->empty());
    return {};
  });
  ASSERT_TRUE(r);
  // A write from tenant B to A's conversation changes nothing.
  auto w = store_->Write(b_, [&](TenantTx& tx) -> Result<void> {
    core::Conversation c;
    c.id = id;
    c.status = core::Status::kClosed;
    return tx.UpdateConversation(c, core::BusinessCalendar::AlwaysOpen(), T0());
  });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ErrorKind::kNotFound);
  auto page_b = List(b_, {});
  ASSERT_TRUE(page_b);
  EXPECT_TRUE(page_b->items.empty());
  auto page_a = List(a_, {});
  ASSERT_TRUE(page_a);
  ASSERT_EQ(page_a->items.size(), 1u);
  EXPECT_EQ(page_a->items[0].conversation.status, core::Status::kOpen);
  // Search tokens are per tenant too.
  InboxFilter f;
  f.search_tokens = {"refill"};
  EXPECT_TRUE(List(b_, f)->items.empty());
  EXPECT_EQ(List(a_, f)->items.size(), 1u);
}

TEST_P(ConformanceTest, IdentityProviderLinksAreOnePerSubjectWithinTheirTenant) {
  UserId first, second, theirs;
  auto made = [&](TenantId tenant, const std::string& email, UserId& out) {
    ASSERT_TRUE(store_->Write(tenant, [&](TenantTx& tx) -> Result<void> {
      User u;
      u.email = email;
      u.display_name = email;
      CD_TRY_ASSIGN(u, tx.InsertUser(u, "hash"));
      out = u.id;
      return {};
    }));
  };
  made(a_, "one@alpha.example", first);
  made(a_, "two@alpha.example", second);
  made(b_, "one@beta.example", theirs);
  const std::string subject = "https://login.example.org user-1";
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.SetOidcSubject(first, subject); }));
  auto taken = store_->Write(a_, [&](TenantTx& tx) { return tx.SetOidcSubject(second, subject); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::kConflict);
  // Another practice may link the same subject (its own provider may reuse ids); it never sees
  // the first practice's user.
  ASSERT_TRUE(store_->Write(b_, [&](TenantTx& tx) { return tx.SetOidcSubject(theirs, subject); }));
  auto foreign = store_->Write(b_, [&](TenantTx& tx) { return tx.SetOidcSubject(first, "x"); });
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto found, tx.FindUserByOidcSubject(subject));
    EXPECT_TRUE(found && found->id == first);
    CD_TRY_ASSIGN(auto provider, tx.GetOidcProvider());
    EXPECT_FALSE(provider) << "none set yet";
    return {};
  }));
  // Unlinking frees the subject; the provider's settings round-trip.
  OidcProvider p;
  p.enabled = true;
  p.issuer = "https://login.example.org";
  p.client_id = "caredesk";
  p.client_secret = "client-secret";
  p.accept_provider_mfa = false;
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY(tx.SetOidcSubject(first, ""));
    CD_TRY(tx.SetOidcSubject(second, subject));
    CD_TRY(tx.PutOidcProvider(p, T0()));
    p.client_id = "caredesk-2";
    return tx.PutOidcProvider(p, T0());
  }));
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto found, tx.FindUserByOidcSubject(subject));
    EXPECT_TRUE(found && found->id == second);
    CD_TRY_ASSIGN(User u, tx.GetUser(first));
    EXPECT_EQ(u.oidc_subject, "");
    CD_TRY_ASSIGN(auto provider, tx.GetOidcProvider());
    EXPECT_TRUE(provider && provider->client_id == "caredesk-2" &&
                provider->client_secret == "client-secret" && !provider->accept_provider_mfa);
    return {};
  }));
  ASSERT_TRUE(store_->Read(b_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto provider, tx.GetOidcProvider());
    EXPECT_FALSE(provider) << "another practice's provider";
    return {};
  }));
}

TEST_P(ConformanceTest, ConcurrentWritesAreAllCommitted) {
  constexpr int kThreads = 16, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = store_->Write(t % 2 ? a_ : b_, [&](TenantTx& tx) -> Result<void> {
          core::Patient p;
          p.name = "P " + std::to_string(t) + "-" + std::to_string(i);
          p.created_at = p.updated_at = T0();
          CD_TRY(tx.InsertPatient(p));
          return {};
        });
        if (r) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  for (TenantId tenant : {a_, b_}) {
    auto all = ReadValue<std::vector<core::Patient>>(*store_, tenant, [](TenantTx& tx) {
      return tx.SearchPatients("", std::nullopt, std::nullopt, PatientId{}, 1000);
    });
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads / 2 * kEach));
  }
}

TEST_P(ConformanceTest, AFailingUnitRollsBackOnlyItself) {
  constexpr int kThreads = 12;
  // A first write holds the writer while the others queue up, so they share one batch: the
  // failing units are mixed with good ones in a single transaction.
  std::atomic<bool> holding{false};
  std::thread gate([&] {
    ASSERT_TRUE(store_->Write(a_, [&](TenantTx&) -> Result<void> {
      holding = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return {};
    }));
  });
  while (!holding) std::this_thread::yield();
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  std::atomic<int> runs{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto r = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
        ++runs;
        core::Patient p;
        p.name = t % 3 == 0 ? "Doomed" : "Kept";
        p.created_at = p.updated_at = T0();
        CD_TRY(tx.InsertPatient(p));
        if (t % 3 == 0) return Invalid("rejected on purpose", "name");
        return {};
      });
      if (!r) {
        EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
        ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  gate.join();
  EXPECT_EQ(failed.load(), 4);
  EXPECT_GT(runs.load(), kThreads) << "the batch was tried whole first, then unit by unit";
  auto doomed = ReadValue<std::vector<core::Patient>>(*store_, a_, [](TenantTx& tx) {
    return tx.SearchPatients("doomed", std::nullopt, std::nullopt, PatientId{}, 100);
  });
  ASSERT_TRUE(doomed);
  EXPECT_TRUE(doomed->empty());
  auto kept = ReadValue<std::vector<core::Patient>>(*store_, a_, [](TenantTx& tx) {
    return tx.SearchPatients("kept", std::nullopt, std::nullopt, PatientId{}, 100);
  });
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->size(), 8u);
}

TEST_P(ConformanceTest, WriteGenerationChangesWithEachWriteOfItsTenantOnly) {
  if (GetParam() == "postgres") {
    // Other nodes write the same database unseen, so nothing derived may be cached.
    EXPECT_EQ(store_->WriteGeneration(a_), std::nullopt);
    return;
  }
  auto a0 = store_->WriteGeneration(a_);
  auto b0 = store_->WriteGeneration(b_);
  ASSERT_TRUE(a0 && b0);
  MakeConversation(a_, "first");
  auto a1 = store_->WriteGeneration(a_);
  ASSERT_TRUE(a1);
  EXPECT_NE(*a1, *a0);
  EXPECT_EQ(store_->WriteGeneration(b_), b0);  // another tenant's write does not disturb B
  // A unit that fails still moves the number: being conservative costs one re-render.
  auto failed = store_->Write(a_, [](TenantTx&) -> Result<void> { return Invalid("no", "x"); });
  ASSERT_FALSE(failed);
  auto a2 = store_->WriteGeneration(a_);
  EXPECT_NE(a2, a1);
  // Reads never move it, nor a write of data no inbox page shows.
  ASSERT_TRUE(List(a_, {}));
  EXPECT_EQ(store_->WriteGeneration(a_), a2);
  AuditRecord read;
  read.action = "read";
  read.object_type = "conversation_list";
  ASSERT_TRUE(store_->WriteUnseen(a_, [&](TenantTx& tx) { return tx.AppendAudit(read); }));
  EXPECT_EQ(store_->WriteGeneration(a_), a2);
  EXPECT_EQ(store_->VerifyAudit()->records, 1) << "committed all the same";
  MakeConversation(b_, "second");
  EXPECT_NE(store_->WriteGeneration(b_), b0);
  EXPECT_EQ(store_->WriteGeneration(a_), a2);
}

TEST_P(ConformanceTest, UpdatesStoreEveryChangeMadeInATransaction) {
  using core::Conversation;
  ConversationId id = MakeConversation(a_, "hello");
  auto cal = core::BusinessCalendar::AlwaysOpen();
  // Updates in one transaction, each on top of the last: one with no change, and one that puts
  // the queue back to the value it was read with (still a change from what was written).
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(Conversation c, tx.GetConversation(id));
    c.queue = "billing";
    c.status = core::Status::kPending;
    c.updated_at = T0() + minutes(1);
    CD_TRY(tx.UpdateConversation(c, cal, T0() + minutes(1)));
    c.priority = core::Priority::kUrgent;
    c.tags = {"callback"};
    CD_TRY(tx.UpdateConversation(c, cal, T0() + minutes(1)));
    CD_TRY(tx.UpdateConversation(c, cal, T0() + minutes(1)));
    c.queue = "front-desk";
    return tx.UpdateConversation(c, cal, T0() + minutes(1));
  }));
  auto stored =
      ReadValue<Conversation>(*store_, a_, [&](TenantTx& tx) { return tx.GetConversation(id); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->queue, "front-desk");
  EXPECT_EQ(stored->status, core::Status::kPending);
  EXPECT_EQ(stored->priority, core::Priority::kUrgent);
  EXPECT_EQ(stored->tags, std::vector<std::string>{"callback"});
  EXPECT_EQ(stored->updated_at, T0() + minutes(1));
  InboxFilter pending;
  pending.status = core::Status::kPending;
  ASSERT_EQ(List(a_, pending)->items.size(), 1u);  // the indexes saw the change
  // An update of a conversation this transaction never read writes every column.
  Conversation blind = *stored;
  blind.queue = "billing";
  blind.status = core::Status::kOpen;
  ASSERT_TRUE(store_->Write(
      a_, [&](TenantTx& tx) { return tx.UpdateConversation(blind, cal, T0() + minutes(2)); }));
  EXPECT_EQ(List(a_, pending)->items.size(), 0u);
  auto again =
      ReadValue<Conversation>(*store_, a_, [&](TenantTx& tx) { return tx.GetConversation(id); });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->queue, "billing");
  EXPECT_EQ(again->status, core::Status::kOpen);
  EXPECT_EQ(again->priority, core::Priority::kUrgent);
  // Another tenant's id is still not found, read or not.
  auto foreign = store_->Write(
      b_, [&](TenantTx& tx) { return tx.UpdateConversation(blind, cal, T0() + minutes(3)); });
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().kind, ErrorKind::kNotFound);
}

TEST_P(ConformanceTest, VisitorsAreFoundByTheirIdWithinTheirTenantOnly) {
  auto insert = [&](TenantId tenant, std::optional<std::string> visitor) {
    return WriteValue<core::Patient>(*store_, tenant, [&](TenantTx& tx) {
      core::Patient p;
      p.visitor_id = visitor;
      p.created_at = p.updated_at = T0();
      return tx.InsertPatient(p);
    });
  };
  auto a = insert(a_, "visitor-1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(insert(a_, std::nullopt));
  auto find = [&](TenantId tenant, const char* visitor) {
    return ReadValue<std::optional<core::Patient>>(
        *store_, tenant, [&](TenantTx& tx) { return tx.FindPatientByVisitor(visitor); });
  };
  auto found = find(a_, "visitor-1");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, a->id);
  EXPECT_EQ((*found)->visitor_id, "visitor-1");
  EXPECT_FALSE(find(b_, "visitor-1")->has_value());
  EXPECT_FALSE(find(a_, "visitor-2")->has_value());
}

TEST_P(ConformanceTest, PatientsAreFoundByPhoneEmailAndName) {
  auto r = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    core::Patient p;
    p.name = "María López";
    p.phone = "+13125550142";
    p.email = "maria@example.com";
    p.date_of_birth = "1984-02-29";
    p.language = "es";
    p.consent_sms = true;
    p.created_at = p.updated_at = T0();
    CD_TRY(tx.InsertPatient(p));
    return {};
  });
  ASSERT_TRUE(r);
  auto check = store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto by_phone, tx.FindPatientByPhone("+13125550142"));
    EXPECT_TRUE(by_phone.has_value());
    EXPECT_EQ(by_phone->name, "María López");
    EXPECT_EQ(by_phone->date_of_birth, "1984-02-29");
    EXPECT_EQ(by_phone->language, "es");
    EXPECT_TRUE(by_phone->consent_sms);
    CD_TRY_ASSIGN(auto by_email, tx.FindPatientByEmail("maria@example.com"));
    EXPECT_TRUE(by_email.has_value());
    CD_TRY_ASSIGN(auto by_name,
                  tx.SearchPatients("lópez", std::nullopt, std::nullopt, PatientId{}, 10));
    EXPECT_EQ(by_name.size(), 1u);
    CD_TRY_ASSIGN(auto wildcard,
                  tx.SearchPatients("%", std::nullopt, std::nullopt, PatientId{}, 10));
    EXPECT_TRUE(wildcard.empty()) << "LIKE wildcards in input are literal";
    return {};
  });
  ASSERT_TRUE(check) << check.error().message;
  auto other = store_->Read(b_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto by_phone, tx.FindPatientByPhone("+13125550142"));
    EXPECT_FALSE(by_phone.has_value());
    return {};
  });
  ASSERT_TRUE(other);
}

TEST_P(ConformanceTest, InboxFiltersPaginatesAndSearches) {
  for (int i = 0; i < 7; ++i) {
    MakeConversation(a_, i % 2 ? "refill lisinopril please" : "appointment next week",
                     i % 3 ? core::Channel::kSms : core::Channel::kEmail, T0() + minutes(i),
                     i < 5 ? "front-desk" : "billing");
  }
  InboxFilter f;
  f.limit = 3;
  std::vector<ConversationId> seen;
  for (int page = 0; page < 5; ++page) {
    auto p = List(a_, f);
    ASSERT_TRUE(p) << p.error().message;
    for (const auto& item : p->items) seen.push_back(item.conversation.id);
    if (!p->next_cursor) break;
    f.cursor = p->next_cursor;
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend())) << "newest first";
  EXPECT_EQ(std::set<ConversationId>(seen.begin(), seen.end()).size(), 7u);

  InboxFilter by_channel;
  by_channel.channel = core::Channel::kEmail;
  EXPECT_EQ(List(a_, by_channel)->items.size(), 3u);  // i = 0, 3, 6
  InboxFilter by_queue;
  by_queue.queue = "billing";
  EXPECT_EQ(List(a_, by_queue)->items.size(), 2u);
  InboxFilter search;
  search.search_tokens = {"refill", "lisinopril"};
  EXPECT_EQ(List(a_, search)->items.size(), 3u);
  search.search_tokens = {"refill", "appointment"};
  EXPECT_TRUE(List(a_, search)->items.empty());
  InboxFilter time_left;
  time_left.sort = InboxFilter::Sort::kTimeLeft;
  auto by_due = List(a_, time_left);
  ASSERT_TRUE(by_due);
  ASSERT_EQ(by_due->items.size(), 7u);
  EXPECT_EQ(by_due->items.front().sla_due_at, T0() + minutes(30));
  EXPECT_EQ(by_due->items.front().patient_name, "Test Patient");
  InboxFilter bad_cursor;
  bad_cursor.cursor = "r.zzz.1";
  auto bad = List(a_, bad_cursor);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(bad.error().field, "cursor");
}

TEST_P(ConformanceTest, EveryWordOfALongMessageIsSearchable) {
  // Words are indexed in batches of power-of-two sizes up to 32; these counts use every size,
  // several full batches, and a repeated word.
  for (int words : {1, 2, 3, 31, 32, 33, 63, 150}) {
    std::string text;
    for (int w = 0; w < words; ++w)
      text += "w" + std::to_string(words) + "x" + std::to_string(w) + " ";
    text += "w" + std::to_string(words) + "x0";  // a repeat
    ConversationId id = MakeConversation(a_, text);
    for (int w : {0, words / 2, words - 1}) {
      InboxFilter f;
      f.search_tokens = {"w" + std::to_string(words) + "x" + std::to_string(w)};
      auto page = List(a_, f);
      ASSERT_TRUE(page) << page.error().message;
      ASSERT_EQ(page->items.size(), 1u) << words << " words, word " << w;
      EXPECT_EQ(page->items[0].conversation.id, id);
    }
  }
}

TEST_P(ConformanceTest, SlaTimersComeDueAndStateIsFilterable) {
  ConversationId id = MakeConversation(a_, "hello");
  auto none = store_->DueSlaTimers(T0() + minutes(23), 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto due = store_->DueSlaTimers(T0() + minutes(24), 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].tenant, a_);
  EXPECT_EQ((*due)[0].conversation, id);
  // The job's tick: records at-risk, and the state becomes filterable.
  auto r = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto c, tx.GetConversation(id));
    auto cal = core::BusinessCalendar::AlwaysOpen();
    core::Decision d = core::SlaTick(c, T0() + minutes(24), cal);
    EXPECT_EQ(d.events.size(), 1u);
    CD_TRY(tx.UpdateConversation(d.conversation, cal, T0() + minutes(24)));
    return tx.AppendEvents(d.events);
  });
  ASSERT_TRUE(r);
  InboxFilter f;
  f.sla = "at_risk_or_breached";
  auto page = List(a_, f);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].sla_state, "at_risk");
  auto next = store_->DueSlaTimers(T0() + minutes(29), 10);
  EXPECT_TRUE(next->empty());
  EXPECT_EQ(store_->DueSlaTimers(T0() + minutes(30), 10)->size(), 1u);
}

TEST_P(ConformanceTest, EventsAndMessagesRoundTrip) {
  ConversationId id = MakeConversation(a_, "Necesito una cita \xF0\x9F\x98\x80");
  auto r = store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto msgs, tx.ListMessages(id));
    EXPECT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].text, "Necesito una cita \xF0\x9F\x98\x80");
    CD_TRY_ASSIGN(auto events, tx.ListEvents(id));
    EXPECT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "conversation_created");
    EXPECT_THAT(events[0].data,
                ::testing::Contains(std::pair<std::string, std::string>("channel", "sms")));
    EXPECT_TRUE(msgs[0].metadata.empty());
    return {};
  });
  ASSERT_TRUE(r) << r.error().message;
  // Channel metadata comes back in the order given, quotes and non-ASCII intact.
  std::vector<std::pair<std::string, std::string>> meta = {
      {"provider_message_id", "SM0123456789abcdef"},
      {"subject", "Re: \"refill\" \xC3\xA9t\xC3\xA9"},
      {"a.b-c_d", ""}};
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    core::Message m;
    m.conversation_id = id;
    m.channel = core::Channel::kEmail;
    m.text = "second";
    m.metadata = meta;
    m.created_at = T0();
    CD_TRY(tx.InsertMessage(m));
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  auto msgs = ReadValue<std::vector<core::Message>>(
      *store_, a_, [&](TenantTx& tx) { return tx.ListMessages(id); });
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ(msgs->at(1).metadata, meta);
}

// Runs SQL behind the store's back, as someone with a copy of the database file could.
Result<void> Tamper(const std::string& url, const std::string& sql) {
  auto engine =
      url.starts_with("sqlite:") ? sqlite::OpenSqlite(url.substr(7)) : postgres::OpenPostgres(url);
  CD_TRY_ASSIGN(auto db, (*engine)->Connect());
  return db->ExecuteScript(sql);
}

TEST_P(ConformanceTest, TheAuditChainShowsAChangedOrRemovedRecord) {
  auto append = [&](TenantId tenant, std::string action, std::int64_t patient) {
    AuditRecord r;
    r.at = T0();
    r.actor = UserId{7};
    r.session = "t:0123456789abcdef";
    r.remote_address = "127.0.0.1";
    r.action = std::move(action);
    r.object_type = "patient";
    r.object_id = patient;
    r.patient = PatientId{patient};
    r.detail = "GET /api/v1/patients/{id}";
    return store_->Write(tenant, [&](TenantTx& tx) { return tx.AppendAudit(r); });
  };
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(append(a_, i % 2 ? "read" : "update", i));
    ASSERT_TRUE(append(b_, "read", 100 + i));
  }
  auto intact = store_->VerifyAudit();
  ASSERT_TRUE(intact) << intact.error().message;
  EXPECT_EQ(intact->records, 8);
  EXPECT_FALSE(intact->broken);
  auto trail = ReadValue<std::vector<AuditRecord>>(
      *store_, a_, [](TenantTx& tx) { return tx.AuditTrail(PatientId{3}, 0, 100); });
  ASSERT_TRUE(trail);
  ASSERT_EQ(trail->size(), 1u);
  EXPECT_EQ(trail->at(0).action, "read");
  EXPECT_EQ(trail->at(0).session, "t:0123456789abcdef");
  EXPECT_EQ(trail->at(0).hash.size(), 64u);
  auto all_a = ReadValue<std::vector<AuditRecord>>(
      *store_, a_, [](TenantTx& tx) { return tx.AuditTrail(std::nullopt, 0, 100); });
  ASSERT_TRUE(all_a);
  ASSERT_EQ(all_a->size(), 4u);
  EXPECT_EQ(all_a->at(0).prev_hash, "");
  EXPECT_EQ(all_a->at(1).prev_hash, all_a->at(0).hash);

  // Someone edits what a record says...
  std::string third = std::to_string(all_a->at(2).id);
  ASSERT_TRUE(Tamper(
      url_, "UPDATE audit_log SET action = 'read' WHERE id = " + std::to_string(all_a->at(1).id)));
  auto changed = store_->VerifyAudit();
  ASSERT_TRUE(changed);
  ASSERT_TRUE(changed->broken);
  EXPECT_EQ(changed->broken->tenant, a_);
  EXPECT_EQ(changed->broken->record_id, all_a->at(1).id);
  EXPECT_THAT(changed->broken->reason, ::testing::HasSubstr("changed"));
  ASSERT_TRUE(Tamper(url_, "UPDATE audit_log SET action = 'update' WHERE id = " +
                               std::to_string(all_a->at(1).id)));
  EXPECT_FALSE(store_->VerifyAudit()->broken) << "put back as it was";
  // ...or removes one.
  ASSERT_TRUE(Tamper(url_, "DELETE FROM audit_log WHERE id = " + third));
  auto removed = store_->VerifyAudit();
  ASSERT_TRUE(removed);
  ASSERT_TRUE(removed->broken);
  EXPECT_EQ(removed->broken->record_id, all_a->at(3).id);
  EXPECT_THAT(removed->broken->reason, ::testing::HasSubstr("removed"));
}

TEST_P(ConformanceTest, APatientsAccessLogFindsTheListsThatShowedThem) {
  std::vector<AuditRecord> records(5);
  const char* types[] = {"patient", "conversation_list", "patient_list", "conversation_list",
                         "conversation"};
  const char* details[] = {"", "patients=15,5,25", "patients=55", "patients=5", ""};
  const std::int64_t patients[] = {5, 0, 0, 0, 6};
  for (int i = 0; i < 5; ++i) {
    records[i].at = T0();
    records[i].action = "read";
    records[i].object_type = types[i];
    records[i].patient = PatientId{patients[i]};
    records[i].detail = details[i];
  }
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.AppendAudits(records); }));
  auto log = ReadValue<std::vector<AuditRecord>>(
      *store_, a_, [](TenantTx& tx) { return tx.PatientAccessLog(PatientId{5}, 0, 10); });
  ASSERT_TRUE(log) << log.error().message;
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ(log->at(0).detail, "patients=5");
  EXPECT_EQ(log->at(1).detail, "patients=15,5,25");
  EXPECT_EQ(log->at(2).object_type, "patient");
  auto older = ReadValue<std::vector<AuditRecord>>(*store_, a_, [&](TenantTx& tx) {
    return tx.PatientAccessLog(PatientId{5}, log->at(0).id, 1);
  });
  ASSERT_TRUE(older);
  ASSERT_EQ(older->size(), 1u);
  EXPECT_EQ(older->at(0).id, log->at(1).id);
  auto foreign = ReadValue<std::vector<AuditRecord>>(
      *store_, b_, [](TenantTx& tx) { return tx.PatientAccessLog(PatientId{5}, 0, 10); });
  ASSERT_TRUE(foreign);
  EXPECT_TRUE(foreign->empty());
  EXPECT_FALSE(store_->VerifyAudit()->broken);
}

TEST_P(ConformanceTest, ReadTransactionsCannotWrite) {
  auto r = store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    core::SlaPolicy p;
    p.name = "sneaky";
    CD_TRY(tx.InsertSlaPolicy(p));
    return {};
  });
  EXPECT_FALSE(r);
  auto policies = ReadValue<std::vector<core::SlaPolicy>>(
      *store_, a_, [](TenantTx& tx) { return tx.SlaPolicies(); });
  ASSERT_TRUE(policies);
  EXPECT_TRUE(policies->empty());
}

TEST_P(ConformanceTest, SettingsPoliciesAndLocationsChangeOnlyInTheirTenant) {
  core::SlaPolicy policy;
  policy.name = "urgent";
  policy.priority = core::Priority::kUrgent;
  Location location{LocationId{}, "Main", "1 Lake St", "mon-fri 08:00-17:00", {"2026-12-25"}};
  auto made = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(policy, tx.InsertSlaPolicy(policy));
    CD_TRY_ASSIGN(location, tx.InsertLocation(location));
    return {};
  });
  ASSERT_TRUE(made) << made.error().message;
  ConversationId open = MakeConversation(a_, "still open");
  ConversationId closed = MakeConversation(a_, "done");
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto c, tx.GetConversation(closed));
    c.status = core::Status::kClosed;
    CD_TRY_ASSIGN(auto cal, tx.Calendar());
    return tx.UpdateConversation(c, cal, T0());
  }));
  MakeConversation(b_, "other tenant");

  // Tenant B can touch none of it.
  auto foreign = store_->Write(b_, [&](TenantTx& tx) -> Result<void> {
    core::SlaPolicy p = policy;
    p.name = "stolen";
    EXPECT_EQ(tx.UpdateSlaPolicy(p).error().kind, ErrorKind::kNotFound);
    EXPECT_EQ(tx.DeleteSlaPolicy(policy.id).error().kind, ErrorKind::kNotFound);
    Location l = location;
    l.name = "stolen";
    EXPECT_EQ(tx.UpdateLocation(l).error().kind, ErrorKind::kNotFound);
    CD_TRY_ASSIGN(auto ids, tx.UnclosedConversations());
    EXPECT_EQ(ids.size(), 1u);
    return {};
  });
  ASSERT_TRUE(foreign);

  auto changed = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto ids, tx.UnclosedConversations());
    EXPECT_THAT(ids, ::testing::ElementsAre(open));
    policy.targets.first_response = std::chrono::minutes(5);
    policy.queue = "clinical";
    CD_TRY(tx.UpdateSlaPolicy(policy));
    location.business_hours = "";
    location.holidays = {"2026-11-26", "2026-12-25"};
    CD_TRY(tx.UpdateLocation(location));
    CD_TRY_ASSIGN(Tenant t, tx.GetTenant());
    t.name = "Alpha Family Medicine";
    t.time_zone = "America/Denver";
    t.business_hours = "mon-fri 09:00-17:00";
    t.holidays = {"2026-12-24"};
    CD_TRY(tx.UpdateTenantSettings(t));
    CD_TRY_ASSIGN(auto cal, tx.Calendar());
    EXPECT_EQ(cal.time_zone_name(), "America/Denver") << "the same transaction sees the change";
    return {};
  });
  ASSERT_TRUE(changed) << changed.error().message;
  auto read = store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
    EXPECT_EQ(policies.size(), 1u);
    EXPECT_EQ(policies.at(0).queue, std::optional<std::string>("clinical"));
    EXPECT_EQ(policies.at(0).targets.first_response, std::chrono::minutes(5));
    CD_TRY_ASSIGN(auto locations, tx.Locations());
    EXPECT_EQ(locations.size(), 1u);
    EXPECT_EQ(locations.at(0).business_hours, "");
    EXPECT_THAT(locations.at(0).holidays, ::testing::ElementsAre("2026-11-26", "2026-12-25"));
    CD_TRY_ASSIGN(Tenant t, tx.GetTenant());
    EXPECT_EQ(t.slug, "alpha");
    EXPECT_EQ(t.name, "Alpha Family Medicine");
    EXPECT_THAT(t.holidays, ::testing::ElementsAre("2026-12-24"));
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.DeleteSlaPolicy(policy.id); }));
  auto policies = ReadValue<std::vector<core::SlaPolicy>>(
      *store_, a_, [](TenantTx& tx) { return tx.SlaPolicies(); });
  ASSERT_TRUE(policies);
  EXPECT_TRUE(policies->empty());
  auto b_tenant = store_->Read(b_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(Tenant t, tx.GetTenant());
    EXPECT_NE(t.name, "Alpha Family Medicine");
    CD_TRY_ASSIGN(auto locations, tx.Locations());
    EXPECT_TRUE(locations.empty());
    return {};
  });
  ASSERT_TRUE(b_tenant);
}

TEST_P(ConformanceTest, IdempotentRepliesAreKeptPerTenant) {
  auto put = store_->Write(a_, [&](TenantTx& tx) {
    return tx.PutIdempotentReply("key-1", IdempotentReply{"h1", 201, "{\"message_id\":1}"}, T0());
  });
  ASSERT_TRUE(put);
  auto dup = store_->Write(a_, [&](TenantTx& tx) {
    return tx.PutIdempotentReply("key-1", IdempotentReply{"h2", 201, "{}"}, T0());
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  auto got = ReadValue<std::optional<IdempotentReply>>(
      *store_, a_, [](TenantTx& tx) { return tx.GetIdempotentReply("key-1"); });
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->body, "{\"message_id\":1}");
  auto other = ReadValue<std::optional<IdempotentReply>>(
      *store_, b_, [](TenantTx& tx) { return tx.GetIdempotentReply("key-1"); });
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
}

TEST_P(ConformanceTest, PhoneEventsAreKeptOncePerKeyAndCallsPerReferenceWithinTheirTenant) {
  PhoneEvent enter;
  enter.key = "k1";
  enter.call_ref = "1700.5";
  enter.queue = "support";
  enter.kind = "enter";
  enter.at = T0();
  enter.patient = PatientId{7};
  PhoneEvent connect = enter;
  connect.key = "k2";
  connect.kind = "connect";
  connect.at = T0() + std::chrono::seconds(20);
  connect.agent = "PJSIP/201";
  connect.wait_seconds = 20;
  connect.patient = PatientId{};
  std::vector<bool> inserted;
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    inserted.clear();
    for (const PhoneEvent* e : {&connect, &enter, &enter}) {
      CD_TRY_ASSIGN(bool added, tx.InsertPhoneEvent(*e));
      inserted.push_back(added);
    }
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(inserted, (std::vector<bool>{true, true, false}));
  auto events = ReadValue<std::vector<PhoneEvent>>(
      *store_, a_, [](TenantTx& tx) { return tx.PhoneEventsOfCall("1700.5"); });
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "enter");
  EXPECT_EQ((*events)[0].patient, PatientId{7});
  EXPECT_FALSE((*events)[0].wait_seconds);
  EXPECT_EQ((*events)[1].agent, "PJSIP/201");
  EXPECT_EQ((*events)[1].wait_seconds, 20);
  auto elsewhere = ReadValue<std::vector<PhoneEvent>>(
      *store_, b_, [](TenantTx& tx) { return tx.PhoneEventsOfCall("1700.5"); });
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->empty());
  // The other practice may use the same key: keys are per tenant.
  auto b_insert =
      WriteValue<bool>(*store_, b_, [&](TenantTx& tx) { return tx.InsertPhoneEvent(enter); });
  ASSERT_TRUE(b_insert);
  EXPECT_TRUE(*b_insert);

  CallRecord rec;
  rec.source = "queue_log";
  rec.call.ref = "1700.5";
  rec.call.queue = "support";
  rec.call.patient = PatientId{7};
  rec.call.outcome = core::CallOutcome::kTalking;
  rec.call.entered_at = T0();
  rec.call.answered_at = T0() + std::chrono::seconds(20);
  rec.call.agent = "PJSIP/201";
  rec.call.wait_seconds = 20;
  rec.updated_at = T0();
  auto put = WriteValue<CallRecord>(*store_, a_, [&](TenantTx& tx) { return tx.PutCall(rec); });
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_GT(put->id, 0);
  rec.call.outcome = core::CallOutcome::kAnswered;
  rec.call.ended_at = T0() + std::chrono::seconds(200);
  rec.call.talk_seconds = 180;
  rec.call.hold_seconds = 30;
  rec.call.wrap_seconds = 60;
  rec.call.unanswered_rings = 2;
  rec.call.transferred = true;
  rec.conversation = ConversationId{9};
  auto again = WriteValue<CallRecord>(*store_, a_, [&](TenantTx& tx) { return tx.PutCall(rec); });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, put->id) << "one row per source and reference";
  auto found = ReadValue<std::optional<CallRecord>>(
      *store_, a_, [](TenantTx& tx) { return tx.FindCall("queue_log", "1700.5"); });
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  const core::Call& c = (*found)->call;
  EXPECT_EQ(c.outcome, core::CallOutcome::kAnswered);
  EXPECT_EQ(c.ended_at, T0() + std::chrono::seconds(200));
  EXPECT_EQ(c.answered_at, T0() + std::chrono::seconds(20));
  EXPECT_EQ(c.talk_seconds, 180);
  EXPECT_EQ(c.hold_seconds, 30);
  EXPECT_EQ(c.wrap_seconds, 60);
  EXPECT_EQ(c.unanswered_rings, 2);
  EXPECT_TRUE(c.transferred);
  EXPECT_EQ((*found)->conversation, ConversationId{9});
  auto api_source = ReadValue<std::optional<CallRecord>>(
      *store_, a_, [](TenantTx& tx) { return tx.FindCall("api", "1700.5"); });
  ASSERT_TRUE(api_source);
  EXPECT_FALSE(api_source->has_value());

  CallRecord second = rec;
  second.call.ref = "1700.6";
  second.call.patient = PatientId{8};
  second.call.entered_at = T0() + std::chrono::hours(2);
  ASSERT_TRUE(
      WriteValue<CallRecord>(*store_, a_, [&](TenantTx& tx) { return tx.PutCall(second); }));
  auto list = [&](TenantId t, CallFilter f) {
    auto r = ReadValue<std::vector<CallRecord>>(*store_, t,
                                                [&](TenantTx& tx) { return tx.ListCalls(f); });
    std::vector<std::string> refs;
    if (r) {
      for (const CallRecord& x : *r) refs.push_back(x.call.ref);
    }
    return refs;
  };
  using Refs = std::vector<std::string>;
  EXPECT_EQ(list(a_, {}), (Refs{"1700.6", "1700.5"}));
  EXPECT_EQ(list(b_, {}), Refs{});
  CallFilter by_patient;
  by_patient.patient = PatientId{8};
  EXPECT_EQ(list(a_, by_patient), Refs{"1700.6"});
  CallFilter in_range;
  in_range.from = T0();
  in_range.to = T0() + std::chrono::hours(1);
  EXPECT_EQ(list(a_, in_range), Refs{"1700.5"});
  CallFilter page;
  page.limit = 1;
  EXPECT_EQ(list(a_, page), Refs{"1700.6"});
}

TEST_P(ConformanceTest, KpiFactsCellsAndProgressAreKeptPerTenant) {
  core::Cell cell;
  cell.day = 20415;
  cell.hour = 9;
  cell.channel = "sms";
  cell.queue = "front-desk";
  cell.agent = "3";
  cell.category = "billing";
  KpiFactRow fact;
  fact.key = "conversation:5";
  fact.patient = PatientId{7};
  fact.cell = cell;
  fact.tally = "t1";
  fact.created_at = T0();
  fact.resolved_at = T0() + std::chrono::hours(1);
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutKpiFact(fact));
    fact.tally = "t2";
    fact.recontacted = true;
    CD_TRY(tx.PutKpiFact(fact));  // replaces
    CD_TRY(tx.PutKpiCell(core::Grain::kFine, cell, "fine"));
    core::Cell other = cell;
    other.channel = "email";
    CD_TRY(tx.PutKpiCell(core::Grain::kFine, other, "fine-email"));
    CD_TRY(tx.PutKpiCell(core::Grain::kDay, core::Project(core::Grain::kDay, cell), "day"));
    CD_TRY(tx.PutKpiCell(core::Grain::kDay, core::Project(core::Grain::kDay, cell), "day2"));
    KpiProgress p;
    p.events_after = 42;
    p.calls_after = T0();
    p.calls_after_id = 3;
    return tx.PutKpiProgress(p);
  });
  ASSERT_TRUE(w) << w.error().message;
  auto got = ReadValue<std::optional<KpiFactRow>>(
      *store_, a_, [](TenantTx& tx) { return tx.GetKpiFact("conversation:5"); });
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->tally, "t2");
  EXPECT_TRUE((*got)->recontacted);
  EXPECT_EQ((*got)->cell, cell);
  EXPECT_EQ((*got)->resolved_at, T0() + std::chrono::hours(1));
  auto of_patient = ReadValue<std::vector<KpiFactRow>>(
      *store_, a_, [](TenantTx& tx) { return tx.KpiFactsOfPatient(PatientId{7}); });
  ASSERT_TRUE(of_patient);
  EXPECT_EQ(of_patient->size(), 1u);
  auto cells = [&](TenantId t, KpiCellQuery q) {
    std::vector<std::string> out;
    auto rows = ReadValue<std::vector<KpiCellRow>>(*store_, t,
                                                   [&](TenantTx& tx) { return tx.KpiCells(q); });
    if (rows) {
      for (const auto& r : *rows) out.push_back(r.tally);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  using Tallies = std::vector<std::string>;
  KpiCellQuery q;
  q.grain = core::Grain::kFine;
  q.from_day = 20415;
  q.to_day = 20415;
  EXPECT_EQ(cells(a_, q), (Tallies{"fine", "fine-email"}));
  EXPECT_EQ(cells(b_, q), Tallies{}) << "another practice's cells are not seen";
  q.channel = "sms";
  q.hour = 9;
  EXPECT_EQ(cells(a_, q), Tallies{"fine"});
  q.hour = 10;
  EXPECT_EQ(cells(a_, q), Tallies{});
  KpiCellQuery day;
  day.from_day = 20400;
  day.to_day = 20420;
  EXPECT_EQ(cells(a_, day), Tallies{"day2"});
  day.to_day = 20414;
  EXPECT_EQ(cells(a_, day), Tallies{});
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) {
    return tx.PutKpiCell(core::Grain::kFine, cell, "");  // empty: gone
  }));
  q.hour.reset();
  EXPECT_EQ(cells(a_, q), Tallies{});
  auto progress =
      ReadValue<KpiProgress>(*store_, a_, [](TenantTx& tx) { return tx.GetKpiProgress(); });
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->events_after, 42);
  EXPECT_EQ(progress->calls_after, T0());
  EXPECT_EQ(progress->calls_after_id, 3);
  auto fresh =
      ReadValue<KpiProgress>(*store_, b_, [](TenantTx& tx) { return tx.GetKpiProgress(); });
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->events_after, 0);
}

TEST_P(ConformanceTest, TheRollupFindsWhatChangedAfterItsMarks) {
  WritePatientInformation(a_);
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto page, tx.ListConversations({}));
    std::vector<core::Event> events(2);
    for (core::Event& e : events) {
      e.type = "note_added";
      e.at = T0();
      e.conversation_id = page.items.at(0).conversation.id;
    }
    events[1].conversation_id = ConversationId{};  // not about a conversation: skipped
    events[1].type = "patient_created";
    return tx.AppendEvents(events);
  }));
  auto changed = ReadValue<std::pair<std::vector<ConversationId>, std::int64_t>>(
      *store_, a_, [](TenantTx& tx) { return tx.ConversationsChangedAfter(0, 1000); });
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->first.size(), 1u);
  EXPECT_GT(changed->second, 0);
  auto none = ReadValue<std::pair<std::vector<ConversationId>, std::int64_t>>(
      *store_, a_,
      [&](TenantTx& tx) { return tx.ConversationsChangedAfter(changed->second, 1000); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->first.empty());
  EXPECT_EQ(none->second, changed->second);
  auto elsewhere = ReadValue<std::pair<std::vector<ConversationId>, std::int64_t>>(
      *store_, b_, [](TenantTx& tx) { return tx.ConversationsChangedAfter(0, 1000); });
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->first.empty());
  auto open = ReadValue<std::int64_t>(*store_, a_,
                                      [](TenantTx& tx) { return tx.CountOpenConversations(); });
  ASSERT_TRUE(open);
  EXPECT_EQ(*open, 1);

  CallRecord rec;
  rec.source = "api";
  rec.call.outcome = core::CallOutcome::kAnswered;
  for (int i = 0; i < 3; ++i) {
    rec.call.ref = "c" + std::to_string(i);
    rec.updated_at = T0() + std::chrono::seconds(i == 2 ? 1 : 0);  // two share a time
    ASSERT_TRUE(WriteValue<CallRecord>(*store_, a_, [&](TenantTx& tx) { return tx.PutCall(rec); }));
  }
  auto page = [&](Timestamp after, std::int64_t id) {
    std::vector<std::string> refs;
    auto r = ReadValue<std::vector<CallRecord>>(
        *store_, a_, [&](TenantTx& tx) { return tx.CallsChangedAfter(after, id, 2); });
    if (r) {
      for (const auto& c : *r) refs.push_back(c.call.ref);
    }
    return refs;
  };
  using Refs = std::vector<std::string>;
  EXPECT_EQ(page(Timestamp{}, 0), (Refs{"c0", "c1"}));
  auto first = ReadValue<std::vector<CallRecord>>(
      *store_, a_, [&](TenantTx& tx) { return tx.CallsChangedAfter(Timestamp{}, 0, 1); });
  ASSERT_TRUE(first);
  EXPECT_EQ(page(first->at(0).updated_at, first->at(0).id), (Refs{"c1", "c2"}))
      << "the same time, a later id, is still after the mark";
}

TEST_P(ConformanceTest, AStaffMembersPhoneAgentNamesAreKeptAndChanged) {
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.email = "phones@alpha.example";
    u.display_name = "Phones";
    u.created_at = T0();
    u.phone_agents = {"PJSIP/201", "Local/201@from-queue"};
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "hash"));
    CD_TRY_ASSIGN(User read, tx.GetUser(u.id));
    EXPECT_EQ(read.phone_agents, u.phone_agents);
    read.phone_agents = {"Dr Who"};
    CD_TRY(tx.UpdateUser(read));
    CD_TRY_ASSIGN(auto all, tx.ListUsers());
    EXPECT_EQ(all.size(), 1u);
    if (!all.empty()) {
      EXPECT_EQ(all[0].phone_agents, std::vector<std::string>{"Dr Who"});
    }
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  auto other = store_->Write(b_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto users, tx.ListUsers());
    EXPECT_TRUE(users.empty()) << "another practice sees none of them";
    return {};
  });
  ASSERT_TRUE(other);
}

TEST_P(ConformanceTest, TokensAndSessionsAuthenticateUntilRevokedOrExpired) {
  UserId user;
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.email = "agent@alpha.example";
    u.display_name = "Agent";
    u.created_at = T0();
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "hash"));
    user = u.id;
    CD_TRY(tx.InsertApiToken(u.id, "tokhash", "ci", T0(), std::nullopt));
    CD_TRY(tx.InsertApiToken(u.id, "oldhash", "old", T0(), T0()));
    NewSession session;
    session.user = u.id;
    session.id_hash = "sesshash";
    session.csrf_token = "csrf";
    session.now = T0();
    session.expires_at = T0() + std::chrono::hours(12);
    CD_TRY(tx.InsertSession(session));
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  auto p = store_->AuthenticateToken("tokhash", T0());
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->tenant, a_);
  EXPECT_EQ((*p)->user, user);
  EXPECT_FALSE(store_->AuthenticateToken("oldhash", T0())->has_value()) << "expired";
  EXPECT_FALSE(store_->AuthenticateToken("nope", T0())->has_value());
  auto dup = store_->Write(b_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.email = "agent@alpha.example";  // same email, other tenant: allowed
    u.display_name = "Agent";
    CD_TRY(tx.InsertUser(u, "hash"));
    return {};
  });
  EXPECT_TRUE(dup);
  auto again = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.email = "agent@alpha.example";
    CD_TRY(tx.InsertUser(u, "hash"));
    return {};
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().field, "email");
  // Sessions are not reachable by token from another tenant.
  auto cross = store_->Write(
      b_, [&](TenantTx& tx) { return tx.InsertApiToken(user, "x", "x", T0(), std::nullopt); });
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().kind, ErrorKind::kNotFound);

  auto s = store_->AuthenticateSession("sesshash", T0() + minutes(1), minutes(15));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->csrf_token, "csrf");
  EXPECT_FALSE(
      store_->AuthenticateSession("sesshash", T0() + std::chrono::hours(13), std::chrono::hours(24))
          ->has_value())
      << "expired";
  ASSERT_TRUE(store_->Write(a_, [](TenantTx& tx) { return tx.RevokeSession("sesshash", T0()); }));
  EXPECT_FALSE(
      store_->AuthenticateSession("sesshash", T0() + minutes(1), minutes(15))->has_value());
  auto login = store_->FindLogin("alpha", "agent@alpha.example");
  ASSERT_TRUE(login);
  ASSERT_TRUE(login->has_value());
  EXPECT_EQ((*login)->user, user);
  EXPECT_FALSE(store_->FindLogin("beta", "nobody@x.example")->has_value());
}

TEST_P(ConformanceTest, SessionsAndTokensAreListedAndEndedByOwnerOrAdminOnly) {
  UserId ana, ben;
  std::int64_t ana_session = 0, ben_session = 0;
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.display_name = "x";
    u.email = "ana@alpha.example";
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "hash"));
    ana = u.id;
    u.email = "ben@alpha.example";
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "hash"));
    ben = u.id;
    NewSession s;
    s.csrf_token = "c";
    s.now = T0();
    s.expires_at = T0() + std::chrono::hours(12);
    s.remote_address = "192.0.2.7";
    s.user_agent = std::string(300, 'a');
    s.user = ana;
    s.id_hash = "ana-session";
    s.second_factor_pending = true;
    CD_TRY_ASSIGN(ana_session, tx.InsertSession(s));
    s.user = ben;
    s.id_hash = "ben-session";
    s.second_factor_pending = false;
    CD_TRY_ASSIGN(ben_session, tx.InsertSession(s));
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  auto mine = ReadValue<std::vector<SessionInfo>>(
      *store_, a_, [&](TenantTx& tx) { return tx.ListSessions(ana, T0()); });
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->at(0).id, ana_session);
  EXPECT_EQ(mine->at(0).remote_address, "192.0.2.7");
  EXPECT_EQ(mine->at(0).user_agent.size(), 200u) << "kept short";
  EXPECT_TRUE(mine->at(0).second_factor_pending);
  auto pending = store_->AuthenticateSession("ana-session", T0(), minutes(15));
  ASSERT_TRUE(pending && pending->has_value());
  EXPECT_TRUE((*pending)->second_factor_pending);
  EXPECT_EQ((*pending)->session_id, ana_session);
  ASSERT_TRUE(
      store_->Write(a_, [](TenantTx& tx) { return tx.CompleteSecondFactor("ana-session"); }));
  EXPECT_FALSE(
      (*store_->AuthenticateSession("ana-session", T0(), minutes(15)))->second_factor_pending);

  auto all = ReadValue<std::vector<SessionInfo>>(
      *store_, a_, [&](TenantTx& tx) { return tx.ListSessions(std::nullopt, T0()); });
  EXPECT_EQ(all->size(), 2u);
  EXPECT_TRUE(ReadValue<std::vector<SessionInfo>>(
                  *store_, b_, [&](TenantTx& tx) { return tx.ListSessions(std::nullopt, T0()); })
                  ->empty())
      << "another tenant sees none";
  // Ana cannot end Ben's session; nor can another tenant; Ben's own (or an admin's) call can.
  auto foreign =
      store_->Write(a_, [&](TenantTx& tx) { return tx.RevokeSessionById(ben_session, ana, T0()); });
  EXPECT_EQ(foreign.error().kind, ErrorKind::kNotFound);
  auto other_tenant = store_->Write(
      b_, [&](TenantTx& tx) { return tx.RevokeSessionById(ben_session, std::nullopt, T0()); });
  EXPECT_EQ(other_tenant.error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(store_->AuthenticateSession("ben-session", T0(), minutes(15))->has_value());
  ASSERT_TRUE(store_->Write(
      a_, [&](TenantTx& tx) { return tx.RevokeSessionById(ben_session, std::nullopt, T0()); }));
  EXPECT_FALSE(store_->AuthenticateSession("ben-session", T0(), minutes(15))->has_value());
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.RevokeSessionsOf(ana, T0()); }));
  EXPECT_FALSE(store_->AuthenticateSession("ana-session", T0(), minutes(15))->has_value());

  // Tokens carry their scopes; revoking answers the hash, only to the owner or an admin.
  auto token = WriteValue<TokenInfo>(*store_, a_, [&](TenantTx& tx) {
    return tx.InsertScopedToken(ana, "scoped-hash", "reader", {"inbox:read", "patients:read"}, T0(),
                                T0() + std::chrono::hours(24));
  });
  ASSERT_TRUE(token);
  auto who = store_->AuthenticateToken("scoped-hash", T0());
  ASSERT_TRUE(who && who->has_value());
  EXPECT_EQ((*who)->scopes, (std::vector<std::string>{"inbox:read", "patients:read"}));
  auto listed = ReadValue<std::vector<TokenInfo>>(*store_, a_,
                                                  [&](TenantTx& tx) { return tx.ListTokens(ana); });
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).name, "reader");
  EXPECT_FALSE(listed->at(0).revoked_at);
  EXPECT_EQ(ReadValue<std::vector<TokenInfo>>(*store_, a_,
                                              [&](TenantTx& tx) { return tx.ListTokens(ben); })
                ->size(),
            0u);
  auto by_ben = WriteValue<std::string>(
      *store_, a_, [&](TenantTx& tx) { return tx.RevokeToken(token->id, ben, T0()); });
  EXPECT_EQ(by_ben.error().kind, ErrorKind::kNotFound);
  auto revoked = WriteValue<std::string>(
      *store_, a_, [&](TenantTx& tx) { return tx.RevokeToken(token->id, ana, T0()); });
  ASSERT_TRUE(revoked);
  EXPECT_EQ(*revoked, "scoped-hash");
  EXPECT_FALSE(store_->AuthenticateToken("scoped-hash", T0())->has_value());
}

TEST_P(ConformanceTest, SecondFactorStepsAndRecoveryCodesAreSingleUse) {
  UserId ana;
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.display_name = "x";
    u.email = "ana@alpha.example";
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "hash"));
    ana = u.id;
    return {};
  });
  ASSERT_TRUE(w);
  auto login = store_->FindLogin("alpha", "ana@alpha.example");
  ASSERT_TRUE(login && login->has_value());
  EXPECT_TRUE((*login)->require_second_factor) << "on by default";
  EXPECT_FALSE((*login)->second_factor.enabled);
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.StartTotp(ana, "SECRETONE"); }));
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.StartTotp(ana, "SECRETTWO"); }))
      << "a secret not yet enabled may be replaced";
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.EnableTotp(ana); }));
  auto again = store_->Write(a_, [&](TenantTx& tx) { return tx.StartTotp(ana, "SECRET3"); });
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  login = store_->FindLogin("alpha", "ana@alpha.example");
  EXPECT_TRUE((*login)->second_factor.enabled);
  EXPECT_EQ((*login)->second_factor.totp_secret, "SECRETTWO");

  auto use = [&](std::int64_t step) {
    return WriteValue<bool>(*store_, a_, [&](TenantTx& tx) { return tx.UseTotpStep(ana, step); })
        .value();
  };
  EXPECT_TRUE(use(100));
  EXPECT_FALSE(use(100)) << "replayed";
  EXPECT_FALSE(use(99)) << "older";
  EXPECT_TRUE(use(101));
  auto use_code = [&](TenantId t, const std::string& hash) {
    return WriteValue<bool>(*store_, t,
                            [&](TenantTx& tx) { return tx.UseRecoveryCode(ana, hash, T0()); })
        .value();
  };
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) {
    return tx.ReplaceRecoveryCodes(ana, {"h1", "h2"}, T0());
  }));
  EXPECT_FALSE(use_code(b_, "h1")) << "not from another tenant";
  EXPECT_TRUE(use_code(a_, "h1"));
  EXPECT_FALSE(use_code(a_, "h1")) << "single use";
  EXPECT_EQ(ReadValue<int>(*store_, a_, [&](TenantTx& tx) { return tx.UnusedRecoveryCodes(ana); })
                .value(),
            1);
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.ResetSecondFactor(ana); }));
  EXPECT_FALSE(use_code(a_, "h2")) << "a reset drops the codes";
  EXPECT_FALSE((*store_->FindLogin("alpha", "ana@alpha.example"))->second_factor.enabled);

  auto settings = WriteValue<Tenant>(*store_, a_, [&](TenantTx& tx) -> Result<Tenant> {
    CD_TRY_ASSIGN(Tenant t, tx.GetTenant());
    t.require_second_factor = false;
    CD_TRY(tx.UpdateTenantSettings(t));
    return tx.GetTenant();
  });
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->require_second_factor);
  EXPECT_FALSE((*store_->FindLogin("alpha", "ana@alpha.example"))->require_second_factor);
}

TEST_P(ConformanceTest, WritesByAnotherProcessRetireWhatWasDerivedFromTheOldData) {
  if (GetParam() == "postgres") {
    // Other nodes write unseen there, so nothing derived is ever kept: no generation at all.
    EXPECT_FALSE(store_->WriteGeneration(a_).has_value());
    return;
  }
  SqlStoreOptions quick = Sealed();
  quick.external_writes_check = std::chrono::milliseconds(50);
  ASSERT_TRUE(Reopen(quick));
  MakeConversation(a_, "hello");
  auto before_a = store_->WriteGeneration(a_);
  auto before_b = store_->WriteGeneration(b_);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(store_->WriteGeneration(a_), before_a) << "nothing happened";
  // `caredesk patient erase` in another process, say.
  auto engine = sqlite::OpenSqlite(url_.substr(7));
  auto other = (*engine)->Connect();
  ASSERT_TRUE((*other)->Execute("UPDATE conversations SET queue = 'elsewhere'"));
  std::optional<std::uint64_t> after_a = before_a, after_b = before_b;
  for (int i = 0; i < 100 && (after_a == before_a || after_b == before_b); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    after_a = store_->WriteGeneration(a_);
    after_b = store_->WriteGeneration(b_);
  }
  EXPECT_NE(after_a, before_a);
  EXPECT_NE(after_b, before_b) << "a tenant this store never wrote moves too";
}

TEST_P(ConformanceTest, PatientInformationIsSealedAtRestAndStillFound) {
  WritePatientInformation(a_);
  ExpectPatientInformationFound(a_);
  ExpectNothingReadable();
  for (const std::string& v : Raw("patients", "name")) {
    EXPECT_TRUE(v.starts_with("enc1.")) << v;
  }
  // The same phone in another practice has another index: nothing links the two.
  WritePatientInformation(b_);
  auto indexes = Raw("patients", "phone_index");
  ASSERT_EQ(indexes.size(), 2u);
  EXPECT_NE(indexes[0], indexes[1]);
  if (GetParam() == "sqlite") {  // the database file itself, and its write-ahead log
    store_.reset();
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(dir_ / (std::string("caredesk.db") + suffix), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      // Long needles only: random ciphertext bytes hold any three letters now and then.
      for (const char* phi : {"Zebulon", "zebulon", "HIV results", "3125550188", "1970-01-02",
                              "Ada Quartz", "3125550177"}) {
        EXPECT_EQ(bytes.find(phi), std::string::npos) << suffix << ": " << phi;
      }
    }
  }
}

TEST_P(ConformanceTest, AnUnencryptedDatabaseIsSealedAtStartAndThenNeedsItsKey) {
  ASSERT_TRUE(Reopen(SqlStoreOptions{}).has_value() == false)
      << "a database with keys refuses a store without the master key";
  // A database from before encryption: tenants made by a store without a key.
  if (GetParam() == "postgres") {
    auto engine = postgres::OpenPostgres(url_);
    auto db = (*engine)->Connect();
    ASSERT_TRUE(
        (*db)->ExecuteScript("DELETE FROM tenant_keys; UPDATE tenants SET data_format = 1"));
  } else {
    auto engine = sqlite::OpenSqlite(url_.substr(7));
    auto db = (*engine)->Connect();
    ASSERT_TRUE(
        (*db)->ExecuteScript("DELETE FROM tenant_keys; UPDATE tenants SET data_format = 1"));
  }
  ASSERT_TRUE(Reopen(SqlStoreOptions{}));
  WritePatientInformation(a_);
  ExpectPatientInformationFound(a_);
  EXPECT_EQ(Raw("patients", "name").at(0), "Zebulon Quartz") << "no key: kept as it is";

  auto wrong = Reopen(Sealed('w'));
  ASSERT_TRUE(wrong) << wrong.error().message;  // no keys yet: this key becomes the key
  ExpectPatientInformationFound(a_);
  ExpectNothingReadable();
  auto other = Reopen(Sealed('x'));
  ASSERT_FALSE(other) << "another master key does not open the tenant keys";
  EXPECT_EQ(other.error().kind, ErrorKind::kUnavailable);
  auto none = Reopen(SqlStoreOptions{});
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, ::testing::HasSubstr("master key"));
  ASSERT_TRUE(Reopen(Sealed('w')));
  ExpectPatientInformationFound(a_);
}

TEST_P(ConformanceTest, KeyRotationResealsEverythingAndDropsTheOldKey) {
  WritePatientInformation(a_);
  WritePatientInformation(b_);
  OidcProvider provider;
  provider.issuer = "https://login.example.org";
  provider.client_secret = "client-secret";
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.PutOidcProvider(provider, T0()); }));
  auto rotated = store_->RotateDataKey(a_, Millis{0});
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->new_version, 2);
  EXPECT_EQ(rotated->resealed, 7) << "the patient, message, attachment, representative, outbox "
                                     "item, identity provider's secret and the number's consent";
  EXPECT_EQ(rotated->stale_left, 0);
  ExpectPatientInformationFound(a_);
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto stored, tx.GetOidcProvider());
    EXPECT_TRUE(stored && stored->client_secret == "client-secret");
    return {};
  }));
  ExpectPatientInformationFound(b_);
  std::multiset<std::string> versions;
  for (const std::string& v : Raw("patients", "name")) versions.insert(v.substr(0, 5));
  EXPECT_EQ(versions, (std::multiset<std::string>{"enc1.", "enc2."})) << "only alpha rotated";
  auto keys = Raw("tenant_keys", "purpose || ':' || version");
  std::multiset<std::string> listed(keys.begin(), keys.end());
  EXPECT_EQ(listed, (std::multiset<std::string>{"data:1", "index:1", "data:2", "index:1"}))
      << "alpha's data key 1 is gone";
  // New values use the new key at once, in this store; a fresh store agrees.
  WritePatientInformation(a_);
  ASSERT_TRUE(Reopen(Sealed()));
  ExpectPatientInformationFound(b_);
  auto again = store_->RotateDataKey(a_, Millis{0});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->new_version, 3);
  EXPECT_EQ(again->resealed, 12);
}

TEST_P(ConformanceTest, OutboxItemsAreClaimedByOneSenderAndTheirOutcomeKept) {
  ConversationId conv = MakeConversation(a_, "text me my code");
  std::int64_t id = 0;
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    OutboxItem item;
    item.conversation = conv;
    item.channel = "sms";
    item.recipient = "+13125550188";
    item.body = "your code is 123456";
    item.purpose = "verification_code";
    item.created_at = T0();
    CD_TRY_ASSIGN(id, tx.QueueOutbound(item));
    return {};
  }));
  auto due = store_->DueOutbound(T0(), 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->at(0).tenant, a_);
  auto claim = [&](TenantId t, Timestamp at) {
    std::optional<OutboxItem> item;
    EXPECT_TRUE(store_->Write(t, [&](TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(item, tx.ClaimOutbound(id, at, std::chrono::seconds(60)));
      return {};
    }));
    return item;
  };
  EXPECT_FALSE(claim(b_, T0())) << "another practice's item";
  auto first = claim(a_, T0());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->recipient, "+13125550188");
  EXPECT_EQ(first->attempts, 1);
  EXPECT_FALSE(first->interrupted);
  EXPECT_FALSE(claim(a_, T0())) << "claimed once";
  EXPECT_TRUE(store_->DueOutbound(T0() + std::chrono::seconds(59), 10)->empty());
  auto again = claim(a_, T0() + std::chrono::seconds(61));
  ASSERT_TRUE(again) << "a claim runs out";
  EXPECT_TRUE(again->interrupted);
  EXPECT_EQ(again->attempts, 2);
  // The first sender, late, can no longer record anything: its claim was taken over.
  OutboundOutcome late;
  late.kind = OutboundOutcome::Kind::kSent;
  late.provider_ref = "SM1";
  auto lost = store_->Write(a_, [&](TenantTx& tx) { return tx.FinishOutbound(id, 1, late, T0()); });
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, ErrorKind::kConflict);
  // A retry is due when it says; a failure is recorded in the conversation; done is done.
  OutboundOutcome retry;
  retry.kind = OutboundOutcome::Kind::kRetry;
  retry.error = "HTTP 503";
  retry.next_attempt_at = T0() + std::chrono::minutes(5);
  ASSERT_TRUE(
      store_->Write(a_, [&](TenantTx& tx) { return tx.FinishOutbound(id, 2, retry, T0()); }));
  EXPECT_TRUE(store_->DueOutbound(T0() + std::chrono::minutes(4), 10)->empty());
  auto third = claim(a_, T0() + std::chrono::minutes(5));
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->interrupted) << "a retry is not an interruption";
  OutboundOutcome failed;
  failed.kind = OutboundOutcome::Kind::kFailed;
  failed.error = "provider error 21211, HTTP 400";
  ASSERT_TRUE(
      store_->Write(a_, [&](TenantTx& tx) { return tx.FinishOutbound(id, 3, failed, T0()); }));
  EXPECT_TRUE(store_->DueOutbound(T0() + std::chrono::hours(24), 10)->empty());
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto events, tx.ListEvents(conv));
    bool recorded = false;
    for (const auto& e : events) {
      if (e.type != "outbound_failed") continue;
      recorded = true;
      EXPECT_THAT(e.data, ::testing::Contains(std::pair<std::string, std::string>(
                              "reason", "provider error 21211, HTTP 400")));
    }
    EXPECT_TRUE(recorded);
    return {};
  }));
}

TEST_P(ConformanceTest, IndexKeyRotationKeepsEveryLookupWorkingThroughout) {
  WritePatientInformation(a_);
  WritePatientInformation(b_);
  auto tokens_of = [&](TenantId t) {
    std::multiset<std::string> out;
    for (const std::string& v : Raw("patient_tokens", "tenant_id || ':' || token")) {
      if (v.starts_with(std::to_string(t.value) + ":")) out.insert(v);
    }
    return out;
  };
  const std::size_t name_tokens = tokens_of(a_).size();
  const auto b_tokens = tokens_of(b_);
  // While the rotation waits for servers to take the new key, lookups find what the old key
  // indexed, and what is written now (under the new key) is found too. The wait is long enough
  // for the write below to land inside it on a loaded machine (at 600 ms it once did not, and
  // the re-index ran before the write).
  std::optional<Result<Store::Rotation>> rotated;
  std::thread rotation(
      [&] { rotated = store_->RotateIndexKey(a_, std::chrono::milliseconds(2000)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ExpectPatientInformationFound(a_);
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    core::Patient p;
    p.name = "Wilhelmina Ostrander";
    p.phone = "+13125550199";
    p.created_at = p.updated_at = T0();
    return tx.InsertPatient(p).has_value() ? Result<void>{} : Internal("insert failed");
  }));
  rotation.join();
  ASSERT_TRUE(rotated && *rotated) << (rotated && !*rotated ? rotated->error().message : "");
  EXPECT_EQ((*rotated)->new_version, 2);
  EXPECT_EQ((*rotated)->resealed, 4) << "two patients, the message and the number's consent";
  ExpectPatientInformationFound(a_);
  ExpectPatientInformationFound(b_);
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto found, tx.FindPatientByPhone("+13125550199"));
    EXPECT_TRUE(found.has_value());
    CD_TRY_ASSIGN(auto named,
                  tx.SearchPatients("wilhel", std::nullopt, std::nullopt, PatientId{}, 10));
    EXPECT_EQ(named.size(), 1u);
    return {};
  }));
  auto keys = Raw("tenant_keys", "purpose || ':' || version");
  std::multiset<std::string> listed(keys.begin(), keys.end());
  EXPECT_EQ(listed, (std::multiset<std::string>{"data:1", "index:2", "data:1", "index:1"}))
      << "alpha's index key 1 is gone, beta's untouched";
  EXPECT_EQ(tokens_of(a_).size(), name_tokens + NamePrefixes("Wilhelmina Ostrander").size())
      << "the old key's tokens are deleted, not left beside the new ones";
  EXPECT_EQ(tokens_of(b_), b_tokens);
  // A fresh store (another node) agrees.
  ASSERT_TRUE(Reopen(Sealed()));
  ExpectPatientInformationFound(a_);
}

TEST_P(ConformanceTest, ErasingAPatientRemovesTheirAttachmentsAndKeepsTheirOptOut) {
  WritePatientInformation(a_);
  WritePatientInformation(b_);
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto patient, tx.FindPatientByPhone("+13125550188"));
    return tx.ErasePatient(patient->id, T0());
  }));
  std::size_t left = 0;
  for (const std::string& v : Raw("attachments", "'' || tenant_id"))
    left += v == std::to_string(a_.value);
  EXPECT_EQ(left, 0u) << "alpha's patient's attachment is gone";
  EXPECT_EQ(Raw("attachments", "'' || tenant_id").size(), 1u) << "beta's is not";
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent("+13125550188"));
    EXPECT_TRUE(consent && consent->opted_out) << "erasure must not start texting them again";
    return {};
  }));
}

TEST_P(ConformanceTest, FilesUploadedForAReplyAreLinkedToItOnce) {
  ConversationId a = MakeConversation(a_, "the form please");
  ConversationId b = MakeConversation(b_, "other practice");
  std::int64_t draft = 0, other = 0, linked = 0;
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    Attachment form;
    form.filename = "intake form.pdf";
    form.content_type = "application/pdf";
    form.content = "%PDF-1.4 form";
    CD_TRY_ASSIGN(draft, tx.InsertAttachment(a, form, T0()));
    CD_TRY_ASSIGN(auto messages, tx.ListMessages(a));
    form.message = messages.at(0).id;
    CD_TRY_ASSIGN(linked, tx.InsertAttachment(a, form, T0()));
    return {};
  }));
  ASSERT_TRUE(store_->Write(b_, [&](TenantTx& tx) -> Result<void> {
    Attachment theirs;
    theirs.filename = "theirs.pdf";
    theirs.content_type = "application/pdf";
    theirs.content = "%PDF-1.4 theirs";
    CD_TRY_ASSIGN(other, tx.InsertAttachment(b, theirs, T0()));
    return {};
  }));
  MessageId reply{4242};
  // Another practice's draft, a file already sent, or an unknown id: refused, nothing linked.
  for (std::int64_t bad : {other, linked, std::int64_t{999999}}) {
    auto refused = store_->Write(a_, [&](TenantTx& tx) {
      return tx.AttachDrafts(a, {draft, bad}, reply);
    });
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().kind, ErrorKind::kNotFound);
  }
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto files, tx.ListAttachments(a));
    EXPECT_EQ(files.at(0).message.value, 0) << "still a draft";
    return {};
  }));
  ASSERT_TRUE(store_->Write(a_, [&](TenantTx& tx) { return tx.AttachDrafts(a, {draft}, reply); }));
  auto again = store_->Write(a_, [&](TenantTx& tx) { return tx.AttachDrafts(a, {draft}, reply); });
  EXPECT_FALSE(again) << "a draft goes out with one reply only";
  ASSERT_TRUE(store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto files, tx.ListAttachments(a));
    EXPECT_EQ(files.at(0).message.value, reply.value);
    return {};
  }));
}

TEST_P(ConformanceTest, RewrappingMovesEveryPracticeToTheNewMasterKey) {
  WritePatientInformation(a_);
  WritePatientInformation(b_);
  SqlStoreOptions both = Sealed('n');
  both.previous_master_key = Sealed().master_key;
  ASSERT_TRUE(Reopen(both));
  ExpectPatientInformationFound(a_);  // the previous key still opens what it wrapped
  auto rewrapped = store_->RewrapKeys();
  ASSERT_TRUE(rewrapped) << rewrapped.error().message;
  EXPECT_EQ(*rewrapped, 4) << "each practice's index key and data key";
  ASSERT_TRUE(Reopen(Sealed('n')));
  ExpectPatientInformationFound(a_);
  ExpectPatientInformationFound(b_);
  EXPECT_FALSE(Reopen(Sealed())) << "the old master key opens nothing now";
  SqlStoreOptions wrong = Sealed('w');
  wrong.previous_master_key = Sealed('x').master_key;
  EXPECT_FALSE(Reopen(wrong)) << "keys that open with neither key: the store does not start";
  ASSERT_TRUE(Reopen(Sealed('n'))) << "and the keys are as the rewrap left them";
  ExpectPatientInformationFound(b_);
}

TEST_P(ConformanceTest, PresenceCheckInsBecomeSpansPerPractice) {
  using std::chrono::seconds;
  UserId agent;
  auto check_in = [&](core::AgentStatus status, Timestamp at) {
    return store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
      if (!agent) {
        User u;
        u.email = "cy@alpha.example";
        u.display_name = "Cy";
        CD_TRY_ASSIGN(u, tx.InsertUser(u, "x"));
        agent = u.id;
      }
      AgentPresence p;
      p.user = agent;
      p.status = status;
      p.changed_at = p.idle_since = p.seen_at = at;
      return tx.PutPresence(p);
    });
  };
  using S = core::AgentStatus;
  ASSERT_TRUE(check_in(S::kAvailable, T0()));
  ASSERT_TRUE(check_in(S::kAvailable, T0() + seconds(30)));
  ASSERT_TRUE(check_in(S::kAvailable, T0() + seconds(60)));
  ASSERT_TRUE(check_in(S::kOnBreak, T0() + seconds(90)));
  // The console went away for an hour: the break ends where it was last seen.
  ASSERT_TRUE(check_in(S::kAvailable, T0() + seconds(3690)));
  auto spans = ReadValue<std::vector<PresenceSpan>>(*store_, a_, [](TenantTx& tx) {
    return tx.PresenceSpans(T0(), T0() + std::chrono::hours(2));
  });
  ASSERT_TRUE(spans) << spans.error().message;
  ASSERT_EQ(spans->size(), 3u);
  EXPECT_EQ((*spans)[0].user, agent);
  EXPECT_EQ((*spans)[0].status, S::kAvailable);
  EXPECT_EQ((*spans)[0].from, T0());
  EXPECT_EQ((*spans)[0].to, T0() + seconds(90));
  EXPECT_EQ((*spans)[1].status, S::kOnBreak);
  EXPECT_EQ((*spans)[1].from, T0() + seconds(90));
  EXPECT_EQ((*spans)[1].to, T0() + seconds(90));
  EXPECT_EQ((*spans)[2].from, T0() + seconds(3690));
  // Only spans overlapping the window.
  auto later = ReadValue<std::vector<PresenceSpan>>(*store_, a_, [](TenantTx& tx) {
    return tx.PresenceSpans(T0() + seconds(100), T0() + std::chrono::hours(2));
  });
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].from, T0() + seconds(3690));
  auto elsewhere = ReadValue<std::vector<PresenceSpan>>(*store_, b_, [](TenantTx& tx) {
    return tx.PresenceSpans(T0(), T0() + std::chrono::hours(2));
  });
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->empty());
}

TEST_P(ConformanceTest, TheBacklogIsKeptPerDayWithItsPeak) {
  auto w = store_->Write(a_, [](TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutBacklog(20000, 7));
    CD_TRY(tx.PutBacklog(20000, 12));
    CD_TRY(tx.PutBacklog(20000, 9));
    return tx.PutBacklog(20002, 4);
  });
  ASSERT_TRUE(w) << w.error().message;
  auto days = ReadValue<std::vector<BacklogDay>>(
      *store_, a_, [](TenantTx& tx) { return tx.BacklogDays(19999, 20001); });
  ASSERT_TRUE(days) << days.error().message;
  ASSERT_EQ(days->size(), 1u);
  EXPECT_EQ((*days)[0].day, 20000);
  EXPECT_EQ((*days)[0].open, 9);
  EXPECT_EQ((*days)[0].peak, 12);
  auto elsewhere = ReadValue<std::vector<BacklogDay>>(
      *store_, b_, [](TenantTx& tx) { return tx.BacklogDays(19999, 20003); });
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->empty());
}

TEST_P(ConformanceTest, AgentPhoneEventsAreReadByTimeApartFromCalls) {
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    int n = 0;
    for (const char* kind : {"agent_login", "pause", "unpause", "agent_logoff"}) {
      PhoneEvent e;
      e.key = std::string("agent-") + kind;
      e.queue = "support";
      e.kind = kind;
      e.at = T0() + std::chrono::minutes(10 * n++);
      e.agent = "PJSIP/201";
      CD_TRY(tx.InsertPhoneEvent(e));
    }
    PhoneEvent call;
    call.key = "call-enter";
    call.call_ref = "1700.9";
    call.queue = "support";
    call.kind = "enter";
    call.at = T0() + std::chrono::minutes(5);
    CD_TRY(tx.InsertPhoneEvent(call));
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  auto events = ReadValue<std::vector<PhoneEvent>>(*store_, a_, [](TenantTx& tx) {
    return tx.AgentPhoneEvents(T0() + std::chrono::minutes(1), T0() + std::chrono::minutes(30));
  });
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "pause");
  EXPECT_EQ((*events)[1].kind, "unpause");
  auto elsewhere = ReadValue<std::vector<PhoneEvent>>(*store_, b_, [](TenantTx& tx) {
    return tx.AgentPhoneEvents(T0(), T0() + std::chrono::hours(1));
  });
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->empty());
}

TEST_P(ConformanceTest, ChatsAndPresenceAreStoredPerPracticeAndCountTowardsLoad) {
  ConversationId conversation = MakeConversation(a_, "hello", core::Channel::kChat);
  UserId agent, other;
  auto w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    User u;
    u.email = "ana@alpha.example";
    u.display_name = "Ana";
    u.languages = {"en", "es"};
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "x"));
    agent = u.id;
    u.email = "bo@alpha.example";
    u.languages = {};
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "x"));
    other = u.id;
    AgentPresence p;
    p.user = agent;
    p.status = core::AgentStatus::kAvailable;
    p.max_chats = 4;
    p.changed_at = p.idle_since = p.seen_at = T0();
    CD_TRY(tx.PutPresence(p));
    Chat c;
    c.conversation = conversation;
    c.visitor_hash = "hash-1";
    c.visitor_id = "chat-1";
    c.language = "es";
    c.queue = "front-desk";
    c.started_at = c.patient_seen_at = T0();
    c.offered_to = agent;
    c.offer_expires_at = T0() + std::chrono::seconds(30);
    c.passed_over = {other};
    CD_TRY_ASSIGN(c, tx.InsertChat(c));
    EXPECT_GT(c.id, 0);
    return {};
  });
  ASSERT_TRUE(w) << w.error().message;
  auto r = store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto found, tx.FindChatByVisitor("hash-1"));
    EXPECT_TRUE(found);
    if (!found) return {};
    EXPECT_EQ(found->conversation, conversation);
    EXPECT_EQ(found->offered_to, agent);
    EXPECT_EQ(found->offer_expires_at, T0() + std::chrono::seconds(30));
    EXPECT_EQ(found->passed_over, std::vector<UserId>{other});
    EXPECT_EQ(found->state, "waiting");
    CD_TRY_ASSIGN(auto by_conversation, tx.ChatOfConversation(conversation));
    EXPECT_TRUE(by_conversation && by_conversation->id == found->id);
    // The offer counts towards the agent's load; an agent seen too long ago is offline.
    CD_TRY_ASSIGN(auto loads, tx.AgentLoads(T0() - std::chrono::seconds(90)));
    EXPECT_EQ(loads.size(), 2u);
    for (const core::AgentLoad& l : loads) {
      if (l.user == agent) {
        EXPECT_EQ(l.status, core::AgentStatus::kAvailable);
        EXPECT_EQ(l.chats, 1);
        EXPECT_EQ(l.max_chats, 4);
        EXPECT_EQ(l.languages, (std::vector<std::string>{"en", "es"}));
      } else {
        EXPECT_EQ(l.status, core::AgentStatus::kOffline);  // never set a status
        EXPECT_EQ(l.chats, 0);
      }
    }
    CD_TRY_ASSIGN(auto stale, tx.AgentLoads(T0() + std::chrono::seconds(1)));
    for (const core::AgentLoad& l : stale) EXPECT_EQ(l.status, core::AgentStatus::kOffline);
    return {};
  });
  ASSERT_TRUE(r) << r.error().message;
  auto waiting = store_->TenantsWithWaitingChats();
  ASSERT_TRUE(waiting);
  EXPECT_EQ(*waiting, std::vector<TenantId>{a_});

  // Taken and ended: out of the load, into the measured length.
  w = store_->Write(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto chat, tx.FindChatByVisitor("hash-1"));
    chat->state = "ended";
    chat->agent = agent;
    chat->answered_at = T0() + std::chrono::seconds(10);
    chat->ended_at = T0() + std::chrono::seconds(130);
    chat->offered_to = UserId{0};
    chat->offer_expires_at.reset();
    return tx.UpdateChat(*chat);
  });
  ASSERT_TRUE(w);
  r = store_->Read(a_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(Millis mean, tx.MeanChatDuration(T0()));
    EXPECT_EQ(mean, std::chrono::seconds(120));
    CD_TRY_ASSIGN(auto open, tx.OpenChats());
    EXPECT_TRUE(open.empty());
    CD_TRY_ASSIGN(auto answered, tx.ChatsAnsweredSince(T0()));
    EXPECT_EQ(answered.size(), 1u);
    EXPECT_TRUE(!answered.empty() && answered[0].agent == agent);
    CD_TRY_ASSIGN(auto later, tx.ChatsAnsweredSince(T0() + std::chrono::seconds(11)));
    EXPECT_TRUE(later.empty());
    CD_TRY_ASSIGN(auto chat, tx.FindChatByVisitor("hash-1"));
    EXPECT_FALSE(chat->offer_expires_at);
    return {};
  });
  ASSERT_TRUE(r);
  // Another practice sees none of it.
  r = store_->Read(b_, [&](TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto found, tx.FindChatByVisitor("hash-1"));
    EXPECT_FALSE(found);
    auto chat = tx.GetChat(1);
    EXPECT_EQ(chat.error().kind, ErrorKind::kNotFound);
    CD_TRY_ASSIGN(auto presence, tx.GetPresence(agent));
    EXPECT_FALSE(presence);
    CD_TRY_ASSIGN(auto loads, tx.AgentLoads(T0()));
    EXPECT_TRUE(loads.empty());
    CD_TRY_ASSIGN(auto answered, tx.ChatsAnsweredSince(T0()));
    EXPECT_TRUE(answered.empty());
    return {};
  });
  ASSERT_TRUE(r);
  w = store_->Write(b_, [&](TenantTx& tx) -> Result<void> {
    Chat c;
    c.id = 1;
    c.state = "abandoned";
    return tx.UpdateChat(c);
  });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ErrorKind::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Engines, ConformanceTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace caredesk::store
