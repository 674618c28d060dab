#include "jobs/calls.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "core/inbox/conversation.hpp"
#include "core/inbox/phone.hpp"
#include "core/sla/policy.hpp"
#include "jobs/report_settings.hpp"

namespace caredesk::jobs {
namespace {

using Kind = core::CallEvent::Kind;

constexpr std::array<std::pair<std::string_view, Kind>, 9> kCallKinds{{
    {"enter", Kind::kEnter},
    {"connect", Kind::kConnect},
    {"complete", Kind::kComplete},
    {"transfer", Kind::kTransfer},
    {"abandon", Kind::kAbandon},
    {"timeout", Kind::kTimeout},
    {"empty", Kind::kEmpty},
    {"key", Kind::kKey},
    {"ring_no_answer", Kind::kRingNoAnswer},
}};
constexpr std::array<std::string_view, 4> kAgentKinds{"agent_login", "agent_logoff", "pause",
                                                      "unpause"};

std::optional<Kind> CallKind(std::string_view kind) {
  for (const auto& [name, k] : kCallKinds) {
    if (name == kind) return k;
  }
  return std::nullopt;
}

bool IsAgentKind(std::string_view kind) {
  return std::find(kAgentKinds.begin(), kAgentKinds.end(), kind) != kAgentKinds.end();
}

// The patient a caller's number belongs to, created on first contact as an inbound text would
// be; PatientId{} when the number is missing, withheld or not a number.
Result<PatientId> PatientOfCaller(store::TenantTx& tx, std::string_view caller,
                                  const CallbackOptions& options, Timestamp now,
                                  std::vector<core::Event>& events) {
  if (caller.empty() || !core::LooksLikePhone(caller)) return PatientId{};
  auto e164 = core::NormalizePhone(caller, options.default_country);
  if (!e164) return PatientId{};
  CD_TRY(tx.LockKey("sender:" + *e164));
  CD_TRY_ASSIGN(auto found, tx.FindPatientId(store::TenantTx::Contact::kPhone, *e164));
  if (found) return *found;
  core::Patient p;
  p.phone = *e164;
  p.created_at = p.updated_at = now;
  CD_TRY_ASSIGN(p, tx.InsertPatient(std::move(p)));
  core::Event e;
  e.type = "patient_created";
  e.at = now;
  e.patient_id = p.id;
  e.data = {{"source", "phone_call"}};
  events.push_back(std::move(e));
  return p.id;
}

// The conversation queue for a call's callback: the call's own queue when staff serve a queue
// of that name, the practice's callback queue otherwise.
Result<std::string> CallbackQueue(store::TenantTx& tx, const core::Call& call,
                                  const core::PhoneRules& rules) {
  if (!call.queue.empty()) {
    CD_TRY_ASSIGN(auto users, tx.ListUsers());
    for (const store::User& u : users) {
      if (u.active && std::find(u.queues.begin(), u.queues.end(), call.queue) != u.queues.end()) {
        return call.queue;
      }
    }
  }
  return rules.callback_queue;
}

// Opens the callback task `record` needs, if it needs one and has none; true when it opened.
Result<bool> OpenCallback(store::TenantTx& tx, store::CallRecord& record,
                          const CallbackOptions& options, Timestamp now,
                          std::vector<core::Event>& events) {
  const core::Call& call = record.call;
  // The practice's short-abandon time, when it set one.
  CD_TRY_ASSIGN(core::PhoneRules rules, PhoneRulesOf(tx, options.rules));
  if (record.conversation || !core::NeedsCallback(call, rules) || !call.ended_at ||
      now - *call.ended_at > options.open_within) {
    return false;
  }
  CD_TRY(tx.LockKey("patient:" + std::to_string(call.patient.value)));
  CD_TRY_ASSIGN(core::Patient patient, tx.GetPatient(call.patient));
  CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
  CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
  CD_TRY_ASSIGN(std::string queue, CallbackQueue(tx, call, rules));
  const Timestamp missed = *call.ended_at;
  core::SlaPolicy policy =
      core::SelectPolicy(policies, queue, core::Channel::kPhone, core::Priority::kNormal);
  core::Decision opened = core::OpenConversation(patient.id, core::Channel::kPhone, queue,
                                                 core::Priority::kNormal, policy, missed, cal);
  CD_TRY_ASSIGN(core::Decision received, core::ReceiveInbound(opened.conversation, missed, cal));
  received.conversation.tags = {"callback"};
  CD_TRY_ASSIGN(core::Conversation conversation,
                tx.InsertConversation(received.conversation, cal, now));
  core::Message m;
  m.conversation_id = conversation.id;
  m.kind = core::MessageKind::kInbound;
  m.channel = core::Channel::kPhone;
  m.sender = patient.phone.value_or("");
  m.text = CallbackText(call);
  m.delivery = core::DeliveryStatus::kReceived;
  m.created_at = missed;
  CD_TRY_ASSIGN(m, tx.InsertMessage(std::move(m)));
  for (auto* list : {&opened.events, &received.events}) {
    for (core::Event& e : *list) {
      e.conversation_id = conversation.id;
      if (e.type == "message_received")
        e.data.emplace_back("message_id", std::to_string(m.id.value));
      events.push_back(std::move(e));
    }
  }
  core::Event missed_event;
  missed_event.type = "call_missed";
  missed_event.at = missed;
  missed_event.conversation_id = conversation.id;
  missed_event.patient_id = patient.id;
  missed_event.data = {{"source", record.source},
                       {"outcome", std::string(core::Name(call.outcome))},
                       {"wait_seconds", std::to_string(call.wait_seconds)}};
  events.push_back(std::move(missed_event));
  store::AuditRecord audit;
  audit.at = now;
  audit.action = "create";
  audit.object_type = "conversation";
  audit.object_id = conversation.id.value;
  audit.patient = patient.id;
  audit.detail = "callback for a missed call";
  CD_TRY(tx.AppendAudit(std::move(audit)));
  record.conversation = conversation.id;
  return true;
}

// Folds call `ref` again from every event stored of it; stores it if it changed or opened a
// callback.
Result<void> Refold(store::TenantTx& tx, const std::string& ref, const CallbackOptions& options,
                    Timestamp now, PhoneIntake& intake, std::vector<core::Event>& events) {
  CD_TRY_ASSIGN(auto stored, tx.PhoneEventsOfCall(ref));
  std::vector<core::CallEvent> call_events;
  PatientId patient;
  std::string queue;
  for (const store::PhoneEvent& e : stored) {
    if (!patient && e.patient) patient = e.patient;
    if (queue.empty()) queue = e.queue;
    auto kind = CallKind(e.kind);
    if (!kind) continue;
    call_events.push_back({*kind, e.at, e.agent, e.wait_seconds, e.talk_seconds, e.exit_key});
  }
  core::Call call = core::FoldCall(ref, std::move(call_events));
  call.patient = patient;
  call.queue = queue;
  CD_TRY_ASSIGN(auto existing, tx.FindCall("queue_log", ref));
  store::CallRecord record = existing.value_or(store::CallRecord{});
  record.source = "queue_log";
  bool changed = !existing || existing->call != call;
  record.call = std::move(call);
  CD_TRY_ASSIGN(bool opened, OpenCallback(tx, record, options, now, events));
  if (!changed && !opened) return {};
  record.updated_at = now;
  CD_TRY(tx.PutCall(std::move(record)));
  ++intake.calls_changed;
  if (opened) ++intake.callbacks_opened;
  return {};
}

}  // namespace

Result<PhoneIntake> AddPhoneEvents(store::Store& store, TenantId tenant,
                                   const std::vector<IncomingPhoneEvent>& incoming,
                                   const CallbackOptions& options, Timestamp now) {
  for (const IncomingPhoneEvent& in : incoming) {
    if (!CallKind(in.event.kind) && !IsAgentKind(in.event.kind)) {
      return Invalid("unknown phone event kind", "kind");
    }
  }
  PhoneIntake intake;
  auto written = store.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    intake = {};
    std::vector<core::Event> events;
    std::set<std::string> touched;
    for (const IncomingPhoneEvent& in : incoming) {
      store::PhoneEvent e = in.event;
      if (e.kind == "enter") {
        CD_TRY_ASSIGN(e.patient, PatientOfCaller(tx, in.caller, options, now, events));
      }
      CD_TRY_ASSIGN(bool added, tx.InsertPhoneEvent(e));
      if (!added) {
        ++intake.duplicates;
        continue;
      }
      ++intake.events_added;
      if (!e.call_ref.empty()) touched.insert(e.call_ref);
    }
    for (const std::string& ref : touched) CD_TRY(Refold(tx, ref, options, now, intake, events));
    if (!events.empty()) CD_TRY(tx.AppendEvents(events));
    return {};
  });
  if (!written) return written.error();
  return intake;
}

Result<PostedCallResult> RecordPostedCall(store::Store& store, TenantId tenant,
                                          const core::Call& call, std::string_view caller,
                                          const CallbackOptions& options, Timestamp now) {
  CD_TRY_ASSIGN(core::Call checked, core::PostedCall(call));
  PostedCallResult result;
  auto written = store.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    std::vector<core::Event> events;
    CD_TRY(tx.LockKey("call:api:" + checked.ref));
    CD_TRY_ASSIGN(auto existing, tx.FindCall("api", checked.ref));
    store::CallRecord record;
    record.source = "api";
    record.call = checked;
    CD_TRY_ASSIGN(record.call.patient, PatientOfCaller(tx, caller, options, now, events));
    if (existing) record.conversation = existing->conversation;
    CD_TRY_ASSIGN(result.callback_opened, OpenCallback(tx, record, options, now, events));
    record.updated_at = now;
    CD_TRY_ASSIGN(result.record, tx.PutCall(std::move(record)));
    result.created = !existing;
    if (!events.empty()) CD_TRY(tx.AppendEvents(events));
    return {};
  });
  if (!written) return written.error();
  return result;
}

std::string CallbackText(const core::Call& call) {
  std::string queue = call.queue.empty() ? "the phone queue" : "the queue " + call.queue;
  std::string waited = std::to_string(call.wait_seconds) + " s";
  switch (call.outcome) {
    case core::CallOutcome::kAbandoned:
      return "Missed call: the caller hung up after " + waited + " waiting in " + queue +
             ". Please call them back.";
    case core::CallOutcome::kTimedOut:
      return "Missed call: the wait limit of " + queue + " ended the call after " + waited +
             ". Please call them back.";
    case core::CallOutcome::kNoAgents:
      return "Missed call: nobody was signed in to answer " + queue + ". Please call them back.";
    case core::CallOutcome::kLeftByKey:
      return "Callback requested: the caller pressed " +
             (call.exit_key.empty() ? std::string("a key") : call.exit_key) + " after " + waited +
             " waiting in " + queue + ". Please call them back.";
    default:
      return "Call from " + queue + ".";
  }
}

}  // namespace caredesk::jobs
