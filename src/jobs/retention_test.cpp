#include "jobs/retention.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/inbox/conversation.hpp"
#include "security/crypto.hpp"
#include "security/password.hpp"
#include "store/open.hpp"

namespace caredesk::jobs {
namespace {

class FixedClock final : public Clock {
 public:
  Timestamp now{};
  Timestamp Now() const override { return now; }
};

// A conversation with one message, in `status`, last active at `at`.
ConversationId Conversation(store::Store& st, TenantId tenant, core::Status status, Timestamp at,
                            const std::string& text) {
  ConversationId id;
  auto w = st.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    core::Patient p;
    p.name = "Kept Patient";
    p.created_at = p.updated_at = at;
    CD_TRY_ASSIGN(p, tx.InsertPatient(p));
    core::Conversation c;
    c.patient_id = p.id;
    c.channel = core::Channel::kSms;
    c.status = status;
    c.created_at = c.updated_at = c.last_message_at = at;
    CD_TRY_ASSIGN(auto cal, tx.Calendar());
    CD_TRY_ASSIGN(c, tx.InsertConversation(c, cal, at));
    core::Message m;
    m.conversation_id = c.id;
    m.kind = core::MessageKind::kInbound;
    m.channel = core::Channel::kSms;
    m.sender = "+13125550100";
    m.text = text;
    m.created_at = at;
    CD_TRY(tx.InsertMessage(m));
    id = c.id;
    return {};
  });
  EXPECT_TRUE(w) << w.error().message;
  return id;
}

TEST(Retention, PurgesOnlyFinishedConversationsOlderThanThePracticeKeepsThem) {
  ASSERT_TRUE(security::Init());
  auto dir =
      std::filesystem::temp_directory_path() / ("caredesk-retention-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  store::SqlStoreOptions sealed;
  sealed.master_key = security::SecretKey::Random();
  auto opened = store::OpenStore("sqlite:" + (dir / "db").string(), sealed);
  ASSERT_TRUE(opened);
  auto& st = **opened;
  ASSERT_TRUE(st.Migrate());
  store::Tenant t;
  t.slug = "keep";
  t.name = "keep";
  t.business_hours = "always";
  auto short_keeper = st.CreateTenant(t);
  t.slug = "default";
  auto default_keeper = st.CreateTenant(t);
  ASSERT_TRUE(short_keeper && default_keeper);
  ASSERT_TRUE(st.Write(short_keeper->id, [](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Tenant s, tx.GetTenant());
    EXPECT_EQ(s.retention_days, 2190) << "six years unless the practice says otherwise";
    s.retention_days = 90;
    return tx.UpdateTenantSettings(s);
  }));

  Timestamp now = *ParseRfc3339("2026-11-29T12:00:00Z");
  Timestamp old = now - std::chrono::hours(24 * 100);
  ConversationId closed_old =
      Conversation(st, short_keeper->id, core::Status::kClosed, old, "old closed refill");
  ConversationId open_old =
      Conversation(st, short_keeper->id, core::Status::kOpen, old, "old open refill");
  ConversationId resolved_new =
      Conversation(st, short_keeper->id, core::Status::kResolved, now - std::chrono::hours(24 * 10),
                   "new resolved refill");
  ConversationId other_old =
      Conversation(st, default_keeper->id, core::Status::kClosed, old, "other practice refill");

  FixedClock clock;
  clock.now = now;
  Retention job(st, clock);
  auto purged = job.RunOnce();
  ASSERT_TRUE(purged) << purged.error().message;
  EXPECT_EQ(*purged, 1);
  auto text_of = [&](TenantId tenant, ConversationId c) {
    std::string text;
    EXPECT_TRUE(st.Read(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto messages, tx.ListMessages(c));
      text = messages.at(0).text + "|" + messages.at(0).sender;
      return {};
    }));
    return text;
  };
  EXPECT_EQ(text_of(short_keeper->id, closed_old), "[purged]|");
  EXPECT_EQ(text_of(short_keeper->id, open_old), "old open refill|+13125550100") << "still open";
  EXPECT_EQ(text_of(short_keeper->id, resolved_new), "new resolved refill|+13125550100");
  EXPECT_EQ(text_of(default_keeper->id, other_old), "other practice refill|+13125550100")
      << "100 days is well within six years";
  // Search no longer finds what was purged; the purge is in the audit trail; a second pass
  // has nothing left to do.
  ASSERT_TRUE(st.Read(short_keeper->id, [&](store::TenantTx& tx) -> Result<void> {
    store::InboxFilter f;
    f.search_tokens = {"closed"};
    CD_TRY_ASSIGN(auto page, tx.ListConversations(f));
    EXPECT_TRUE(page.items.empty());
    CD_TRY_ASSIGN(auto trail, tx.AuditTrail(std::nullopt, 0, 100));
    int purges = 0;
    for (const auto& r : trail) purges += r.action == "purge" && r.object_id == closed_old.value;
    EXPECT_EQ(purges, 1);
    return {};
  }));
  EXPECT_EQ(*job.RunOnce(), 0);
  (*opened).reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace caredesk::jobs
