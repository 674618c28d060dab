// The real-time hub: who is connected over WebSocket (staff consoles and patients' chat
// widgets), and pushing frames to those who should see them. A console sees its practice's
// events, limited to the queues its user serves; a widget sees its own chat only. The hub holds
// weak references and sends outside its lock; each connection queues and writes on its own (see
// http::WsConnection), so a slow client never holds up the others. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/ids.hpp"
#include "core/inbox/types.hpp"

namespace caredesk::http {

// One open WebSocket as the application sees it. Send and Close may be called from any
// thread; Send never blocks (a connection that cannot keep up is closed instead).
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual void Send(std::shared_ptr<const std::string> text) = 0;
  virtual void Close() = 0;
};

using Frame = std::shared_ptr<const std::string>;
Frame MakeFrame(std::string text);

// Who a connection belongs to.
struct Audience {
  TenantId tenant;
  // Staff: their user, and the queues they are limited to (empty: all).
  UserId user;
  std::vector<std::string> queues;
  // A patient's widget: their chat and its conversation (0 for staff).
  std::int64_t chat_id = 0;
  ConversationId conversation;
  bool is_staff() const { return chat_id == 0; }
};

class Hub {
 public:
  // Registers `connection`; returns the id to Remove it with.
  std::uint64_t Add(Audience audience, std::weak_ptr<WsConnection> connection);
  void Remove(std::uint64_t id);

  // To every console of `tenant` that sees `queue` ("" : every console).
  void ToStaff(TenantId tenant, std::string_view queue, const Frame& frame);
  // To one staff member's consoles (all their tabs).
  void ToUser(TenantId tenant, UserId user, const Frame& frame);
  // To the widget(s) of one chat.
  void ToChat(TenantId tenant, std::int64_t chat_id, const Frame& frame);
  // To the widget(s) of the chat in `conversation`, if a patient is connected to it.
  void ToConversation(TenantId tenant, ConversationId conversation, const Frame& frame);

  // Open connections (tests, metrics).
  std::size_t Size() const;

  // Several nodes (see Store::Publish): notices of what this node pushed go to `publish` on the
  // hub's own thread, so a caller (an I/O thread, a handler) never waits for the database; the
  // node id marks this node's own notices when they come back. Call once, before connections.
  void SetCluster(std::string node_id, std::function<void(const std::string&)> publish);
  const std::string& node_id() const { return node_id_; }
  // Queues a notice for the other nodes; does nothing on a single node. Bounded: when the
  // database falls far behind, the oldest notices are dropped (consoles catch up on fetch).
  void Announce(std::string notice);
  ~Hub();

 private:
  struct Entry {
    Audience audience;
    std::weak_ptr<WsConnection> connection;
  };
  template <class Match>
  void SendWhere(TenantId tenant, const Frame& frame, Match match);

  std::string node_id_;
  std::function<void(const std::string&)> publish_;
  std::mutex notices_mutex_;
  std::condition_variable notices_ready_;
  std::deque<std::string> notices_;  // guarded by notices_mutex_
  bool stopping_ = false;            // guarded by notices_mutex_
  std::thread announcer_;

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;  // guarded by mutex_
  // By tenant, then by id; guarded by mutex_.
  std::unordered_map<std::int64_t, std::unordered_map<std::uint64_t, Entry>> entries_;
};

}  // namespace caredesk::http
