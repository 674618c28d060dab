#include "core/routing/routing.hpp"

#include <algorithm>
#include <tuple>

namespace caredesk::core {

std::string_view Name(AgentStatus s) {
  switch (s) {
    case AgentStatus::kAvailable:
      return "available";
    case AgentStatus::kBusy:
      return "busy";
    case AgentStatus::kOnBreak:
      return "on_break";
    case AgentStatus::kOffline:
      return "offline";
  }
  return "offline";
}

std::optional<AgentStatus> ParseAgentStatus(std::string_view s) {
  for (AgentStatus v : {AgentStatus::kAvailable, AgentStatus::kBusy, AgentStatus::kOnBreak,
                        AgentStatus::kOffline}) {
    if (Name(v) == s) return v;
  }
  return std::nullopt;
}

namespace {
bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}
}  // namespace

bool Serves(const AgentLoad& agent, const ChatNeed& need) {
  if (!agent.queues.empty() && !Contains(agent.queues, need.queue)) return false;
  if (!need.language.empty() && !agent.languages.empty() &&
      !Contains(agent.languages, need.language)) {
    return false;
  }
  return true;
}

bool CanTake(const AgentLoad& agent, const ChatNeed& need) {
  return agent.status == AgentStatus::kAvailable && agent.chats < agent.max_chats &&
         Serves(agent, need);
}

std::optional<UserId> PickAgent(const std::vector<AgentLoad>& agents, const ChatNeed& need) {
  const AgentLoad* best = nullptr;
  for (const AgentLoad& a : agents) {
    if (!CanTake(a, need)) continue;
    if (std::find(need.passed_over.begin(), need.passed_over.end(), a.user) !=
        need.passed_over.end()) {
      continue;
    }
    auto key = [](const AgentLoad& x) { return std::tuple(x.chats, x.idle_since, x.user.value); };
    if (!best || key(a) < key(*best)) best = &a;
  }
  if (!best) return std::nullopt;
  return best->user;
}

Millis ExpectedWait(int position, int free_slots, int capacity, Millis mean_handle) {
  if (position < free_slots) return Millis{0};
  if (capacity <= 0) return Millis::max();
  // Chats ahead of this one beyond the free slots wait for a slot to open; with `capacity`
  // chats in progress a slot opens every mean_handle / capacity on average.
  std::int64_t ahead = position - free_slots + 1;
  return Millis{mean_handle.count() * ahead / capacity};
}

ChatAvailability Availability(const std::vector<AgentLoad>& agents, const ChatNeed& need,
                              bool open_hours, int waiting, Millis mean_handle, Millis max_wait) {
  ChatAvailability out;
  out.open_hours = open_hours;
  out.waiting = waiting;
  int capacity = 0;
  for (const AgentLoad& a : agents) {
    if (a.status != AgentStatus::kAvailable || !Serves(a, need)) continue;
    ++out.agents_available;
    capacity += a.max_chats;
    out.free_slots += std::max(0, a.max_chats - a.chats);
  }
  out.expected_wait = ExpectedWait(waiting, out.free_slots, capacity, mean_handle);
  out.live = open_hours && out.agents_available > 0 && out.expected_wait <= max_wait;
  return out;
}

PresenceChange NextPresenceSpan(const std::optional<StatusSpan>& last, AgentStatus status,
                                Timestamp now) {
  PresenceChange change;
  // A clock that went back counts as a gap: the old span stays as it was.
  const bool within = last && now >= last->to && now - last->to <= kPresenceGap;
  if (within) change.last_ends = now;
  if (!within || last->status != status) change.begins = StatusSpan{status, now, now};
  return change;
}

}  // namespace caredesk::core
