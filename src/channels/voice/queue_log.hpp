// Asterisk's queue_log (the file FreePBX and Asterisk write, one pipe-separated line per queue
// event: time|call id|queue|agent|event|data...): one line read into a call event for the phone
// KPIs. The codec is pure and fuzzed apart from the file's reading and tailing.
// Thread-safe (no state).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/time.hpp"

namespace caredesk::channels {

struct QueueLogEvent {
  enum class Kind {
    kEnterQueue,        // a caller joins the queue (url|callerid)
    kConnect,           // an agent answers (holdtime|bridged channel|ringtime)
    kCompleteCaller,    // the caller hung up after talking (holdtime|calltime|origposition)
    kCompleteAgent,     // the agent hung up (the same)
    kAbandon,           // the caller hung up waiting (position|origposition|waittime)
    kExitWithTimeout,   // the queue's wait limit (position|origposition|waittime)
    kExitEmpty,         // nobody to answer (position|origposition|waittime)
    kExitWithKey,       // the caller pressed a key, e.g. for a callback (key|position|...)
    kRingNoAnswer,      // an agent's phone rang unanswered (ringtime in ms)
    kTransfer,          // (extension|context|holdtime|calltime|origposition)
    kBlindTransfer,     // (extension|context|holdtime|calltime|origposition), Asterisk 12+
    kAttendedTransfer,  // (method|method data|holdtime|calltime|origposition)
    kAgentLogin,
    kAgentLogoff,  // (channel|logintime)
    kPause,
    kUnpause,
    kOther,  // housekeeping (QUEUESTART, CONFIGRELOAD, ADDMEMBER, ...): nothing to count
  };
  Kind kind = Kind::kOther;
  std::string event;                // as written ("ENTERQUEUE")
  Timestamp at;                     // the line's Unix time
  std::string call_id;              // the caller channel's unique id; "" for NONE and REALTIME
  std::string queue;                // "" for NONE
  std::string agent;                // the member channel ("PJSIP/201"); "" for NONE
  std::optional<int> wait_seconds;  // hold time (CONNECT, COMPLETE*, transfers) or wait
  std::optional<int> talk_seconds;  // call time (COMPLETE*, transfers)
  std::optional<int> position;      // place in the queue when leaving it
  std::optional<int> original_position;
  std::optional<int> ring_ms;  // RINGNOANSWER; ringtime in CONNECT is seconds, kept as ms
  std::string caller_id;       // ENTERQUEUE: the caller's number (patient information)
  std::string key;             // EXITWITHKEY
};

// kInvalid, with a reason that quotes nothing of the line (it can hold a caller's number), for
// a line that is not a queue_log line: fewer than five fields, a time that is not a plausible
// Unix time, an event name that is not one, a number field that is not a number, a field over
// 256 bytes, invalid UTF-8. Unknown events are kOther, not errors.
Result<QueueLogEvent> ParseQueueLogLine(std::string_view line);

}  // namespace caredesk::channels
