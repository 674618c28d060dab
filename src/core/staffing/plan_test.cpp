#include "core/staffing/plan.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include <date/date.h>

namespace caredesk::core {
namespace {

using std::chrono::minutes;

constexpr int kMonday10 = 20;  // Monday 10:00

// `per_week` contacts in `slot` in each of `weeks` weeks, each handled in `handle` seconds.
void Arrive(PlanInput& in, Workload w, int slot, double per_week, double handle) {
  SlotHistory& h = in.history[static_cast<std::size_t>(w)].slots[static_cast<std::size_t>(slot)];
  h.contacts += per_week * in.weeks;
  h.handled += per_week * in.weeks;
  h.handle_sum += per_week * in.weeks * handle;
}

std::array<double, kSlotsPerWeek> Staffed(double everywhere) {
  std::array<double, kSlotsPerWeek> a{};
  a.fill(everywhere);
  return a;
}

TEST(StaffingPlanTest, NamesHalfHoursOfTheWeekFromMonday) {
  EXPECT_EQ(SlotTime(0), "00:00");
  EXPECT_EQ(SlotTime(kMonday10 + 1), "10:30");
  EXPECT_EQ(SlotDay(kMonday10), "Monday");
  EXPECT_EQ(SlotDay(kSlotsPerWeek - 1), "Sunday");
  EXPECT_EQ(SlotTime(kSlotsPerWeek - 1), "23:30");
  EXPECT_EQ(SlotEnd(kMonday10), "10:30");
  EXPECT_EQ(SlotEnd(kSlotsPerDay - 1), "24:00");
}

std::int32_t Day(int y, unsigned m, unsigned d) {
  return static_cast<std::int32_t>(
      date::sys_days(date::year{y} / date::month{m} / date::day{d}).time_since_epoch().count());
}

TEST(StaffingPlanTest, IsoWeeksBeginOnTheMondayOfTheWeekHoldingTheFourthOfJanuary) {
  EXPECT_EQ(*MondayOfIsoWeek("2026-W01"), Day(2025, 12, 29));
  EXPECT_EQ(*MondayOfIsoWeek("2026-W49"), Day(2026, 11, 30));
  EXPECT_EQ(*MondayOfIsoWeek("2020-W53"), Day(2020, 12, 28));  // 2020 had 53 weeks
  EXPECT_EQ(IsoWeekOf(Day(2026, 11, 29)), "2026-W48");         // a Sunday
  EXPECT_EQ(IsoWeekOf(Day(2026, 11, 30)), "2026-W49");
  EXPECT_EQ(IsoWeekOf(Day(2021, 1, 3)), "2020-W53");
  EXPECT_EQ(WeekdayFromMonday(Day(2026, 11, 30)), 0);
  EXPECT_EQ(WeekdayFromMonday(Day(2026, 11, 29)), 6);
  for (const char* bad :
       {"2021-W53", "2026-W00", "2026-W54", "2026-W5", "2026W49x", "20x6-W49", "2026-w49", ""}) {
    auto r = MondayOfIsoWeek(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().field, "week");
    }
  }
}

TEST(StaffingPlanTest, TheIssuesWorkedExampleInOneHalfHour) {
  // 100 calls per 30 minutes on Mondays at 10:00, 3 minutes each, 80% in 20 s, shrinkage 0.3.
  PlanInput in;
  in.weeks = 4;
  Arrive(in, Workload::kPhone, kMonday10, 100, 180);
  in.staffed = Staffed(14);
  WeeklyPlan plan = PlanWeek(in);
  const SlotPlan& slot = plan.slots[kMonday10];
  EXPECT_DOUBLE_EQ(slot.needs[0].contacts, 100);
  EXPECT_DOUBLE_EQ(slot.needs[0].handle_seconds, 180);
  EXPECT_EQ(slot.needs[0].method, "erlang_c");
  EXPECT_EQ(slot.needs[0].agents, 14);
  EXPECT_EQ(slot.agents_on_queue, 14);
  EXPECT_EQ(slot.agents_scheduled, 20);
  EXPECT_NEAR(slot.occupancy, 10.0 / 14, 1e-9);
  EXPECT_FALSE(plan.patience_seconds);
  // Fourteen were there: no alert. The quiet half-hours need nobody.
  EXPECT_TRUE(plan.alerts.empty());
  EXPECT_EQ(plan.slots[kMonday10 + 1].agents_on_queue, 0);
  EXPECT_EQ(plan.slots[kMonday10 + 1].needs[0].method, "");
}

TEST(StaffingPlanTest, ChatsCountConcurrencyAgainstTheClinicScaleCheckValue) {
  // 60 chats an hour (30 per half-hour), 6 minutes each, one at a time, 80% in 20 s: 9 agents.
  PlanInput in;
  in.weeks = 2;
  in.settings.chat_concurrency = 1;
  in.settings.chat_target_seconds = 20;
  Arrive(in, Workload::kChat, kMonday10, 30, 360);
  EXPECT_EQ(PlanWeek(in).slots[kMonday10].needs[1].agents, 9);
  // Three at a time: a third of the load, with 2-minute service per chat slot.
  in.settings.chat_concurrency = 3;
  StaffingNeed three = AgentsNeeded(2, 120, {0.8, 20, 0.3, 0.85});
  EXPECT_EQ(PlanWeek(in).slots[kMonday10].needs[1].agents, three.agents);
  EXPECT_LT(three.agents, 9);
}

TEST(StaffingPlanTest, AlertsWhereTheTeamWasShortByDayAndRun) {
  PlanInput in;
  in.weeks = 4;
  Arrive(in, Workload::kPhone, kMonday10, 100, 180);
  Arrive(in, Workload::kPhone, kMonday10 + 1, 100, 180);
  Arrive(in, Workload::kPhone, kMonday10 + kSlotsPerDay, 100, 180);  // Tuesday 10:00
  in.staffed = Staffed(13);
  (*in.staffed)[kMonday10 + 1] = 11.6;  // two and a bit short, on average
  WeeklyPlan plan = PlanWeek(in);
  ASSERT_EQ(plan.alerts.size(), 2u);
  EXPECT_EQ(plan.alerts[0].kind, "add_staff");
  EXPECT_EQ(plan.alerts[0].from_slot, kMonday10);
  EXPECT_EQ(plan.alerts[0].to_slot, kMonday10 + 1);
  EXPECT_EQ(plan.alerts[0].agents, 2);
  EXPECT_EQ(plan.alerts[0].message, "Add 2 team members from 10:00 to 11:00 on Mondays");
  EXPECT_EQ(plan.alerts[1].message, "Add a team member at 10:00 on Tuesdays");
  // Half an agent short is not yet an alert.
  in.staffed = Staffed(13.6);
  EXPECT_TRUE(PlanWeek(in).alerts.empty());
}

TEST(StaffingPlanTest, SaysSoWhenNobodysPresenceWasRecorded) {
  PlanInput in;
  Arrive(in, Workload::kPhone, kMonday10, 10, 180);
  WeeklyPlan plan = PlanWeek(in);
  ASSERT_EQ(plan.alerts.size(), 1u);
  EXPECT_EQ(plan.alerts[0].kind, "no_presence_data");
  EXPECT_FALSE(plan.slots[kMonday10].staffed);
}

TEST(StaffingPlanTest, MessagesSpreadOverTheirTargetAndFillLiveAgentsIdleTime) {
  PlanInput in;
  in.weeks = 1;
  in.settings.message_target_seconds = 7200;  // four half-hours
  in.staffed = Staffed(1);
  // 10 texts at Monday 10:00, 4 minutes each (assumed): 1.33 Erlangs of work arriving at once.
  SlotHistory& h = in.history[2].slots[kMonday10];
  h.contacts = 10;
  h.handled = 10;
  h.handle_sum = 10 * 999;  // a measured handle time for messages is not trusted: 240 s is used
  WeeklyPlan plan = PlanWeek(in);
  EXPECT_DOUBLE_EQ(plan.handle_seconds[2], 240);
  for (int k = kMonday10; k < kMonday10 + 4; ++k) {
    const WorkloadNeed& need = plan.slots[static_cast<std::size_t>(k)].needs[2];
    EXPECT_EQ(need.method, "workload") << k;
    EXPECT_EQ(need.agents, 1) << k;
    EXPECT_NEAR(need.occupancy, 1.0 / 3, 1e-9) << k;
  }
  EXPECT_EQ(plan.slots[kMonday10 + 4].needs[2].agents, 0);
  EXPECT_EQ(plan.slots[kMonday10 - 1].needs[2].agents, 0);
  // A phone agent's idle time absorbs them: 2 calls need 1 agent, and the texts fit beside.
  Arrive(in, Workload::kPhone, kMonday10, 2, 180);
  plan = PlanWeek(in);
  EXPECT_EQ(plan.slots[kMonday10].needs[0].agents, 1);
  EXPECT_EQ(plan.slots[kMonday10].agents_on_queue, 1);
  // Enough texts to keep everyone busier than 85% add agents.
  h.contacts = 300;  // 40 Erlangs, 10 in each of four half-hours
  plan = PlanWeek(in);
  EXPECT_EQ(plan.slots[kMonday10].agents_on_queue, 12);      // (0.2 + 10) / 0.85
  EXPECT_EQ(plan.slots[kMonday10 + 1].agents_on_queue, 12);  // 10 / 0.85, rounded up
}

TEST(StaffingPlanTest, MeasuredPatienceSwitchesPhoneToErlangA) {
  PlanInput in;
  in.weeks = 4;
  Arrive(in, Workload::kPhone, kMonday10, 100, 180);
  in.history[0].abandoned = 40;
  in.history[0].wait_sum = 40 * 60.0;  // a minute's patience on average
  WeeklyPlan plan = PlanWeek(in);
  ASSERT_TRUE(plan.patience_seconds);
  EXPECT_DOUBLE_EQ(*plan.patience_seconds, 60);
  const WorkloadNeed& need = plan.slots[kMonday10].needs[0];
  EXPECT_EQ(need.method, "erlang_a");
  EXPECT_EQ(need.agents, AgentsNeededWithAbandonment(100.0 / 1800, 180, 60, 0.8, 20));
  EXPECT_LE(need.agents, 14);  // callers who give up lighten the need Erlang C states
  EXPECT_GE(need.service_level, 0.8);
  ASSERT_TRUE(need.abandon_probability);
  EXPECT_GT(*need.abandon_probability, 0);
  // Too few abandons to estimate patience: Erlang C.
  in.history[0].abandoned = 5;
  EXPECT_EQ(PlanWeek(in).slots[kMonday10].needs[0].method, "erlang_c");
}

TEST(StaffingPlanTest, PhoneAgentsWorkFromLoginToLogoffLessPauses) {
  const Timestamp t0 = FromEpochMillis(1'700'000'000'000);
  std::vector<AgentEvent> events = {
      {"PJSIP/201", "agent_login", t0},
      {"PJSIP/202", "unpause", t0 + minutes(30)},  // a static member: unpausing says they are in
      {"PJSIP/201", "pause", t0 + minutes(60)},
      {"PJSIP/201", "unpause", t0 + minutes(75)},
      {"PJSIP/201", "agent_logoff", t0 + minutes(180)},
      {"PJSIP/202", "pause", t0 + minutes(90)},
  };
  std::sort(events.begin(), events.end(),
            [](const AgentEvent& a, const AgentEvent& b) { return a.at < b.at; });
  auto intervals = PhoneAgentIntervals(events, t0 + minutes(240));
  ASSERT_EQ(intervals.size(), 2u);
  const auto& first = intervals.at("PJSIP/201");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].from, t0);
  EXPECT_EQ(first[0].to, t0 + minutes(60));
  EXPECT_EQ(first[1].from, t0 + minutes(75));
  EXPECT_EQ(first[1].to, t0 + minutes(180));
  const auto& second = intervals.at("PJSIP/202");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].from, t0 + minutes(30));
  EXPECT_EQ(second[0].to, t0 + minutes(90));
  // Still working at the end of what was read: counted to it.
  auto open = PhoneAgentIntervals({{"PJSIP/203", "agent_login", t0}}, t0 + minutes(45));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open.at("PJSIP/203").at(0).to, t0 + minutes(45));
}

TEST(StaffingPlanTest, MergedIntervalsCountEachMomentOnce) {
  const Timestamp t0 = FromEpochMillis(1'700'000'000'000);
  auto at = [&](int m) { return t0 + minutes(m); };
  // At the console 0-60 and 90-120; on the phone 30-95 and 120-150; a reversed one dropped.
  auto merged = MergeIntervals({{at(90), at(120)},
                                {at(0), at(60)},
                                {at(30), at(95)},
                                {at(120), at(150)},
                                {at(210), at(200)},
                                {at(300), at(300)}});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].from, at(0));
  EXPECT_EQ(merged[0].to, at(150));
  EXPECT_EQ(merged[1].from, at(300)) << "an instant is kept: someone just back at work";
  auto apart = MergeIntervals({{at(60), at(70)}, {at(0), at(10)}});
  ASSERT_EQ(apart.size(), 2u);
  EXPECT_EQ(apart[0].to, at(10));
  EXPECT_EQ(apart[1].from, at(60));
}

TEST(StaffingPlanTest, PhoneAgentsWithoutAnAccountAreNamedInAnAlert) {
  PlanInput in;
  in.staffed = std::array<double, kSlotsPerWeek>{};
  in.unmatched_phone_agents = {"PJSIP/204", "PJSIP/205"};
  WeeklyPlan plan = PlanWeek(in);
  auto it = std::find_if(plan.alerts.begin(), plan.alerts.end(),
                         [](const PlanAlert& a) { return a.kind == "unmatched_phone_agents"; });
  ASSERT_NE(it, plan.alerts.end());
  EXPECT_EQ(it->agents, 2);
  EXPECT_NE(it->message.find("The phone agents PJSIP/204, PJSIP/205 belong to no staff account"),
            std::string::npos)
      << it->message;
  in.unmatched_phone_agents.clear();
  plan = PlanWeek(in);
  EXPECT_TRUE(std::none_of(plan.alerts.begin(), plan.alerts.end(),
                           [](const PlanAlert& a) { return a.kind == "unmatched_phone_agents"; }));
}

TEST(StaffingPlanTest, StaffedIsTheMeanNumberPresentPerHalfHourOverTheWeeks) {
  const Timestamp monday = FromEpochMillis(1'700'000'000'000);
  std::vector<std::array<Timestamp, kSlotsPerWeek + 1>> bounds(2);
  for (std::size_t w = 0; w < 2; ++w) {
    for (std::size_t k = 0; k <= kSlotsPerWeek; ++k) {
      bounds[w][k] = monday + std::chrono::hours(24 * 7 * static_cast<int>(w)) +
                     minutes(30 * static_cast<int>(k));
    }
  }
  // One agent Monday 10:00-10:45 in the first week; another 10:00-11:00 in both.
  const Timestamp ten = monday + std::chrono::hours(10);
  const Timestamp next_ten = ten + std::chrono::hours(24 * 7);
  std::vector<std::vector<Interval>> agents = {
      {{ten, ten + minutes(45)}},
      {{ten, ten + minutes(60)}, {next_ten, next_ten + minutes(60)}},
  };
  auto staffed = StaffedPerSlot(agents, bounds);
  EXPECT_DOUBLE_EQ(staffed[kMonday10], 1.5);       // (2 + 1) / 2
  EXPECT_DOUBLE_EQ(staffed[kMonday10 + 1], 1.25);  // (1.5 + 1) / 2
  EXPECT_DOUBLE_EQ(staffed[kMonday10 + 2], 0);
}

}  // namespace
}  // namespace caredesk::core
