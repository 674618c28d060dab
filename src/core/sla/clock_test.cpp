#include "core/sla/clock.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Timestamp At(std::string_view rfc3339) {
  std::optional<Timestamp> t = ParseRfc3339(rfc3339);
  if (!t) ADD_FAILURE() << "bad timestamp literal " << rfc3339;
  return t.value_or(Timestamp{});
}

// 2026-01-16 is a Friday; New York is at -05:00 all of January.
BusinessCalendar OfficeHours() {
  return BusinessCalendar::Create("America/New_York",
                                  ParseWeeklyHours("mon-fri 08:00-17:00").value(), {})
      .value();
}

SlaClock Clock(Millis target, Millis consumed, std::optional<Timestamp> running_since,
               std::optional<Timestamp> stopped_at) {
  SlaClock c;
  c.target = target;
  c.consumed = consumed;
  c.running_since = running_since;
  c.stopped_at = stopped_at;
  c.started = true;
  return c;
}

TEST(SlaClock, StartBeginsAFreshRunningCycle) {
  const Timestamp now = At("2026-01-16T10:00:00-05:00");
  EXPECT_EQ(StartClock(minutes{30}, now), Clock(minutes{30}, Millis{0}, now, std::nullopt));

  SlaClock old = Clock(hours{1}, minutes{50}, std::nullopt, At("2026-01-15T10:00:00-05:00"));
  EXPECT_EQ(StartClock(hours{4}, now), Clock(hours{4}, Millis{0}, now, std::nullopt));
  EXPECT_NE(StartClock(hours{4}, now), old);
}

TEST(SlaClock, PauseFoldsBusinessTimeIntoConsumed) {
  const BusinessCalendar cal = OfficeHours();
  SlaClock c = StartClock(hours{8}, At("2026-01-16T16:00:00-05:00"));
  c = PauseClock(c, At("2026-01-19T09:00:00-05:00"), cal);
  EXPECT_EQ(c, Clock(hours{8}, hours{2}, std::nullopt, std::nullopt));
}

TEST(SlaClock, ConsumedAccumulatesAcrossPauses) {
  const BusinessCalendar cal = OfficeHours();
  SlaClock c = StartClock(hours{8}, At("2026-01-19T09:00:00-05:00"));
  c = PauseClock(c, At("2026-01-19T10:00:00-05:00"), cal);
  EXPECT_EQ(c.consumed, hours{1});
  c = ResumeClock(c, At("2026-01-19T15:00:00-05:00"));
  EXPECT_EQ(c.running_since, At("2026-01-19T15:00:00-05:00"));
  EXPECT_EQ(ConsumedAt(c, At("2026-01-19T16:00:00-05:00"), cal), hours{2});
  c = PauseClock(c, At("2026-01-20T09:00:00-05:00"), cal);
  EXPECT_EQ(c, Clock(hours{8}, hours{4}, std::nullopt, std::nullopt));
  // While paused, time passing does not count.
  EXPECT_EQ(ConsumedAt(c, At("2026-01-23T12:00:00-05:00"), cal), hours{4});
  c = ResumeClock(c, At("2026-01-20T10:00:00-05:00"));
  EXPECT_EQ(ConsumedAt(c, At("2026-01-20T10:30:00-05:00"), cal), minutes{4 * 60 + 30});
}

TEST(SlaClock, StopFoldsTheRunningSpanAndRecordsWhen) {
  const BusinessCalendar cal = OfficeHours();
  const Timestamp stop = At("2026-01-19T08:10:00-05:00");
  SlaClock running = StartClock(minutes{30}, At("2026-01-16T16:50:00-05:00"));
  EXPECT_EQ(StopClock(running, stop, cal), Clock(minutes{30}, minutes{20}, std::nullopt, stop));
  EXPECT_EQ(ConsumedAt(StopClock(running, stop, cal), At("2026-01-20T12:00:00-05:00"), cal),
            minutes{20});

  SlaClock paused = Clock(minutes{30}, minutes{12}, std::nullopt, std::nullopt);
  EXPECT_EQ(StopClock(paused, stop, cal), Clock(minutes{30}, minutes{12}, std::nullopt, stop));
}

TEST(SlaClock, DueAtAndAtRiskAtFollowBusinessHours) {
  const BusinessCalendar cal = OfficeHours();
  SlaClock c = StartClock(minutes{30}, At("2026-01-16T16:50:00-05:00"));
  EXPECT_EQ(DueAt(c, cal), At("2026-01-19T08:20:00-05:00"));
  EXPECT_EQ(AtRiskAt(c, 0.8, cal), At("2026-01-19T08:14:00-05:00"));
  EXPECT_EQ(AtRiskAt(c, 0.25, cal), At("2026-01-16T16:57:30-05:00"));
}

TEST(SlaClock, DueAtAfterAPauseSpendsOnlyTheRemainder) {
  const BusinessCalendar cal = OfficeHours();
  SlaClock c = StartClock(hours{2}, At("2026-01-19T09:00:00-05:00"));
  c = PauseClock(c, At("2026-01-19T10:30:00-05:00"), cal);
  c = ResumeClock(c, At("2026-01-19T16:45:00-05:00"));
  EXPECT_EQ(DueAt(c, cal), At("2026-01-20T08:15:00-05:00"));
  // 0.8 * 2h = 96 min; 90 were used, 6 remain.
  EXPECT_EQ(AtRiskAt(c, 0.8, cal), At("2026-01-19T16:51:00-05:00"));
}

TEST(SlaClock, AtRiskAtIsAbsentOncePastTheFraction) {
  const BusinessCalendar cal = OfficeHours();
  SlaClock c = StartClock(hours{1}, At("2026-01-19T09:00:00-05:00"));
  c = PauseClock(c, At("2026-01-19T09:50:00-05:00"), cal);
  c = ResumeClock(c, At("2026-01-19T11:00:00-05:00"));
  EXPECT_EQ(AtRiskAt(c, 0.8, cal), std::nullopt);
  EXPECT_EQ(AtRiskAt(c, 0.9, cal), At("2026-01-19T11:04:00-05:00"));
  EXPECT_EQ(DueAt(c, cal), At("2026-01-19T11:10:00-05:00"));
  EXPECT_EQ(AtRiskAt(c, 0.0, cal), std::nullopt);
  EXPECT_EQ(AtRiskAt(c, -1.0, cal), std::nullopt);
  EXPECT_EQ(AtRiskAt(c, std::nan(""), cal), std::nullopt);
}

TEST(SlaClock, DueAtOfAnOverspentClockIsWhenItResumed) {
  const BusinessCalendar cal = OfficeHours();
  SlaClock c = Clock(minutes{30}, minutes{45}, At("2026-01-17T10:00:00-05:00"), std::nullopt);
  EXPECT_EQ(DueAt(c, cal), At("2026-01-17T10:00:00-05:00"));
  EXPECT_EQ(AtRiskAt(c, 0.8, cal), std::nullopt);
}

TEST(SlaClock, DueAtIsAbsentUnlessRunningWithATarget) {
  const BusinessCalendar cal = OfficeHours();
  const Timestamp t = At("2026-01-19T09:00:00-05:00");
  EXPECT_EQ(DueAt(SlaClock{}, cal), std::nullopt);
  EXPECT_EQ(DueAt(Clock(hours{1}, minutes{5}, std::nullopt, std::nullopt), cal), std::nullopt);
  EXPECT_EQ(DueAt(Clock(hours{1}, minutes{5}, std::nullopt, t), cal), std::nullopt);
  EXPECT_EQ(DueAt(StartClock(Millis{0}, t), cal), std::nullopt);
  EXPECT_EQ(AtRiskAt(StartClock(Millis{0}, t), 0.8, cal), std::nullopt);
  EXPECT_FALSE(IsBreached(StartClock(Millis{0}, t), t + hours{1}, cal));
}

TEST(SlaClock, DueAtWithoutOpenTimeIsNever) {
  const BusinessCalendar closed =
      BusinessCalendar::Create("America/New_York", WeeklyHours{}, {}).value();
  EXPECT_EQ(DueAt(StartClock(minutes{30}, At("2026-01-19T09:00:00-05:00")), closed),
            Timestamp::max());
}

TEST(SlaClock, AlwaysOpenCalendarCountsWallTime) {
  const BusinessCalendar cal = BusinessCalendar::AlwaysOpen();
  SlaClock c = StartClock(hours{4}, At("2026-01-17T22:00:00Z"));
  EXPECT_EQ(DueAt(c, cal), At("2026-01-18T02:00:00Z"));
  EXPECT_EQ(AtRiskAt(c, 0.5, cal), At("2026-01-18T00:00:00Z"));
}

TEST(SlaClock, IsBreachedWhenStoppedLateNotWhenOnTime) {
  const BusinessCalendar cal = OfficeHours();
  const SlaClock c = StartClock(minutes{30}, At("2026-01-16T16:50:00-05:00"));
  const Timestamp later = At("2026-01-21T12:00:00-05:00");
  EXPECT_FALSE(IsBreached(StopClock(c, At("2026-01-19T08:19:59.999-05:00"), cal), later, cal));
  EXPECT_FALSE(IsBreached(StopClock(c, At("2026-01-17T11:00:00-05:00"), cal), later, cal));
  // DueAt is the instant the target is used up: stopping then is already late.
  EXPECT_TRUE(IsBreached(StopClock(c, At("2026-01-19T08:20:00-05:00"), cal), later, cal));
  EXPECT_TRUE(IsBreached(StopClock(c, At("2026-01-19T09:00:00-05:00"), cal), later, cal));
}

TEST(SlaClock, IsBreachedWhileRunningPastTheTarget) {
  const BusinessCalendar cal = OfficeHours();
  const SlaClock c = StartClock(minutes{30}, At("2026-01-16T16:50:00-05:00"));
  EXPECT_FALSE(IsBreached(c, At("2026-01-17T12:00:00-05:00"), cal));
  EXPECT_FALSE(IsBreached(c, At("2026-01-19T08:19:59.999-05:00"), cal));
  EXPECT_TRUE(IsBreached(c, At("2026-01-19T08:20:00-05:00"), cal));
  // A target that runs out exactly at Friday's close stays breached over the weekend.
  const SlaClock to_close = StartClock(minutes{10}, At("2026-01-16T16:50:00-05:00"));
  EXPECT_EQ(DueAt(to_close, cal), At("2026-01-16T17:00:00-05:00"));
  EXPECT_TRUE(IsBreached(to_close, At("2026-01-17T12:00:00-05:00"), cal));
  // Paused under target, and never started, are not breached.
  EXPECT_FALSE(IsBreached(PauseClock(c, At("2026-01-16T17:30:00-05:00"), cal),
                          At("2026-01-21T12:00:00-05:00"), cal));
  EXPECT_FALSE(IsBreached(SlaClock{}, At("2026-01-21T12:00:00-05:00"), cal));
}

TEST(SlaClock, TransitionsFromTheWrongStateAreNoOps) {
  const BusinessCalendar cal = OfficeHours();
  const Timestamp t = At("2026-01-20T12:00:00-05:00");
  const SlaClock never = SlaClock{};
  const SlaClock running =
      Clock(hours{1}, minutes{5}, At("2026-01-19T09:00:00-05:00"), std::nullopt);
  const SlaClock paused = Clock(hours{1}, minutes{5}, std::nullopt, std::nullopt);
  const SlaClock stopped =
      Clock(hours{1}, minutes{5}, std::nullopt, At("2026-01-19T09:00:00-05:00"));

  EXPECT_EQ(PauseClock(never, t, cal), never);
  EXPECT_EQ(PauseClock(paused, t, cal), paused);
  EXPECT_EQ(PauseClock(stopped, t, cal), stopped);
  EXPECT_EQ(ResumeClock(never, t), never);
  EXPECT_EQ(ResumeClock(running, t), running);
  EXPECT_EQ(ResumeClock(stopped, t), stopped);
  EXPECT_EQ(StopClock(never, t, cal), never);
  EXPECT_EQ(StopClock(stopped, t, cal), stopped);
  EXPECT_EQ(ConsumedAt(never, t, cal), Millis{0});
}

}  // namespace
}  // namespace caredesk::core
