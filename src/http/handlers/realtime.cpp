// Real time: who may open a WebSocket, and what is pushed to whom after a change commits.
// Consoles get their practice's messages, conversation changes, chat offers and typing, limited
// to the queues their user serves; a patient's widget gets its own chat's messages from the
// practice, typing and the chat's state. Frames are JSON objects with a "type".
#include <boost/json.hpp>

#include <atomic>
#include <chrono>

#include "base/log.hpp"
#include "base/text.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/views.hpp"
#include "http/status.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

constexpr std::string_view kProtocol = "caredesk.v1";
// A client's typing notices are passed on at most this often.
constexpr std::chrono::milliseconds kTypingEvery{1000};

// The offered subprotocols: "caredesk.v1" and, optionally, a credential.
struct Offered {
  bool protocol = false;
  std::string credential;
};
Offered OfferedProtocols(const Request& request) {
  Offered out;
  auto header = request.headers.Get("sec-websocket-protocol");
  if (!header) return out;
  std::string_view rest = *header;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item == kProtocol) {
      out.protocol = true;
    } else if (!item.empty()) {
      out.credential = std::string(item);
    }
  }
  return out;
}

// host[:port] of an origin or URL ("https://a.example:8443/x" -> "a.example:8443").
std::string HostOf(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos)
    url.remove_prefix(scheme + 3);
  return AsciiLower(url.substr(0, url.find('/')));
}

// A browser's cookie reaches any page's WebSocket to us, so a cookie-authenticated console
// connection must come from the console's own origin (cross-site WebSocket hijacking).
bool SameOrigin(const Request& request, const ApiOptions& options) {
  auto origin = request.headers.Get("origin");
  if (!origin) return true;  // not a browser: no ambient cookie to abuse
  std::string from = HostOf(*origin);
  if (!options.public_url.empty() && from == HostOf(options.public_url)) return true;
  auto host = request.headers.Get("host");
  return host && from == AsciiLower(*host);
}

// Runs `fn` at most once per kTypingEvery for one connection (its strand calls it).
class TypingGate {
 public:
  bool Allow() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < kTypingEvery) return false;
    last_ = now;
    return true;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
};

void Announce(Hub& hub, json::object notice);

// What consoles see when a patient types, and what a widget sees when the practice does.
Frame PatientTyping(std::int64_t conversation, std::int64_t chat) {
  return MakeFrame(json::serialize(json::object{{"type", "typing"},
                                                {"who", "patient"},
                                                {"conversation_id", conversation},
                                                {"chat_id", chat}}));
}
Frame PracticeTyping() { return MakeFrame(R"({"type":"typing","who":"practice"})"); }
Frame ChatsChanged() { return MakeFrame(R"({"type":"chats"})"); }
Frame ConsentChanged() { return MakeFrame(R"({"type":"consent"})"); }

std::optional<json::object> ParseFrame(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

}  // namespace

Result<WsAccept> Api::Upgrade(Request& request) {
  ResolveClientAddress(request);
  Timestamp now = clock_.Now();
  bool staff = request.path == "/api/v1/ws";
  bool widget = request.path == "/api/v1/widget/ws";
  request.route = staff ? "/api/v1/ws" : widget ? "/api/v1/widget/ws" : "(no route)";
  if (!staff && !widget) return NotFound("no such resource");
  Offered offered = OfferedProtocols(request);
  WsAccept accept;
  if (offered.protocol) accept.protocol = std::string(kProtocol);
  Hub* hub = &hub_;
  auto registration = std::make_shared<std::atomic<std::uint64_t>>(0);
  auto typing = std::make_shared<TypingGate>();

  if (widget) {
    auto slug = request.Query("tenant");
    Error refused = MakeError(ErrorKind::kUnauthenticated, "missing or unknown chat token");
    if (!slug || !offered.credential.starts_with("cdc_")) return refused;
    CD_TRY_ASSIGN(auto tenant, store_.FindTenantBySlug(*slug));
    if (!tenant) return refused;
    std::string hash = security::HashSecret(offered.credential);
    CD_TRY_ASSIGN(auto chat, store::ReadValue<std::optional<store::Chat>>(
                                 store_, tenant->id,
                                 [&](store::TenantTx& tx) { return tx.FindChatByVisitor(hash); }));
    if (!chat) return refused;
    Audience audience;
    audience.tenant = tenant->id;
    audience.chat_id = chat->id;
    audience.conversation = chat->conversation;
    std::string queue = chat->queue;
    accept.on_open = [hub, audience, registration](const std::shared_ptr<WsConnection>& c) {
      registration->store(hub->Add(audience, c));
    };
    accept.on_close = [hub, registration] { hub->Remove(registration->load()); };
    accept.on_message = [hub, audience, queue, typing](std::string_view text) {
      auto frame = ParseFrame(text);
      if (!frame || !frame->contains("type") || frame->at("type") != "typing") return;
      if (!typing->Allow()) return;
      hub->ToStaff(audience.tenant, queue,
                   PatientTyping(audience.conversation.value, audience.chat_id));
      Announce(*hub, {{"kind", "typing"},
                      {"who", "patient"},
                      {"tenant", audience.tenant.value},
                      {"queue", queue},
                      {"conversation", audience.conversation.value},
                      {"chat", audience.chat_id}});
    };
    return accept;
  }

  // Staff: an API token offered as the credential, else the session cookie.
  store::Principal who;
  if (offered.credential.starts_with("cdk_")) {
    CD_TRY_ASSIGN(auto p, store_.AuthenticateToken(security::HashSecret(offered.credential), now));
    if (!p) return MakeError(ErrorKind::kUnauthenticated, "invalid or expired token");
    who = std::move(*p);
  } else if (auto cookie = CookieValue(request, kSessionCookie)) {
    if (!SameOrigin(request, options_)) {
      return MakeError(ErrorKind::kForbidden, "WebSocket from another origin");
    }
    CD_TRY_ASSIGN(auto p, store_.AuthenticateSession(security::HashSecret(*cookie), now,
                                                     options_.session_idle_timeout));
    if (!p) return MakeError(ErrorKind::kUnauthenticated, "session expired; sign in again");
    who = std::move(*p);
  } else {
    return MakeError(ErrorKind::kUnauthenticated, "authentication required");
  }
  if (who.role == core::Role::kAuditor || who.second_factor_pending) {
    return MakeError(ErrorKind::kForbidden, "your role does not allow this");
  }
  Audience audience;
  audience.tenant = who.tenant;
  audience.user = who.user;
  bool limited = (who.role == core::Role::kAgent || who.role == core::Role::kCounselor);
  if (limited) audience.queues = who.queues;
  accept.on_open = [hub, audience, registration](const std::shared_ptr<WsConnection>& c) {
    registration->store(hub->Add(audience, c));
    c->Send(MakeFrame(
        json::serialize(json::object{{"type", "hello"}, {"user_id", audience.user.value}})));
  };
  accept.on_close = [hub, registration] { hub->Remove(registration->load()); };
  accept.on_message = [hub, audience, typing](std::string_view text) {
    auto frame = ParseFrame(text);
    if (!frame || !frame->contains("type") || frame->at("type") != "typing") return;
    auto id = frame->find("conversation_id");
    if (id == frame->end() || !id->value().is_int64()) return;
    if (!typing->Allow()) return;
    // Only a patient connected to that conversation of this practice hears it.
    hub->ToConversation(audience.tenant, ConversationId{id->value().as_int64()}, PracticeTyping());
    Announce(*hub, {{"kind", "typing"},
                    {"who", "practice"},
                    {"tenant", audience.tenant.value},
                    {"conversation", id->value().as_int64()}});
  };
  return accept;
}

// ---- Pushes after a commit: delivered to this node's connections at once, and announced to
// the other nodes (ids only), which load what they need and deliver to theirs.

namespace {

void DeliverMessage(Hub& hub, TenantId tenant, std::string_view queue, const core::Message& m,
                    std::string_view author_name) {
  hub.ToStaff(tenant, queue,
              MakeFrame(json::serialize(json::object{{"type", "message"},
                                                     {"conversation_id", m.conversation_id.value},
                                                     {"queue", queue},
                                                     {"message", MessageView(m)}})));
  if (m.kind == core::MessageKind::kNote || m.channel != core::Channel::kChat) return;
  json::object patient = ChatMessageView(m);
  if (m.kind == core::MessageKind::kOutbound) patient["author"] = author_name;
  hub.ToConversation(tenant, m.conversation_id,
                     MakeFrame(json::serialize(
                         json::object{{"type", "message"}, {"message", std::move(patient)}})));
}

void DeliverConversation(Hub& hub, TenantId tenant, const json::object& view) {
  std::string_view queue;
  if (auto q = view.find("queue"); q != view.end() && q->value().is_string()) {
    queue = q->value().as_string();
  }
  hub.ToStaff(
      tenant, queue,
      MakeFrame(json::serialize(json::object{{"type", "conversation"}, {"conversation", view}})));
}

void DeliverChatState(Hub& hub, TenantId tenant, const store::Chat& chat,
                      std::string_view agent_name) {
  hub.ToStaff(tenant, {}, ChatsChanged());
  json::object frame{{"type", "chat"}, {"chat_id", chat.id}, {"state", chat.state}};
  if (!agent_name.empty()) frame["agent"] = agent_name;
  hub.ToChat(tenant, chat.id, MakeFrame(json::serialize(frame)));
}

void Announce(Hub& hub, json::object notice) {
  if (hub.node_id().empty()) return;
  notice["node"] = hub.node_id();
  hub.Announce(json::serialize(notice));
}

}  // namespace

void PushMessage(Context& ctx, TenantId tenant, std::string_view queue, const core::Message& m,
                 std::string_view author_name) {
  if (!ctx.hub) return;
  DeliverMessage(*ctx.hub, tenant, queue, m, author_name);
  Announce(*ctx.hub, {{"kind", "message"},
                      {"tenant", tenant.value},
                      {"conversation", m.conversation_id.value},
                      {"message", m.id.value},
                      {"queue", queue}});
}

void PushConversation(Context& ctx, TenantId tenant, const json::object& view) {
  if (!ctx.hub) return;
  DeliverConversation(*ctx.hub, tenant, view);
  if (auto id = view.find("id"); id != view.end() && id->value().is_int64()) {
    Announce(*ctx.hub, {{"kind", "conversation"},
                        {"tenant", tenant.value},
                        {"conversation", id->value().as_int64()}});
  }
}

void Api::NotifyChatsChanged(TenantId tenant) { PushChats(hub_, tenant); }

void PushChats(Hub& hub, TenantId tenant) {
  hub.ToStaff(tenant, {}, ChatsChanged());
  Announce(hub, {{"kind", "chats"}, {"tenant", tenant.value}});
}

void PushConsent(Hub& hub, TenantId tenant) {
  hub.ToStaff(tenant, {}, ConsentChanged());
  Announce(hub, {{"kind", "consent"}, {"tenant", tenant.value}});
}

void PushChatState(Context& ctx, TenantId tenant, const store::Chat& chat,
                   std::string_view agent_name) {
  if (!ctx.hub) return;
  DeliverChatState(*ctx.hub, tenant, chat, agent_name);
  Announce(*ctx.hub, {{"kind", "chat"}, {"tenant", tenant.value}, {"chat", chat.id}});
}

void Api::JoinCluster() {
  // A store shared with other nodes is one whose writes this node cannot track (see
  // Store::WriteGeneration); alone on SQLite there is nobody to tell.
  if (store_.WriteGeneration(TenantId{0}).has_value()) return;
  hub_.SetCluster(security::NewSecret().substr(0, 16), [this](const std::string& notice) {
    if (auto sent = store_.Publish(notice); !sent) {
      log::Warn("cluster_notice_failed", {{"code", ErrorKindName(sent.error().kind)}});
    }
  });
  if (auto listening = store_.Listen([this](std::string_view n) { OnClusterNotice(n); });
      !listening) {
    log::Error("cluster_listen_failed", {{"code", ErrorKindName(listening.error().kind)}});
  }
}

// Another node's notice: load what it names and deliver it to this node's connections. Runs on
// the store's listener thread.
void Api::OnClusterNotice(std::string_view payload) {
  auto parsed = ParseFrame(payload);
  if (!parsed) return;
  const json::object& n = *parsed;
  auto text = [&](std::string_view key) -> std::string {
    auto it = n.find(key);
    return it != n.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                    : std::string();
  };
  auto number = [&](std::string_view key) -> std::int64_t {
    auto it = n.find(key);
    return it != n.end() && it->value().is_int64() ? it->value().as_int64() : 0;
  };
  if (text("node") == hub_.node_id()) return;  // our own, already delivered
  TenantId tenant{number("tenant")};
  if (!tenant) return;
  std::string kind = text("kind");
  Result<void> loaded;
  if (kind == "chats") {
    hub_.ToStaff(tenant, {}, ChatsChanged());
  } else if (kind == "consent") {
    hub_.ToStaff(tenant, {}, ConsentChanged());
  } else if (kind == "typing") {
    if (text("who") == "patient") {
      hub_.ToStaff(tenant, text("queue"), PatientTyping(number("conversation"), number("chat")));
    } else {
      hub_.ToConversation(tenant, ConversationId{number("conversation")}, PracticeTyping());
    }
  } else if (kind == "message") {
    loaded = store_.Read(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(auto messages, tx.ListMessages(ConversationId{number("conversation")}));
      for (const core::Message& m : messages) {
        if (m.id.value != number("message")) continue;
        std::string author;
        if (m.kind == core::MessageKind::kOutbound && m.author) {
          if (auto user = tx.GetUser(m.author)) author = FirstName(user->display_name);
        }
        DeliverMessage(hub_, tenant, text("queue"), m, author);
      }
      return {};
    });
  } else if (kind == "conversation") {
    loaded = store_.Read(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(core::Conversation c,
                    tx.GetConversation(ConversationId{number("conversation")}));
      CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
      core::SlaView v = core::ViewSla(c, clock_.Now(), cal);
      DeliverConversation(hub_, tenant, ConversationView(c, v.state, v.due_at, clock_.Now()));
      return {};
    });
  } else if (kind == "chat") {
    loaded = store_.Read(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(store::Chat chat, tx.GetChat(number("chat")));
      std::string agent;
      if (chat.agent) {
        if (auto user = tx.GetUser(chat.agent)) agent = FirstName(user->display_name);
      }
      DeliverChatState(hub_, tenant, chat, agent);
      return {};
    });
  }
  if (!loaded) log::Warn("cluster_notice_unloaded", {{"kind", kind}});
}

}  // namespace caredesk::http
