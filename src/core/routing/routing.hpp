// Live-chat routing: who may take a chat, who gets it, and how long a patient should expect to
// wait. An agent states a status and how many chats they take at once; a chat asks for a queue
// (the topic) and a language. A chat goes to an available agent who serves both, with room for
// one more, the least loaded first and, among equals, the one idle longest. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace caredesk::core {

enum class AgentStatus { kAvailable, kBusy, kOnBreak, kOffline };
std::string_view Name(AgentStatus s);
std::optional<AgentStatus> ParseAgentStatus(std::string_view s);

inline constexpr int kMaxChatsLimit = 10;  // an agent's max_chats is 1..10
inline constexpr int kDefaultMaxChats = 3;

// A stretch of time an agent showed one status.
struct StatusSpan {
  AgentStatus status = AgentStatus::kOffline;
  Timestamp from{}, to{};
  friend bool operator==(const StatusSpan&, const StatusSpan&) = default;
};
// A console checks in every 30 s; one silent for longer than this has gone, and the time after
// its last check-in is not counted as the status it showed.
inline constexpr Millis kPresenceGap = std::chrono::minutes(2);
// How a check-in at `now` showing `status` changes the agent's history, given their latest span:
// it extends to `now` when the status is unchanged and `now` is within kPresenceGap of its end;
// otherwise a span of `status` begins at `now`, and the latest one ends at `now` if it was within
// the gap (it stays as it was if not: the console had gone).
struct PresenceChange {
  std::optional<Timestamp> last_ends;  // the latest span's new end
  std::optional<StatusSpan> begins;    // a new span
};
PresenceChange NextPresenceSpan(const std::optional<StatusSpan>& last, AgentStatus status,
                                Timestamp now);

// One agent as routing sees them.
struct AgentLoad {
  UserId user;
  AgentStatus status = AgentStatus::kOffline;
  int max_chats = kDefaultMaxChats;
  int chats = 0;                       // chats offered to or taken by the agent and not ended
  Timestamp idle_since{};              // when their load last changed or they became available
  std::vector<std::string> languages;  // empty: any language
  std::vector<std::string> queues;     // empty: every queue
};

// What a waiting chat asks for.
struct ChatNeed {
  std::string queue;
  std::string language;             // "" matches anyone
  std::vector<UserId> passed_over;  // agents who declined or let an offer run out
};

// Whether `agent` could take one more chat with this need now.
bool CanTake(const AgentLoad& agent, const ChatNeed& need);
// Whether `agent` serves the need at all (skills only, whatever their status and load).
bool Serves(const AgentLoad& agent, const ChatNeed& need);

// The agent to offer the chat to, or nullopt when nobody can take it now. An agent who passed
// the chat over (declined it, or let the offer run out) is not offered it again: when everyone
// has, it waits for a new agent or a supervisor's hand.
std::optional<UserId> PickAgent(const std::vector<AgentLoad>& agents, const ChatNeed& need);

// What the chat window tells a patient before they write.
struct ChatAvailability {
  bool open_hours = false;   // within the practice's business hours
  int agents_available = 0;  // available agents who serve the need (busy or not)
  int free_slots = 0;        // chats those agents could take right now
  int waiting = 0;           // chats already waiting for the need
  Millis expected_wait{0};
  // Whether a chat started now should be offered live: open, someone available, and the
  // expected wait within the threshold. Otherwise the widget offers a follow-up by text or mail.
  bool live = false;
};

// `mean_handle`: how long a chat takes on average (a default when nothing is measured yet);
// `max_wait`: the longest expected wait still offered live.
ChatAvailability Availability(const std::vector<AgentLoad>& agents, const ChatNeed& need,
                              bool open_hours, int waiting, Millis mean_handle, Millis max_wait);

// The expected wait of the chat at `position` (0: first in line) when `free_slots` chats can be
// taken now, the available agents hold `capacity` chats at once in all, and a chat lasts
// `mean_handle` on average. Millis::max() when nobody can take chats.
Millis ExpectedWait(int position, int free_slots, int capacity, Millis mean_handle);

}  // namespace caredesk::core
