// Phone calls through a queue: a call's record folded from what the phone system said of it
// (Asterisk's queue_log events, or a record another system posts whole), and the rules the
// phone KPIs and callbacks share: what counts as a short abandon, which calls need a callback.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace caredesk::core {

// One thing that happened to a call in the queue. `agent` is the phone system's name for the
// member (a channel like "PJSIP/201", or a name); seconds are as the phone system counted them.
struct CallEvent {
  enum class Kind {
    kEnter,         // joined the queue
    kConnect,       // an agent answered (wait_seconds: the hold time)
    kComplete,      // talk ended, either side hung up (wait_seconds, talk_seconds)
    kTransfer,      // the agent passed it on after talking (wait_seconds, talk_seconds)
    kAbandon,       // the caller hung up while waiting (wait_seconds)
    kTimeout,       // the queue's wait limit sent them on (wait_seconds)
    kEmpty,         // nobody could answer: no agents logged in (wait_seconds)
    kKey,           // the caller pressed `key` to leave, e.g. for a callback (wait_seconds)
    kRingNoAnswer,  // an agent's phone rang and they did not pick up
  };
  Kind kind = Kind::kEnter;
  Timestamp at{};
  std::string agent;
  std::optional<int> wait_seconds;
  std::optional<int> talk_seconds;
  std::string key;
};

enum class CallOutcome {
  kWaiting,    // in the queue still
  kTalking,    // answered, not ended yet
  kAnswered,   // answered and ended (transferred ones included)
  kAbandoned,  // the caller hung up before an answer
  kTimedOut,   // the queue's wait limit ended the wait
  kNoAgents,   // nobody was logged in to answer
  kLeftByKey,  // the caller pressed a key to leave (a callback request on most systems)
};
std::string_view Name(CallOutcome o);
std::optional<CallOutcome> ParseCallOutcome(std::string_view name);

struct Call {
  std::string ref;    // the phone system's id of the call (Asterisk's uniqueid)
  std::string queue;  // the phone system's queue name
  PatientId patient;  // the caller, when their number is known
  CallOutcome outcome = CallOutcome::kWaiting;
  Timestamp entered_at{};
  std::optional<Timestamp> answered_at;
  std::optional<Timestamp> ended_at;
  std::string agent;     // who answered (the last who talked, after a transfer)
  int wait_seconds = 0;  // from joining the queue to an answer or to leaving it
  int talk_seconds = 0;  // answered calls: from the answer to the end
  int hold_seconds = 0;  // on hold during the talk (posted records; queue_log does not say)
  int wrap_seconds = 0;  // after-call work (posted records; queue_log does not say)
  int unanswered_rings = 0;
  bool transferred = false;
  std::string exit_key;  // kLeftByKey: the key pressed

  friend bool operator==(const Call&, const Call&) = default;
  bool ended() const {
    return outcome != CallOutcome::kWaiting && outcome != CallOutcome::kTalking;
  }
};

// The call `ref` as its events say it went, in time order (equal times in the order given; ties
// matter only for events of one second). A call whose first event is not kEnter (its start was
// in a log not read) starts at its first event. An event after the call ended (a second COMPLETE,
// a stray ABANDON) changes nothing. The same events give the same call, so reading a log again
// is harmless.
Call FoldCall(std::string ref, std::vector<CallEvent> events);

// What decides, per practice, which calls count and which need a callback.
struct PhoneRules {
  // A caller who hangs up within this many seconds of joining is a short abandon: most likely a
  // misdial or a caller who heard the greeting and chose to call later. They are counted in
  // calls_abandoned but not in calls_offered or the abandonment rate, and get no callback.
  int short_abandon_seconds = 10;
  // The queue callback tasks go to when the call's queue is not one CareDesk knows.
  std::string callback_queue = "front-desk";
};

bool IsShortAbandon(const Call& call, const PhoneRules& rules);

// True when the caller was not answered and would be expected to hear back: they gave up after
// waiting longer than a short abandon, the queue timed out or had nobody, or they pressed a key
// to leave (asking for a callback). Only an ended call with a known caller can be called back.
bool NeedsCallback(const Call& call, const PhoneRules& rules);

// A call record posted whole (POST /api/v1/calls), checked, with its wait and talk seconds
// computed from its times. kInvalid naming the field unless: the outcome is an ended one, the
// times are in order and within a day, only an answered call has an answer time, hold and
// after-call seconds are 0 to 86400 and the hold fits in the talk.
Result<Call> PostedCall(const Call& call);

}  // namespace caredesk::core
