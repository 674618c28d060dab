#include "core/tenancy/calendar.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <span>
#include <utility>

namespace caredesk::core {
namespace {

using std::chrono::minutes;

constexpr std::string_view kHoursField = "business_hours";
constexpr minutes kDayMinutes{24 * 60};
// AddBusinessTime gives up (returns Timestamp::max()) after walking this many local days.
constexpr int kSearchHorizonDays = 366 * 3;
// Instants outside years 1..9999 are clamped so local-time arithmetic cannot overflow.
constexpr Timestamp kEarliest{date::sys_days{date::year{1} / 1 / 1}};
constexpr Timestamp kLatest{date::sys_days{date::year{9999} / 12 / 31}};

constexpr std::array<std::string_view, 7> kDayNames{"sun", "mon", "tue", "wed",
                                                    "thu", "fri", "sat"};
// Days in the order FormatWeeklyHours lists them (Monday first), as c_encoding indexes.
constexpr std::array<int, 7> kFormatOrder{1, 2, 3, 4, 5, 6, 0};

WeeklyHours AlwaysHours() {
  WeeklyHours hours;
  for (auto& day : hours) day.push_back(OpenInterval{minutes{0}, kDayMinutes});
  return hours;
}

bool HasOpenTime(const WeeklyHours& hours) {
  return std::any_of(hours.begin(), hours.end(), [](const auto& day) { return !day.empty(); });
}

Result<void> ValidateHours(const WeeklyHours& hours) {
  for (std::size_t d = 0; d < hours.size(); ++d) {
    minutes previous_close{0};
    for (const OpenInterval& interval : hours[d]) {
      if (interval.open < minutes{0} || interval.open >= interval.close ||
          interval.close > kDayMinutes) {
        return Invalid("interval on " + std::string(kDayNames[d]) + " is out of order or range",
                       std::string(kHoursField));
      }
      if (interval.open < previous_close) {
        return Invalid("intervals on " + std::string(kDayNames[d]) + " overlap or are unsorted",
                       std::string(kHoursField));
      }
      previous_close = interval.close;
    }
  }
  return {};
}

// --- time zone arithmetic -----------------------------------------------------------------

date::local_days LocalDayOf(const date::time_zone* zone, Timestamp t) {
  if (zone == nullptr) return date::local_days{date::floor<date::days>(t).time_since_epoch()};
  return date::floor<date::days>(zone->to_local(t));
}

// Ambiguous local times (the repeated hour of a fall-back) take the earlier instant; local
// times in a spring-forward gap map to the instant of the transition. The mapping is
// monotonic, so the UTC spans of consecutive intervals never overlap.
Timestamp ToSys(const date::time_zone* zone, date::local_time<minutes> local) {
  if (zone == nullptr) return Timestamp{local.time_since_epoch()};
  return std::chrono::time_point_cast<Millis>(zone->to_sys(local, date::choose::earliest));
}

std::span<const OpenInterval> IntervalsOn(const WeeklyHours& hours,
                                          const std::vector<date::year_month_day>& holidays,
                                          date::local_days day) {
  if (std::binary_search(holidays.begin(), holidays.end(), date::year_month_day{day})) return {};
  return hours[date::weekday{day}.c_encoding()];
}

// --- parsing ------------------------------------------------------------------------------

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    std::size_t at = s.find(separator);
    parts.push_back(Trim(s.substr(0, at)));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

Error MalformedHours(std::string message) {
  return Invalid(std::move(message), std::string(kHoursField));
}

Result<int> ParseDayName(std::string_view name) {
  for (std::size_t d = 0; d < kDayNames.size(); ++d) {
    if (EqualsIgnoreCase(name, kDayNames[d])) return static_cast<int>(d);
  }
  return MalformedHours("unknown day name; use sun mon tue wed thu fri sat");
}

// "mon-fri,sun": a range runs forward through the week, so "fri-mon" and "mon-sun" wrap.
Result<std::array<bool, 7>> ParseDays(std::string_view text) {
  std::array<bool, 7> days{};
  for (std::string_view item : Split(text, ',')) {
    std::vector<std::string_view> ends = Split(item, '-');
    if (ends.size() > 2) return MalformedHours("day range has more than one '-'");
    CD_TRY_ASSIGN(int first, ParseDayName(ends.front()));
    CD_TRY_ASSIGN(int last, ParseDayName(ends.back()));
    for (int d = first;; d = (d + 1) % 7) {
      days[d] = true;
      if (d == last) break;
    }
  }
  return days;
}

// "H:MM" or "HH:MM", 00:00 through 24:00.
Result<minutes> ParseClockTime(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) {
    return MalformedHours("times must look like 08:00");
  }
  int hour = 0;
  for (char c : text.substr(0, colon)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return MalformedHours("times must be digits");
    hour = hour * 10 + (c - '0');
  }
  int minute = 0;
  for (char c : text.substr(colon + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return MalformedHours("times must be digits");
    minute = minute * 10 + (c - '0');
  }
  minutes value = std::chrono::hours{hour} + minutes{minute};
  if (minute > 59 || value > kDayMinutes) return MalformedHours("time is out of range");
  return value;
}

Result<std::vector<OpenInterval>> ParseIntervals(std::string_view text) {
  std::vector<OpenInterval> intervals;
  for (std::string_view item : Split(text, ',')) {
    std::vector<std::string_view> ends = Split(item, '-');
    if (ends.size() != 2) return MalformedHours("intervals must look like 08:00-17:00");
    CD_TRY_ASSIGN(minutes open, ParseClockTime(ends[0]));
    CD_TRY_ASSIGN(minutes close, ParseClockTime(ends[1]));
    if (open >= close) {
      return MalformedHours("an interval must close after it opens, on the same day");
    }
    intervals.push_back(OpenInterval{open, close});
  }
  return intervals;
}

std::string FormatClockTime(minutes value) {
  int total = static_cast<int>(value.count());
  std::string text = std::to_string(total / 60) + ":" + std::to_string(total % 60 / 10) +
                     std::to_string(total % 10);
  return text.size() == 4 ? "0" + text : text;
}

}  // namespace

Result<WeeklyHours> ParseWeeklyHours(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return MalformedHours("business hours are empty");
  if (EqualsIgnoreCase(text, "always")) return AlwaysHours();

  WeeklyHours hours;
  for (std::string_view group : Split(text, ';')) {
    // The day list ends where the first time begins: "mon, wed 08:00-12:00".
    std::size_t times_at = group.find_first_of("0123456789");
    if (times_at == std::string_view::npos) return MalformedHours("a day group has no times");
    std::string_view day_text = Trim(group.substr(0, times_at));
    if (day_text.empty()) return MalformedHours("a day group has no days");
    CD_TRY_ASSIGN(auto days, ParseDays(day_text));
    CD_TRY_ASSIGN(auto intervals, ParseIntervals(group.substr(times_at)));
    for (int d = 0; d < 7; ++d) {
      if (days[d]) hours[d].insert(hours[d].end(), intervals.begin(), intervals.end());
    }
  }
  for (auto& day : hours) {
    std::sort(day.begin(), day.end(),
              [](const OpenInterval& a, const OpenInterval& b) { return a.open < b.open; });
  }
  CD_TRY(ValidateHours(hours));
  return hours;
}

std::string FormatWeeklyHours(const WeeklyHours& hours) {
  if (hours == AlwaysHours()) return "always";
  std::string text;
  std::array<bool, 7> done{};
  for (int position = 0; position < 7; ++position) {
    const auto& intervals = hours[kFormatOrder[position]];
    if (done[position] || intervals.empty()) continue;
    // Every later day with the same intervals joins this group, as runs like "mon-fri".
    std::string days;
    for (int p = position; p < 7;) {
      if (done[p] || hours[kFormatOrder[p]] != intervals) {
        ++p;
        continue;
      }
      int run_end = p;
      while (run_end + 1 < 7 && hours[kFormatOrder[run_end + 1]] == intervals) ++run_end;
      if (!days.empty()) days += ",";
      days += kDayNames[kFormatOrder[p]];
      if (run_end > p) days += "-" + std::string(kDayNames[kFormatOrder[run_end]]);
      for (int q = p; q <= run_end; ++q) done[q] = true;
      p = run_end + 1;
    }
    if (!text.empty()) text += "; ";
    text += days + " ";
    for (std::size_t i = 0; i < intervals.size(); ++i) {
      if (i > 0) text += ",";
      text += FormatClockTime(intervals[i].open) + "-" + FormatClockTime(intervals[i].close);
    }
  }
  return text;
}

BusinessCalendar::LocalSlot BusinessCalendar::Local(Timestamp t) const {
  auto local =
      zone_ == nullptr ? date::local_time<Millis>{t.time_since_epoch()} : zone_->to_local(t);
  auto day = date::floor<date::days>(local);
  auto hour = date::floor<std::chrono::hours>(local - day);
  return {static_cast<std::int32_t>(day.time_since_epoch().count()),
          static_cast<std::int32_t>(hour.count())};
}

Timestamp BusinessCalendar::StartOfLocalDay(std::int32_t day) const {
  date::local_days d{date::days{day}};
  if (zone_ == nullptr) return Timestamp{d.time_since_epoch()};
  // A day that begins in a DST gap starts at the first instant after it.
  auto info = zone_->get_info(date::local_seconds{d.time_since_epoch()});
  if (info.result == date::local_info::nonexistent) return info.first.end;
  return std::chrono::time_point_cast<Millis>(
      zone_->to_sys(date::local_seconds{d.time_since_epoch()}, date::choose::earliest));
}

BusinessCalendar::BusinessCalendar(const date::time_zone* zone, WeeklyHours hours,
                                   std::vector<date::year_month_day> holidays)
    : zone_(zone), hours_(std::move(hours)), holidays_(std::move(holidays)) {}

Result<std::vector<date::year_month_day>> ParseHolidays(const std::vector<std::string>& dates,
                                                        std::string_view field) {
  std::string f(field);
  if (dates.size() > 400) return Invalid("at most 400 holidays", f);
  std::vector<date::year_month_day> out;
  out.reserve(dates.size());
  for (const std::string& text : dates) {
    auto bad = [&] { return Invalid("holidays are dates written YYYY-MM-DD", f); };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
    int parts[3] = {0, 0, 0};
    const std::size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
    for (int k = 0; k < 3; ++k) {
      for (std::size_t i = starts[k]; i < starts[k] + lengths[k]; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad();
        parts[k] = parts[k] * 10 + (text[i] - '0');
      }
    }
    date::year_month_day day{date::year{parts[0]}, date::month{static_cast<unsigned>(parts[1])},
                             date::day{static_cast<unsigned>(parts[2])}};
    if (!day.ok() || parts[0] < 2000 || parts[0] > 2199) return bad();
    out.push_back(day);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FormatDate(date::year_month_day day) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return text;
}

Result<BusinessCalendar> BusinessCalendar::Create(std::string_view time_zone, WeeklyHours hours,
                                                  std::vector<date::year_month_day> holidays) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return Invalid("unknown time zone; use an IANA name such as America/Chicago", "time_zone");
  }
  CD_TRY(ValidateHours(hours));
  for (const auto& holiday : holidays) {
    if (!holiday.ok()) return Invalid("a holiday is not a valid date", "holidays");
  }
  std::sort(holidays.begin(), holidays.end());
  holidays.erase(std::unique(holidays.begin(), holidays.end()), holidays.end());
  return BusinessCalendar(zone, std::move(hours), std::move(holidays));
}

BusinessCalendar BusinessCalendar::AlwaysOpen() {
  return BusinessCalendar(nullptr, AlwaysHours(), {});
}

// Walks local days from start's and spends the budget interval by interval. Earlier days
// cannot contribute: their intervals end by this day's midnight, which maps to <= start.
Timestamp BusinessCalendar::AddBusinessTime(Timestamp start, Millis budget) const {
  if (!HasOpenTime(hours_) || start >= kLatest) return Timestamp::max();
  start = std::max(start, kEarliest);
  Millis remaining = std::max(budget, Millis{0});
  date::local_days day = LocalDayOf(zone_, start);
  for (int walked = 0; walked < kSearchHorizonDays; ++walked, day += date::days{1}) {
    for (const OpenInterval& interval : IntervalsOn(hours_, holidays_, day)) {
      Timestamp begin = std::max(ToSys(zone_, day + interval.open), start);
      Timestamp end = ToSys(zone_, day + interval.close);
      if (end <= begin) continue;
      // "<=" makes a budget that ends exactly at a close return the close, not the next open.
      if (remaining <= end - begin) return begin + remaining;
      remaining -= end - begin;
    }
  }
  return Timestamp::max();
}

Millis BusinessCalendar::BusinessTimeBetween(Timestamp from, Timestamp to) const {
  from = std::max(from, kEarliest);
  to = std::min(to, kLatest);
  if (to <= from || !HasOpenTime(hours_)) return Millis{0};
  Millis total{0};
  // The day after to's can still open before `to` when `to` lies in a fall-back fold that
  // spans local midnight.
  const date::local_days last = LocalDayOf(zone_, to) + date::days{1};
  for (date::local_days day = LocalDayOf(zone_, from); day <= last; day += date::days{1}) {
    for (const OpenInterval& interval : IntervalsOn(hours_, holidays_, day)) {
      Timestamp begin = std::max(ToSys(zone_, day + interval.open), from);
      Timestamp end = std::min(ToSys(zone_, day + interval.close), to);
      if (end > begin) total += end - begin;
    }
  }
  return total;
}

bool BusinessCalendar::IsOpen(Timestamp t) const {
  if (t < kEarliest || t >= kLatest) return false;
  const date::local_days today = LocalDayOf(zone_, t);
  for (date::local_days day = today; day <= today + date::days{1}; day += date::days{1}) {
    for (const OpenInterval& interval : IntervalsOn(hours_, holidays_, day)) {
      if (ToSys(zone_, day + interval.open) <= t && t < ToSys(zone_, day + interval.close)) {
        return true;
      }
    }
  }
  return false;
}

std::string_view BusinessCalendar::time_zone_name() const {
  return zone_ == nullptr ? std::string_view("UTC") : std::string_view(zone_->name());
}

}  // namespace caredesk::core
