// Rendered inbox pages kept between reads while the tenant's data is unchanged. Staff consoles
// poll the same views every few seconds, so a page is rendered once per change of the tenant's
// data (Store::WriteGeneration) instead of once per poll. Keys name the user a page was
// rendered for, so a page is only ever served to that user. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"

namespace caredesk::http {

// JSON text with the clock-dependent numbers left out: an inbox page's only such numbers are
// each conversation's "time_left_ms" (due_at - now), which Fill() writes for any `now`.
struct PageText {
  struct TimeLeft {
    std::size_t offset;  // where in `text` the number goes; ascending
    Timestamp due_at;
  };
  std::string text;
  std::vector<TimeLeft> time_left;

  // Marks the current end of `text` as the place for due_at - now.
  void AppendTimeLeft(Timestamp due_at) { time_left.push_back({text.size(), due_at}); }
  std::string Fill(Timestamp now) const;
  std::size_t Bytes() const { return text.size() + time_left.size() * sizeof(TimeLeft); }
};

class PageCache {
 public:
  // max_bytes: the most page text kept at once (least recently used pages go first); 0 keeps
  // nothing. A single page over a quarter of the budget is not kept.
  explicit PageCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  bool enabled() const { return max_bytes_ > 0; }
  // The page kept under `key` if it was rendered at `generation`, else null (and a page of an
  // older generation is dropped).
  std::shared_ptr<const PageText> Find(std::string_view key, std::uint64_t generation);
  // Keeps `page`, rendered from a read that began at `generation`, under `key`.
  void Put(std::string key, std::uint64_t generation, std::shared_ptr<const PageText> page);

  std::size_t bytes() const;
  std::size_t pages() const;

 private:
  struct Entry {
    std::string key;
    std::uint64_t generation;
    std::shared_ptr<const PageText> page;
    std::size_t bytes;
  };
  using Lru = std::list<Entry>;
  void EraseLocked(Lru::iterator it);

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  Lru lru_;  // most recently used first; guarded by mutex_
  // Keys view the `key` of their entry in lru_ (list nodes never move); guarded by mutex_.
  std::unordered_map<std::string_view, Lru::iterator> index_;
  std::size_t bytes_ = 0;  // guarded by mutex_
};

}  // namespace caredesk::http
