#include "jobs/staffing.hpp"

#include <algorithm>
#include <map>

#include "core/analytics/kpi.hpp"
#include "jobs/kpi_rollup.hpp"

namespace caredesk::jobs {

namespace {

using core::Workload;

constexpr auto kHalfHour = std::chrono::minutes(30);
constexpr std::int64_t kMaxChatHandleSeconds = std::int64_t{2} * 3600;
constexpr int kFactsPerDay = 200'000;  // more in one day is beyond a practice; the rest is left out
constexpr int kMaxCallPages = 1000;    // 1,000,000 calls

// Which half-hour of the week `t` falls in, local to the practice (a 25-hour day's extra hour
// counts in its last half-hour).
int SlotOf(const core::BusinessCalendar& calendar, Timestamp t) {
  const auto local = calendar.Local(t);
  const auto into = t - calendar.StartOfLocalDay(local.day);
  const int half = std::clamp(static_cast<int>(into / kHalfHour), 0, core::kSlotsPerDay - 1);
  return core::WeekdayFromMonday(local.day) * core::kSlotsPerDay + half;
}

core::SlotHistory& At(core::PlanInput& in, Workload w, int slot) {
  return in.history[static_cast<std::size_t>(w)].slots[static_cast<std::size_t>(slot)];
}

Result<void> CountConversations(store::TenantTx& tx, const core::BusinessCalendar& calendar,
                                std::int32_t from_day, std::int32_t to_day, core::PlanInput& in) {
  for (std::int32_t day = from_day; day <= to_day; ++day) {
    store::KpiCellQuery q;
    q.from_day = q.to_day = day;
    CD_TRY_ASSIGN(auto facts, tx.KpiFacts(q, kFactsPerDay));
    for (const store::KpiFactRow& row : facts) {
      if (row.key.rfind("conversation:", 0) != 0 || row.staff_initiated) continue;
      auto t = core::DecodeTally(row.tally);
      if (!t) return Internal("a stored KPI fact is unreadable");
      if (t->conversations == 0) continue;
      const int slot = SlotOf(calendar, row.created_at);
      const bool live_chat = row.cell.channel == "chat" && t->live_chats_decided > 0;
      core::SlotHistory& h = At(in, live_chat ? Workload::kChat : Workload::kMessages, slot);
      h.contacts += 1;
      if (live_chat && t->first_response.count() > 0 && t->resolution.count() > 0) {
        const std::int64_t handle = std::clamp<std::int64_t>(
            t->resolution_sum - t->first_response_sum, 1, kMaxChatHandleSeconds);
        h.handled += 1;
        h.handle_sum += static_cast<double>(handle);
      }
    }
  }
  return {};
}

Result<void> CountCalls(store::TenantTx& tx, const core::BusinessCalendar& calendar, Timestamp from,
                        Timestamp to, const core::PhoneRules& rules, core::PlanInput& in) {
  store::CallFilter filter;
  filter.from = from;
  filter.to = to;
  filter.limit = 1000;
  core::WorkloadHistory& phone = in.history[static_cast<std::size_t>(Workload::kPhone)];
  for (int page = 0; page < kMaxCallPages; ++page) {
    CD_TRY_ASSIGN(auto calls, tx.ListCalls(filter));
    for (const store::CallRecord& record : calls) {
      const core::Call& c = record.call;
      if (!c.ended() || core::IsShortAbandon(c, rules)) continue;
      core::SlotHistory& h = At(in, Workload::kPhone, SlotOf(calendar, c.entered_at));
      h.contacts += 1;
      phone.wait_sum += c.wait_seconds;
      if (c.outcome == core::CallOutcome::kAnswered) {
        h.handled += 1;
        h.handle_sum += c.talk_seconds + c.hold_seconds + c.wrap_seconds;
      } else if (c.outcome == core::CallOutcome::kAbandoned) {
        phone.abandoned += 1;
      }
    }
    if (calls.size() < static_cast<std::size_t>(filter.limit)) break;
    filter.before_id = calls.back().id;
  }
  return {};
}

bool Working(core::AgentStatus s) {
  return s == core::AgentStatus::kAvailable || s == core::AgentStatus::kBusy;
}

}  // namespace

Result<std::map<std::string, std::vector<core::Interval>>> PhoneWorkingIntervals(
    store::TenantTx& tx, Timestamp from, Timestamp until) {
  CD_TRY_ASSIGN(auto phone_events, tx.AgentPhoneEvents(from - std::chrono::hours(24),
                                                       until + std::chrono::milliseconds(1)));
  std::vector<core::AgentEvent> agent_events;
  agent_events.reserve(phone_events.size());
  for (const store::PhoneEvent& e : phone_events) {
    agent_events.push_back({e.agent, e.kind, e.at});
  }
  return core::PhoneAgentIntervals(agent_events, until);
}

Result<core::PlanInput> MeasureWeeks(store::TenantTx& tx, const core::BusinessCalendar& calendar,
                                     std::int32_t first_monday, int weeks,
                                     const core::PhoneRules& rules) {
  core::PlanInput in;
  in.weeks = std::max(1, weeks);
  const std::int32_t end_day = first_monday + 7 * in.weeks;  // exclusive
  const Timestamp from = calendar.StartOfLocalDay(first_monday);
  const Timestamp to = calendar.StartOfLocalDay(end_day);
  CD_TRY(CountConversations(tx, calendar, first_monday, end_day - 1, in));
  CD_TRY(CountCalls(tx, calendar, from, to, rules, in));

  // The instants each half-hour of each week began.
  std::vector<std::array<Timestamp, core::kSlotsPerWeek + 1>> bounds(
      static_cast<std::size_t>(in.weeks));
  for (int w = 0; w < in.weeks; ++w) {
    auto& b = bounds[static_cast<std::size_t>(w)];
    for (int d = 0; d < 7; ++d) {
      const std::int32_t day = first_monday + 7 * w + d;
      const Timestamp start = calendar.StartOfLocalDay(day);
      const Timestamp next = calendar.StartOfLocalDay(day + 1);
      for (int h = 0; h < core::kSlotsPerDay; ++h) {
        const int slot = d * core::kSlotsPerDay + h;
        b[static_cast<std::size_t>(slot)] = std::min(start + h * kHalfHour, next);
      }
    }
    b[core::kSlotsPerWeek] = calendar.StartOfLocalDay(first_monday + 7 * (w + 1));
  }

  // Each person counts once, whether at the console, on the phone or both; a phone agent name
  // that belongs to no staff account may be someone at the console, so the phone side alone
  // bounds the count from below.
  CD_TRY_ASSIGN(auto spans, tx.PresenceSpans(from, to));
  std::map<UserId, std::vector<core::Interval>> people;
  for (const store::PresenceSpan& s : spans) {
    if (Working(s.status) && s.to > s.from) people[s.user].push_back({s.from, s.to});
  }
  CD_TRY_ASSIGN(auto phone, PhoneWorkingIntervals(tx, from, to));
  CD_TRY_ASSIGN(core::PhoneAgentStaff staff, LoadPhoneAgentStaff(tx));
  std::map<std::string, std::vector<core::Interval>> on_phone;  // by person, or by name
  for (auto& [name, intervals] : phone) {
    if (std::none_of(intervals.begin(), intervals.end(),
                     [&](const core::Interval& i) { return i.to > from; })) {
      continue;  // read only to know who was logged in when the weeks began
    }
    auto person = staff.find(name);
    if (person == staff.end()) in.unmatched_phone_agents.push_back(name);
    auto& mine = on_phone[person != staff.end() ? std::to_string(person->second.value) : name];
    mine.insert(mine.end(), intervals.begin(), intervals.end());
    if (person != staff.end()) {
      auto& theirs = people[person->second];
      theirs.insert(theirs.end(), intervals.begin(), intervals.end());
    }
  }
  auto merged = [](auto& by_key) {
    std::vector<std::vector<core::Interval>> out;
    out.reserve(by_key.size());
    for (auto& [key, intervals] : by_key) out.push_back(core::MergeIntervals(std::move(intervals)));
    return out;
  };
  if (!people.empty() || !on_phone.empty()) {
    const auto everyone = merged(people), phone_side = merged(on_phone);
    std::array<double, core::kSlotsPerWeek> staffed{};
    for (const auto& week : bounds) {
      auto present = core::StaffedPerSlot(everyone, {week});
      auto phone_only = core::StaffedPerSlot(phone_side, {week});
      for (std::size_t k = 0; k < staffed.size(); ++k) {
        staffed[k] += std::max(present[k], phone_only[k]) / static_cast<double>(bounds.size());
      }
    }
    in.staffed = staffed;
  }
  return in;
}

}  // namespace caredesk::jobs
