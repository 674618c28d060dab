// Agent wellbeing: from an agent's statuses over the last week and today's work, how long they
// have worked without a break, how much of their work fell outside the practice's hours, how
// many of today's conversations were escalated or urgent, and how busy their chats kept them;
// and whether a supervisor should offer a break (and the console nudge them). Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "core/routing/routing.hpp"
#include "core/staffing/plan.hpp"
#include "core/tenancy/calendar.hpp"

namespace caredesk::core {

struct WellbeingSettings {
  int break_after_minutes = 120;   // working this long without a break: suggest one
  int min_break_minutes = 5;       // a shorter pause (or console gone) is not a break
  double distressing_share = 0.5;  // today's escalated or urgent conversations above this
  int distressing_min_count = 4;   // ... once there are at least this many of them
  int after_hours_minutes = 120;   // work outside the practice's hours over 7 days above this
  double max_occupancy = 0.85;     // chats kept them busier than this today
  friend bool operator==(const WellbeingSettings&, const WellbeingSettings&) = default;
};

struct AgentActivity {
  std::vector<StatusSpan> spans;      // the last 7 days' spans, oldest first
  int handled_today = 0;              // conversations they first answered today
  int distressing_today = 0;          // of those, escalated or urgent
  std::vector<Interval> chats_today;  // live chats from their answer to the end (or now)
  // Their phone agents' working time (logged in, not paused) over the last 7 days, and the
  // calls they answered today, from the answer to the end of after-call work.
  std::vector<Interval> phone_working;
  std::vector<Interval> calls_today;
};

struct Wellbeing {
  AgentStatus status = AgentStatus::kOffline;  // now (offline when the console has gone)
  // The start of the current run without a break, at the console or logged in on the phone.
  std::optional<Timestamp> working_since;
  std::int64_t minutes_without_break = 0;  // working: now − working_since
  std::int64_t worked_minutes_today = 0;   // available or busy since local midnight
  std::int64_t after_hours_minutes = 0;    // working outside business hours, last 7 days
  int handled_today = 0;
  int distressing_today = 0;
  int calls_today = 0;                      // calls they answered today
  std::optional<double> distressing_share;  // nullopt when nothing was handled
  // Time in chats or on calls ÷ worked time today; nullopt unworked.
  std::optional<double> occupancy;
  bool break_suggested = false;       // the agent's console shows a gentle nudge
  std::vector<std::string> concerns;  // for the supervisor, plain words, no patient named
};

// `today_start`: the instant the practice's local day began.
Wellbeing AssessAgent(const AgentActivity& activity, Timestamp now, Timestamp today_start,
                      const BusinessCalendar& calendar, const WellbeingSettings& settings);

}  // namespace caredesk::core
