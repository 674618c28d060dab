// The inbox: list, read, and staff commands on one conversation (reply, note, assign,
// status, tags). Each command loads, decides in core, and stores state + events in one
// transaction.
#include <boost/json/array.hpp>

#include <charconv>

#include "base/text.hpp"
#include "channels/email/email.hpp"
#include "channels/email/mime.hpp"
#include "channels/sms/text.hpp"
#include "core/inbox/files.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/identity.hpp"
#include "http/handlers/views.hpp"
#include "http/json_input.hpp"
#include "http/status.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

Result<std::int64_t> ParsePositive(std::string_view text, const char* field) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v <= 0) {
    return Invalid("must be a positive integer", field);
  }
  return v;
}

Result<store::InboxFilter> ParseInboxQuery(const Context& ctx) {
  store::InboxFilter f;
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "status") {
      f.status = core::ParseStatus(value);
      if (!f.status) return Invalid("status must be open, pending, resolved or closed", "status");
    } else if (key == "queue") {
      if (value.empty() || value.size() > 64)
        return Invalid("queue must have 1 to 64 characters", "queue");
      f.queue = value;
    } else if (key == "assignee") {
      if (value == "none") {
        f.assignee = UserId{0};
      } else if (value == "me") {
        f.assignee = ctx.who.user;
      } else {
        CD_TRY_ASSIGN(std::int64_t id, ParsePositive(value, "assignee"));
        f.assignee = UserId{id};
      }
    } else if (key == "channel") {
      f.channel = core::ParseChannel(value);
      if (!f.channel)
        return Invalid("channel must be one of chat, sms, email, phone, web", "channel");
    } else if (key == "category") {
      f.category = core::ParseCategory(value);
      if (!f.category) return Invalid("unknown category", "category");
    } else if (key == "sla") {
      if (value != "at_risk" && value != "breached" && value != "at_risk_or_breached") {
        return Invalid("sla must be at_risk, breached or at_risk_or_breached", "sla");
      }
      f.sla = value;
    } else if (key == "patient_id") {
      CD_TRY_ASSIGN(std::int64_t id, ParsePositive(value, "patient_id"));
      f.patient = PatientId{id};
    } else if (key == "q") {
      if (value.size() > 200 || !IsValidUtf8(value))
        return Invalid("q must be at most 200 characters of text", "q");
      f.search_tokens = SearchTokens(value);
      if (f.search_tokens.empty())
        return Invalid("q must contain a word of at least 2 characters", "q");
      if (f.search_tokens.size() > 8) return Invalid("q may contain at most 8 words", "q");
    } else if (key == "limit") {
      CD_TRY_ASSIGN(std::int64_t limit, ParsePositive(value, "limit"));
      if (limit > 200) return Invalid("limit must be between 1 and 200", "limit");
      f.limit = static_cast<int>(limit);
    } else if (key == "cursor") {
      f.cursor = value;
    } else if (key == "sort") {
      if (value == "recent")
        f.sort = store::InboxFilter::Sort::kRecent;
      else if (value == "time_left")
        f.sort = store::InboxFilter::Sort::kTimeLeft;
      else
        return Invalid("sort must be recent or time_left", "sort");
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  if (RestrictedToQueues(ctx.who)) f.within_queues = ctx.who.queues;
  return f;
}

// Loads the conversation, runs `decide`, stores the new state and its events; answers with
// the updated conversation. `make_message` optionally creates a message in the same commit.
// `what` names the command in the audit log.
// Runs in the command's transaction once its message is stored (to queue it for sending).
using AfterMessage =
    std::function<Result<void>(store::TenantTx&, const core::Conversation&, const core::Message&)>;

template <class Decide>
Result<Response> Command(Context& ctx, int status, std::string_view what, Decide decide,
                         std::optional<core::Message> message = std::nullopt,
                         const AfterMessage& after_message = nullptr) {
  ConversationId id{ctx.ids.at(0)};
  json::object out;
  std::optional<core::Message> pushed;  // the stored message, pushed once committed
  std::string author_name;
  auto stored = ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    pushed.reset();
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(id));
    if (!SeesQueue(ctx.who, c.queue)) return NotFound("conversation not found");
    CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
    CD_TRY_ASSIGN(core::Decision d, decide(tx, c, cal));
    if (d.events.empty()) {  // nothing changed
      core::SlaView v = core::ViewSla(c, ctx.now, cal);
      out = json::object{{"conversation", ConversationView(c, v.state, v.due_at, ctx.now)}};
      return {};
    }
    CD_TRY(tx.UpdateConversation(d.conversation, cal, ctx.now));
    if (message) {
      message->conversation_id = id;
      message->channel = c.channel;
      if (message->kind == core::MessageKind::kOutbound && c.channel == core::Channel::kChat) {
        // A patient in the chat reads it there as soon as it is stored.
        CD_TRY_ASSIGN(auto chat, tx.ChatOfConversation(id));
        if (chat && (chat->state == "waiting" || chat->state == "active")) {
          message->delivery = core::DeliveryStatus::kSent;
        }
      }
      CD_TRY_ASSIGN(core::Message m, tx.InsertMessage(*message));
      if (after_message) CD_TRY(after_message(tx, d.conversation, m));
      pushed = m;
      if (m.kind == core::MessageKind::kOutbound && m.channel == core::Channel::kChat) {
        CD_TRY_ASSIGN(store::User author, tx.GetUser(ctx.who.user));
        author_name = FirstName(author.display_name);
      }
      out["message_id"] = m.id.value;
      for (core::Event& e : d.events) {
        if (e.type == "reply_sent" || e.type == "note_added") {
          e.data.emplace_back("message_id", std::to_string(m.id.value));
        }
      }
    }
    CD_TRY(tx.AppendEvents(d.events));
    CD_TRY(tx.AppendAudit(
        AuditOf(ctx, "update", "conversation", id.value, c.patient_id, std::string(what))));
    core::SlaView v = core::ViewSla(d.conversation, ctx.now, cal);
    out["conversation"] = ConversationView(d.conversation, v.state, v.due_at, ctx.now);
    return {};
  });
  if (!stored) return stored.error();
  if (pushed) {
    PushMessage(ctx, ctx.who.tenant, out["conversation"].as_object().at("queue").as_string(),
                *pushed, author_name);
  }
  if (auto view = out.find("conversation"); view != out.end() && view->value().is_object()) {
    PushConversation(ctx, ctx.who.tenant, view->value().as_object());
  }
  return JsonResponse(status, out);
}

core::Message StaffMessage(const Context& ctx, core::MessageKind kind, std::string text) {
  core::Message m;
  m.kind = kind;
  m.author = ctx.who.user;
  m.text = std::move(text);
  // Outbound delivery belongs to the outbox (text messages and email issue); until a channel
  // sends it, a reply waits as queued.
  m.delivery = kind == core::MessageKind::kNote ? core::DeliveryStatus::kReceived
                                                : core::DeliveryStatus::kQueued;
  m.created_at = ctx.now;
  return m;
}

// Names one user's view: the tenant, the user (a page is only served to whom it was rendered
// for, whatever access rules later make pages differ between users) and every filter field.
std::string InboxPageKey(const store::Principal& who, const store::InboxFilter& f) {
  std::string key = std::to_string(who.tenant.value) + "/" + std::to_string(who.user.value);
  auto add = [&](char name, std::string_view value) {
    key.push_back('\x1f');
    key.push_back(name);
    key.append(value);
  };
  if (f.status) add('s', core::Name(*f.status));
  if (f.queue) add('q', *f.queue);
  if (f.assignee) add('a', std::to_string(f.assignee->value));
  if (f.channel) add('c', core::Name(*f.channel));
  if (f.category) add('k', core::Name(*f.category));
  if (f.sla) add('l', *f.sla);
  if (f.patient) add('p', std::to_string(f.patient->value));
  for (const std::string& token : f.search_tokens) add('w', token);
  for (const std::string& queue : f.within_queues) add('v', queue);
  add('o', f.sort == store::InboxFilter::Sort::kTimeLeft ? "t" : "r");
  add('n', std::to_string(f.limit));
  if (f.cursor) add('x', *f.cursor);
  return key;
}

Response PageResponse(const PageText& page, Timestamp now) {
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "application/json");
  r.body = page.Fill(now);
  return r;
}

// Where a page for this view is kept, and the page if it is still current. Pages are kept under
// the tenant's write generation, read before the read snapshot begins: a page is served again
// only while no write has committed since, so a client that saw its write acknowledged never
// reads a page from before it. `generation` is empty when pages cannot be kept.
struct KeptLookup {
  std::optional<std::uint64_t> generation;
  std::string key;
  std::shared_ptr<const PageText> page;
};

KeptLookup LookUpKept(const Context& ctx, const store::InboxFilter& filter) {
  KeptLookup out;
  if (!ctx.inbox_pages.enabled()) return out;
  out.generation = ctx.store.WriteGeneration(ctx.who.tenant);
  if (!out.generation) return out;
  out.key = InboxPageKey(ctx.who, filter);
  out.page = ctx.inbox_pages.Find(out.key, *out.generation);
  return out;
}

}  // namespace

Result<Response> ListConversations(Context& ctx) {
  CD_TRY_ASSIGN(store::InboxFilter filter, ParseInboxQuery(ctx));
  KeptLookup kept = LookUpKept(ctx, filter);
  if (kept.page) return PageResponse(*kept.page, ctx.now);
  CD_TRY_ASSIGN(store::InboxPage page, store::ReadValue<store::InboxPage>(
                                           ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                                             return tx.ListConversations(filter);
                                           }));
  // Written straight to text: building and serializing a json::object per row was a quarter of
  // the inbox read's CPU.
  auto rendered = std::make_shared<PageText>();
  std::string& body = rendered->text;
  body.reserve(64 + page.items.size() * 700);
  body += R"({"items":[)";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    const store::InboxItem& item = page.items[i];
    if (i) body.push_back(',');
    AppendConversationJson(*rendered, item.conversation, item.sla_state, item.sla_due_at,
                           item.patient_name);
  }
  body += R"(],"next_cursor":)";
  if (page.next_cursor) {
    AppendJsonString(body, *page.next_cursor);
  } else {
    body += "null";
  }
  body.push_back('}');
  // What this user was shown, once per rendering: a page served again from memory to the same
  // user showed nothing new.
  std::string shown = "patients=";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i) shown.push_back(',');
    shown += std::to_string(page.items[i].conversation.patient_id.value);
  }
  ctx.audit.Record(ctx.who.tenant,
                   AuditOf(ctx, "read", "conversation_list", 0, PatientId{}, std::move(shown)));
  Response r = PageResponse(*rendered, ctx.now);
  if (kept.generation) {
    ctx.inbox_pages.Put(std::move(kept.key), *kept.generation, std::move(rendered));
  }
  return r;
}

std::optional<Response> ListConversationsKept(Context& ctx) {
  auto filter = ParseInboxQuery(ctx);
  if (!filter) return std::nullopt;  // the full path answers the error
  KeptLookup kept = LookUpKept(ctx, *filter);
  if (!kept.page) return std::nullopt;
  return PageResponse(*kept.page, ctx.now);
}

Result<Response> GetConversation(Context& ctx) {
  ConversationId id{ctx.ids.at(0)};
  json::object out;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(id));
    // Outside the caller's queues it does not exist for them, like another practice's.
    if (!SeesQueue(ctx.who, c.queue)) return NotFound("conversation not found");
    CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
    CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(c.patient_id));
    CD_TRY_ASSIGN(auto messages, tx.ListMessages(id));
    CD_TRY_ASSIGN(auto events, tx.ListEvents(id));
    core::SlaView v = core::ViewSla(c, ctx.now, cal);
    out = ConversationView(c, v.state, v.due_at, ctx.now);
    // Until the person is verified, the agent sees the record masked (see handlers/identity).
    CD_TRY_ASSIGN(DisclosureState disclosure, DisclosureOf(tx, c.id, ctx.now));
    out["patient"] = MaskedPatientView(p, disclosure.allowed);
    out["verification"] = DisclosureView(disclosure, ctx.now);
    // What the composer needs to say before the agent texts: may this number be texted.
    out["sms_consent"] = nullptr;
    if (p.phone) {
      CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent(*p.phone));
      json::object c{{"opted_out", consent && consent->opted_out},
                     {"keyword", nullptr},
                     {"changed_at", nullptr}};
      if (consent) {
        c["keyword"] = consent->keyword;
        c["changed_at"] = FormatRfc3339(consent->changed_at);
      }
      out["sms_consent"] = std::move(c);
    }
    CD_TRY_ASSIGN(auto attachments, tx.ListAttachments(id));
    json::array ms, es;
    for (const auto& m : messages) {
      json::object view = MessageView(m);
      json::array files;
      for (const store::Attachment& a : attachments) {
        if (a.message != m.id) continue;
        files.emplace_back(json::object{{"id", a.id},
                                        {"filename", a.filename},
                                        {"content_type", a.content_type},
                                        {"size", a.size}});
      }
      view["attachments"] = std::move(files);
      ms.emplace_back(std::move(view));
    }
    for (const auto& e : events) es.emplace_back(EventView(e));
    out["messages"] = std::move(ms);
    out["events"] = std::move(es);
    ctx.audit.Record(ctx.who.tenant, AuditOf(ctx, "read", "conversation", id.value, p.id));
    return {};
  }));
  return JsonResponse(200, out);
}

// POST /api/v1/conversations: staff start a conversation with a patient by text or email, not
// only answer one. The message is queued in the outbox in the same transaction; a text the
// practice starts waits out its quiet hours (purpose "outreach"); a number that said STOP is
// refused at once. The conversation opens pending, waiting on the patient (core::StartOutreach).
Result<Response> StartConversation(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"patient_id", "channel", "text",
                                                                  "queue", "subject"}));
  CD_TRY_ASSIGN(auto patient_id, OptionalInt(body, "patient_id"));
  if (!patient_id || *patient_id <= 0) {
    return Invalid("patient_id must be a positive integer", "patient_id");
  }
  CD_TRY_ASSIGN(std::string channel_name, RequireString(body, "channel"));
  auto channel = core::ParseChannel(channel_name);
  if (!channel || (*channel != core::Channel::kSms && *channel != core::Channel::kEmail)) {
    return Invalid("channel must be sms or email", "channel");
  }
  CD_TRY_ASSIGN(std::string text, RequireString(body, "text"));
  CD_TRY(core::ValidateMessageText(text));
  CD_TRY_ASSIGN(auto queue, OptionalString(body, "queue"));
  if (queue && (queue->empty() || queue->size() > 64)) {
    return Invalid("queue must have 1 to 64 characters", "queue");
  }
  std::string in_queue = queue.value_or("front-desk");
  if (!SeesQueue(ctx.who, in_queue)) {
    return MakeError(ErrorKind::kForbidden, "you do not serve that queue", "queue");
  }
  CD_TRY_ASSIGN(auto subject, OptionalString(body, "subject"));
  if (subject && (subject->size() > 200 || subject->find_first_of("\r\n") != std::string::npos)) {
    return Invalid("subject must be one line of at most 200 characters", "subject");
  }
  if (subject && *channel != core::Channel::kEmail) {
    return Invalid("subject is for email only", "subject");
  }
  json::object out;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(PatientId{*patient_id}));  // 404 if foreign
    CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
    store::OutboxItem item;
    std::optional<channels::EmailEnvelope> email_envelope;
    item.purpose = "outreach";
    item.created_at = ctx.now;
    if (*channel == core::Channel::kSms) {
      if (!p.phone) return Conflict("the patient has no phone number to text", "phone");
      CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent(*p.phone));
      if (consent && consent->opted_out) {
        return Conflict("the patient's number opted out of text messages (" + consent->keyword +
                            "); write another way",
                        "consent");
      }
      item.channel = "sms";
      item.recipient = *p.phone;
      item.body = text;
    } else {
      if (!p.email) return Conflict("the patient has no email address to write to", "email");
      channels::EmailEnvelope envelope;
      envelope.subject = subject.value_or(tenant.name + ": a message for you");
      envelope.text = text;
      email_envelope = std::move(envelope);
      item.channel = "email";
      item.recipient = *p.email;
    }
    CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
    CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
    core::SlaPolicy policy =
        core::SelectPolicy(policies, in_queue, *channel, core::Priority::kNormal);
    core::Decision d =
        core::StartOutreach(p.id, *channel, in_queue, policy, ctx.who.user, ctx.now, cal);
    CD_TRY_ASSIGN(core::Conversation c, tx.InsertConversation(d.conversation, cal, ctx.now));
    core::Message m = StaffMessage(ctx, core::MessageKind::kOutbound, text);
    m.conversation_id = c.id;
    m.channel = *channel;
    CD_TRY_ASSIGN(m, tx.InsertMessage(std::move(m)));
    for (core::Event& e : d.events) {
      e.conversation_id = c.id;
      if (e.type == "reply_sent") e.data.emplace_back("message_id", std::to_string(m.id.value));
    }
    CD_TRY(tx.AppendEvents(d.events));
    item.conversation = c.id;
    item.message = m.id;
    if (email_envelope) {
      email_envelope->subject = channels::WithThreadToken(email_envelope->subject, c.id.value);
      item.body = channels::EmailEnvelopeJson(*email_envelope);
    }
    CD_TRY(tx.QueueOutbound(item));
    CD_TRY(tx.AppendAudit(AuditOf(ctx, "create", "conversation", c.id.value, p.id,
                                  "outreach " + std::string(core::Name(*channel)))));
    core::SlaView v = core::ViewSla(c, ctx.now, cal);
    out["conversation"] = ConversationView(c, v.state, v.due_at, ctx.now);
    out["message_id"] = m.id.value;
    if (*channel == core::Channel::kSms) {
      channels::SmsSegments segments = channels::CountSmsSegments(text);
      out["sms_segments"] = json::object{{"encoding", channels::Name(segments.encoding)},
                                         {"segments", segments.segments}};
    }
    return {};
  }));
  return JsonResponse(201, out);
}

// GET /api/v1/attachments/{id}: the file itself, to whoever may read its conversation;
// audited like reading the conversation. Served as a download, never rendered in our origin.
Result<Response> GetAttachment(Context& ctx) {
  Response r;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto found, tx.GetAttachment(ctx.ids.at(0)));
    auto& [attachment, conversation_id] = found;
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(conversation_id));
    if (!SeesQueue(ctx.who, c.queue)) return NotFound("attachment not found");
    static constexpr std::string_view kShownAs[] = {"image/jpeg", "image/png",  "image/gif",
                                                    "image/webp", "image/heic", "application/pdf",
                                                    "text/plain"};
    std::string_view type = "application/octet-stream";
    for (std::string_view known : kShownAs) {
      if (attachment.content_type == known) type = known;
    }
    std::string name;
    for (char ch : attachment.filename) {
      if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != ';') name.push_back(ch);
    }
    if (name.empty()) name = "attachment-" + std::to_string(attachment.id);
    r.status = 200;
    r.headers.Set("Content-Type", std::string(type));
    r.headers.Set("Content-Disposition", "attachment; filename=\"" + name + "\"");
    r.headers.Set("X-Content-Type-Options", "nosniff");
    r.headers.Set("Content-Security-Policy", "default-src 'none'; sandbox");
    r.headers.Set("Cache-Control", "no-store");
    r.body = std::move(attachment.content);
    ctx.audit.Record(ctx.who.tenant,
                     AuditOf(ctx, "read", "attachment", attachment.id, c.patient_id));
    return {};
  }));
  return r;
}

UploadedFile FileOfRequest(const Context& ctx) {
  UploadedFile out;
  const std::string& bytes = ctx.request.body;
  if (bytes.empty()) {
    out.refused = ErrorResponse(Invalid("the file is empty", "file"));
    return out;
  }
  auto type = core::SniffPatientFile(bytes);
  if (!type) {
    out.refused =
        ProtocolError(415, "unsupported_media_type",
                      "only photos (JPEG, PNG, GIF, WebP, HEIC) and PDF files can be sent");
    return out;
  }
  out.file.filename = core::SafeFileName(ctx.request.Query("name").value_or(""), *type);
  out.file.content_type = std::string(*type);
  out.file.size = static_cast<std::int64_t>(bytes.size());
  out.file.content = bytes;
  return out;
}

// POST /api/v1/conversations/{id}/files?name=NAME, the file as the body: a photo or a PDF staff
// will send with their next email reply (a form, a letter). Kept as a draft of the conversation
// until a reply names it in attachment_ids; what it is comes from its bytes.
Result<Response> PostStaffFile(Context& ctx) {
  ConversationId id{ctx.ids.at(0)};
  UploadedFile uploaded = FileOfRequest(ctx);
  if (uploaded.refused) return std::move(*uploaded.refused);
  store::Attachment& file = uploaded.file;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(id));
    if (!SeesQueue(ctx.who, c.queue)) return NotFound("conversation not found");
    CD_TRY_ASSIGN(file.id, tx.InsertAttachment(id, file, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "create", "attachment", file.id, c.patient_id, "draft"));
  }));
  return JsonResponse(201, json::object{{"id", file.id},
                                        {"filename", file.filename},
                                        {"content_type", file.content_type},
                                        {"size", file.size}});
}

Result<Response> PostReply(Context& ctx) {
  CD_TRY_ASSIGN(
      json::object body,
      ParseObject(ctx.request.body, {"text", "status", "override_phi_warning", "attachment_ids"}));
  CD_TRY_ASSIGN(std::string text, RequireString(body, "text"));
  CD_TRY(core::ValidateMessageText(text));
  // Files uploaded for this reply (POST .../files); they go with it by email.
  std::vector<std::int64_t> files;
  if (auto it = body.find("attachment_ids"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_array() || it->value().as_array().size() > 5) {
      return Invalid("attachment_ids must be a list of at most 5 file ids", "attachment_ids");
    }
    for (const json::value& v : it->value().as_array()) {
      if (!v.is_int64() || v.as_int64() <= 0) {
        return Invalid("attachment_ids must be file ids", "attachment_ids");
      }
      if (std::find(files.begin(), files.end(), v.as_int64()) != files.end()) {
        return Invalid("a file is named twice", "attachment_ids");
      }
      files.push_back(v.as_int64());
    }
  }
  CD_TRY_ASSIGN(auto override_warning, OptionalBool(body, "override_phi_warning"));
  CD_TRY_ASSIGN(auto status_text, OptionalString(body, "status"));
  std::optional<core::Status> then;
  if (status_text) {
    then = core::ParseStatus(*status_text);
    if (!then || *then == core::Status::kClosed) {
      return Invalid("status after a reply must be open, pending or resolved", "status");
    }
  }
  std::string sms_to;    // the patient's number, when the reply goes out as a text
  std::string email_to;  // the patient's address, when it goes out as an email
  return Command(
      ctx, 201, "reply",
      [&](store::TenantTx& tx, const core::Conversation& c,
          const core::BusinessCalendar& cal) -> Result<core::Decision> {
        // A reply that would tell the record's details or results to someone not verified for
        // them is held back until the agent overrides the warning, which is audited.
        CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(c.patient_id));
        CD_TRY_ASSIGN(DisclosureState disclosure, DisclosureOf(tx, c.id, ctx.now));
        std::vector<std::string> found = core::PhiInReply(text, p, disclosure.allowed);
        if (!found.empty()) {
          std::string kinds;
          for (const std::string& k : found) kinds += (kinds.empty() ? "" : ",") + k;
          if (!override_warning.value_or(false)) {
            return Conflict("the reply may disclose " + kinds +
                                " to someone not verified for it; send it again with "
                                "override_phi_warning true if it must go",
                            "override_phi_warning");
          }
          CD_TRY(tx.AppendAudit(
              AuditOf(ctx, "override", "phi_warning", c.id.value, c.patient_id, kinds)));
        }
        core::Channel via = c.channel;
        if (c.channel == core::Channel::kChat) {
          // A patient no longer in the chat (it ended, they left, or nobody was there) is
          // answered where they asked to be: by text or mail, if they left a way.
          CD_TRY_ASSIGN(auto chat, tx.ChatOfConversation(c.id));
          if (chat && chat->state != "waiting" && chat->state != "active") {
            bool by_mail = p.email && (!p.phone || p.preferred_channel == core::Channel::kEmail);
            if (p.phone && !by_mail) via = core::Channel::kSms;
            if (by_mail) via = core::Channel::kEmail;
          }
        }
        if (via == core::Channel::kSms) {
          if (!p.phone) return Conflict("the patient has no phone number to text", "phone");
          CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent(*p.phone));
          if (consent && consent->opted_out) {
            return Conflict("the patient's number opted out of text messages (" + consent->keyword +
                                "); answer another way, or they text START to opt back in",
                            "consent");
          }
          sms_to = *p.phone;
        }
        if (via == core::Channel::kEmail) {
          if (!p.email) return Conflict("the patient has no email address to write to", "email");
          email_to = *p.email;
        }
        if (!files.empty() && via != core::Channel::kEmail) {
          return Conflict(
              "files go out by email only; this reply goes by " + std::string(core::Name(via)),
              "attachment_ids");
        }
        return core::RecordReply(c, ctx.who.user, then, ctx.now, cal);
      },
      StaffMessage(ctx, core::MessageKind::kOutbound, text),  // a copy: the check reads `text`
      [&](store::TenantTx& tx, const core::Conversation& c,
          const core::Message& m) -> Result<void> {
        if (!files.empty()) CD_TRY(tx.AttachDrafts(c.id, files, m.id));
        if (sms_to.empty() && email_to.empty()) return {};  // chat replies are not queued
        // Queued in the reply's own transaction: stored means it will be sent.
        store::OutboxItem item;
        item.conversation = c.id;
        item.message = m.id;
        item.channel = sms_to.empty() ? "email" : "sms";
        item.recipient = sms_to.empty() ? email_to : sms_to;
        item.body = m.text;
        if (!email_to.empty()) {
          // Threaded under the patient's latest mail, so it lands in that thread.
          CD_TRY_ASSIGN(auto history, tx.ListMessages(c.id));
          CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
          channels::EmailEnvelope envelope = channels::ReplyEnvelope(history, m.text, tenant.name);
          envelope.subject = channels::WithThreadToken(envelope.subject, c.id.value);
          envelope.files = files;
          item.body = channels::EmailEnvelopeJson(envelope);
        }
        item.purpose = "reply";
        item.created_at = ctx.now;
        CD_TRY(tx.QueueOutbound(item));
        return {};
      });
}

Result<Response> PostNote(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"text"}));
  CD_TRY_ASSIGN(std::string text, RequireString(body, "text"));
  CD_TRY(core::ValidateMessageText(text));
  return Command(
      ctx, 201, "note",
      [&](store::TenantTx&, const core::Conversation& c, const core::BusinessCalendar&) {
        return core::AddNote(c, ctx.who.user, ctx.now);
      },
      StaffMessage(ctx, core::MessageKind::kNote, std::move(text)));
}

Result<Response> PostAssign(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body,
                            {"assignee_id", "queue", "priority", "category", "location_id"}));
  core::Routing routing;
  if (IsExplicitNull(body, "assignee_id")) {
    routing.assignee = UserId{0};
  } else {
    CD_TRY_ASSIGN(auto assignee, OptionalInt(body, "assignee_id"));
    if (assignee) {
      if (*assignee <= 0) return Invalid("assignee_id must be a user id or null", "assignee_id");
      routing.assignee = UserId{*assignee};
    }
  }
  CD_TRY_ASSIGN(auto queue, OptionalString(body, "queue"));
  if (queue && (queue->empty() || queue->size() > 64)) {
    return Invalid("queue must have 1 to 64 characters", "queue");
  }
  routing.queue = queue;
  CD_TRY_ASSIGN(auto priority, OptionalString(body, "priority"));
  if (priority) {
    routing.priority = core::ParsePriority(*priority);
    if (!routing.priority)
      return Invalid("priority must be low, normal, high or urgent", "priority");
  }
  CD_TRY_ASSIGN(auto category, OptionalString(body, "category"));
  if (category) {
    routing.category = core::ParseCategory(*category);
    if (!routing.category) return Invalid("unknown category", "category");
  }
  if (IsExplicitNull(body, "location_id")) {
    routing.location = LocationId{0};
  } else {
    CD_TRY_ASSIGN(auto location, OptionalInt(body, "location_id"));
    if (location) {
      if (*location <= 0)
        return Invalid("location_id must be a location id or null", "location_id");
      routing.location = LocationId{*location};
    }
  }
  if (!routing.assignee && !routing.queue && !routing.priority && !routing.category &&
      !routing.location) {
    return Invalid("give at least one of assignee_id, queue, priority, category, location_id");
  }
  return Command(ctx, 200, "assign",
                 [&](store::TenantTx& tx, const core::Conversation& c,
                     const core::BusinessCalendar& cal) -> Result<core::Decision> {
                   if (routing.assignee && *routing.assignee) {
                     auto user = tx.GetUser(*routing.assignee);
                     if (!user && user.error().kind != ErrorKind::kNotFound) return user.error();
                     if (!user || !user->active) {
                       return Invalid("no such active user in this practice", "assignee_id");
                     }
                   }
                   if (routing.location && *routing.location) {
                     CD_TRY(RequireOwnLocation(tx, *routing.location, "location_id"));
                   }
                   CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
                   return core::Route(c, routing, policies, ctx.who.user, ctx.now, cal);
                 });
}

Result<Response> PostStatus(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"status"}));
  CD_TRY_ASSIGN(std::string text, RequireString(body, "status"));
  auto status = core::ParseStatus(text);
  if (!status) return Invalid("status must be open, pending, resolved or closed", "status");
  return Command(
      ctx, 200, "status",
      [&](store::TenantTx&, const core::Conversation& c, const core::BusinessCalendar& cal) {
        return core::ChangeStatus(c, *status, ctx.who.user, ctx.now, cal);
      });
}

// POST /conversations/{id}/survey {"survey": "csat"|"nps", "score"}: a survey tool's answer
// from the patient (supervisors and admins, or their integration's token).
Result<Response> PostSurvey(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"survey", "score"}));
  CD_TRY_ASSIGN(std::string survey, RequireString(body, "survey"));
  CD_TRY_ASSIGN(auto score, OptionalInt(body, "score"));
  if (!score) return Invalid("field is required", "score");
  return Command(ctx, 200, "survey",
                 [&](store::TenantTx&, const core::Conversation& c, const core::BusinessCalendar&) {
                   return core::RecordSurvey(c, survey, *score, ctx.who.user, ctx.now);
                 });
}

Result<Response> PostTags(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"tags"}));
  CD_TRY_ASSIGN(auto tags, OptionalStringArray(body, "tags"));
  if (!tags) return Invalid("field is required", "tags");
  return Command(ctx, 200, "tags",
                 [&](store::TenantTx&, const core::Conversation& c, const core::BusinessCalendar&) {
                   return core::SetTags(c, *tags, ctx.who.user, ctx.now);
                 });
}

}  // namespace caredesk::http
