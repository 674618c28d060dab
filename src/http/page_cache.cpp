#include "http/page_cache.hpp"

#include <charconv>

namespace caredesk::http {

std::string PageText::Fill(Timestamp now) const {
  std::string out;
  out.reserve(text.size() + time_left.size() * 12);
  std::size_t at = 0;
  for (const TimeLeft& hole : time_left) {
    out.append(text, at, hole.offset - at);
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, (hole.due_at - now).count());
    out.append(digits, end);
    at = hole.offset;
  }
  out.append(text, at);
  return out;
}

std::shared_ptr<const PageText> PageCache::Find(std::string_view key, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  Lru::iterator it = found->second;
  if (it->generation != generation) {
    EraseLocked(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it);
  return it->page;
}

void PageCache::Put(std::string key, std::uint64_t generation,
                    std::shared_ptr<const PageText> page) {
  const std::size_t bytes = key.size() + page->Bytes();
  if (max_bytes_ == 0 || bytes > max_bytes_ / 4) return;
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) {
    // A reader that began earlier must not replace a newer page.
    if (found->second->generation > generation) return;
    EraseLocked(found->second);
  }
  while (bytes_ + bytes > max_bytes_ && !lru_.empty()) EraseLocked(std::prev(lru_.end()));
  lru_.push_front(Entry{std::move(key), generation, std::move(page), bytes});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += bytes;
}

void PageCache::EraseLocked(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

std::size_t PageCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t PageCache::pages() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace caredesk::http
