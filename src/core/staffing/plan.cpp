#include "core/staffing/plan.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <date/date.h>

namespace caredesk::core {

namespace {

constexpr double kSlotSeconds = 1800;
constexpr std::array<std::string_view, 7> kDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                   "Friday", "Saturday", "Sunday"};

int CeilAgents(double x) { return static_cast<int>(std::ceil(x - 1e-9)); }

std::string Plural(int n, std::string_view one) {
  return n == 1 ? "a " + std::string(one) : std::to_string(n) + " " + std::string(one) + "s";
}

// "at 10:00 on Mondays" or "from 10:00 to 11:30 on Mondays".
std::string When(int from_slot, int to_slot) {
  std::string day = std::string(SlotDay(from_slot)) + "s";
  if (from_slot == to_slot) return "at " + SlotTime(from_slot) + " on " + day;
  return "from " + SlotTime(from_slot) + " to " + SlotEnd(to_slot) + " on " + day;
}

// Runs of consecutive half-hours within one day where `value` is positive; calls
// `emit(from, to, largest value)` for each.
template <typename Value, typename Emit>
void Runs(Value value, Emit emit) {
  for (int day = 0; day < 7; ++day) {
    int start = -1;
    int most = 0;
    for (int h = 0; h <= kSlotsPerDay; ++h) {
      const int slot = day * kSlotsPerDay + h;
      const int v = h < kSlotsPerDay ? value(slot) : 0;
      if (v > 0) {
        if (start < 0) start = slot;
        most = std::max(most, v);
      } else if (start >= 0) {
        emit(start, slot - 1, most);
        start = -1;
        most = 0;
      }
    }
  }
}

}  // namespace

int WeekdayFromMonday(std::int32_t day) { return ((day + 3) % 7 + 7) % 7; }  // 1970-01-01: Thu

namespace {

std::int32_t DayOf(date::year_month_day ymd) {
  return static_cast<std::int32_t>(date::sys_days(ymd).time_since_epoch().count());
}

date::year_month_day DateOf(std::int32_t day) { return date::sys_days{date::days{day}}; }

// The Monday that begins week 1 of ISO year `y`: the week holding 4 January.
std::int32_t FirstMonday(int y) {
  const std::int32_t jan4 = DayOf(date::year{y} / 1 / 4);
  return jan4 - WeekdayFromMonday(jan4);
}

}  // namespace

Result<std::int32_t> MondayOfIsoWeek(std::string_view text) {
  auto invalid = [] { return Invalid("week must be an ISO week written YYYY-Www", "week"); };
  if (text.size() != 8 || text[4] != '-' || text[5] != 'W') return invalid();
  int y = 0, w = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == 4 || i == 5) continue;
    if (text[i] < '0' || text[i] > '9') return invalid();
    (i < 4 ? y : w) = (i < 4 ? y : w) * 10 + (text[i] - '0');
  }
  if (y < 1971 || y > 9998 || w < 1 || w > 53) return invalid();
  const std::int32_t monday = FirstMonday(y) + 7 * (w - 1);
  if (IsoWeekOf(monday) != text) return Invalid("that year has no week 53", "week");
  return monday;
}

std::string IsoWeekOf(std::int32_t day) {
  const std::int32_t thursday = day - WeekdayFromMonday(day) + 3;
  const int y = static_cast<int>(DateOf(thursday).year());
  const int w = (thursday - FirstMonday(y)) / 7 + 1;
  std::string out = std::to_string(y) + "-W";
  if (w < 10) out += '0';
  return out + std::to_string(w);
}

std::string SlotTime(int slot) {
  const int h = slot % kSlotsPerDay;
  std::string out = std::to_string(h / 2);
  if (out.size() == 1) out = "0" + out;
  return out + (h % 2 ? ":30" : ":00");
}

std::string SlotEnd(int slot) {
  return (slot + 1) % kSlotsPerDay == 0 ? "24:00" : SlotTime(slot + 1);
}

std::string_view SlotDay(int slot) {
  return kDays[static_cast<std::size_t>(slot / kSlotsPerDay % 7)];
}

std::string_view Name(Workload w) {
  switch (w) {
    case Workload::kPhone:
      return "phone";
    case Workload::kChat:
      return "chat";
    case Workload::kMessages:
      return "messages";
  }
  return "phone";
}

WeeklyPlan PlanWeek(const PlanInput& input) {
  const PlanSettings& s = input.settings;
  const double weeks = std::max(1, input.weeks);
  WeeklyPlan plan;
  const std::array<double, 3> defaults = {s.phone_handle_seconds, s.chat_handle_seconds,
                                          s.message_handle_seconds};
  for (std::size_t w = 0; w < kWorkloads.size(); ++w) {
    double handled = 0, sum = 0;
    for (const SlotHistory& h : input.history[w].slots) {
      handled += h.handled;
      sum += h.handle_sum;
    }
    plan.handle_seconds[w] = handled > 0 && kWorkloads[w] != Workload::kMessages
                                 ? std::max(1.0, sum / handled)
                                 : defaults[w];
  }
  const WorkloadHistory& phone = input.history[0];
  if (phone.abandoned >= s.min_abandons_for_patience) {
    plan.patience_seconds = std::max(1.0, phone.wait_sum / phone.abandoned);
  }
  auto slot_handle = [&](std::size_t w, const SlotHistory& h) {
    if (kWorkloads[w] == Workload::kMessages || h.handled < s.min_handled_for_slot) {
      return plan.handle_seconds[w];
    }
    return std::max(1.0, h.handle_sum / h.handled);
  };
  const StaffingTarget phone_target{s.phone_service_level, s.phone_target_seconds, s.shrinkage,
                                    s.max_occupancy};
  const StaffingTarget chat_target{s.chat_service_level, s.chat_target_seconds, s.shrinkage,
                                   s.max_occupancy};
  const double concurrency = std::clamp(s.chat_concurrency, 1.0, 10.0);

  std::array<double, kSlotsPerWeek> message_load{};
  std::array<double, kSlotsPerWeek> live_load{};
  for (int k = 0; k < kSlotsPerWeek; ++k) {
    SlotPlan& slot = plan.slots[static_cast<std::size_t>(k)];
    slot.slot = k;
    for (std::size_t w = 0; w < kWorkloads.size(); ++w) {
      const SlotHistory& h = input.history[w].slots[static_cast<std::size_t>(k)];
      WorkloadNeed& need = slot.needs[w];
      need.contacts = h.contacts / weeks;
      need.handle_seconds = slot_handle(w, h);
      const double rate = need.contacts / kSlotSeconds;
      if (kWorkloads[w] == Workload::kMessages) {
        message_load[static_cast<std::size_t>(k)] = rate * need.handle_seconds;
        continue;
      }
      if (need.contacts <= 0) continue;
      if (kWorkloads[w] == Workload::kPhone && plan.patience_seconds) {
        need.agents = AgentsNeededWithAbandonment(rate, need.handle_seconds, *plan.patience_seconds,
                                                  s.phone_service_level, s.phone_target_seconds);
        ErlangA a = ErlangAQueue(need.agents, rate, need.handle_seconds, *plan.patience_seconds,
                                 s.phone_target_seconds);
        need.service_level = a.service_level;
        need.abandon_probability = a.abandon_probability;
        need.method = "erlang_a";
        // Callers who give up bring no work.
        const double load = rate * need.handle_seconds * (1 - a.abandon_probability);
        need.occupancy = std::min(1.0, load / need.agents);
        live_load[static_cast<std::size_t>(k)] += load;
        continue;
      }
      const bool chat = kWorkloads[w] == Workload::kChat;
      const double load = OfferedLoad(rate, need.handle_seconds, chat ? concurrency : 1);
      StaffingNeed n = AgentsNeeded(load, need.handle_seconds / (chat ? concurrency : 1),
                                    chat ? chat_target : phone_target);
      need.agents = n.agents;
      need.service_level = n.service_level;
      need.occupancy = n.occupancy;
      need.method = "erlang_c";
      live_load[static_cast<std::size_t>(k)] += load;
    }
  }
  // Messages may wait up to their SLA target: the work arriving in a half-hour is spread over
  // it and the half-hours after it within the target (the week wraps around).
  const int window = std::max(1, CeilAgents(s.message_target_seconds / kSlotSeconds));
  for (int k = 0; k < kSlotsPerWeek; ++k) {
    double spread = 0;
    for (int j = 0; j < window; ++j) {
      spread += message_load[static_cast<std::size_t>(((k - j) % kSlotsPerWeek + kSlotsPerWeek) %
                                                      kSlotsPerWeek)];
    }
    spread /= window;
    SlotPlan& slot = plan.slots[static_cast<std::size_t>(k)];
    WorkloadNeed& need = slot.needs[2];
    if (spread > 0) {
      need.agents = std::max(1, CeilAgents(spread / s.max_occupancy));
      need.occupancy = spread / need.agents;
      need.method = "workload";
    }
    const int live = slot.needs[0].agents + slot.needs[1].agents;
    const double load = live_load[static_cast<std::size_t>(k)] + spread;
    slot.agents_on_queue = std::max(live, load > 0 ? CeilAgents(load / s.max_occupancy) : 0);
    if (slot.agents_on_queue == 0 && need.agents > 0) slot.agents_on_queue = 1;
    slot.agents_scheduled = CeilAgents(slot.agents_on_queue / (1 - s.shrinkage));
    slot.occupancy = slot.agents_on_queue > 0 ? load / slot.agents_on_queue : 0;
    slot.occupancy_high = slot.occupancy > s.max_occupancy;
    if (input.staffed) slot.staffed = (*input.staffed)[static_cast<std::size_t>(k)];
  }

  if (!input.staffed) {
    plan.alerts.push_back(PlanAlert{
        "no_presence_data", -1, -1, 0,
        "Nobody's presence was recorded in the weeks measured, so the plan cannot say where "
        "the team was short. Agents set their status in the console; phone agents log in to "
        "the queue."});
  } else {
    // Short where the plan needs more than the agents who were there, by half an agent or more.
    auto short_by = [&](int k) {
      const SlotPlan& slot = plan.slots[static_cast<std::size_t>(k)];
      return static_cast<int>(std::lround(slot.agents_on_queue - *slot.staffed));
    };
    Runs(short_by, [&](int from, int to, int most) {
      plan.alerts.push_back(PlanAlert{"add_staff", from, to, most,
                                      "Add " + Plural(most, "team member") + " " + When(from, to)});
    });
  }
  if (!input.unmatched_phone_agents.empty()) {
    std::string names;
    for (const std::string& n : input.unmatched_phone_agents) {
      names += (names.empty() ? "" : ", ") + n;
    }
    const int count = static_cast<int>(input.unmatched_phone_agents.size());
    plan.alerts.push_back(PlanAlert{
        "unmatched_phone_agents", -1, -1, count,
        (count == 1 ? "The phone agent " + names + " belongs"
                    : "The phone agents " + names + " belong") +
            " to no staff account, so the team may have been larger than shown where they took "
            "calls while others were at the console. An admin adds the phone system's names to "
            "each person's account."});
  }
  Runs([&](int k) { return plan.slots[static_cast<std::size_t>(k)].occupancy_high ? 1 : 0; },
       [&](int from, int to, int) {
         plan.alerts.push_back(
             PlanAlert{"occupancy", from, to, 0,
                       "Agents would be busy more than " +
                           std::to_string(static_cast<int>(std::lround(s.max_occupancy * 100))) +
                           "% of the time " + When(from, to) + ": plan one more to spare them"});
       });
  return plan;
}

std::array<double, kSlotsPerWeek> StaffedPerSlot(
    const std::vector<std::vector<Interval>>& agents,
    const std::vector<std::array<Timestamp, kSlotsPerWeek + 1>>& slot_bounds) {
  std::array<double, kSlotsPerWeek> out{};
  if (slot_bounds.empty()) return out;
  for (const auto& bounds : slot_bounds) {
    for (int k = 0; k < kSlotsPerWeek; ++k) {
      const Timestamp from = bounds[static_cast<std::size_t>(k)];
      const Timestamp to = bounds[static_cast<std::size_t>(k) + 1];
      if (to <= from) continue;
      double present = 0;
      for (const std::vector<Interval>& intervals : agents) {
        for (const Interval& i : intervals) {
          const Timestamp a = std::max(i.from, from), b = std::min(i.to, to);
          if (b > a) present += std::chrono::duration<double>(b - a).count();
        }
      }
      out[static_cast<std::size_t>(k)] +=
          present / std::chrono::duration<double>(to - from).count();
    }
  }
  for (double& v : out) v /= static_cast<double>(slot_bounds.size());
  return out;
}

std::map<std::string, std::vector<Interval>> PhoneAgentIntervals(
    const std::vector<AgentEvent>& events, Timestamp until) {
  struct State {
    bool logged_in = false, paused = false;
    Timestamp since{};
    std::vector<Interval> intervals;
  };
  std::map<std::string, State> agents;
  for (const AgentEvent& e : events) {
    State& st = agents[e.agent];
    const bool working = st.logged_in && !st.paused;
    if (e.kind == "agent_login") {
      // A login without a logoff before it (a lost line) starts afresh.
      if (working && e.at > st.since) st.intervals.push_back({st.since, e.at});
      st.logged_in = true;
      st.paused = false;
    } else if (e.kind == "agent_logoff") {
      if (working && e.at > st.since) st.intervals.push_back({st.since, e.at});
      st.logged_in = false;
      st.paused = false;
    } else if (e.kind == "pause") {
      if (working && e.at > st.since) st.intervals.push_back({st.since, e.at});
      st.paused = true;
    } else if (e.kind == "unpause") {
      // Asterisk lets a member who never logged in (a static queue member) pause and unpause:
      // unpausing says they are there.
      st.logged_in = true;
      st.paused = false;
    } else {
      continue;
    }
    if (st.logged_in && !st.paused && !working) st.since = e.at;
    if (e.kind == "agent_login" && working) st.since = e.at;
  }
  std::map<std::string, std::vector<Interval>> out;
  for (auto& [name, st] : agents) {
    if (st.logged_in && !st.paused && until > st.since) st.intervals.push_back({st.since, until});
    if (!st.intervals.empty()) out.emplace(name, std::move(st.intervals));
  }
  return out;
}

std::vector<Interval> MergeIntervals(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> out;
  for (const Interval& i : intervals) {
    if (i.to < i.from) continue;
    if (!out.empty() && i.from <= out.back().to) {
      out.back().to = std::max(out.back().to, i.to);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace caredesk::core
