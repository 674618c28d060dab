#include "jobs/staffing.hpp"

#include <gtest/gtest.h>

#include "jobs/test_practice.hpp"

namespace caredesk::jobs {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class MeasureWeeksTest : public testing::PracticeTest {
 protected:
  // 2026-11-02, a Monday after the clocks went back in Chicago (UTC-6 for the next weeks).
  static constexpr std::int32_t kMonday = 20759;
  static constexpr int kMonday10 = 20;

  Timestamp Local(int day_offset, int hour, int minute) const {
    return calendar_.StartOfLocalDay(kMonday + day_offset) + hours(hour) + minutes(minute);
  }

  void PutFact(const std::string& key, std::string_view channel, Timestamp at,
               const core::Tally& tally, bool staff_initiated = false) {
    store::KpiFactRow row;
    row.key = key;
    row.cell.day = calendar_.Local(at).day;
    row.cell.hour = calendar_.Local(at).hour;
    row.cell.channel = std::string(channel);
    row.tally = core::EncodeTally(tally);
    row.created_at = at;
    row.staff_initiated = staff_initiated;
    ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) { return tx.PutKpiFact(row); }));
  }

  static core::Tally LiveChat(std::int64_t first_response, std::int64_t resolution) {
    core::Tally t;
    t.conversations = 1;
    t.live_chats_decided = 1;
    t.chats_answered = 1;
    t.first_response.Add(first_response);
    t.first_response_sum = first_response;
    t.resolution.Add(resolution);
    t.resolution_sum = resolution;
    return t;
  }

  void PutCall(const std::string& ref, core::CallOutcome outcome, Timestamp entered, int wait,
               int talk = 0) {
    store::CallRecord r;
    r.source = "api";
    r.call.ref = ref;
    r.call.queue = "front-desk";
    r.call.outcome = outcome;
    r.call.entered_at = entered;
    r.call.wait_seconds = wait;
    if (outcome == core::CallOutcome::kAnswered) {
      r.call.answered_at = entered + seconds(wait);
      r.call.talk_seconds = talk;
      r.call.hold_seconds = 10;
      r.call.wrap_seconds = 30;
    }
    r.call.ended_at = entered + seconds(wait + talk);
    r.updated_at = entered;
    ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY(tx.PutCall(r));
      return {};
    }));
  }

  core::PlanInput Measure() {
    auto in = store::ReadValue<core::PlanInput>(*store_, tenant_, [&](store::TenantTx& tx) {
      return MeasureWeeks(tx, calendar_, kMonday, 2, core::PhoneRules{});
    });
    EXPECT_TRUE(in) << in.error().message;
    return in ? *in : core::PlanInput{};
  }

  static const core::SlotHistory& At(const core::PlanInput& in, core::Workload w, int slot) {
    return in.history[static_cast<std::size_t>(w)].slots[static_cast<std::size_t>(slot)];
  }
};

TEST_F(MeasureWeeksTest, TheMondayIsWhatTheTestsAssume) {
  EXPECT_EQ(core::IsoWeekOf(kMonday), "2026-W45");
  EXPECT_EQ(core::WeekdayFromMonday(kMonday), 0);
}

TEST_F(MeasureWeeksTest, CountsContactsByKindAndLocalHalfHourOverTheWeeks) {
  using core::Workload;
  PutFact("conversation:1", "chat", Local(0, 10, 5), LiveChat(30, 630));    // handled 600 s
  PutFact("conversation:2", "chat", Local(7, 10, 20), LiveChat(60, 9000));  // capped at 2 h
  PutFact("conversation:3", "sms", Local(1, 9, 45), [] {
    core::Tally t;
    t.conversations = 1;
    return t;
  }());
  core::Tally outreach;
  outreach.outreach = 1;
  PutFact("conversation:4", "sms", Local(1, 9, 50), outreach, /*staff_initiated=*/true);
  PutFact("conversation:5", "chat", Local(14, 10, 5), LiveChat(30, 630));  // after the weeks
  PutFact("call:1", "phone", Local(0, 10, 5), core::Tally{});  // calls are read from the calls

  PutCall("c1", core::CallOutcome::kAnswered, Local(0, 10, 1), 20, 200);  // handle 240 s
  PutCall("c2", core::CallOutcome::kAbandoned, Local(0, 10, 2), 45);
  PutCall("c3", core::CallOutcome::kAbandoned, Local(0, 10, 3), 3);  // a short abandon
  PutCall("c4", core::CallOutcome::kTimedOut, Local(7, 10, 29), 60);
  PutCall("c5", core::CallOutcome::kAnswered, Local(-1, 10, 0), 5, 100);  // before the weeks

  core::PlanInput in = Measure();
  EXPECT_EQ(in.weeks, 2);
  const auto& chat = At(in, Workload::kChat, kMonday10);
  EXPECT_EQ(chat.contacts, 2);
  EXPECT_EQ(chat.handled, 2);
  EXPECT_EQ(chat.handle_sum, 600 + 7200);
  const auto& sms = At(in, Workload::kMessages, core::kSlotsPerDay + 19);  // Tuesday 09:30
  EXPECT_EQ(sms.contacts, 1);
  const auto& phone = At(in, Workload::kPhone, kMonday10);
  EXPECT_EQ(phone.contacts, 3);
  EXPECT_EQ(phone.handled, 1);
  EXPECT_EQ(phone.handle_sum, 240);
  EXPECT_EQ(in.history[0].abandoned, 1);
  EXPECT_EQ(in.history[0].wait_sum, 20 + 45 + 60);
  double total = 0;
  for (const auto& w : in.history) {
    for (const auto& h : w.slots) total += h.contacts;
  }
  EXPECT_EQ(total, 6);
  EXPECT_FALSE(in.staffed);  // nobody's presence was recorded
}

TEST_F(MeasureWeeksTest, CountsEachPersonOnceAtTheConsoleOrLoggedInOnThePhone) {
  UserId ana, ben;
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    store::User u;
    u.email = "ana@clinic.example";
    u.display_name = "Ana";
    u.phone_agents = {"PJSIP/203"};
    CD_TRY_ASSIGN(u, tx.InsertUser(u, "x"));
    ana = u.id;
    store::User b;
    b.email = "ben@clinic.example";
    b.display_name = "Ben";
    b.phone_agents = {"PJSIP/204", "Local/204@from-queue"};
    CD_TRY_ASSIGN(b, tx.InsertUser(b, "x"));
    ben = b.id;
    // Ana available at the console from 10:00, checking in every 30 s, until 11:00 on the
    // first Monday.
    for (int s = 0; s <= 3600; s += 30) {
      store::AgentPresence p;
      p.user = ana;
      p.status = s < 3600 ? core::AgentStatus::kAvailable : core::AgentStatus::kOffline;
      p.changed_at = p.idle_since = p.seen_at = Local(0, 10, 0) + seconds(s);
      CD_TRY(tx.PutPresence(p));
    }
    int n = 0;
    for (auto [agent_name, kind, at] :
         {// Ana also logged in to the queue 10:15-10:45 that Monday: still one person.
          std::tuple{"PJSIP/203", "agent_login", Local(0, 10, 15)},
          std::tuple{"PJSIP/203", "agent_logoff", Local(0, 10, 45)},
          // Ben on the phone only, 10:00-10:30, under both his names at once.
          std::tuple{"PJSIP/204", "agent_login", Local(0, 10, 0)},
          std::tuple{"Local/204@from-queue", "agent_login", Local(0, 10, 0)},
          std::tuple{"PJSIP/204", "agent_logoff", Local(0, 10, 30)},
          std::tuple{"Local/204@from-queue", "agent_logoff", Local(0, 10, 30)},
          // Names of nobody's: 10:00-10:30 on the second Monday, and one who logged in the
          // Sunday before the weeks and stayed until 01:00; one who left before they began.
          std::tuple{"PJSIP/201", "agent_login", Local(7, 10, 0)},
          std::tuple{"PJSIP/201", "agent_logoff", Local(7, 10, 30)},
          std::tuple{"PJSIP/202", "agent_login", Local(-1, 20, 0)},
          std::tuple{"PJSIP/202", "agent_logoff", Local(0, 1, 0)},
          std::tuple{"PJSIP/209", "agent_login", Local(-1, 20, 0)},
          std::tuple{"PJSIP/209", "agent_logoff", Local(-1, 21, 0)}}) {
      store::PhoneEvent e;
      e.key = "agent-" + std::to_string(n++);
      e.kind = kind;
      e.agent = agent_name;
      e.at = at;
      CD_TRY(tx.InsertPhoneEvent(e));
    }
    return {};
  }));
  core::PlanInput in = Measure();
  ASSERT_TRUE(in.staffed);
  const auto& staffed = *in.staffed;
  // Monday 10:00: Ana and Ben in the first week, PJSIP/201 (maybe someone at a console, so
  // counted as at least one) in the second.
  EXPECT_DOUBLE_EQ(staffed[kMonday10], (2 + 1) / 2.0);
  EXPECT_DOUBLE_EQ(staffed[kMonday10 + 1], 0.5);  // Ana, once
  EXPECT_DOUBLE_EQ(staffed[kMonday10 + 2], 0);
  EXPECT_DOUBLE_EQ(staffed[0], 0.5);  // PJSIP/202 from before the weeks, Monday 00:00-01:00
  EXPECT_DOUBLE_EQ(staffed[1], 0.5);
  EXPECT_DOUBLE_EQ(staffed[2], 0);
  EXPECT_EQ(in.unmatched_phone_agents, (std::vector<std::string>{"PJSIP/201", "PJSIP/202"}));

  // Without the names, Ben's two are phone agents of nobody's, each maybe someone at a console:
  // Monday 10:00 of the first week counts the larger side, the phone's 2.5 (Ana's half-hour
  // and Ben's two names, which nothing says are one person).
  ASSERT_TRUE(store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::User b, tx.GetUser(ben));
    b.phone_agents.clear();
    return tx.UpdateUser(b);
  }));
  in = Measure();
  EXPECT_DOUBLE_EQ((*in.staffed)[kMonday10], (2.5 + 1) / 2.0);
  EXPECT_EQ(in.unmatched_phone_agents.size(), 4u);
}

}  // namespace
}  // namespace caredesk::jobs
