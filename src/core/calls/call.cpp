#include "core/calls/call.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

namespace caredesk::core {
namespace {

constexpr std::array<std::pair<CallOutcome, std::string_view>, 7> kOutcomes{{
    {CallOutcome::kWaiting, "waiting"},
    {CallOutcome::kTalking, "talking"},
    {CallOutcome::kAnswered, "answered"},
    {CallOutcome::kAbandoned, "abandoned"},
    {CallOutcome::kTimedOut, "timed_out"},
    {CallOutcome::kNoAgents, "no_agents"},
    {CallOutcome::kLeftByKey, "left_by_key"},
}};

constexpr int kDaySeconds = 24 * 3600;

int SecondsBetween(Timestamp from, Timestamp to) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
  return static_cast<int>(std::clamp<std::int64_t>(s, 0, kDaySeconds));
}

int Clamp(std::optional<int> v, int otherwise) {
  return std::clamp(v.value_or(otherwise), 0, kDaySeconds);
}

// A caller leaving the queue unanswered, however they left.
void Leave(Call& c, const CallEvent& e, CallOutcome outcome) {
  c.outcome = outcome;
  c.ended_at = e.at;
  c.wait_seconds = Clamp(e.wait_seconds, SecondsBetween(c.entered_at, e.at));
  if (outcome == CallOutcome::kLeftByKey) c.exit_key = e.key;
}

// The talk ended (hung up or passed on). A call whose CONNECT was in a log not read still has
// its answer time: the end less the talk.
void EndTalk(Call& c, const CallEvent& e) {
  if (!c.answered_at) {
    int talk = Clamp(e.talk_seconds, 0);
    c.answered_at = e.at - std::chrono::seconds(talk);
    c.wait_seconds = Clamp(e.wait_seconds, SecondsBetween(c.entered_at, *c.answered_at));
  }
  c.outcome = CallOutcome::kAnswered;
  c.ended_at = e.at;
  c.talk_seconds = Clamp(e.talk_seconds, SecondsBetween(*c.answered_at, e.at));
  if (!e.agent.empty()) c.agent = e.agent;
}

}  // namespace

std::string_view Name(CallOutcome o) {
  for (const auto& [v, n] : kOutcomes) {
    if (v == o) return n;
  }
  return "waiting";
}

std::optional<CallOutcome> ParseCallOutcome(std::string_view name) {
  for (const auto& [v, n] : kOutcomes) {
    if (n == name) return v;
  }
  return std::nullopt;
}

Call FoldCall(std::string ref, std::vector<CallEvent> events) {
  Call c;
  c.ref = std::move(ref);
  std::stable_sort(events.begin(), events.end(),
                   [](const CallEvent& a, const CallEvent& b) { return a.at < b.at; });
  if (!events.empty()) c.entered_at = events.front().at;
  for (const CallEvent& e : events) {
    if (c.ended()) break;
    switch (e.kind) {
      case CallEvent::Kind::kEnter:
        break;
      case CallEvent::Kind::kConnect:
        if (c.outcome == CallOutcome::kTalking) break;  // answered already
        c.outcome = CallOutcome::kTalking;
        c.answered_at = e.at;
        c.agent = e.agent;
        c.wait_seconds = Clamp(e.wait_seconds, SecondsBetween(c.entered_at, e.at));
        break;
      case CallEvent::Kind::kComplete:
        EndTalk(c, e);
        break;
      case CallEvent::Kind::kTransfer:
        EndTalk(c, e);
        c.transferred = true;
        break;
      case CallEvent::Kind::kAbandon:
        if (c.outcome == CallOutcome::kWaiting) Leave(c, e, CallOutcome::kAbandoned);
        break;
      case CallEvent::Kind::kTimeout:
        if (c.outcome == CallOutcome::kWaiting) Leave(c, e, CallOutcome::kTimedOut);
        break;
      case CallEvent::Kind::kEmpty:
        if (c.outcome == CallOutcome::kWaiting) Leave(c, e, CallOutcome::kNoAgents);
        break;
      case CallEvent::Kind::kKey:
        if (c.outcome == CallOutcome::kWaiting) Leave(c, e, CallOutcome::kLeftByKey);
        break;
      case CallEvent::Kind::kRingNoAnswer:
        ++c.unanswered_rings;
        break;
    }
  }
  return c;
}

bool IsShortAbandon(const Call& call, const PhoneRules& rules) {
  return call.outcome == CallOutcome::kAbandoned && call.wait_seconds < rules.short_abandon_seconds;
}

bool NeedsCallback(const Call& call, const PhoneRules& rules) {
  if (!call.patient) return false;
  switch (call.outcome) {
    case CallOutcome::kAbandoned:
      return !IsShortAbandon(call, rules);
    case CallOutcome::kTimedOut:
    case CallOutcome::kNoAgents:
    case CallOutcome::kLeftByKey:
      return true;
    default:
      return false;
  }
}

Result<Call> PostedCall(const Call& call) {
  if (call.ref.empty() || call.ref.size() > 128) {
    return Invalid("call_id must be 1 to 128 characters", "call_id");
  }
  if (call.queue.size() > 64) return Invalid("queue must be at most 64 characters", "queue");
  if (call.agent.size() > 128) return Invalid("agent must be at most 128 characters", "agent");
  if (call.exit_key.size() > 8) return Invalid("exit_key must be at most 8 characters", "exit_key");
  if (!call.ended()) {
    return Invalid("outcome must be answered, abandoned, timed_out, no_agents or left_by_key",
                   "outcome");
  }
  if (!call.ended_at || *call.ended_at < call.entered_at) {
    return Invalid("ended_at must be at or after entered_at", "ended_at");
  }
  if (*call.ended_at - call.entered_at > std::chrono::seconds(kDaySeconds)) {
    return Invalid("a call lasts at most a day", "ended_at");
  }
  if (call.outcome == CallOutcome::kAnswered) {
    if (!call.answered_at || *call.answered_at < call.entered_at ||
        *call.answered_at > *call.ended_at) {
      return Invalid("an answered call needs answered_at between entered_at and ended_at",
                     "answered_at");
    }
  } else if (call.answered_at) {
    return Invalid("only an answered call has answered_at", "answered_at");
  }
  for (auto [v, field] : {std::pair{call.hold_seconds, "hold_seconds"},
                          std::pair{call.wrap_seconds, "wrap_seconds"}}) {
    if (v < 0 || v > kDaySeconds) return Invalid("must be 0 to 86400 seconds", field);
  }
  Call out = call;
  out.wait_seconds = SecondsBetween(call.entered_at, call.answered_at.value_or(*call.ended_at));
  out.talk_seconds = call.answered_at ? SecondsBetween(*call.answered_at, *call.ended_at) : 0;
  if (out.hold_seconds > out.talk_seconds) {
    return Invalid("hold_seconds cannot exceed the time between answer and end", "hold_seconds");
  }
  return out;
}

}  // namespace caredesk::core
