#include "core/sla/clock.hpp"

#include <cmath>

namespace caredesk::core {
namespace {

bool IsRunning(const SlaClock& c) {
  return c.started && !c.stopped_at && c.running_since.has_value();
}

// The instant the running clock's consumed time reaches `threshold`; running_since itself when
// it already had when the span began.
Timestamp ReachesAt(const SlaClock& c, Millis threshold, const BusinessCalendar& cal) {
  if (c.consumed >= threshold) return *c.running_since;
  return cal.AddBusinessTime(*c.running_since, threshold - c.consumed);
}

}  // namespace

SlaClock StartClock(Millis target, Timestamp now) {
  SlaClock c;
  c.target = target;
  c.running_since = now;
  c.started = true;
  return c;
}

SlaClock PauseClock(const SlaClock& c, Timestamp now, const BusinessCalendar& cal) {
  if (!IsRunning(c)) return c;
  SlaClock paused = c;
  paused.consumed += cal.BusinessTimeBetween(*c.running_since, now);
  paused.running_since.reset();
  return paused;
}

SlaClock ResumeClock(const SlaClock& c, Timestamp now) {
  if (!c.started || c.stopped_at || c.running_since) return c;
  SlaClock resumed = c;
  resumed.running_since = now;
  return resumed;
}

SlaClock StopClock(const SlaClock& c, Timestamp now, const BusinessCalendar& cal) {
  if (!c.started || c.stopped_at) return c;
  SlaClock stopped = PauseClock(c, now, cal);
  stopped.stopped_at = now;
  return stopped;
}

std::optional<Timestamp> DueAt(const SlaClock& c, const BusinessCalendar& cal) {
  if (!IsRunning(c) || c.target <= Millis{0}) return std::nullopt;
  return ReachesAt(c, c.target, cal);
}

std::optional<Timestamp> AtRiskAt(const SlaClock& c, double fraction, const BusinessCalendar& cal) {
  if (!IsRunning(c) || c.target <= Millis{0} || !(fraction > 0.0)) return std::nullopt;
  const double threshold_ms = std::round(fraction * static_cast<double>(c.target.count()));
  if (threshold_ms >= static_cast<double>(Millis::max().count())) return std::nullopt;
  const Millis threshold{static_cast<Millis::rep>(threshold_ms)};
  if (c.consumed >= threshold) return std::nullopt;
  return ReachesAt(c, threshold, cal);
}

Millis ConsumedAt(const SlaClock& c, Timestamp now, const BusinessCalendar& cal) {
  if (!IsRunning(c)) return c.consumed;
  return c.consumed + cal.BusinessTimeBetween(*c.running_since, now);
}

// The target is used up at DueAt, so a clock stopped exactly then counts as breached. Using
// business time (not wall time) keeps a clock that ran out at Friday's close breached all weekend.
bool IsBreached(const SlaClock& c, Timestamp now, const BusinessCalendar& cal) {
  if (!c.started || c.target <= Millis{0}) return false;
  return ConsumedAt(c, now, cal) >= c.target;
}

}  // namespace caredesk::core
