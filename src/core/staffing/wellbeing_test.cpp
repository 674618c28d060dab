#include "core/staffing/wellbeing.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using S = AgentStatus;

class WellbeingTest : public ::testing::Test {
 protected:
  // Monday 2026-11-23 in UTC; the practice opens 08:00-17:00 on weekdays.
  const Timestamp midnight_ = *ParseRfc3339("2026-11-23T00:00:00Z");
  const BusinessCalendar calendar_ =
      *BusinessCalendar::Create("UTC", *ParseWeeklyHours("mon-fri 08:00-17:00"), {});

  Timestamp At(int hour, int minute = 0) const { return midnight_ + hours(hour) + minutes(minute); }
  Wellbeing Assess(const AgentActivity& a, Timestamp now, WellbeingSettings s = {}) const {
    return AssessAgent(a, now, midnight_, calendar_, s);
  }
};

TEST_F(WellbeingTest, TwoHoursOfWorkWithoutABreakSuggestsOne) {
  AgentActivity a;
  a.spans = {{S::kAvailable, At(9), At(11, 30)}};
  Wellbeing w = Assess(a, At(11, 30));
  EXPECT_EQ(w.status, S::kAvailable);
  EXPECT_EQ(w.working_since, At(9));
  EXPECT_EQ(w.minutes_without_break, 150);
  EXPECT_EQ(w.worked_minutes_today, 150);
  EXPECT_TRUE(w.break_suggested);
  EXPECT_EQ(w.concerns, std::vector<std::string>{"2 h 30 min without a break"});
  // A longer threshold: not yet.
  EXPECT_FALSE(Assess(a, At(11, 30), {.break_after_minutes = 180}).break_suggested);
}

TEST_F(WellbeingTest, ABreakRestartsTheRunAndAShortPauseDoesNot) {
  AgentActivity a;
  a.spans = {{S::kAvailable, At(9), At(10)},
             {S::kOnBreak, At(10), At(10, 15)},
             {S::kBusy, At(10, 15), At(11, 30)}};
  Wellbeing w = Assess(a, At(11, 30));
  EXPECT_EQ(w.working_since, At(10, 15));
  EXPECT_EQ(w.minutes_without_break, 75);
  EXPECT_EQ(w.worked_minutes_today, 135);
  EXPECT_FALSE(w.break_suggested);
  a.spans[1].to = At(10, 3);  // three minutes on a break is a pause
  a.spans[2].from = At(10, 3);
  EXPECT_EQ(Assess(a, At(11, 30)).working_since, At(9));
  // The console gone for 20 minutes (no span at all) is a break too.
  a.spans = {{S::kAvailable, At(9), At(10)}, {S::kAvailable, At(10, 20), At(11, 30)}};
  EXPECT_EQ(Assess(a, At(11, 30)).working_since, At(10, 20));
}

TEST_F(WellbeingTest, SomeoneWhoseConsoleHasGoneIsOfflineAndNotWorking) {
  AgentActivity a;
  a.spans = {{S::kAvailable, At(9), At(11)}};
  Wellbeing w = Assess(a, At(11, 10));
  EXPECT_EQ(w.status, S::kOffline);
  EXPECT_FALSE(w.working_since);
  EXPECT_FALSE(w.break_suggested);
  EXPECT_EQ(w.worked_minutes_today, 120);
  a.spans.back().status = S::kOnBreak;
  a.spans.back().to = At(11, 10);
  EXPECT_EQ(Assess(a, At(11, 10)).status, S::kOnBreak);
}

TEST_F(WellbeingTest, WorkOutsideOpeningHoursAddsUpOverTheWeek) {
  AgentActivity a;
  // Sunday 20:00-22:00 (closed all day) and Monday 07:00-09:00 (one hour before opening).
  a.spans = {{S::kAvailable, At(-4), At(-2)}, {S::kAvailable, At(7), At(9)}};
  Wellbeing w = Assess(a, At(9), {.break_after_minutes = 600, .after_hours_minutes = 150});
  EXPECT_EQ(w.after_hours_minutes, 180);
  EXPECT_EQ(w.worked_minutes_today, 120);
  ASSERT_EQ(w.concerns.size(), 1u);
  EXPECT_EQ(w.concerns[0], "3 h 0 min worked outside opening hours in the last 7 days");
  EXPECT_FALSE(w.break_suggested) << "a concern for the supervisor, not a nudge";
}

TEST_F(WellbeingTest, AHeavyShareOfEscalatedConversationsSuggestsABreak) {
  AgentActivity a;
  a.spans = {{S::kAvailable, At(9), At(10)}};
  a.handled_today = 6;
  a.distressing_today = 4;
  Wellbeing w = Assess(a, At(10));
  ASSERT_TRUE(w.distressing_share);
  EXPECT_NEAR(*w.distressing_share, 4.0 / 6, 1e-12);
  EXPECT_TRUE(w.break_suggested);
  EXPECT_EQ(w.concerns,
            std::vector<std::string>{"4 of 6 conversations today were escalated or urgent"});
  a.handled_today = 3;  // too few to say
  a.distressing_today = 3;
  EXPECT_FALSE(Assess(a, At(10)).break_suggested);
  a.handled_today = 0;
  a.distressing_today = 0;
  EXPECT_FALSE(Assess(a, At(10)).distressing_share);
}

TEST_F(WellbeingTest, OccupancyIsChatTimeOverWorkedTimeWithOverlapsCountedOnce) {
  AgentActivity a;
  a.spans = {{S::kAvailable, At(9), At(11)}};
  a.chats_today = {{At(9), At(10)}, {At(9, 30), At(10, 30)}, {At(10, 45), At(11)}};
  Wellbeing w = Assess(a, At(11), {.break_after_minutes = 600});
  ASSERT_TRUE(w.occupancy);
  EXPECT_NEAR(*w.occupancy, 105.0 / 120, 1e-12);
  EXPECT_EQ(w.concerns, std::vector<std::string>{"in chats 88% of the time today"});
  EXPECT_FALSE(Assess(AgentActivity{}, At(11)).occupancy) << "nothing worked, nothing to say";
}

TEST_F(WellbeingTest, TimeLoggedInOnThePhoneIsWorkAndCallsKeepThemBusy) {
  AgentActivity a;
  // At the console 09:00-10:00, then on the phone only, logged in since 09:50.
  a.spans = {{S::kAvailable, At(9), At(10)}};
  a.phone_working = {{At(9, 50), At(11, 30)}};
  a.chats_today = {{At(9), At(9, 30)}};
  a.calls_today = {{At(10), At(11, 15)}};
  Wellbeing w = Assess(a, At(11, 30));
  EXPECT_EQ(w.status, S::kOffline) << "the console's status; the phone keeps them working";
  EXPECT_EQ(w.working_since, At(9));
  EXPECT_EQ(w.minutes_without_break, 150);
  EXPECT_EQ(w.worked_minutes_today, 150) << "the overlap counted once";
  EXPECT_EQ(w.calls_today, 1);
  ASSERT_TRUE(w.occupancy);
  EXPECT_NEAR(*w.occupancy, (30.0 + 75) / 150, 1e-12);
  EXPECT_TRUE(w.break_suggested);
  // Paused on the phone for ten minutes at 10:30: a break.
  a.phone_working = {{At(9, 50), At(10, 30)}, {At(10, 40), At(11, 30)}};
  EXPECT_EQ(Assess(a, At(11, 30)).working_since, At(10, 40));
  // Logged off at 11:00: not working now.
  a.phone_working = {{At(9, 50), At(11)}};
  EXPECT_FALSE(Assess(a, At(11, 30)).working_since);
  // Busy with calls most of the day: the occupancy concern names both.
  a.phone_working = {{At(9, 50), At(11, 30)}};
  a.calls_today = {{At(9, 30), At(11, 30)}};
  EXPECT_EQ(Assess(a, At(11, 30), {.break_after_minutes = 600}).concerns,
            std::vector<std::string>{"in chats or on calls 100% of the time today"});
}

}  // namespace
}  // namespace caredesk::core
