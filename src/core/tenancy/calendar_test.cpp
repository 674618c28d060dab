#include "core/tenancy/calendar.hpp"

#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using namespace date::literals;

// Havana and Santiago change clocks at local midnight, so a day can start in a gap or a fold.
constexpr const char* kAllZones[] = {
    "America/New_York", "America/Chicago", "America/Los_Angeles", "America/Phoenix", "UTC",
    "America/Havana",   "America/Santiago"};

Timestamp At(std::string_view rfc3339) {
  std::optional<Timestamp> t = ParseRfc3339(rfc3339);
  if (!t) ADD_FAILURE() << "bad timestamp literal " << rfc3339;
  return t.value_or(Timestamp{});
}

WeeklyHours Hours(std::string_view text) {
  Result<WeeklyHours> hours = ParseWeeklyHours(text);
  if (!hours) ADD_FAILURE() << "bad hours literal " << text << ": " << hours.error().message;
  return hours ? *hours : WeeklyHours{};
}

BusinessCalendar Calendar(std::string_view zone, std::string_view hours,
                          std::vector<date::year_month_day> holidays = {}) {
  return BusinessCalendar::Create(zone, Hours(hours), std::move(holidays)).value();
}

// --- ParseWeeklyHours / FormatWeeklyHours -------------------------------------------------

TEST(ParseWeeklyHours, ParsesRangesAndSeveralGroups) {
  WeeklyHours expected;
  for (int d = 1; d <= 5; ++d) expected[d] = {{hours{8}, hours{17}}};
  expected[6] = {{hours{9}, hours{12}}};
  EXPECT_EQ(ParseWeeklyHours("mon-fri 08:00-17:00; sat 09:00-12:00").value(), expected);
}

TEST(ParseWeeklyHours, ParsesListsSeveralIntervalsAndMidnightClose) {
  WeeklyHours expected;
  expected[1] = expected[3] = {{hours{8}, hours{12}}, {hours{13}, hours{17}}};
  expected[5] = {{hours{8}, hours{12}}, {hours{13}, hours{17}}, {hours{22}, hours{24}}};
  EXPECT_EQ(ParseWeeklyHours(" Mon, wed ,FRI 8:00-12:00 , 13:00-17:00; fri 22:00-24:00 ").value(),
            expected);
}

TEST(ParseWeeklyHours, DayRangesWrapThroughTheWeekend) {
  WeeklyHours expected;
  for (int d : {5, 6, 0, 1}) expected[d] = {{hours{9}, minutes{9 * 60 + 30}}};
  EXPECT_EQ(ParseWeeklyHours("fri-mon 09:00-09:30").value(), expected);
  WeeklyHours all_days;
  for (auto& day : all_days) day = {{hours{9}, hours{17}}};
  EXPECT_EQ(ParseWeeklyHours("mon-sun 09:00-17:00").value(), all_days);
  EXPECT_EQ(ParseWeeklyHours("sun-sat 09:00-17:00").value(), all_days);
}

TEST(ParseWeeklyHours, AlwaysIsEveryDayAllDay) {
  WeeklyHours expected;
  for (auto& day : expected) day = {{minutes{0}, hours{24}}};
  EXPECT_EQ(ParseWeeklyHours("always").value(), expected);
  EXPECT_EQ(ParseWeeklyHours("sun-sat 00:00-24:00").value(), expected);
}

TEST(ParseWeeklyHours, RejectsMalformedTextAsInvalidBusinessHours) {
  for (std::string_view text : {
           "",
           "   ",
           "mon",
           "08:00-17:00",
           "funday 08:00-17:00",
           "always mon 08:00-09:00",
           "mon-tue-wed 08:00-17:00",
           "mon 8-17",
           "mon 0800-1700",
           "mon 008:00-09:00",
           "mon 8:0-9:00",
           "mon 08:00",
           "mon 08:00-17:00-18:00",
           "mon 08:00-17:00,",
           "mon 08:00-17:00 extra",
           "mon 17:00-08:00",
           "mon 08:00-08:00",
           "mon 25:00-26:00",
           "mon 23:00-24:30",
           "mon 24:00-24:00",
           "mon 08:60-09:00",
           "mon 08:00-12:00,11:00-13:00",
           "mon 08:00-12:00; mon 11:00-13:00",
           "mon-fri 08:00-17:00;; sat 09:00-12:00",
           "mon-fri 08:00-17:00;",
       }) {
    SCOPED_TRACE(text);
    Result<WeeklyHours> hours = ParseWeeklyHours(text);
    ASSERT_FALSE(hours);
    EXPECT_EQ(hours.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(hours.error().field, "business_hours");
  }
}

TEST(FormatWeeklyHours, WritesCanonicalText) {
  EXPECT_EQ(FormatWeeklyHours(Hours("sat 09:00-12:00; mon-fri 08:00-17:00")),
            "mon-fri 08:00-17:00; sat 09:00-12:00");
  EXPECT_EQ(FormatWeeklyHours(Hours("sun,sat 10:00-14:00")), "sat-sun 10:00-14:00");
  EXPECT_EQ(FormatWeeklyHours(Hours("FRI, mon,wed 13:00-17:00,8:00-12:00")),
            "mon,wed,fri 08:00-12:00,13:00-17:00");
  EXPECT_EQ(FormatWeeklyHours(Hours("fri-mon 09:00-10:00")), "mon,fri-sun 09:00-10:00");
  EXPECT_EQ(FormatWeeklyHours(Hours("mon 00:00-24:00")), "mon 00:00-24:00");
  EXPECT_EQ(FormatWeeklyHours(Hours("sun-sat 00:00-24:00")), "always");
  EXPECT_EQ(FormatWeeklyHours(WeeklyHours{}), "");
}

TEST(FormatWeeklyHours, RoundTripsSeededRandomHours) {
  std::mt19937_64 rng(20260308);
  for (int round = 0; round < 300; ++round) {
    WeeklyHours hours;
    for (auto& day : hours) {
      // Up to three intervals on a 15-minute grid, ascending and possibly touching.
      int at = static_cast<int>(rng() % 20) * 15;
      for (int n = static_cast<int>(rng() % 4); n > 0 && at < 24 * 60; --n) {
        int open = at;
        int close = std::min(24 * 60, open + 15 + static_cast<int>(rng() % 40) * 15);
        day.push_back({minutes{open}, minutes{close}});
        at = close + static_cast<int>(rng() % 3) * 15;
      }
    }
    if (hours == WeeklyHours{}) continue;
    std::string text = FormatWeeklyHours(hours);
    SCOPED_TRACE(text);
    Result<WeeklyHours> parsed = ParseWeeklyHours(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, hours);
    EXPECT_EQ(FormatWeeklyHours(*parsed), text);
  }
}

// --- Create ------------------------------------------------------------------------------

TEST(BusinessCalendarCreate, RejectsUnknownZone) {
  for (std::string_view zone : {"", "Mars/Olympus_Mons", "america/new_york", "../../etc/passwd"}) {
    SCOPED_TRACE(zone);
    auto calendar = BusinessCalendar::Create(zone, Hours("always"), {});
    ASSERT_FALSE(calendar);
    EXPECT_EQ(calendar.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(calendar.error().field, "time_zone");
  }
}

TEST(BusinessCalendarCreate, RejectsHoursThatBreakTheirInvariants) {
  WeeklyHours reversed;
  reversed[1] = {{hours{17}, hours{8}}};
  WeeklyHours past_midnight;
  past_midnight[1] = {{hours{20}, hours{25}}};
  WeeklyHours overlapping;
  overlapping[1] = {{hours{8}, hours{12}}, {hours{11}, hours{13}}};
  WeeklyHours unsorted;
  unsorted[1] = {{hours{13}, hours{14}}, {hours{8}, hours{9}}};
  for (const WeeklyHours& hours : {reversed, past_midnight, overlapping, unsorted}) {
    auto calendar = BusinessCalendar::Create("America/Chicago", hours, {});
    ASSERT_FALSE(calendar);
    EXPECT_EQ(calendar.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(calendar.error().field, "business_hours");
  }
}

TEST(BusinessCalendarCreate, RejectsImpossibleHolidayAndKeepsZoneName) {
  auto bad = BusinessCalendar::Create("America/Chicago", Hours("always"), {2026_y / 2 / 30});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(bad.error().field, "holidays");

  EXPECT_EQ(Calendar("America/Chicago", "always").time_zone_name(), "America/Chicago");
  EXPECT_EQ(BusinessCalendar::AlwaysOpen().time_zone_name(), "UTC");
  EXPECT_EQ(FormatWeeklyHours(BusinessCalendar::AlwaysOpen().hours()), "always");
}

// --- AddBusinessTime / BusinessTimeBetween / IsOpen -----------------------------------------

TEST(AddBusinessTime, FridayAfternoonPlusOneHourLandsMondayMorning) {
  BusinessCalendar cal = Calendar("America/New_York", "mon-fri 08:00-17:00");
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T16:30:00-05:00"), hours{1}),
            At("2026-01-19T08:30:00-05:00"));
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-01-16T16:30:00-05:00"), At("2026-01-19T08:30:00-05:00")),
      hours{1});
}

TEST(AddBusinessTime, SkipsHolidays) {
  BusinessCalendar cal = Calendar("America/New_York", "mon-fri 08:00-17:00", {2026_y / 1 / 19});
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T16:30:00-05:00"), hours{1}),
            At("2026-01-20T08:30:00-05:00"));
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-01-16T00:00:00-05:00"), At("2026-01-21T00:00:00-05:00")),
      hours{18});
}

TEST(AddBusinessTime, HolidayIsALocalDate) {
  BusinessCalendar cal = Calendar("America/Los_Angeles", "always", {2026_y / 7 / 4});
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-07-03T23:00:00-07:00"), At("2026-07-05T01:00:00-07:00")),
      hours{2});
  EXPECT_EQ(cal.AddBusinessTime(At("2026-07-03T23:30:00-07:00"), hours{1}),
            At("2026-07-05T00:30:00-07:00"));
  EXPECT_FALSE(cal.IsOpen(At("2026-07-04T00:00:00-07:00")));
  EXPECT_TRUE(cal.IsOpen(At("2026-07-03T23:59:59.999-07:00")));
}

TEST(AddBusinessTime, ZeroBudgetReturnsFirstOpenInstantAtOrAfterStart) {
  BusinessCalendar cal = Calendar("America/New_York", "mon-fri 08:00-17:00");
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-17T10:00:00-05:00"), Millis{0}),
            At("2026-01-19T08:00:00-05:00"));
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T17:00:00-05:00"), Millis{0}),
            At("2026-01-19T08:00:00-05:00"));
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T10:15:30.123-05:00"), Millis{0}),
            At("2026-01-16T10:15:30.123-05:00"));
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-17T10:00:00-05:00"), Millis{-5000}),
            At("2026-01-19T08:00:00-05:00"));
}

TEST(AddBusinessTime, BudgetEndingAtCloseReturnsTheClose) {
  BusinessCalendar cal = Calendar("America/Chicago", "mon-fri 08:00-17:00");
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T16:00:00-06:00"), hours{1}),
            At("2026-01-16T17:00:00-06:00"));
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T16:00:00-06:00"), hours{1} + Millis{1}),
            At("2026-01-19T08:00:00.001-06:00"));
}

TEST(AddBusinessTime, SpansWeeksInDaySteps) {
  BusinessCalendar cal = Calendar("America/Chicago", "mon-fri 08:00-17:00");
  // 3 weeks and 2 hours of business time = 15 working days + 2 h.
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-05T08:00:00-06:00"), hours{15 * 9 + 2}),
            At("2026-01-26T10:00:00-06:00"));
}

TEST(AddBusinessTime, NoOpenTimeNeverArrives) {
  BusinessCalendar cal = BusinessCalendar::Create("America/Chicago", WeeklyHours{}, {}).value();
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T16:00:00-06:00"), Millis{0}), Timestamp::max());
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-16T16:00:00-06:00"), hours{1}), Timestamp::max());
  EXPECT_EQ(cal.BusinessTimeBetween(At("2026-01-01T00:00:00Z"), At("2027-01-01T00:00:00Z")),
            Millis{0});
  EXPECT_FALSE(cal.IsOpen(At("2026-01-16T12:00:00-06:00")));
}

std::vector<date::year_month_day> Mondays(date::year_month_day first, int count) {
  std::vector<date::year_month_day> days;
  for (int i = 0; i < count; ++i) days.push_back(date::sys_days{first} + date::weeks{i});
  return days;
}

TEST(AddBusinessTime, GivesUpWhenHolidaysCoverMoreThanThreeYears) {
  BusinessCalendar cal =
      Calendar("America/New_York", "mon 08:00-09:00", Mondays(2026_y / 1 / 5, 3 * 53));
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-01T00:00:00-05:00"), minutes{30}), Timestamp::max());
}

TEST(AddBusinessTime, FindsOpenTimeAfterAYearOfHolidays) {
  BusinessCalendar cal =
      Calendar("America/New_York", "mon 08:00-09:00", Mondays(2026_y / 1 / 5, 53));
  EXPECT_EQ(cal.AddBusinessTime(At("2026-01-01T00:00:00-05:00"), minutes{30}),
            At("2027-01-11T08:30:00-05:00"));
}

TEST(AddBusinessTime, AlwaysOpenCountsWallTime) {
  BusinessCalendar cal = BusinessCalendar::AlwaysOpen();
  EXPECT_EQ(cal.AddBusinessTime(At("2026-03-08T06:59:00Z"), hours{50}), At("2026-03-10T08:59:00Z"));
  EXPECT_EQ(cal.BusinessTimeBetween(At("2026-03-08T06:59:00Z"), At("2026-03-08T06:58:00Z")),
            Millis{0});
  EXPECT_TRUE(cal.IsOpen(At("2026-03-08T06:59:00Z")));
}

TEST(BusinessCalendarDst, SpringForwardDayOutsideTheGapKeepsNineHours) {
  BusinessCalendar cal = Calendar("America/New_York", "sun-sat 08:00-17:00");
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-03-08T00:00:00-05:00"), At("2026-03-09T00:00:00-04:00")),
      hours{9});
  EXPECT_EQ(cal.AddBusinessTime(At("2026-03-07T16:00:00-05:00"), hours{2}),
            At("2026-03-08T09:00:00-04:00"));
}

TEST(BusinessCalendarDst, AlwaysCalendarHas23HoursOnSpringForwardAnd25OnFallBack) {
  BusinessCalendar cal = Calendar("America/New_York", "sun-sat 00:00-24:00");
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-03-08T00:00:00-05:00"), At("2026-03-09T00:00:00-04:00")),
      hours{23});
  EXPECT_EQ(cal.AddBusinessTime(At("2026-03-08T00:00:00-05:00"), hours{24}),
            At("2026-03-09T01:00:00-04:00"));
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-11-01T00:00:00-04:00"), At("2026-11-02T00:00:00-05:00")),
      hours{25});
  EXPECT_EQ(cal.AddBusinessTime(At("2026-11-01T00:00:00-04:00"), hours{25}),
            At("2026-11-02T00:00:00-05:00"));
}

TEST(BusinessCalendarDst, BoundInTheSpringGapMapsToTheTransition) {
  BusinessCalendar cal = Calendar("America/New_York", "sun 02:30-04:00");
  EXPECT_EQ(cal.AddBusinessTime(At("2026-03-07T12:00:00-05:00"), Millis{0}),
            At("2026-03-08T03:00:00-04:00"));
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-03-07T00:00:00-05:00"), At("2026-03-09T00:00:00-04:00")),
      hours{1});
  EXPECT_TRUE(cal.IsOpen(At("2026-03-08T03:00:00-04:00")));
  EXPECT_FALSE(cal.IsOpen(At("2026-03-08T01:59:59.999-05:00")));
}

TEST(BusinessCalendarDst, AmbiguousBoundTakesTheEarlierInstant) {
  BusinessCalendar cal = Calendar("America/New_York", "sun 01:30-03:00");
  EXPECT_EQ(cal.AddBusinessTime(At("2026-10-31T12:00:00-04:00"), Millis{0}),
            At("2026-11-01T01:30:00-04:00"));
  EXPECT_EQ(
      cal.BusinessTimeBetween(At("2026-10-31T00:00:00-04:00"), At("2026-11-02T00:00:00-05:00")),
      minutes{150});
}

TEST(BusinessCalendarDst, MidnightTransitionsInHavana) {
  // 2026-03-08 00:00 does not exist (CST -> CDT); 2026-11-01 00:00-01:00 happens twice.
  BusinessCalendar all_sunday = Calendar("America/Havana", "sun 00:00-24:00");
  EXPECT_EQ(all_sunday.BusinessTimeBetween(At("2026-03-07T00:00:00-05:00"),
                                           At("2026-03-10T00:00:00-04:00")),
            hours{23});
  EXPECT_EQ(all_sunday.AddBusinessTime(At("2026-03-07T12:00:00-05:00"), Millis{0}),
            At("2026-03-08T01:00:00-04:00"));
  EXPECT_EQ(all_sunday.BusinessTimeBetween(At("2026-10-31T00:00:00-04:00"),
                                           At("2026-11-03T00:00:00-05:00")),
            hours{25});
  EXPECT_EQ(all_sunday.AddBusinessTime(At("2026-10-31T12:00:00-04:00"), Millis{0}),
            At("2026-11-01T00:00:00-04:00"));
  BusinessCalendar sundays = Calendar("America/Havana", "sun 00:00-00:30,06:00-07:00");
  // The 00:00-00:30 interval lies wholly in the gap on 2026-03-08 and is skipped.
  EXPECT_EQ(sundays.AddBusinessTime(At("2026-03-07T12:00:00-05:00"), Millis{0}),
            At("2026-03-08T06:00:00-04:00"));
  EXPECT_EQ(
      sundays.BusinessTimeBetween(At("2026-03-07T00:00:00-05:00"), At("2026-03-09T00:00:00-04:00")),
      hours{1});
  // On 2026-11-01 it opens at the first of the two midnights.
  EXPECT_EQ(sundays.AddBusinessTime(At("2026-10-31T12:00:00-04:00"), minutes{45}),
            At("2026-11-01T06:15:00-05:00"));
}

TEST(IsOpen, FollowsIntervalsHalfOpen) {
  BusinessCalendar cal = Calendar("America/Phoenix", "mon-fri 08:00-17:00", {2026_y / 1 / 19});
  EXPECT_TRUE(cal.IsOpen(At("2026-01-16T08:00:00-07:00")));
  EXPECT_TRUE(cal.IsOpen(At("2026-01-16T16:59:59.999-07:00")));
  EXPECT_FALSE(cal.IsOpen(At("2026-01-16T07:59:59.999-07:00")));
  EXPECT_FALSE(cal.IsOpen(At("2026-01-16T17:00:00-07:00")));
  EXPECT_FALSE(cal.IsOpen(At("2026-01-17T12:00:00-07:00")));  // Saturday
  EXPECT_FALSE(cal.IsOpen(At("2026-01-19T12:00:00-07:00")));  // holiday
  EXPECT_TRUE(cal.IsOpen(At("2026-01-20T12:00:00-07:00")));
}

// --- properties over seeded random inputs ---------------------------------------------------

// Calendars for the properties: ordinary hours with holidays, 24/7, and bounds that fall in
// the spring-forward gap (02:15, 02:30) and the fall-back fold (01:30) of US zones.
struct PropertyCalendar {
  const char* hours;
  std::vector<date::year_month_day> holidays;
};
const std::vector<PropertyCalendar>& PropertyCalendars() {
  static const std::vector<PropertyCalendar> calendars = {
      {"mon-fri 08:00-17:00", {2026_y / 3 / 9, 2026_y / 11 / 2, 2026_y / 12 / 25}},
      {"always", {}},
      {"sun 00:30-01:30,02:15-03:00,22:00-24:00; mon-fri 08:00-12:00,13:00-17:00; "
       "sat 01:59-02:01",
       {2026_y / 3 / 10}},
  };
  return calendars;
}

// Starts cluster in the DST weeks of 2026 and 2027 (US and Cuba share dates; Chile's differ);
// the rest fall anywhere in 2026-2027.
Timestamp RandomStart(std::mt19937_64& rng) {
  static const Timestamp kWeeks[] = {At("2026-03-05T00:00:00Z"), At("2026-10-29T00:00:00Z"),
                                     At("2027-03-11T00:00:00Z"), At("2027-11-04T00:00:00Z"),
                                     At("2026-04-02T00:00:00Z"), At("2026-09-03T00:00:00Z")};
  std::uint64_t pick = rng() % 8;
  if (pick < 6) return kWeeks[pick] + Millis{static_cast<std::int64_t>(rng() % (6 * 86'400'000))};
  return At("2026-01-01T00:00:00Z") +
         Millis{static_cast<std::int64_t>(rng() % (730ULL * 86'400'000))};
}

TEST(BusinessCalendarProperty, BetweenInvertsAddForSeededStartsAndBudgets) {
  std::mt19937_64 rng(42);
  int checked = 0;
  for (const char* zone : kAllZones) {
    for (const PropertyCalendar& spec : PropertyCalendars()) {
      BusinessCalendar cal = Calendar(zone, spec.hours, spec.holidays);
      for (int i = 0; i < 40; ++i) {
        Timestamp start = RandomStart(rng);
        Millis budget{0};
        switch (rng() % 4) {
          case 0:
            break;
          case 1:
            budget = minutes{static_cast<std::int64_t>(rng() % (60 * 24 * 3))};
            break;
          default:
            budget = Millis{static_cast<std::int64_t>(rng() % (21ULL * 86'400'000))};
        }
        SCOPED_TRACE(std::string(zone) + " " + spec.hours + " start " + FormatRfc3339(start) +
                     " budget " + std::to_string(budget.count()) + "ms");
        Timestamp end = cal.AddBusinessTime(start, budget);
        ASSERT_NE(end, Timestamp::max());
        ASSERT_GE(end, start);
        EXPECT_EQ(cal.BusinessTimeBetween(start, end), budget);
        // The result is the earliest such instant, and is open unless the budget ran out at
        // a close.
        if (budget > Millis{0}) {
          EXPECT_EQ(cal.BusinessTimeBetween(start, end - Millis{1}), budget - Millis{1});
          EXPECT_TRUE(cal.IsOpen(end - Millis{1}));
        } else {
          EXPECT_TRUE(cal.IsOpen(end));
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 840);
}

// An independent oracle: counts the minutes in [from, to) whose local time (UTC -> local, the
// direction that has no ambiguity) is inside an interval on a non-holiday.
Millis OracleBusinessTime(const date::time_zone* zone, const WeeklyHours& hours,
                          const std::vector<date::year_month_day>& holidays, Timestamp from,
                          Timestamp to) {
  Millis total{0};
  for (Timestamp t = from; t < to; t += minutes{1}) {
    auto local = zone->to_local(t);
    date::local_days day = date::floor<date::days>(local);
    if (std::find(holidays.begin(), holidays.end(), date::year_month_day{day}) != holidays.end())
      continue;
    minutes of_day = std::chrono::duration_cast<minutes>(local - day);
    for (const OpenInterval& interval : hours[date::weekday{day}.c_encoding()]) {
      if (interval.open <= of_day && of_day < interval.close) total += minutes{1};
    }
  }
  return total;
}

TEST(BusinessCalendarProperty, BetweenMatchesMinuteByMinuteOracle) {
  // Bounds avoid the inside of the fall-back fold, where "local time in an interval" and
  // "between the earliest instants of its bounds" legitimately differ.
  const PropertyCalendar specs[] = {
      PropertyCalendars()[0],
      PropertyCalendars()[1],
      {"sun 00:00-02:30,03:30-05:00; mon-sat 09:00-17:00", {2026_y / 11 / 1}},
  };
  std::mt19937_64 rng(7);
  for (const char* zone : kAllZones) {
    for (const PropertyCalendar& spec : specs) {
      BusinessCalendar cal = Calendar(zone, spec.hours, spec.holidays);
      for (int i = 0; i < 10; ++i) {
        Timestamp from = date::floor<minutes>(RandomStart(rng));
        Timestamp to = from + minutes{static_cast<std::int64_t>(rng() % (60 * 24 * 3))};
        SCOPED_TRACE(std::string(zone) + " " + spec.hours + " " + FormatRfc3339(from) + " .. " +
                     FormatRfc3339(to));
        EXPECT_EQ(
            cal.BusinessTimeBetween(from, to),
            OracleBusinessTime(date::locate_zone(zone), cal.hours(), spec.holidays, from, to));
      }
    }
  }
}

TEST(ParseHolidays, StrictDatesSortedWithoutRepeats) {
  auto parsed = ParseHolidays({"2026-12-25", "2026-11-26", "2026-12-25"});
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(FormatDate(parsed->at(0)), "2026-11-26");
  EXPECT_EQ(FormatDate(parsed->at(1)), "2026-12-25");
  for (const char* bad : {"2026-02-30", "2026-1-05", "26-01-05", "2026/01/05", "1999-12-31",
                          "2026-01-05 ", "", "２026-01-05"}) {
    auto r = ParseHolidays({bad}, "location.holidays");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "location.holidays");
  }
  EXPECT_FALSE(ParseHolidays(std::vector<std::string>(401, "2026-01-01")));
}

}  // namespace
}  // namespace caredesk::core
