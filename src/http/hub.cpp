#include "http/hub.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace caredesk::http {

Frame MakeFrame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

namespace {
constexpr std::size_t kMaxPendingNotices = 10000;
}

Hub::~Hub() {
  {
    std::lock_guard lock(notices_mutex_);
    stopping_ = true;
  }
  notices_ready_.notify_all();
  if (announcer_.joinable()) announcer_.join();
}

void Hub::SetCluster(std::string node_id, std::function<void(const std::string&)> publish) {
  node_id_ = std::move(node_id);
  publish_ = std::move(publish);
  announcer_ = std::thread([this] {
    std::unique_lock lock(notices_mutex_);
    for (;;) {
      notices_ready_.wait(lock, [&] { return stopping_ || !notices_.empty(); });
      if (notices_.empty()) return;  // stopping, all sent
      std::string notice = std::move(notices_.front());
      notices_.pop_front();
      lock.unlock();
      publish_(notice);
      lock.lock();
    }
  });
}

void Hub::Announce(std::string notice) {
  if (!publish_) return;
  {
    std::lock_guard lock(notices_mutex_);
    if (notices_.size() >= kMaxPendingNotices) {
      notices_.pop_front();
      log::Warn("cluster_notice_dropped");
    }
    notices_.push_back(std::move(notice));
  }
  notices_ready_.notify_one();
}

std::uint64_t Hub::Add(Audience audience, std::weak_ptr<WsConnection> connection) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  std::int64_t tenant = audience.tenant.value;
  entries_[tenant].emplace(id, Entry{std::move(audience), std::move(connection)});
  return id;
}

void Hub::Remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.erase(id) > 0) {
      if (it->second.empty()) entries_.erase(it);
      return;
    }
  }
}

std::size_t Hub::Size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [tenant, entries] : entries_) n += entries.size();
  return n;
}

template <class Match>
void Hub::SendWhere(TenantId tenant, const Frame& frame, Match match) {
  std::vector<std::shared_ptr<WsConnection>> targets;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(tenant.value);
    if (it == entries_.end()) return;
    for (const auto& [id, entry] : it->second) {
      if (!match(entry.audience)) continue;
      if (auto c = entry.connection.lock()) targets.push_back(std::move(c));
    }
  }
  for (const auto& c : targets) c->Send(frame);  // outside the lock
}

void Hub::ToStaff(TenantId tenant, std::string_view queue, const Frame& frame) {
  SendWhere(tenant, frame, [&](const Audience& a) {
    return a.is_staff() && (queue.empty() || a.queues.empty() ||
                            std::find(a.queues.begin(), a.queues.end(), queue) != a.queues.end());
  });
}

void Hub::ToUser(TenantId tenant, UserId user, const Frame& frame) {
  SendWhere(tenant, frame, [&](const Audience& a) { return a.is_staff() && a.user == user; });
}

void Hub::ToChat(TenantId tenant, std::int64_t chat_id, const Frame& frame) {
  SendWhere(tenant, frame, [&](const Audience& a) { return a.chat_id == chat_id; });
}

void Hub::ToConversation(TenantId tenant, ConversationId conversation, const Frame& frame) {
  SendWhere(tenant, frame,
            [&](const Audience& a) { return !a.is_staff() && a.conversation == conversation; });
}

}  // namespace caredesk::http
