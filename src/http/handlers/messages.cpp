// POST /api/v1/messages: an inbound message from any channel. Finds or creates the patient
// and the conversation (or reopens it) in one group-committed transaction.
#include <boost/json/serialize.hpp>

#include "base/text.hpp"
#include "core/inbox/phone.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/inbound.hpp"
#include "http/handlers/views.hpp"
#include "http/json_input.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

Result<PatientId> FindOrCreatePatient(store::TenantTx& tx, const Inbound& in, Timestamp now,
                                      std::vector<core::Event>& events) {
  if (in.patient_id) {
    CD_TRY_ASSIGN(core::Patient given, tx.GetPatient(*in.patient_id));  // 404 if foreign
    return given.id;
  }
  using Contact = store::TenantTx::Contact;
  CD_TRY_ASSIGN(auto found,
                tx.FindPatientId(in.from_kind == Inbound::FromKind::kPhone   ? Contact::kPhone
                                 : in.from_kind == Inbound::FromKind::kEmail ? Contact::kEmail
                                                                             : Contact::kVisitor,
                                 in.from));
  if (found) return *found;
  // Details sent with a message only ever fill a new record: an inbound message must not be
  // able to rewrite an existing patient's identity.
  core::Patient p = in.details.value_or(core::Patient{});
  if (in.from_kind == Inbound::FromKind::kPhone) p.phone = in.from;
  if (in.from_kind == Inbound::FromKind::kEmail) p.email = in.from;
  if (in.from_kind == Inbound::FromKind::kVisitor) p.visitor_id = in.from;
  if (in.channel == core::Channel::kSms) p.preferred_channel = core::Channel::kSms;
  p.created_at = p.updated_at = now;
  CD_TRY_ASSIGN(p, tx.InsertPatient(std::move(p)));
  core::Event e;
  e.type = "patient_created";
  e.at = now;
  e.patient_id = p.id;
  e.data = {{"source", "inbound_message"}};
  events.push_back(std::move(e));
  return p.id;
}

}  // namespace

Result<Response> PostMessage(Context& ctx) {
  std::optional<std::string> key;
  if (auto header = ctx.request.headers.Get("idempotency-key")) {
    std::string_view k = Trim(*header);
    bool sane = !k.empty() && k.size() <= 200 &&
                std::all_of(k.begin(), k.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!sane)
      return Invalid("Idempotency-Key must be 1 to 200 printable ASCII characters",
                     "Idempotency-Key");
    key = std::string(k);
  }
  CD_TRY_ASSIGN(Inbound in, ParseInbound(ctx.request.body, ctx.now));
  // Only a keyed delivery is compared with an earlier one.
  const std::string request_hash = key ? security::HashSecret(ctx.request.body) : std::string();
  CD_TRY_ASSIGN(StoredInbound stored, StoreInbound(ctx, ctx.who.tenant, in, key, request_hash));
  return StoredResponse(std::move(stored));
}

Response StoredResponse(StoredInbound stored) {
  Response r;
  r.status = stored.status;
  r.headers.Set("Content-Type", "application/json");
  r.body = std::move(stored.body);
  return r;
}

Result<StoredInbound> StoreInbound(Context& ctx, TenantId tenant, const Inbound& in,
                                   const std::optional<std::string>& key,
                                   const std::string& request_hash, const InboundHook& also) {
  // Sealing and indexing the text here, on this handler's thread, keeps that work off the one
  // writer thread that every inbound message waits for.
  core::Message draft;
  draft.sender = in.from;
  draft.text = in.text;
  draft.metadata = in.metadata;
  std::shared_ptr<const store::SealedMessage> sealed = ctx.store.SealAhead(tenant, draft);

  int status = 201;
  std::string body;
  std::optional<core::Message> pushed;  // what to push once committed
  std::string queue;
  auto stored = ctx.store.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    pushed.reset();
    // Another node may be storing the same delivery or a message from the same sender now.
    // Locks are taken in one order (delivery, sender, patient) so two writes cannot deadlock.
    if (key) CD_TRY(tx.LockKey("idempotency:" + *key));
    CD_TRY(tx.LockKey("sender:" + in.from));
    if (key) {
      CD_TRY_ASSIGN(auto previous, tx.GetIdempotentReply(*key));
      if (previous) {
        if (previous->request_hash != request_hash) {
          return Conflict("Idempotency-Key was already used for a different request",
                          "Idempotency-Key");
        }
        status = 200;
        body = previous->body;
        return {};
      }
    }
    if (in.location) CD_TRY(RequireOwnLocation(tx, *in.location, "location"));
    std::vector<core::Event> events;
    CD_TRY_ASSIGN(PatientId patient_id, FindOrCreatePatient(tx, in, ctx.now, events));
    CD_TRY(tx.LockKey("patient:" + std::to_string(patient_id.value)));
    CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
    CD_TRY_ASSIGN(auto latest, tx.LatestConversationOf(patient_id));
    if (in.thread && (!latest || latest->id != *in.thread)) {
      auto threaded = tx.GetConversation(*in.thread);
      if (threaded && threaded->patient_id == patient_id &&
          core::AcceptsInbound(*threaded, ctx.now)) {
        latest = std::move(*threaded);
      }
    }
    core::Conversation conversation;
    bool created = false, reopened = false;
    if (latest && core::AcceptsInbound(*latest, ctx.now)) {
      reopened = latest->status == core::Status::kResolved;
      CD_TRY_ASSIGN(core::Decision d, core::ReceiveInbound(*latest, ctx.now, cal));
      if (in.priority && *in.priority > d.conversation.priority) {
        // The integration flagged this message as more pressing (an IVR's "urgent" option,
        // say): raise the conversation and let its response targets follow.
        core::Routing raise;
        raise.priority = in.priority;
        CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
        CD_TRY_ASSIGN(core::Decision routed,
                      core::Route(d.conversation, raise, policies, UserId{0}, ctx.now, cal));
        d.conversation = std::move(routed.conversation);
        d.events.insert(d.events.end(), routed.events.begin(), routed.events.end());
      }
      CD_TRY(tx.UpdateConversation(d.conversation, cal, ctx.now));
      conversation = std::move(d.conversation);
      events.insert(events.end(), d.events.begin(), d.events.end());
    } else {
      CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
      core::Priority priority = in.priority.value_or(core::Priority::kNormal);
      core::SlaPolicy policy = core::SelectPolicy(policies, in.queue, in.channel, priority);
      core::Decision opened =
          core::OpenConversation(patient_id, in.channel, in.queue, priority, policy, ctx.now, cal);
      if (in.location) {
        // Where the patient wrote from (the chat window on a location's page) says which
        // location the matter is for, as staff would set it.
        core::Routing place;
        place.location = in.location;
        CD_TRY_ASSIGN(core::Decision placed,
                      core::Route(opened.conversation, place, policies, UserId{0}, ctx.now, cal));
        opened.conversation = std::move(placed.conversation);
        opened.events.insert(opened.events.end(), placed.events.begin(), placed.events.end());
      }
      CD_TRY_ASSIGN(core::Decision d, core::ReceiveInbound(opened.conversation, ctx.now, cal));
      CD_TRY_ASSIGN(d.conversation, tx.InsertConversation(d.conversation, cal, ctx.now));
      conversation = std::move(d.conversation);
      for (auto* list : {&opened.events, &d.events}) {
        for (core::Event& e : *list) {
          e.conversation_id = conversation.id;
          events.push_back(std::move(e));
        }
      }
      created = true;
    }
    core::Message m;
    m.conversation_id = conversation.id;
    m.kind = core::MessageKind::kInbound;
    m.channel = in.channel;
    m.sender = in.from;
    m.text = in.text;
    m.delivery = core::DeliveryStatus::kReceived;
    m.metadata = in.metadata;
    m.created_at = ctx.now;
    CD_TRY_ASSIGN(m, tx.InsertMessage(std::move(m), sealed.get()));
    for (store::Attachment a : in.attachments) {
      a.message = m.id;
      CD_TRY(tx.InsertAttachment(conversation.id, a, ctx.now));
    }
    for (core::Event& e : events) {
      if (e.type == "message_received")
        e.data.emplace_back("message_id", std::to_string(m.id.value));
    }
    CD_TRY(tx.AppendEvents(events));
    CD_TRY(tx.AppendAudit(AuditOf(ctx, "create", "message", m.id.value, patient_id,
                                  "inbound " + std::string(core::Name(in.channel)))));
    json::object answer{
        {"message_id", m.id.value},        {"conversation_id", conversation.id.value},
        {"patient_id", patient_id.value},  {"conversation_status", core::Name(conversation.status)},
        {"created_conversation", created}, {"reopened", reopened}};
    if (also) CD_TRY(also(tx, conversation, m, answer));
    pushed = m;
    queue = conversation.queue;
    body = json::serialize(answer);
    if (key) CD_TRY(tx.PutIdempotentReply(*key, {request_hash, 201, body}, ctx.now));
    return {};
  });
  if (!stored) return stored.error();
  if (pushed) PushMessage(ctx, tenant, queue, *pushed, {});
  return StoredInbound{status, std::move(body)};
}

}  // namespace caredesk::http
