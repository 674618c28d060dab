#include "base/log.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "base/text.hpp"
#include "base/time.hpp"

namespace caredesk::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
constexpr std::size_t kMaxBuffered = std::size_t{32} << 10;
std::mutex write_mutex;  // keeps lines whole when threads log at once
bool buffered = false;   // guarded by write_mutex
std::string pending;     // buffered lines; guarded by write_mutex

void WriteOut(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

void FlushLocked() {
  if (pending.empty()) return;
  WriteOut(pending);
  pending.clear();
}

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetMinLevel(Level level) { min_level = static_cast<int>(level); }

void SetBuffered(bool on) {
  std::lock_guard lock(write_mutex);
  buffered = on;
  if (!on) FlushLocked();
}

void Flush() {
  std::lock_guard lock(write_mutex);
  FlushLocked();
}

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::string line;
  line.reserve(160);
  // Formatted by hand: the access log writes a line per request.
  line += R"({"ts":")";
  line += FormatRfc3339(now);
  line += R"(","level":")";
  line += LevelName(level);
  line += R"(","event":)";
  AppendJsonString(line, event);
  for (const Field& f : fields) {
    line.push_back(',');
    AppendJsonString(line, f.key);
    line.push_back(':');
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string_view>) {
            AppendJsonString(line, v);
          } else if constexpr (std::is_same_v<V, bool>) {
            line += v ? "true" : "false";
          } else {
            char number[32];
            auto [end, ec] = std::to_chars(number, number + sizeof number, v);
            line.append(number, end);
          }
        },
        f.value);
  }
  line += "}\n";
  std::lock_guard lock(write_mutex);
  if (buffered && level < Level::kWarn) {
    pending += line;
    if (pending.size() >= kMaxBuffered) FlushLocked();
    return;
  }
  FlushLocked();
  WriteOut(line);
}

}  // namespace caredesk::log
