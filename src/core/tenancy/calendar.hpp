// Business hours of a tenant or location, in its IANA time zone, with holidays. Answers
// "when has N of business time elapsed after t" and "how much business time lies between a
// and b", correctly across DST changes. Immutable after Create(); safe to share across threads.
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <date/date.h>
#include <date/tz.h>

#include "base/error.hpp"
#include "base/time.hpp"

namespace caredesk::core {

// An open interval within one local day, [open, close), minutes since local midnight.
// 0 <= open < close <= 24*60.
struct OpenInterval {
  std::chrono::minutes open{0};
  std::chrono::minutes close{0};
  friend bool operator==(const OpenInterval&, const OpenInterval&) = default;
};

// Index 0 is Sunday ... 6 is Saturday (date::weekday::c_encoding()). Intervals sorted,
// non-overlapping.
using WeeklyHours = std::array<std::vector<OpenInterval>, 7>;

// Parses "mon-fri 08:00-17:00; sat 09:00-12:00" (days: sun mon tue wed thu fri sat, ranges
// with '-', lists with ','; several intervals per day "mon 08:00-12:00,13:00-17:00";
// "24:00" allowed as a close). "always" is 24/7. Empty or malformed text is kInvalid with
// field "business_hours".
Result<WeeklyHours> ParseWeeklyHours(std::string_view text);
// Canonical text that ParseWeeklyHours reads back to the same value.
std::string FormatWeeklyHours(const WeeklyHours& hours);

// Strictly parses holiday dates written "YYYY-MM-DD" (years 2000 to 2199, at most 400 dates);
// returns them sorted without repeats. kInvalid naming `field` otherwise.
Result<std::vector<date::year_month_day>> ParseHolidays(const std::vector<std::string>& dates,
                                                        std::string_view field = "holidays");
std::string FormatDate(date::year_month_day day);  // "YYYY-MM-DD"

class BusinessCalendar {
 public:
  // time_zone: an IANA name such as "America/Chicago". Holidays are local dates on which the
  // calendar is closed all day. kInvalid (field "time_zone") for an unknown zone.
  static Result<BusinessCalendar> Create(std::string_view time_zone, WeeklyHours hours,
                                         std::vector<date::year_month_day> holidays);
  // Open 24/7 in UTC: used when a tenant defines no hours.
  static BusinessCalendar AlwaysOpen();

  // The instant at which `budget` of open time has elapsed, counting from `start`. A zero
  // budget returns the first open instant at or after start. If the calendar has no open
  // time at all, returns Timestamp::max().
  Timestamp AddBusinessTime(Timestamp start, Millis budget) const;
  // Open time within [from, to); zero when to <= from.
  Millis BusinessTimeBetween(Timestamp from, Timestamp to) const;
  bool IsOpen(Timestamp t) const;

  std::string_view time_zone_name() const;
  // The local day (days since 1970-01-01 on the local calendar) and hour (0..23) of `t`.
  struct LocalSlot {
    std::int32_t day = 0;
    std::int32_t hour = 0;
  };
  LocalSlot Local(Timestamp t) const;
  // The instant local midnight of `day` began (the first instant of the day, across DST).
  Timestamp StartOfLocalDay(std::int32_t day) const;
  const WeeklyHours& hours() const { return hours_; }

 private:
  BusinessCalendar(const date::time_zone* zone, WeeklyHours hours,
                   std::vector<date::year_month_day> holidays);
  const date::time_zone* zone_;  // nullptr means UTC
  WeeklyHours hours_;
  std::vector<date::year_month_day> holidays_;  // sorted
};

}  // namespace caredesk::core
