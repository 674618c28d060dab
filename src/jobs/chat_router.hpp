// Live chat's life inside the store: a practice's chat settings, offering waiting chats to
// agents (core/routing decides who), accepting, declining and ending them, each with its event
// for the figures. Every function runs inside a caller's write transaction; RouteChats takes
// the practice's routing lock first, so two nodes routing at once take turns and a chat is
// offered to one agent only. ChatRouter is the job that re-routes every second (offers that ran
// out, agents who became free, patients who left). Thread-safe as the store is.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "jobs/chat_settings.hpp"
#include "jobs/periodic.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

// The practice's settings, or the defaults when it never saved any.
Result<ChatSettings> LoadChatSettings(store::TenantTx& tx);

// What a routing pass did.
struct RoutingPass {
  int offered = 0;
  int expired = 0;    // offers that ran out and moved on
  int abandoned = 0;  // waiting patients who went silent
};
// Offers every waiting chat that has no live offer to the best agent who can take it, after
// moving on from offers that ran out and marking silent waiting patients as gone. Takes the
// practice's routing lock.
Result<RoutingPass> RouteChats(store::TenantTx& tx, const ChatSettings& settings, Timestamp now);

// An agent takes the chat offered to them. kConflict when it is not (or no longer) offered to
// `agent`, or it ended. Assigns the conversation to them.
Result<store::Chat> AcceptChat(store::TenantTx& tx, std::int64_t chat_id, UserId agent,
                               Timestamp now);
// Assigns the chat's conversation to `agent` (its SLA policy follows the routing) and appends
// the routing events, then `also`, with the conversation's patient.
Result<void> AssignChatConversation(store::TenantTx& tx, const store::Chat& chat, UserId agent,
                                    UserId actor, Timestamp now,
                                    std::vector<core::Event> also = {});
// An agent declines the chat offered to them; it goes to the next agent at the next pass.
// kConflict when it is not offered to `agent`.
Result<store::Chat> DeclineChat(store::TenantTx& tx, std::int64_t chat_id, UserId agent,
                                Timestamp now);
// Ends a waiting or active chat: "abandoned" when nobody had taken it, else "ended"; `reason`
// says why (patient_left, agent_ended, ...). No-op for a chat that already ended.
Result<store::Chat> EndChat(store::TenantTx& tx, store::Chat chat, std::string_view reason,
                            UserId actor, Timestamp now);

// An event about a chat, for its conversation's log.
core::Event ChatEvent(const store::Chat& chat, std::string type, Timestamp at, UserId actor,
                      std::vector<std::pair<std::string, std::string>> data = {});

struct ChatRouterOptions {
  Millis interval = std::chrono::seconds(1);
  // Called after a pass changed a practice's chats (offers made or moved on, patients gone), so
  // consoles can be told; may be empty.
  std::function<void(TenantId)> on_change;
};

class ChatRouter {
 public:
  ChatRouter(store::Store& store, const Clock& clock, ChatRouterOptions options = {});
  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // One pass over every practice with waiting chats; returns the offers made.
  Result<int> RunOnce();

 private:
  store::Store& store_;
  const Clock& clock_;
  ChatRouterOptions options_;
  Periodic loop_;  // last: its thread calls RunOnce
};

}  // namespace caredesk::jobs
