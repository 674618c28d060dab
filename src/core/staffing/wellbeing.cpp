#include "core/staffing/wellbeing.hpp"

#include <algorithm>
#include <cmath>

namespace caredesk::core {

namespace {

bool Working(AgentStatus s) { return s == AgentStatus::kAvailable || s == AgentStatus::kBusy; }

std::int64_t Minutes(Millis d) {
  return std::chrono::duration_cast<std::chrono::minutes>(d).count();
}

std::string HoursMinutes(std::int64_t minutes) {
  if (minutes < 60) return std::to_string(minutes) + " min";
  return std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min";
}

// The time `intervals` cover within [from, to), overlaps counted once.
Millis Covered(std::vector<Interval> intervals, Timestamp from, Timestamp to) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  Millis total{0};
  Timestamp reached = from;
  for (const Interval& i : intervals) {
    const Timestamp a = std::max(i.from, reached), b = std::min(i.to, to);
    if (b > a) {
      total += std::chrono::duration_cast<Millis>(b - a);
      reached = b;
    }
  }
  return total;
}

}  // namespace

Wellbeing AssessAgent(const AgentActivity& activity, Timestamp now, Timestamp today_start,
                      const BusinessCalendar& calendar, const WellbeingSettings& settings) {
  Wellbeing w;
  const std::vector<StatusSpan>& spans = activity.spans;
  const Millis min_break = std::chrono::minutes(settings.min_break_minutes);
  if (!spans.empty() && now - spans.back().to <= kPresenceGap) w.status = spans.back().status;

  // Worked time: console spans while available or busy (the latest runs to now while the
  // console is still there) and phone login time, each moment once.
  std::vector<Interval> worked = activity.phone_working;
  for (const StatusSpan& s : spans) {
    if (!Working(s.status)) continue;
    const bool current = &s == &spans.back() && Working(w.status);
    worked.push_back({s.from, current ? now : s.to});
  }
  worked = MergeIntervals(std::move(worked));

  // The current run: back from the latest worked time while the gaps (a pause, another status,
  // the console gone) are shorter than a break.
  if (!worked.empty() && worked.back().to >= now) {
    Timestamp since = worked.back().from;
    for (std::size_t i = worked.size() - 1; i-- > 0;) {
      if (since - worked[i].to >= min_break) break;
      since = worked[i].from;
    }
    w.working_since = since;
    w.minutes_without_break = Minutes(now - since);
  }

  w.worked_minutes_today = Minutes(Covered(worked, today_start, now));
  Millis after_hours{0};
  for (const Interval& i : worked) {
    const Millis length = std::chrono::duration_cast<Millis>(i.to - i.from);
    after_hours += length - calendar.BusinessTimeBetween(i.from, i.to);
  }
  w.after_hours_minutes = Minutes(after_hours);

  w.handled_today = activity.handled_today;
  w.calls_today = static_cast<int>(activity.calls_today.size());
  w.distressing_today = activity.distressing_today;
  if (w.handled_today > 0) {
    w.distressing_share = static_cast<double>(w.distressing_today) / w.handled_today;
  }
  const Millis worked_today = Covered(worked, today_start, now);
  std::vector<Interval> busy = activity.chats_today;
  busy.insert(busy.end(), activity.calls_today.begin(), activity.calls_today.end());
  if (worked_today > Millis::zero()) {
    w.occupancy =
        std::min(1.0, std::chrono::duration<double>(Covered(busy, today_start, now)).count() /
                          std::chrono::duration<double>(worked_today).count());
  }

  if (w.working_since && w.minutes_without_break >= settings.break_after_minutes) {
    w.break_suggested = true;
    w.concerns.push_back(HoursMinutes(w.minutes_without_break) + " without a break");
  }
  if (w.distressing_share && w.distressing_today >= settings.distressing_min_count &&
      *w.distressing_share > settings.distressing_share) {
    w.break_suggested = true;
    w.concerns.push_back(std::to_string(w.distressing_today) + " of " +
                         std::to_string(w.handled_today) +
                         " conversations today were escalated or urgent");
  }
  if (w.occupancy && *w.occupancy > settings.max_occupancy && w.worked_minutes_today >= 60) {
    w.concerns.push_back(
        std::string(activity.calls_today.empty() ? "in chats " : "in chats or on calls ") +
        std::to_string(std::lround(*w.occupancy * 100)) + "% of the time today");
  }
  if (w.after_hours_minutes > settings.after_hours_minutes) {
    w.concerns.push_back(HoursMinutes(w.after_hours_minutes) +
                         " worked outside opening hours in the last 7 days");
  }
  return w;
}

}  // namespace caredesk::core
