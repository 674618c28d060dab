// Importing Asterisk's queue_log into a practice's calls: the file read once, or followed as
// Asterisk appends to it (surviving its rotation), in batches stored by jobs::AddPhoneEvents.
// Lines that are not queue_log lines are reported by number and skipped. Reading the same file
// again adds nothing. One importer per file; not thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "channels/voice/queue_log.hpp"
#include "jobs/calls.hpp"

namespace caredesk::channels {

// The stored form of one line: nullopt for housekeeping lines (kOther) and agent events without
// an agent. The key is a digest of every field but the caller's number, so it identifies the
// line without holding patient information.
std::optional<jobs::IncomingPhoneEvent> ToPhoneEvent(const QueueLogEvent& e);

// Complete lines of a file that may be growing, from where the last call stopped. A last line
// without its newline is left for the next call while following (Asterisk may be writing it).
// When the file at the path is replaced (rotated) or truncated, reading starts again at the top
// of the new file once the old one is read to its end.
class QueueLogFile {
 public:
  explicit QueueLogFile(std::string path);
  // Up to `max_lines` lines; kUnavailable when the file cannot be opened.
  Result<std::vector<std::string>> ReadLines(std::size_t max_lines, bool take_unterminated);
  std::int64_t lines_read() const { return lines_read_; }  // in the current file

 private:
  Result<void> Open();
  std::string path_;
  std::ifstream in_;
  std::uint64_t inode_ = 0;
  std::int64_t offset_ = 0;  // of the first byte not yet returned
  std::int64_t lines_read_ = 0;
};

struct QueueLogReport {
  std::int64_t lines = 0;
  std::int64_t skipped = 0;  // housekeeping lines, nothing to count
  std::int64_t malformed = 0;
  jobs::PhoneIntake intake;  // summed over batches
};

struct QueueLogImportOptions {
  bool follow = false;
  std::size_t batch_lines = 500;
  Millis poll = std::chrono::milliseconds(500);  // while following, how often to look again
  jobs::CallbackOptions callbacks;
  // Told of each malformed line: its number in the file and why (never its content).
  std::function<void(std::int64_t line, const std::string& why)> on_malformed;
  // Told after each stored batch, with the totals so far.
  std::function<void(const QueueLogReport&)> on_batch;
  const std::atomic<bool>* stop = nullptr;  // following ends when this turns true
};

// Reads `path` into `tenant`'s calls. Without follow, returns at the end of the file; with it,
// when `stop` turns true. A store error ends the import with that error (what was stored stays:
// running it again picks up where it was, adding nothing twice).
Result<QueueLogReport> ImportQueueLog(store::Store& store, TenantId tenant, const std::string& path,
                                      const QueueLogImportOptions& options, const Clock& clock);

}  // namespace caredesk::channels
