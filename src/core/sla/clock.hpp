// One SLA clock (first response, next response or resolution): a target amount of business
// time that runs, pauses while the conversation waits on the patient, and stops when met.
// A value type; all operations are pure and take `now` and the calendar explicitly.
#pragma once

#include <optional>

#include "base/time.hpp"
#include "core/tenancy/calendar.hpp"

namespace caredesk::core {

struct SlaClock {
  Millis target{0};    // business time allowed; 0 means this clock is not in use
  Millis consumed{0};  // business time used in earlier running spans
  std::optional<Timestamp> running_since;  // set while running
  std::optional<Timestamp> stopped_at;     // set once met (or cancelled)
  bool started = false;                    // has ever been started in this cycle

  friend bool operator==(const SlaClock&, const SlaClock&) = default;
};

// Starts a fresh cycle at `now`: consumed = 0, running. Replaces any previous cycle.
SlaClock StartClock(Millis target, Timestamp now);
// Running -> paused: adds business time since running_since to consumed. No-op otherwise.
SlaClock PauseClock(const SlaClock& c, Timestamp now, const BusinessCalendar& cal);
// Paused (started, not stopped, not running) -> running from now. No-op otherwise.
SlaClock ResumeClock(const SlaClock& c, Timestamp now);
// Stops the clock (met) at now, folding any running span into consumed. No-op if not started
// or already stopped.
SlaClock StopClock(const SlaClock& c, Timestamp now, const BusinessCalendar& cal);

// When the running clock will reach its target; nullopt if not running.
std::optional<Timestamp> DueAt(const SlaClock& c, const BusinessCalendar& cal);
// When it reaches fraction*target (e.g. 0.8); nullopt if not running or already past that
// point when it (re)started.
std::optional<Timestamp> AtRiskAt(const SlaClock& c, double fraction, const BusinessCalendar& cal);
// Business time used so far, including the running span up to now.
Millis ConsumedAt(const SlaClock& c, Timestamp now, const BusinessCalendar& cal);
// True when the clock was stopped after its target was used up, or is running past it.
bool IsBreached(const SlaClock& c, Timestamp now, const BusinessCalendar& cal);

}  // namespace caredesk::core
