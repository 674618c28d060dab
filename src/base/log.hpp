// Structured JSON logs, one object per line on stderr. Only ids, counts, codes and durations
// go in fields: never names, phones, emails, dates of birth or message text. Thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace caredesk::log {

enum class Level { kDebug, kInfo, kWarn, kError };

using Value = std::variant<std::int64_t, double, bool, std::string_view>;
struct Field {
  std::string_view key;
  Value value;
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::int64_t{v}) {}
  Field(std::string_view k, std::size_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
};

void SetMinLevel(Level level);
// Off by default: every line is written as it is logged. When on, debug and info lines (the
// access log: a line per request) collect in memory, at most 32 KiB, until Flush(), a warn or
// error line (which writes them first, in order) or a full buffer. The server turns it on and
// flushes every 200 ms, so a crash loses at most that much of the access log, and each request
// no longer pays a write(2) of its own.
void SetBuffered(bool on);
void Flush();
// Writes {"ts":..., "level":..., "event":..., fields...}. `event` is a fixed snake_case name.
void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void Info(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, event, f);
}
inline void Warn(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, event, f);
}
inline void Error(std::string_view event, std::initializer_list<Field> f = {}) {
  Write(Level::kError, event, f);
}

}  // namespace caredesk::log
