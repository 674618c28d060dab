// Time types. Instants are UTC milliseconds since the Unix epoch; business-hour and
// time-zone logic lives in core/tenancy. Nothing in core reads the clock: callers pass `now`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <optional>

namespace caredesk {

using Millis = std::chrono::milliseconds;
using Timestamp = std::chrono::sys_time<Millis>;

inline std::int64_t ToEpochMillis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromEpochMillis(std::int64_t ms) { return Timestamp{Millis{ms}}; }

// RFC 3339 in UTC with milliseconds, e.g. "2026-11-23T10:51:45.123Z".
std::string FormatRfc3339(Timestamp t);
// Accepts RFC 3339 with 'Z' or a numeric offset; nullopt when malformed.
std::optional<Timestamp> ParseRfc3339(std::string_view text);

// The clock port. SystemClock in production; tests pass a fake. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
};

}  // namespace caredesk
