// The staffing advisor's weekly plan: from what the weeks before measured (contacts arriving,
// their handle time, callers' patience, and how many agents were there to answer) per half-hour
// of the week, the agents each half-hour needs to meet the practice's targets, the headcount to
// schedule, and alerts where the team was short. Pure; durations in seconds.
#pragma once

#include <array>
#include <map>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "core/staffing/erlang.hpp"

namespace caredesk::core {

// A week has 7 × 48 half-hours, Monday 00:00 local first (ISO weeks begin on Monday).
inline constexpr int kSlotsPerDay = 48;
inline constexpr int kSlotsPerWeek = 7 * kSlotsPerDay;
std::string SlotTime(int slot);      // when it begins: "10:30"
std::string SlotEnd(int slot);       // when it ends: "11:00", "24:00"
std::string_view SlotDay(int slot);  // "Monday"

// Weeks are ISO weeks of local days (days since 1970-01-01). The Monday of "YYYY-Www", or
// kInvalid (field "week") when malformed or the year has no such week; and the week of a day.
Result<std::int32_t> MondayOfIsoWeek(std::string_view text);
std::string IsoWeekOf(std::int32_t day);
int WeekdayFromMonday(std::int32_t day);  // 0 Monday .. 6 Sunday

// How contacts of a kind are answered, and so how their agents are counted.
enum class Workload {
  kPhone,     // answered live: Erlang C, or Erlang A when callers' patience is measured
  kChat,      // answered live, several at once per agent: Erlang C on load / concurrency
  kMessages,  // texts, email, web forms: answered within their SLA, so the work of each
              // half-hour may be spread over the SLA's window
};
inline constexpr std::array<Workload, 3> kWorkloads = {Workload::kPhone, Workload::kChat,
                                                       Workload::kMessages};
std::string_view Name(Workload w);

// What the history weeks measured for one kind of contact in one half-hour, summed over them.
struct SlotHistory {
  double contacts = 0;    // arrived (calls offered, conversations begun by patients)
  double handled = 0;     // with a measured handle time
  double handle_sum = 0;  // their handle time
};

struct WorkloadHistory {
  std::array<SlotHistory, kSlotsPerWeek> slots{};
  // Phone: callers who hung up before an answer, and the time every offered caller waited (to
  // an answer or to hanging up). Their ratio estimates mean patience (exponential, censored by
  // answers: waits ÷ abandons).
  double abandoned = 0;
  double wait_sum = 0;
};

struct PlanSettings {
  double phone_service_level = 0.8, phone_target_seconds = 20;  // 80% answered within 20 s
  double chat_service_level = 0.8, chat_target_seconds = 60;    // 80% within 60 s
  double message_target_seconds = 1800;  // the SLA's first response, for texts and email
  double chat_concurrency = 2;           // chats an agent holds at once (1..10)
  double shrinkage = 0.3;                // paid time off the queue: breaks, meetings, training
  double max_occupancy = 0.85;           // busier than this for long wears people out
  // Handle times used where none was measured: phone 3 min, chat 6 min; messages 4 min (the
  // event log does not measure time spent writing a reply, so this one is always assumed).
  double phone_handle_seconds = 180, chat_handle_seconds = 360, message_handle_seconds = 240;
  double min_abandons_for_patience = 10;  // fewer: Erlang C
  double min_handled_for_slot = 10;       // fewer in the half-hour: the week's mean handle time
};

struct PlanInput {
  int weeks = 4;  // how many weeks the history spans; arrivals are averaged over them
  std::array<WorkloadHistory, 3> history{};  // by Workload
  // Agents logged in and not on a break, on average over the weeks, per half-hour; nullopt
  // when nobody's presence was recorded (then no staffing gap can be told).
  std::optional<std::array<double, kSlotsPerWeek>> staffed;
  // Phone agent names that worked in the weeks measured but belong to no staff account: they
  // may be the same people as those at the console, so `staffed` is a lower bound.
  std::vector<std::string> unmatched_phone_agents;
  PlanSettings settings;
};

struct WorkloadNeed {
  double contacts = 0;        // expected in the half-hour
  double handle_seconds = 0;  // the mean handle time used
  int agents = 0;             // on the queue at once
  double service_level = 1;   // what `agents` achieve (messages: 1 when the work fits)
  double occupancy = 0;       // load / agents
  std::string_view method;    // "erlang_c", "erlang_a", "workload", "" (no contacts)
  std::optional<double> abandon_probability;  // erlang_a
};

struct SlotPlan {
  int slot = 0;
  std::array<WorkloadNeed, 3> needs{};  // by Workload
  // A blended team: phone and chat each need their own agents ready; messages are answered in
  // the time those agents are free, and add agents only when all the work together would keep
  // everyone busier than max_occupancy.
  int agents_on_queue = 0;
  int agents_scheduled = 0;       // on_queue ÷ (1 − shrinkage), rounded up
  std::optional<double> staffed;  // measured, as in PlanInput
  double occupancy = 0;           // all the load ÷ agents_on_queue
  bool occupancy_high = false;    // above max_occupancy
};

struct PlanAlert {
  // "add_staff", "occupancy", "no_presence_data", "unmatched_phone_agents"
  std::string kind;
  int from_slot = -1, to_slot = -1;  // a run of half-hours on one day, inclusive
  int agents = 0;                    // add_staff: how many more, at most, over the run
  std::string message;               // "Add a team member at 10:00 on Mondays"
};

struct WeeklyPlan {
  std::array<SlotPlan, kSlotsPerWeek> slots{};
  std::optional<double> patience_seconds;  // measured, when Erlang A was used
  std::array<double, 3> handle_seconds{};  // the week's mean per workload, as used
  std::vector<PlanAlert> alerts;
};

WeeklyPlan PlanWeek(const PlanInput& input);

// The agents who were there to answer, from their status spans (working: available or busy)
// as [from, to) intervals, averaged per half-hour over the weeks that begin at `week_starts`
// (each the instant a local Monday began). `slot_starts[w][k]` is the instant half-hour k of
// week w began (DST makes some days 23 or 25 hours; a half-hour past a day's end is empty).
struct Interval {
  Timestamp from{}, to{};
};
std::array<double, kSlotsPerWeek> StaffedPerSlot(
    const std::vector<std::vector<Interval>>& agents,
    const std::vector<std::array<Timestamp, kSlotsPerWeek + 1>>& slot_bounds);

// Phone agents' working intervals from their own events (login, logoff, pause, unpause) in
// time order, per agent; an agent still working at `until` is counted to it.
struct AgentEvent {
  std::string agent;
  std::string kind;  // agent_login, agent_logoff, pause, unpause
  Timestamp at{};
};
std::map<std::string, std::vector<Interval>> PhoneAgentIntervals(
    const std::vector<AgentEvent>& events, Timestamp until);

// The union of `intervals`: sorted, overlapping and touching ones joined (one person at the
// console and on the phone at once is there once). An instant (from == to: someone who has just
// come back) is kept; a reversed one is dropped.
std::vector<Interval> MergeIntervals(std::vector<Interval> intervals);

}  // namespace caredesk::core
