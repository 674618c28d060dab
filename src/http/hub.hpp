// The real-time hub: who is connected over WebSocket (staff consoles and patients' chat
// widgets), and pushing frames to those who should see them. A console sees its practice's
// events, limited to the queues its user serves; a widget sees its own chat only. The hub holds
// weak references and sends outside its lock; each connection queues and writes on its own (see
// http::WsConnection), so a slow client never holds up the others. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
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

 private:
  struct Entry {
    Audience audience;
    std::weak_ptr<WsConnection> connection;
  };
  template <class Match>
  void SendWhere(TenantId tenant, const Frame& frame, Match match);

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;  // guarded by mutex_
  // By tenant, then by id; guarded by mutex_.
  std::unordered_map<std::int64_t, std::unordered_map<std::uint64_t, Entry>> entries_;
};

}  // namespace caredesk::http
