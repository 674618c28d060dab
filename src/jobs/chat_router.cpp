#include "jobs/chat_router.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "base/log.hpp"
#include "core/inbox/conversation.hpp"

namespace caredesk::jobs {

namespace {
std::string MillisText(Millis d) { return std::to_string(d.count()); }
}  // namespace

Result<ChatSettings> LoadChatSettings(store::TenantTx& tx) {
  CD_TRY_ASSIGN(auto stored, tx.GetChannelSettings("chat"));
  if (!stored) return ChatSettings{};
  return ParseChatSettings(stored->settings);
}

core::Event ChatEvent(const store::Chat& chat, std::string type, Timestamp at, UserId actor,
                      std::vector<std::pair<std::string, std::string>> data) {
  core::Event e;
  e.type = std::move(type);
  e.at = at;
  e.conversation_id = chat.conversation;
  e.actor = actor;
  e.data.emplace_back("chat_id", std::to_string(chat.id));
  for (auto& kv : data) e.data.push_back(std::move(kv));
  return e;
}

namespace {

// Appends `events` with the conversation's patient (the events of a conversation name it).
Result<void> AppendChatEvents(store::TenantTx& tx, ConversationId conversation,
                              std::vector<core::Event>& events) {
  if (events.empty()) return {};
  CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(conversation));
  for (core::Event& e : events) e.patient_id = c.patient_id;
  return tx.AppendEvents(events);
}

// The agent's load changed: the "longest idle" tie-break counts from now.
Result<void> TouchIdle(store::TenantTx& tx, UserId agent, Timestamp now) {
  CD_TRY_ASSIGN(auto presence, tx.GetPresence(agent));
  if (!presence) return {};
  presence->idle_since = now;
  return tx.PutPresence(*presence);
}

}  // namespace

Result<RoutingPass> RouteChats(store::TenantTx& tx, const ChatSettings& settings, Timestamp now) {
  CD_TRY(tx.LockKey("chat-routing"));
  RoutingPass pass;
  CD_TRY_ASSIGN(std::vector<core::AgentLoad> agents,
                tx.AgentLoads(now - settings.presence_timeout));
  std::map<UserId, core::AgentLoad*> by_id;
  for (core::AgentLoad& a : agents) by_id[a.user] = &a;
  auto unload = [&](UserId u) {
    if (auto it = by_id.find(u); it != by_id.end() && it->second->chats > 0) --it->second->chats;
  };
  CD_TRY_ASSIGN(std::vector<store::Chat> chats, tx.OpenChats());
  for (store::Chat& chat : chats) {
    if (chat.state != "waiting") continue;
    if (chat.patient_seen_at + settings.patient_timeout <= now) {
      unload(chat.offered_to);
      CD_TRY(EndChat(tx, chat, "patient_gone", UserId{0}, now));
      ++pass.abandoned;
      continue;
    }
    std::vector<core::Event> events;
    bool changed = false;
    if (chat.offered_to && chat.offer_expires_at && *chat.offer_expires_at <= now) {
      events.push_back(ChatEvent(chat, "chat_offer_expired", now, UserId{0},
                                 {{"agent_id", std::to_string(chat.offered_to.value)}}));
      unload(chat.offered_to);
      // An agent who lets an offer run out is not at their desk: they are set to busy, so the
      // next chats go to someone who is, and their console tells them why when they return.
      CD_TRY_ASSIGN(auto presence, tx.GetPresence(chat.offered_to));
      if (presence && presence->status == core::AgentStatus::kAvailable) {
        presence->status = core::AgentStatus::kBusy;
        presence->changed_at = now;
        CD_TRY(tx.PutPresence(*presence));
        if (auto it = by_id.find(chat.offered_to); it != by_id.end()) {
          it->second->status = core::AgentStatus::kBusy;
        }
        events.push_back(
            ChatEvent(chat, "agent_missed_chat", now, UserId{0},
                      {{"agent_id", std::to_string(chat.offered_to.value)}, {"status", "busy"}}));
      }
      chat.passed_over.push_back(chat.offered_to);
      chat.offered_to = UserId{0};
      chat.offer_expires_at.reset();
      changed = true;
      ++pass.expired;
    }
    if (!chat.offered_to) {
      core::ChatNeed need{chat.queue, chat.language, chat.passed_over};
      if (auto pick = core::PickAgent(agents, need)) {
        chat.offered_to = *pick;
        chat.offer_expires_at = now + settings.offer_timeout;
        core::AgentLoad& a = *by_id.at(*pick);
        ++a.chats;
        a.idle_since = now;
        CD_TRY(TouchIdle(tx, *pick, now));
        events.push_back(ChatEvent(chat, "chat_offered", now, UserId{0},
                                   {{"agent_id", std::to_string(pick->value)}}));
        changed = true;
        ++pass.offered;
      }
    }
    if (changed) {
      CD_TRY(tx.UpdateChat(chat));
      CD_TRY(AppendChatEvents(tx, chat.conversation, events));
    }
  }
  return pass;
}

Result<store::Chat> AcceptChat(store::TenantTx& tx, std::int64_t chat_id, UserId agent,
                               Timestamp now) {
  CD_TRY(tx.LockKey("chat-routing"));
  CD_TRY_ASSIGN(store::Chat chat, tx.GetChat(chat_id));
  if (chat.state != "waiting" || chat.offered_to != agent) {
    return Conflict("this chat is not offered to you (another agent may have it)");
  }
  chat.state = "active";
  chat.agent = agent;
  chat.answered_at = now;
  chat.offered_to = UserId{0};
  chat.offer_expires_at.reset();
  CD_TRY(tx.UpdateChat(chat));
  CD_TRY(TouchIdle(tx, agent, now));
  CD_TRY(AssignChatConversation(tx, chat, agent, agent, now,
                                {ChatEvent(chat, "chat_accepted", now, agent,
                                           {{"wait_ms", MillisText(now - chat.started_at)}})}));
  return chat;
}

Result<void> AssignChatConversation(store::TenantTx& tx, const store::Chat& chat, UserId agent,
                                    UserId actor, Timestamp now, std::vector<core::Event> also) {
  CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(chat.conversation));
  CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
  CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
  core::Routing routing;
  routing.assignee = agent;
  CD_TRY_ASSIGN(core::Decision d, core::Route(c, routing, policies, actor, now, cal));
  CD_TRY(tx.UpdateConversation(d.conversation, cal, now));
  for (core::Event& e : also) d.events.push_back(std::move(e));
  for (core::Event& e : d.events) e.patient_id = c.patient_id;
  return tx.AppendEvents(d.events);
}

Result<store::Chat> DeclineChat(store::TenantTx& tx, std::int64_t chat_id, UserId agent,
                                Timestamp now) {
  CD_TRY(tx.LockKey("chat-routing"));
  CD_TRY_ASSIGN(store::Chat chat, tx.GetChat(chat_id));
  if (chat.state != "waiting" || chat.offered_to != agent) {
    return Conflict("this chat is not offered to you");
  }
  chat.passed_over.push_back(agent);
  chat.offered_to = UserId{0};
  chat.offer_expires_at.reset();
  CD_TRY(tx.UpdateChat(chat));
  std::vector<core::Event> events{ChatEvent(chat, "chat_offer_declined", now, agent,
                                            {{"agent_id", std::to_string(agent.value)}})};
  CD_TRY(AppendChatEvents(tx, chat.conversation, events));
  return chat;
}

Result<store::Chat> EndChat(store::TenantTx& tx, store::Chat chat, std::string_view reason,
                            UserId actor, Timestamp now) {
  if (chat.state != "waiting" && chat.state != "active") return chat;
  bool answered = chat.state == "active";
  std::vector<core::Event> events;
  std::vector<std::pair<std::string, std::string>> data{{"reason", std::string(reason)}};
  if (answered) {
    data.emplace_back("wait_ms", MillisText(*chat.answered_at - chat.started_at));
    data.emplace_back("duration_ms", MillisText(now - *chat.answered_at));
    data.emplace_back("agent_id", std::to_string(chat.agent.value));
    CD_TRY(TouchIdle(tx, chat.agent, now));
  } else {
    data.emplace_back("wait_ms", MillisText(now - chat.started_at));
  }
  chat.state = answered ? "ended" : "abandoned";
  chat.end_reason = std::string(reason);
  chat.ended_at = now;
  chat.offered_to = UserId{0};
  chat.offer_expires_at.reset();
  CD_TRY(tx.UpdateChat(chat));
  events.push_back(
      ChatEvent(chat, answered ? "chat_ended" : "chat_abandoned", now, actor, std::move(data)));
  CD_TRY(AppendChatEvents(tx, chat.conversation, events));
  if (!answered) {
    // A patient who left a number or an address gets an answer there: the conversation stays
    // open with its SLA. Without one nobody can follow up, so it is resolved, not left to
    // breach a target nobody can meet; the question stays readable in the conversation.
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(chat.conversation));
    CD_TRY_ASSIGN(core::Patient patient, tx.GetPatient(c.patient_id));
    if (!patient.phone && !patient.email && c.status == core::Status::kOpen) {
      CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
      CD_TRY_ASSIGN(core::Decision d,
                    core::ChangeStatus(c, core::Status::kResolved, UserId{0}, now, cal));
      CD_TRY(tx.UpdateConversation(d.conversation, cal, now));
      CD_TRY(tx.AppendEvents(d.events));
    }
  }
  return chat;
}

ChatRouter::ChatRouter(store::Store& store, const Clock& clock, ChatRouterOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      loop_("chat_router", options_.interval, [this] { return RunOnce(); }) {}

Result<int> ChatRouter::RunOnce() {
  CD_TRY_ASSIGN(std::vector<TenantId> tenants, store_.TenantsWithWaitingChats());
  int offered = 0;
  for (TenantId tenant : tenants) {
    Timestamp now = clock_.Now();
    RoutingPass pass;
    auto r = store_.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(ChatSettings settings, LoadChatSettings(tx));
      CD_TRY_ASSIGN(pass, RouteChats(tx, settings, now));
      return {};
    });
    if (r) {
      offered += pass.offered;
      if ((pass.offered || pass.expired || pass.abandoned) && options_.on_change) {
        options_.on_change(tenant);
      }
    } else {
      log::Warn("chat_routing_failed",
                {{"tenant_id", tenant.value}, {"code", ErrorKindName(r.error().kind)}});
    }
  }
  return offered;
}

}  // namespace caredesk::jobs
