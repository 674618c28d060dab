#include "channels/voice/queue_log_import.hpp"

#include <sys/stat.h>

#include <thread>
#include <utility>

#include "security/token.hpp"

namespace caredesk::channels {
namespace {

using Kind = QueueLogEvent::Kind;

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kEnterQueue:
      return "enter";
    case Kind::kConnect:
      return "connect";
    case Kind::kCompleteCaller:
    case Kind::kCompleteAgent:
      return "complete";
    case Kind::kTransfer:
    case Kind::kBlindTransfer:
    case Kind::kAttendedTransfer:
      return "transfer";
    case Kind::kAbandon:
      return "abandon";
    case Kind::kExitWithTimeout:
      return "timeout";
    case Kind::kExitEmpty:
      return "empty";
    case Kind::kExitWithKey:
      return "key";
    case Kind::kRingNoAnswer:
      return "ring_no_answer";
    case Kind::kAgentLogin:
      return "agent_login";
    case Kind::kAgentLogoff:
      return "agent_logoff";
    case Kind::kPause:
      return "pause";
    case Kind::kUnpause:
      return "unpause";
    case Kind::kOther:
      break;
  }
  return {};
}

std::string Opt(const std::optional<int>& v) { return v ? std::to_string(*v) : "-"; }

}  // namespace

std::optional<jobs::IncomingPhoneEvent> ToPhoneEvent(const QueueLogEvent& e) {
  std::string_view kind = KindName(e.kind);
  if (kind.empty()) return std::nullopt;
  bool agent_event =
      kind == "agent_login" || kind == "agent_logoff" || kind == "pause" || kind == "unpause";
  if (agent_event ? e.agent.empty() : e.call_id.empty()) return std::nullopt;
  jobs::IncomingPhoneEvent out;
  store::PhoneEvent& p = out.event;
  p.call_ref = agent_event ? std::string() : e.call_id;
  p.queue = e.queue;
  p.kind = std::string(kind);
  p.at = e.at;
  p.agent = e.agent;
  p.wait_seconds = e.wait_seconds;
  p.talk_seconds = e.talk_seconds;
  p.exit_key = e.key;
  // Every field that tells one line from another, but not the caller's number.
  p.key = security::HashSecret(std::to_string(ToEpochMillis(e.at)) + "|" + e.call_id + "|" +
                               e.queue + "|" + e.agent + "|" + e.event + "|" + Opt(e.wait_seconds) +
                               "|" + Opt(e.talk_seconds) + "|" + Opt(e.position) + "|" +
                               Opt(e.original_position) + "|" + Opt(e.ring_ms) + "|" + e.key);
  if (e.kind == Kind::kEnterQueue) out.caller = e.caller_id;
  return out;
}

QueueLogFile::QueueLogFile(std::string path) : path_(std::move(path)) {}

Result<void> QueueLogFile::Open() {
  in_.close();
  in_.clear();
  in_.open(path_, std::ios::binary);
  if (!in_) return Unavailable("cannot open the queue log file");
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
  offset_ = 0;
  lines_read_ = 0;
  return {};
}

Result<std::vector<std::string>> QueueLogFile::ReadLines(std::size_t max_lines,
                                                         bool take_unterminated) {
  if (!in_.is_open()) CD_TRY(Open());
  std::vector<std::string> out;
  in_.clear();
  in_.seekg(offset_);
  std::string line;
  while (out.size() < max_lines && std::getline(in_, line)) {
    if (in_.eof()) {  // no newline after it yet
      if (!take_unterminated) break;
      offset_ += static_cast<std::int64_t>(line.size());
    } else {
      offset_ += static_cast<std::int64_t>(line.size()) + 1;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++lines_read_;
    out.push_back(std::move(line));
  }
  if (out.empty()) {
    // At the end of this file: has it been rotated away or truncated?
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 &&
        (st.st_ino != inode_ || static_cast<std::int64_t>(st.st_size) < offset_)) {
      CD_TRY(Open());
    }
  }
  return out;
}

Result<QueueLogReport> ImportQueueLog(store::Store& store, TenantId tenant, const std::string& path,
                                      const QueueLogImportOptions& options, const Clock& clock) {
  QueueLogFile file(path);
  QueueLogReport report;
  auto stopped = [&] { return options.stop && options.stop->load(); };
  while (!stopped()) {
    CD_TRY_ASSIGN(auto lines, file.ReadLines(options.batch_lines, !options.follow));
    if (lines.empty()) {
      if (!options.follow) break;
      std::this_thread::sleep_for(options.poll);
      continue;
    }
    std::int64_t number = file.lines_read() - static_cast<std::int64_t>(lines.size());
    std::vector<jobs::IncomingPhoneEvent> batch;
    for (const std::string& line : lines) {
      ++number;
      ++report.lines;
      if (line.empty()) {
        ++report.skipped;
        continue;
      }
      auto parsed = ParseQueueLogLine(line);
      if (!parsed) {
        ++report.malformed;
        if (options.on_malformed) options.on_malformed(number, parsed.error().message);
        continue;
      }
      auto event = ToPhoneEvent(*parsed);
      if (!event) {
        ++report.skipped;
        continue;
      }
      batch.push_back(std::move(*event));
    }
    if (!batch.empty()) {
      CD_TRY_ASSIGN(jobs::PhoneIntake intake,
                    jobs::AddPhoneEvents(store, tenant, batch, options.callbacks, clock.Now()));
      report.intake.events_added += intake.events_added;
      report.intake.duplicates += intake.duplicates;
      report.intake.calls_changed += intake.calls_changed;
      report.intake.callbacks_opened += intake.callbacks_opened;
    }
    if (options.on_batch) options.on_batch(report);
  }
  return report;
}

}  // namespace caredesk::channels
