#include "channels/voice/queue_log.hpp"

#include <charconv>
#include <vector>

#include "base/text.hpp"

namespace caredesk::channels {

namespace {

using Kind = QueueLogEvent::Kind;

struct Known {
  std::string_view name;
  Kind kind;
};
constexpr Known kEvents[] = {
    {"ENTERQUEUE", Kind::kEnterQueue},
    {"CONNECT", Kind::kConnect},
    {"COMPLETECALLER", Kind::kCompleteCaller},
    {"COMPLETEAGENT", Kind::kCompleteAgent},
    {"ABANDON", Kind::kAbandon},
    {"EXITWITHTIMEOUT", Kind::kExitWithTimeout},
    {"EXITEMPTY", Kind::kExitEmpty},
    {"EXITWITHKEY", Kind::kExitWithKey},
    {"RINGNOANSWER", Kind::kRingNoAnswer},
    {"TRANSFER", Kind::kTransfer},
    {"BLINDTRANSFER", Kind::kBlindTransfer},
    {"ATTENDEDTRANSFER", Kind::kAttendedTransfer},
    {"AGENTLOGIN", Kind::kAgentLogin},
    {"AGENTLOGOFF", Kind::kAgentLogoff},
    {"PAUSE", Kind::kPause},
    {"PAUSEALL", Kind::kPause},
    {"UNPAUSE", Kind::kUnpause},
    {"UNPAUSEALL", Kind::kUnpause},
};

constexpr std::size_t kMaxField = 256;
// 2000-01-01 to 2100-01-01: anything else is not a queue_log time.
constexpr std::int64_t kEarliest = 946684800, kLatest = 4102444800;

Error Bad(const std::string& why) { return Invalid("queue_log line: " + why, "line"); }

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    auto bar = line.find('|');
    out.push_back(line.substr(0, bar));
    if (bar == std::string_view::npos) break;
    line.remove_prefix(bar + 1);
  }
  return out;
}

std::string NoneIsEmpty(std::string_view v) {
  return v == "NONE" || v == "REALTIME" ? std::string() : std::string(v);
}

}  // namespace

Result<QueueLogEvent> ParseQueueLogLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (!IsValidUtf8(line)) return Bad("not UTF-8 text");
  std::vector<std::string_view> f = Fields(line);
  if (f.size() < 5) return Bad("fewer than five fields");
  for (std::string_view v : f) {
    if (v.size() > kMaxField) return Bad("a field is over 256 bytes");
  }
  QueueLogEvent e;
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), seconds);
  if (ec != std::errc{} || end != f[0].data() + f[0].size() || seconds < kEarliest ||
      seconds > kLatest) {
    return Bad("the time is not a Unix time");
  }
  e.at = FromEpochMillis(seconds * 1000);
  e.call_id = NoneIsEmpty(f[1]);
  e.queue = NoneIsEmpty(f[2]);
  e.agent = NoneIsEmpty(f[3]);
  e.event = std::string(f[4]);
  if (e.event.empty()) return Bad("no event name");
  for (char c : e.event) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return Bad("the event name is not one");
    }
  }
  for (const Known& k : kEvents) {
    if (k.name == e.event) e.kind = k.kind;
  }
  // The event's parameters; a missing one is absent, an empty one too (old Asterisk writes
  // fewer columns).
  std::vector<std::string_view> p(f.begin() + 5, f.end());
  std::optional<Error> bad;
  auto number = [&](std::size_t i) -> std::optional<int> {
    if (i >= p.size() || p[i].empty()) return std::nullopt;
    int v = 0;
    auto [stop, err] = std::from_chars(p[i].data(), p[i].data() + p[i].size(), v);
    if (err != std::errc{} || stop != p[i].data() + p[i].size() || v < 0) {
      bad = Bad("a number field of " + e.event + " is not a number");
      return std::nullopt;
    }
    return v;
  };
  auto text = [&](std::size_t i) { return i < p.size() ? std::string(p[i]) : std::string(); };
  switch (e.kind) {
    case Kind::kEnterQueue:
      e.caller_id = text(1);
      break;
    case Kind::kConnect:
      e.wait_seconds = number(0);
      if (auto ring = number(2)) e.ring_ms = *ring * 1000;
      break;
    case Kind::kCompleteCaller:
    case Kind::kCompleteAgent:
      e.wait_seconds = number(0);
      e.talk_seconds = number(1);
      e.original_position = number(2);
      break;
    case Kind::kAbandon:
    case Kind::kExitWithTimeout:
    case Kind::kExitEmpty:
      e.position = number(0);
      e.original_position = number(1);
      e.wait_seconds = number(2);
      break;
    case Kind::kExitWithKey:
      e.key = text(0);
      e.position = number(1);
      e.original_position = number(2);
      e.wait_seconds = number(3);
      break;
    case Kind::kRingNoAnswer:
      e.ring_ms = number(0);
      break;
    case Kind::kTransfer:
    case Kind::kBlindTransfer:
    case Kind::kAttendedTransfer:
      e.wait_seconds = number(2);
      e.talk_seconds = number(3);
      e.original_position = number(4);
      break;
    default:
      break;
  }
  if (bad) return *bad;
  return e;
}

}  // namespace caredesk::channels
