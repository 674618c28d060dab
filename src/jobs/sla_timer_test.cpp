#include "jobs/sla_timer.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/open.hpp"

namespace caredesk::jobs {
namespace {

using std::chrono::minutes;

class FixedClock final : public Clock {
 public:
  Timestamp now{};
  Timestamp Now() const override { return now; }
};

TEST(SlaTimer, RecordsAtRiskAndBreachAtTheirInstantsExactlyOnce) {
  auto dir =
      std::filesystem::temp_directory_path() / ("caredesk-sla-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto opened = store::OpenStore("sqlite:" + (dir / "db").string());
  ASSERT_TRUE(opened);
  auto& st = **opened;
  ASSERT_TRUE(st.Migrate());
  store::Tenant t;
  t.slug = "t";
  t.name = "t";
  t.time_zone = "America/New_York";
  t.business_hours = "mon-fri 08:00-17:00";
  auto tenant = st.CreateTenant(t);
  ASSERT_TRUE(tenant);
  // Monday 2026-11-23 16:50 EST: 10 business minutes today, the rest Tuesday from 08:00.
  Timestamp t0 = *ParseRfc3339("2026-11-23T16:50:00-05:00");
  ConversationId id;
  ASSERT_TRUE(st.Write(tenant->id, [&](store::TenantTx& tx) -> Result<void> {
    core::Patient p;
    CD_TRY_ASSIGN(p, tx.InsertPatient(p));
    CD_TRY_ASSIGN(auto cal, tx.Calendar());
    auto d = core::OpenConversation(p.id, core::Channel::kSms, "front-desk",
                                    core::Priority::kNormal, core::SlaPolicy{}, t0, cal);
    CD_TRY_ASSIGN(auto c, tx.InsertConversation(d.conversation, cal, t0));
    id = c.id;
    return {};
  }));

  FixedClock clock;
  SlaTimer timer(st, clock);
  auto events_of = [&](const char* type) {
    std::vector<core::Event> out;
    EXPECT_TRUE(st.Read(tenant->id, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto all, tx.ListEvents(id));
      for (auto& e : all) {
        if (e.type == type) out.push_back(e);
      }
      return {};
    }));
    return out;
  };

  clock.now = *ParseRfc3339("2026-11-24T08:13:00-05:00");
  EXPECT_EQ(timer.RunOnce().value(), 0);
  clock.now = *ParseRfc3339("2026-11-24T08:15:00-05:00");
  EXPECT_EQ(timer.RunOnce().value(), 1);
  auto risk = events_of("sla_at_risk");
  ASSERT_EQ(risk.size(), 1u);
  EXPECT_EQ(risk[0].at, *ParseRfc3339("2026-11-24T08:14:00-05:00")) << "24 of 30 business minutes";
  EXPECT_EQ(timer.RunOnce().value(), 0) << "recorded once";

  clock.now = *ParseRfc3339("2026-11-24T09:00:00-05:00");
  EXPECT_EQ(timer.RunOnce().value(), 1);
  auto breach = events_of("sla_breached");
  ASSERT_EQ(breach.size(), 1u);
  EXPECT_EQ(breach[0].at, *ParseRfc3339("2026-11-24T08:20:00-05:00"));
  EXPECT_EQ(timer.RunOnce().value(), 0);
  EXPECT_EQ(events_of("sla_at_risk").size(), 1u);

  opened->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace caredesk::jobs
