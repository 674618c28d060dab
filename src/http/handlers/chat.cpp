// Live chat. The patient's side (/api/v1/widget/...) is public: a chat is started for a practice
// named by its slug, and the answer carries the chat's secret, which the widget sends back in
// X-Chat-Token to write, read and leave that chat and nothing else. The staff's side: presence,
// offers to accept or decline, ending a chat, and the supervisor's live view of queues and agents.
// Routing itself is jobs/chat_router; every change here routes again in the same transaction, so
// an offer follows at once rather than at the router's next pass.
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>

#include "base/text.hpp"
#include "channels/email/email.hpp"
#include "core/identity/verification.hpp"
#include "core/inbox/phone.hpp"
#include "core/inbox/transcript.hpp"
#include "core/routing/routing.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/inbound.hpp"
#include "http/handlers/views.hpp"
#include "http/json_input.hpp"
#include "http/status.hpp"
#include "jobs/chat_router.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

constexpr std::string_view kChatTokenHeader = "x-chat-token";
constexpr std::string_view kChatTokenPrefix = "cdc_";
// A waiting patient's polls refresh their "still here" time at most this often.
constexpr Millis kSeenRefresh = std::chrono::seconds(10);

std::int64_t Seconds(Millis d) {
  if (d == Millis::max()) return -1;
  return std::chrono::duration_cast<std::chrono::seconds>(d + std::chrono::milliseconds(999))
      .count();
}

Result<store::Tenant> TenantOfWidget(Context& ctx) {
  auto slug = ctx.request.Query("tenant");
  if (!slug || slug->empty()) return Invalid("tenant is required", "tenant");
  CD_TRY_ASSIGN(auto tenant, ctx.store.FindTenantBySlug(*slug));
  if (!tenant) return NotFound("no such practice");
  return *tenant;
}

// The language the patient asked for, if the practice offers it; else the practice's first.
std::string PickLanguage(const jobs::ChatSettings& settings, std::optional<std::string> asked) {
  if (asked) {
    std::string l = AsciiLower(asked->substr(0, 2));
    if (std::find(settings.languages.begin(), settings.languages.end(), l) !=
        settings.languages.end()) {
      return l;
    }
  }
  return settings.languages.empty() ? std::string("en") : settings.languages.front();
}

struct QueueState {
  core::ChatAvailability availability;
  int position = 0;  // of the chat asked about, among those waiting for the same need
};

// Availability for `need` now; with `chat`, its place among the waiting.
Result<QueueState> QueueStateOf(store::TenantTx& tx, const jobs::ChatSettings& settings,
                                const core::ChatNeed& need, Timestamp now,
                                const store::Chat* chat = nullptr) {
  CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
  CD_TRY_ASSIGN(auto agents, tx.AgentLoads(now - settings.presence_timeout));
  CD_TRY_ASSIGN(auto open, tx.OpenChats());
  // In line: chats waiting for the same queue that no agent has been offered yet (an offered
  // chat is about to be taken). A chat on offer is at the head of the line.
  int waiting = 0, position = 0;
  for (const store::Chat& c : open) {
    if (c.state != "waiting" || c.queue != need.queue) continue;
    if (chat && c.id == chat->id) position = waiting;
    if (!c.offered_to) ++waiting;
  }
  if (chat && chat->offered_to) position = 0;
  CD_TRY_ASSIGN(Millis mean, tx.MeanChatDuration(now - std::chrono::hours(24 * 7)));
  if (mean == Millis{0}) mean = settings.default_handle;
  QueueState out;
  out.position = position;
  out.availability = core::Availability(agents, need, cal.IsOpen(now), chat ? position : waiting,
                                        mean, settings.max_wait);
  if (!settings.enabled) out.availability.live = false;
  return out;
}

json::object AvailabilityView(const core::ChatAvailability& a) {
  return json::object{{"live", a.live},
                      {"open_hours", a.open_hours},
                      {"agents_available", a.agents_available},
                      {"waiting", a.waiting},
                      {"expected_wait_seconds", Seconds(a.expected_wait)}};
}

// The chat whose secret the request carries; kUnauthenticated otherwise (the same answer for a
// wrong secret and a wrong practice, so nothing is revealed).
Result<std::pair<store::Tenant, store::Chat>> ChatOfRequest(Context& ctx, store::TenantTx* tx) {
  auto token = ctx.request.headers.Get(kChatTokenHeader);
  Error refused = MakeError(ErrorKind::kUnauthenticated, "missing or unknown chat token");
  if (!token || !Trim(*token).starts_with(kChatTokenPrefix)) return refused;
  CD_TRY_ASSIGN(store::Tenant tenant, TenantOfWidget(ctx));
  std::string hash = security::HashSecret(Trim(*token));
  std::optional<store::Chat> chat;
  auto find = [&](store::TenantTx& t) -> Result<void> {
    CD_TRY_ASSIGN(chat, t.FindChatByVisitor(hash));
    return {};
  };
  if (tx) {
    CD_TRY(find(*tx));
  } else {
    CD_TRY(ctx.store.Read(tenant.id, find));
  }
  if (!chat) return refused;
  return std::pair{std::move(tenant), std::move(*chat)};
}

// kNotFound unless message `id` is one of the chat's (a read receipt names one).
Result<void> CheckMessageOfChat(store::TenantTx& tx, const store::Chat& chat, std::int64_t id) {
  CD_TRY_ASSIGN(auto messages, tx.ListMessages(chat.conversation));
  bool known = std::any_of(messages.begin(), messages.end(),
                           [&](const core::Message& m) { return m.id.value == id; });
  if (!known) return NotFound("no such message in this chat");
  return {};
}

json::object ChatView(const store::Chat& c) {
  return json::object{{"chat_id", c.id},
                      {"state", c.state},
                      {"queue", c.queue},
                      {"language", c.language},
                      {"started_at", FormatRfc3339(c.started_at)},
                      {"answered_at", TimeOrNull(c.answered_at)},
                      {"ended_at", TimeOrNull(c.ended_at)},
                      {"end_reason", c.end_reason},
                      {"patient_seen_message_id", c.patient_seen.value},
                      {"agent_seen_message_id", c.agent_seen.value}};
}

}  // namespace

std::string FirstName(std::string_view display_name) {
  std::string_view t = Trim(display_name);
  return std::string(t.substr(0, t.find(' ')));
}

Result<Response> GetWidgetStatus(Context& ctx) {
  CD_TRY_ASSIGN(store::Tenant tenant, TenantOfWidget(ctx));
  json::object out;
  CD_TRY(ctx.store.Read(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(jobs::ChatSettings settings, jobs::LoadChatSettings(tx));
    auto language = ctx.request.Query("language");
    core::ChatNeed need{
        settings.queue,
        PickLanguage(settings, language ? std::optional<std::string>(*language) : std::nullopt),
        {}};
    CD_TRY_ASSIGN(QueueState q, QueueStateOf(tx, settings, need, ctx.now));
    out = AvailabilityView(q.availability);
    json::array languages;
    for (const std::string& l : settings.languages) languages.emplace_back(l);
    out["languages"] = std::move(languages);
    out["practice"] = tenant.name;
    out["enabled"] = settings.enabled;
    return {};
  }));
  return JsonResponse(200, out);
}

Result<Response> StartChat(Context& ctx) {
  CD_TRY_ASSIGN(store::Tenant tenant, TenantOfWidget(ctx));
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"text", "language", "name",
                                                                  "phone", "email", "location"}));
  CD_TRY_ASSIGN(std::string text, RequireString(body, "text"));
  if (Trim(text).empty()) return Invalid("text must not be empty", "text");
  CD_TRY(core::ValidateMessageText(text));
  CD_TRY_ASSIGN(auto language, OptionalString(body, "language"));
  CD_TRY_ASSIGN(auto name, OptionalString(body, "name"));
  CD_TRY_ASSIGN(auto phone, OptionalString(body, "phone"));
  CD_TRY_ASSIGN(auto email, OptionalString(body, "email"));
  CD_TRY_ASSIGN(auto location, OptionalInt(body, "location"));
  CD_TRY_ASSIGN(jobs::ChatSettings settings,
                store::ReadValue<jobs::ChatSettings>(ctx.store, tenant.id, jobs::LoadChatSettings));
  if (!settings.enabled) return ProtocolError(409, "chat_disabled", "chat is turned off");

  Inbound in;
  in.channel = core::Channel::kChat;
  // Every chat is its own visitor: a secret in one browser must not open another chat's history.
  std::string secret = security::NewSecret(kChatTokenPrefix);
  in.from = "chat-" + security::HashSecret(secret).substr(0, 24);
  in.from_kind = Inbound::FromKind::kVisitor;
  in.text = text;
  in.queue = settings.queue;
  // The page the chat window sits on names the practice's location (data-location); the
  // transaction that stores the chat checks it is the practice's own.
  if (location) in.location = LocationId{*location};
  core::Patient details;
  details.language = PickLanguage(settings, language);
  if (name) details.name = std::string(Trim(*name).substr(0, 200));
  if (phone && !Trim(*phone).empty()) {
    CD_TRY_ASSIGN(details.phone, core::NormalizePhone(*phone, "1", "phone"));
    details.preferred_channel = core::Channel::kSms;
  }
  if (email && !Trim(*email).empty()) {
    CD_TRY_ASSIGN(details.email, core::NormalizeEmail(*email, "email"));
    if (!details.phone) details.preferred_channel = core::Channel::kEmail;
  }
  if (auto valid = core::ValidatePatient(details, ctx.now); !valid) return valid.error();
  in.details = details;

  auto record = [&](store::TenantTx& tx, const core::Conversation& c, const core::Message&,
                    json::object& answer) -> Result<void> {
    store::Chat chat;
    chat.conversation = c.id;
    chat.visitor_hash = security::HashSecret(secret);
    chat.visitor_id = in.from;
    chat.language = details.language;
    chat.queue = settings.queue;
    chat.started_at = chat.patient_seen_at = ctx.now;
    core::ChatNeed need{chat.queue, chat.language, {}};
    CD_TRY_ASSIGN(QueueState before, QueueStateOf(tx, settings, need, ctx.now));
    chat.state = before.availability.live ? "waiting" : "offline";
    if (!before.availability.live)
      chat.end_reason = before.availability.open_hours ? "no_agent" : "after_hours";
    CD_TRY_ASSIGN(chat, tx.InsertChat(chat));
    std::vector<core::Event> events{jobs::ChatEvent(
        chat, "chat_started", ctx.now, UserId{0},
        {{"queue", chat.queue},
         {"language", chat.language},
         {"live", before.availability.live ? "true" : "false"},
         {"agents_available", std::to_string(before.availability.agents_available)}})};
    events[0].patient_id = c.patient_id;
    CD_TRY(tx.AppendEvents(events));
    if (chat.state == "waiting") CD_TRY(jobs::RouteChats(tx, settings, ctx.now));
    CD_TRY_ASSIGN(chat, tx.GetChat(chat.id));
    CD_TRY_ASSIGN(QueueState after, QueueStateOf(tx, settings, need, ctx.now, &chat));
    for (auto& kv : ChatView(chat)) answer[kv.key()] = kv.value();
    answer["token"] = secret;
    answer["position"] = after.position;
    answer["availability"] = AvailabilityView(after.availability);
    answer["contact_left"] = details.phone.has_value() || details.email.has_value();
    return {};
  };
  CD_TRY_ASSIGN(StoredInbound stored, StoreInbound(ctx, tenant.id, in, std::nullopt, {}, record));
  if (ctx.hub) PushChats(*ctx.hub, tenant.id);
  return StoredResponse(std::move(stored));
}

Result<Response> GetChatForPatient(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  store::Tenant& tenant = found.first;
  store::Chat& chat = found.second;
  std::int64_t after = 0;
  if (auto a = ctx.request.Query("after")) {
    auto [end, ec] = std::from_chars(a->data(), a->data() + a->size(), after);
    if (ec != std::errc() || end != a->data() + a->size() || after < 0) {
      return Invalid("after must be a message id", "after");
    }
  }
  json::object out;
  CD_TRY(ctx.store.Read(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(jobs::ChatSettings settings, jobs::LoadChatSettings(tx));
    CD_TRY_ASSIGN(auto messages, tx.ListMessages(chat.conversation));
    std::map<UserId, std::string> names;
    json::array list;
    for (const core::Message& m : messages) {
      if (m.kind == core::MessageKind::kNote || m.id.value <= after) continue;
      json::object v = ChatMessageView(m);
      if (m.kind == core::MessageKind::kOutbound && m.author) {
        if (!names.contains(m.author)) {
          auto user = tx.GetUser(m.author);
          names[m.author] = user ? FirstName(user->display_name) : std::string();
        }
        v["author"] = names[m.author];
      }
      list.push_back(std::move(v));
    }
    out = ChatView(chat);
    out["messages"] = std::move(list);
    if (chat.agent) {
      auto user = tx.GetUser(chat.agent);
      out["agent"] = user ? FirstName(user->display_name) : std::string();
    }
    if (chat.state == "waiting") {
      core::ChatNeed need{chat.queue, chat.language, {}};
      CD_TRY_ASSIGN(QueueState q, QueueStateOf(tx, settings, need, ctx.now, &chat));
      out["position"] = q.position;
      out["availability"] = AvailabilityView(q.availability);
    }
    return {};
  }));
  // A waiting patient who still polls is still there (see ChatSettings::patient_timeout).
  if (chat.state == "waiting" && ctx.now - chat.patient_seen_at >= kSeenRefresh) {
    CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(store::Chat fresh, tx.GetChat(chat.id));
      fresh.patient_seen_at = ctx.now;
      return tx.UpdateChat(fresh);
    }));
  }
  return JsonResponse(200, out);
}

// Stores what the patient sent in their chat: `text`, with any attachments in `in`. The widget
// resends a message it has no answer for under the same client id; it is stored once
// (`content` is what a resend must match).
Result<Response> StoreChatMessage(Context& ctx, const store::Tenant& tenant,
                                  const store::Chat& chat, Inbound in,
                                  const std::optional<std::string>& client_id,
                                  std::string_view content) {
  std::optional<std::string> key;
  if (client_id) {
    bool sane = !client_id->empty() && client_id->size() <= 64 &&
                std::all_of(client_id->begin(), client_id->end(),
                            [](char c) { return c > 0x20 && c < 0x7f; });
    if (!sane) return Invalid("client_id must be 1 to 64 printable ASCII characters", "client_id");
    key = "chat:" + std::to_string(chat.id) + ":" + *client_id;
    in.metadata.emplace_back("client_id", *client_id);
  }
  in.channel = core::Channel::kChat;
  in.from = chat.visitor_id;
  in.from_kind = Inbound::FromKind::kVisitor;
  in.queue = chat.queue;
  in.thread = chat.conversation;
  auto seen = [&](store::TenantTx& tx, const core::Conversation&, const core::Message&,
                  json::object&) -> Result<void> {
    CD_TRY_ASSIGN(store::Chat fresh, tx.GetChat(chat.id));
    fresh.patient_seen_at = ctx.now;
    return tx.UpdateChat(fresh);
  };
  const std::string request_hash = key ? security::HashSecret(content) : std::string();
  CD_TRY_ASSIGN(StoredInbound stored, StoreInbound(ctx, tenant.id, in, key, request_hash, seen));
  return StoredResponse(std::move(stored));
}

Result<Response> PostChatMessage(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"text", "client_id"}));
  CD_TRY_ASSIGN(std::string text, RequireString(body, "text"));
  if (Trim(text).empty()) return Invalid("text must not be empty", "text");
  CD_TRY(core::ValidateMessageText(text));
  CD_TRY_ASSIGN(auto client_id, OptionalString(body, "client_id"));
  Inbound in;
  in.text = text;
  return StoreChatMessage(ctx, found.first, found.second, std::move(in), client_id, text);
}

// POST /api/v1/widget/chat/files?name=NAME[&client_id=ID], the file as the body: a photo or a
// PDF the patient sends (up to the server's upload limit). What it is comes from its bytes, not
// the name or the claimed type; anything else is 415. Stored as a message naming the file,
// with the file attached, for the console to show and download.
Result<Response> PostChatFile(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  UploadedFile uploaded = FileOfRequest(ctx);
  if (uploaded.refused) return std::move(*uploaded.refused);
  Inbound in;
  in.text = "\xF0\x9F\x93\x8E " + uploaded.file.filename;  // a paperclip
  in.attachments.push_back(std::move(uploaded.file));
  auto client_id = ctx.request.Query("client_id");
  return StoreChatMessage(ctx, found.first, found.second, std::move(in),
                          client_id ? std::optional<std::string>(*client_id) : std::nullopt,
                          ctx.request.body);
}

// POST /api/v1/widget/chat/transcript {"email"}: a copy of the chat, as the patient saw it
// (their messages and the practice's, never notes), mailed through the outbox to the address
// they give. At most 3 per chat; 409 when the practice has no mail account to send it from.
Result<Response> PostChatTranscript(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  const store::Tenant& tenant = found.first;
  const store::Chat& chat = found.second;
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"email"}));
  CD_TRY_ASSIGN(std::string typed, RequireString(body, "email"));
  CD_TRY_ASSIGN(std::string email, core::NormalizeEmail(typed, "email"));
  CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto account, tx.GetChannelSettings("email"));
    if (!account) return Conflict("this practice does not send email", "email");
    CD_TRY_ASSIGN(auto events, tx.ListEvents(chat.conversation));
    if (std::count_if(events.begin(), events.end(),
                      [](const core::Event& e) { return e.type == "chat_transcript_sent"; }) >= 3) {
      return Conflict("a copy of this chat was sent 3 times already", "email");
    }
    CD_TRY_ASSIGN(auto messages, tx.ListMessages(chat.conversation));
    std::map<UserId, std::string> names;
    std::vector<core::TranscriptLine> lines;
    for (const core::Message& m : messages) {
      if (m.kind == core::MessageKind::kNote) continue;
      std::string who = "You";
      if (m.kind != core::MessageKind::kInbound) {
        who = tenant.name;
        if (m.author) {
          if (!names.contains(m.author)) {
            auto user = tx.GetUser(m.author);
            names[m.author] = user ? FirstName(user->display_name) : tenant.name;
          }
          who = names[m.author];
        }
      }
      lines.push_back({m.created_at, std::move(who), m.text});
    }
    CD_TRY_ASSIGN(std::string text, core::FormatTranscript(tenant.name, tenant.time_zone, lines));
    channels::EmailEnvelope envelope;
    envelope.subject = "Your chat with " + tenant.name;
    envelope.text = std::move(text);
    store::OutboxItem item;
    item.conversation = chat.conversation;
    item.channel = "email";
    item.recipient = email;
    item.body = channels::EmailEnvelopeJson(envelope);
    item.purpose = "transcript";
    item.created_at = ctx.now;
    CD_TRY(tx.QueueOutbound(item));
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(chat.conversation));
    std::vector<core::Event> sent{
        jobs::ChatEvent(chat, "chat_transcript_sent", ctx.now, UserId{}, {})};
    sent[0].patient_id = c.patient_id;
    return tx.AppendEvents(sent);
  }));
  return JsonResponse(202, json::object{{"sent_to", core::MaskEmail(email)}});
}

Result<Response> PostChatSeen(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  store::Tenant& tenant = found.first;
  store::Chat& chat = found.second;
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"message_id"}));
  CD_TRY_ASSIGN(auto id, OptionalInt(body, "message_id"));
  if (!id || *id <= 0) return Invalid("message_id must be a message id", "message_id");
  store::Chat out;
  CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(out, tx.GetChat(chat.id));
    CD_TRY(CheckMessageOfChat(tx, out, *id));
    if (*id > out.patient_seen.value) out.patient_seen = MessageId{*id};
    out.patient_seen_at = ctx.now;
    return tx.UpdateChat(out);
  }));
  return JsonResponse(200, ChatView(out));
}

Result<Response> PostChatContact(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  store::Tenant& tenant = found.first;
  store::Chat& chat = found.second;
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"phone", "email", "name"}));
  CD_TRY_ASSIGN(auto phone, OptionalString(body, "phone"));
  CD_TRY_ASSIGN(auto email, OptionalString(body, "email"));
  CD_TRY_ASSIGN(auto name, OptionalString(body, "name"));
  if ((!phone || Trim(*phone).empty()) && (!email || Trim(*email).empty())) {
    return Invalid("give a phone number or an email address", "phone");
  }
  std::optional<std::string> e164, address;
  if (phone && !Trim(*phone).empty()) {
    CD_TRY_ASSIGN(e164, core::NormalizePhone(*phone, "1", "phone"));
  }
  if (email && !Trim(*email).empty()) {
    CD_TRY_ASSIGN(address, core::NormalizeEmail(*email, "email"));
  }
  CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(chat.conversation));
    CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(c.patient_id));
    // Only an anonymous chat's own record is filled in; what is there is never replaced, so a
    // chat cannot redirect the practice's answers once given.
    if (e164 && !p.phone) {
      p.phone = e164;
      p.preferred_channel = core::Channel::kSms;
    }
    if (address && !p.email) {
      p.email = address;
      if (!p.phone) p.preferred_channel = core::Channel::kEmail;
    }
    if (name && p.name.empty()) p.name = std::string(Trim(*name).substr(0, 200));
    p.updated_at = ctx.now;
    CD_TRY(core::ValidatePatient(p, ctx.now));
    CD_TRY(tx.UpdatePatient(p));
    std::vector<core::Event> events{jobs::ChatEvent(
        chat, "chat_contact_left", ctx.now, UserId{0},
        {{"phone", e164 ? "true" : "false"}, {"email", address ? "true" : "false"}})};
    events[0].patient_id = c.patient_id;
    return tx.AppendEvents(events);
  }));
  return JsonResponse(200, json::object{{"contact_left", true}});
}

Result<Response> LeaveChat(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  store::Tenant& tenant = found.first;
  store::Chat& chat = found.second;
  store::Chat out;
  CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Chat fresh, tx.GetChat(chat.id));
    CD_TRY_ASSIGN(out, jobs::EndChat(tx, fresh, "patient_left", UserId{0}, ctx.now));
    return {};
  }));
  PushChatState(ctx, tenant.id, out, {});
  return JsonResponse(200, ChatView(out));
}

// POST /api/v1/widget/chat/rating {"score": 1..5}: the patient's stars once an agent answered
// the chat (the CSAT figure). A later rating replaces the earlier one in the figures; a
// conversation takes at most 5.
Result<Response> RateChat(Context& ctx) {
  CD_TRY_ASSIGN(auto found, ChatOfRequest(ctx, nullptr));
  const store::Tenant& tenant = found.first;
  const store::Chat& chat = found.second;
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"score"}));
  CD_TRY_ASSIGN(auto score, OptionalInt(body, "score"));
  if (!score) return Invalid("field is required", "score");
  CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Chat fresh, tx.GetChat(chat.id));
    if (!fresh.answered_at) return Conflict("nobody has answered this chat yet", "score");
    CD_TRY_ASSIGN(auto events, tx.ListEvents(fresh.conversation));
    if (std::count_if(events.begin(), events.end(),
                      [](const core::Event& e) { return e.type == "survey_answered"; }) >= 5) {
      return Conflict("this chat was rated 5 times already", "score");
    }
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(fresh.conversation));
    CD_TRY_ASSIGN(core::Decision d, core::RecordSurvey(c, "csat", *score, UserId{0}, ctx.now));
    return tx.AppendEvents(d.events);
  }));
  return JsonResponse(200, json::object{{"score", *score}});
}

// ---- The staff's side.

namespace {

json::object PresenceView(const store::AgentPresence& p) {
  return json::object{{"status", core::Name(p.status)},
                      {"max_chats", p.max_chats},
                      {"changed_at", FormatRfc3339(p.changed_at)}};
}

// The chat `ctx.ids[0]` with the practice's routing lock held, then `fn`; answers the chat.
template <class Fn>
Result<Response> ChatCommand(Context& ctx, Fn fn) {
  store::Chat out;
  std::string agent_name;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(jobs::ChatSettings settings, jobs::LoadChatSettings(tx));
    CD_TRY_ASSIGN(out, fn(tx, settings));
    CD_TRY(jobs::RouteChats(tx, settings, ctx.now));
    CD_TRY(tx.AppendAudit(AuditOf(ctx, "update", "chat", out.id, PatientId{0}, "chat")));
    if (out.agent) {
      CD_TRY_ASSIGN(store::User agent, tx.GetUser(out.agent));
      agent_name = FirstName(agent.display_name);
    }
    return {};
  }));
  PushChatState(ctx, ctx.who.tenant, out, agent_name);
  return JsonResponse(200, ChatView(out));
}

}  // namespace

Result<Response> GetPresence(Context& ctx) {
  CD_TRY_ASSIGN(auto presence, store::ReadValue<std::optional<store::AgentPresence>>(
                                   ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                                     return tx.GetPresence(ctx.who.user);
                                   }));
  store::AgentPresence p = presence.value_or(store::AgentPresence{});
  return JsonResponse(200, PresenceView(p));
}

Result<Response> PutPresence(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"status", "max_chats"}));
  CD_TRY_ASSIGN(auto status_text, OptionalString(body, "status"));
  CD_TRY_ASSIGN(auto max_chats, OptionalInt(body, "max_chats"));
  std::optional<core::AgentStatus> status;
  if (status_text) {
    status = core::ParseAgentStatus(*status_text);
    if (!status) return Invalid("status must be available, busy, on_break or offline", "status");
  }
  if (max_chats && (*max_chats < 1 || *max_chats > core::kMaxChatsLimit)) {
    return Invalid("max_chats must be from 1 to " + std::to_string(core::kMaxChatsLimit),
                   "max_chats");
  }
  store::AgentPresence out;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto stored, tx.GetPresence(ctx.who.user));
    store::AgentPresence p = stored.value_or(store::AgentPresence{});
    p.user = ctx.who.user;
    if (!stored) p.changed_at = p.idle_since = ctx.now;
    if (status && *status != p.status) {
      p.status = *status;
      p.changed_at = ctx.now;
      if (*status == core::AgentStatus::kAvailable) p.idle_since = ctx.now;
    }
    if (max_chats) p.max_chats = static_cast<int>(*max_chats);
    p.seen_at = ctx.now;  // the console calls this as its heartbeat too
    CD_TRY(tx.PutPresence(p));
    CD_TRY_ASSIGN(jobs::ChatSettings settings, jobs::LoadChatSettings(tx));
    CD_TRY(jobs::RouteChats(tx, settings, ctx.now));
    out = p;
    return {};
  }));
  if (ctx.hub) PushChats(*ctx.hub, ctx.who.tenant);
  return JsonResponse(200, PresenceView(out));
}

Result<Response> ListMyChats(Context& ctx) {
  json::array offered, active;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto chats, tx.OpenChats());
    for (const store::Chat& c : chats) {
      json::object v = ChatView(c);
      v["conversation_id"] = c.conversation.value;
      v["waited_seconds"] = Seconds(ctx.now - c.started_at);
      if (c.state == "waiting" && c.offered_to == ctx.who.user) {
        v["offer_expires_at"] = TimeOrNull(c.offer_expires_at);
        offered.push_back(std::move(v));
      } else if (c.state == "active" && c.agent == ctx.who.user) {
        active.push_back(std::move(v));
      }
    }
    return {};
  }));
  return JsonResponse(200,
                      json::object{{"offered", std::move(offered)}, {"active", std::move(active)}});
}

Result<Response> AcceptChatOffer(Context& ctx) {
  return ChatCommand(ctx, [&](store::TenantTx& tx, const jobs::ChatSettings&) {
    return jobs::AcceptChat(tx, ctx.ids.at(0), ctx.who.user, ctx.now);
  });
}

// Read receipts the other way: what the agent has read, shown in the patient's widget.
Result<Response> ChatSeenByAgent(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"message_id"}));
  CD_TRY_ASSIGN(auto id, OptionalInt(body, "message_id"));
  if (!id || *id <= 0) return Invalid("message_id must be a message id", "message_id");
  store::Chat out;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(out, tx.GetChat(ctx.ids.at(0)));
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(out.conversation));
    if (!SeesQueue(ctx.who, c.queue)) return NotFound("chat not found");
    CD_TRY(CheckMessageOfChat(tx, out, *id));
    if (*id <= out.agent_seen.value) return {};
    out.agent_seen = MessageId{*id};
    return tx.UpdateChat(out);
  }));
  if (ctx.hub) {
    ctx.hub->ToChat(ctx.who.tenant, out.id,
                    MakeFrame(json::serialize(json::object{
                        {"type", "seen"}, {"agent_seen_message_id", out.agent_seen.value}})));
  }
  return JsonResponse(200, ChatView(out));
}

Result<Response> DeclineChatOffer(Context& ctx) {
  return ChatCommand(ctx, [&](store::TenantTx& tx, const jobs::ChatSettings&) {
    return jobs::DeclineChat(tx, ctx.ids.at(0), ctx.who.user, ctx.now);
  });
}

Result<Response> EndChatByAgent(Context& ctx) {
  return ChatCommand(
      ctx, [&](store::TenantTx& tx, const jobs::ChatSettings&) -> Result<store::Chat> {
        CD_TRY_ASSIGN(store::Chat chat, tx.GetChat(ctx.ids.at(0)));
        if (chat.state != "active") return Conflict("only a chat in progress can be ended");
        bool lead = ctx.who.role == core::Role::kSupervisor || ctx.who.role == core::Role::kAdmin;
        if (chat.agent != ctx.who.user && !lead) {
          return MakeError(ErrorKind::kForbidden, "only the chat's agent or a supervisor ends it");
        }
        return jobs::EndChat(tx, chat, "agent_ended", ctx.who.user, ctx.now);
      });
}

// A supervisor gives a waiting or active chat to an agent (themself to take it over).
Result<Response> AssignChat(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"agent_id"}));
  CD_TRY_ASSIGN(auto agent_id, OptionalInt(body, "agent_id"));
  if (!agent_id || *agent_id <= 0) return Invalid("agent_id is required", "agent_id");
  UserId agent{*agent_id};
  return ChatCommand(
      ctx, [&](store::TenantTx& tx, const jobs::ChatSettings&) -> Result<store::Chat> {
        CD_TRY_ASSIGN(store::User user, tx.GetUser(agent));  // kNotFound for another practice's
        if (!user.active || user.role == core::Role::kAuditor) {
          return Invalid("that user cannot take chats", "agent_id");
        }
        CD_TRY(tx.LockKey("chat-routing"));
        CD_TRY_ASSIGN(store::Chat chat, tx.GetChat(ctx.ids.at(0)));
        if (chat.state != "waiting" && chat.state != "active") {
          return Conflict("the chat has ended");
        }
        // Offered to the new agent and taken at once: a supervisor's hand-over needs no accepting.
        chat.state = "waiting";
        chat.offered_to = agent;
        CD_TRY(tx.UpdateChat(chat));
        std::vector<core::Event> events{
            jobs::ChatEvent(chat, "chat_reassigned", ctx.now, ctx.who.user,
                            {{"from_agent_id", std::to_string(chat.agent.value)},
                             {"agent_id", std::to_string(agent.value)}})};
        CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(chat.conversation));
        events[0].patient_id = c.patient_id;
        CD_TRY(tx.AppendEvents(events));
        if (chat.answered_at) {
          // Already answered: the wait ended then, so only the agent changes.
          CD_TRY(jobs::AssignChatConversation(tx, chat, agent, ctx.who.user, ctx.now));
          chat.state = "active";
          chat.agent = agent;
          chat.offered_to = UserId{0};
          CD_TRY(tx.UpdateChat(chat));
          return chat;
        }
        return jobs::AcceptChat(tx, chat.id, agent, ctx.now);
      });
}

Result<Response> GetLiveChats(Context& ctx) {
  json::object out;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(jobs::ChatSettings settings, jobs::LoadChatSettings(tx));
    CD_TRY_ASSIGN(auto agents, tx.AgentLoads(ctx.now - settings.presence_timeout));
    CD_TRY_ASSIGN(auto users, tx.ListUsers());
    std::map<UserId, const store::User*> by_id;
    for (const store::User& u : users) by_id[u.id] = &u;
    json::array agent_list;
    for (const core::AgentLoad& a : agents) {
      const store::User* u = by_id.count(a.user) ? by_id[a.user] : nullptr;
      agent_list.push_back(json::object{{"user_id", a.user.value},
                                        {"display_name", u ? u->display_name : std::string()},
                                        {"status", core::Name(a.status)},
                                        {"chats", a.chats},
                                        {"max_chats", a.max_chats},
                                        {"idle_since", FormatRfc3339(a.idle_since)}});
    }
    CD_TRY_ASSIGN(auto chats, tx.OpenChats());
    std::map<std::string, json::array> waiting_by_queue;
    json::array active;
    for (const store::Chat& c : chats) {
      json::object v = ChatView(c);
      v["conversation_id"] = c.conversation.value;
      v["offered_to"] = c.offered_to.value;
      v["passed_over"] = static_cast<std::int64_t>(c.passed_over.size());
      v["agent_id"] = c.agent.value;
      v["waited_seconds"] = Seconds((c.answered_at ? *c.answered_at : ctx.now) - c.started_at);
      // A chat nobody took within the offer time, or that an agent let pass, needs a look.
      v["at_risk"] = c.state == "waiting" &&
                     (!c.passed_over.empty() || ctx.now - c.started_at >= settings.offer_timeout);
      if (c.state == "waiting") {
        waiting_by_queue[c.queue].push_back(std::move(v));
      } else {
        active.push_back(std::move(v));
      }
    }
    json::array queues;
    for (auto& [queue, waiting] : waiting_by_queue) {
      queues.push_back(json::object{{"queue", queue}, {"waiting", std::move(waiting)}});
    }
    out = json::object{{"agents", std::move(agent_list)},
                       {"queues", std::move(queues)},
                       {"active", std::move(active)}};
    return {};
  }));
  return JsonResponse(200, out);
}

Result<Response> GetChatSettings(Context& ctx) {
  CD_TRY_ASSIGN(
      jobs::ChatSettings settings,
      store::ReadValue<jobs::ChatSettings>(ctx.store, ctx.who.tenant, jobs::LoadChatSettings));
  Response r = JsonResponse(200, json::parse(jobs::ChatSettingsJson(settings)));
  return r;
}

Result<Response> PutChatSettings(Context& ctx) {
  CD_TRY_ASSIGN(jobs::ChatSettings settings, jobs::ParseChatSettings(ctx.request.body));
  std::string text = jobs::ChatSettingsJson(settings);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutChannelSettings({"chat", text, ""}, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "update", "settings", 0, PatientId{0}, "chat"));
  }));
  return JsonResponse(200, json::parse(text));
}

}  // namespace caredesk::http
