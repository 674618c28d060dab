// Phone calls: records from any phone system (POST /api/v1/calls) and the calls of a patient or
// a period (GET /api/v1/calls), for the patient's history and the phone KPIs.
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "base/text.hpp"
#include "core/inbox/conversation.hpp"
#include "core/inbox/phone.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/views.hpp"
#include "http/json_input.hpp"
#include "jobs/calls.hpp"

namespace caredesk::http {
namespace json = boost::json;

namespace {

Result<Timestamp> RequireTime(const json::object& o, std::string_view key) {
  CD_TRY_ASSIGN(std::string text, RequireString(o, key));
  auto t = ParseRfc3339(text);
  if (!t) return Invalid("must be an RFC 3339 time, e.g. 2026-11-29T14:05:00Z", std::string(key));
  return *t;
}

Result<int> OptionalSeconds(const json::object& o, std::string_view key) {
  CD_TRY_ASSIGN(auto v, OptionalInt(o, key));
  if (!v) return 0;
  if (*v < 0 || *v > 86400) return Invalid("must be 0 to 86400 seconds", std::string(key));
  return static_cast<int>(*v);
}

// A short label from the phone system (queue, agent, key): printable text, no control bytes.
Result<std::string> OptionalLabel(const json::object& o, std::string_view key, std::size_t max) {
  CD_TRY_ASSIGN(auto v, OptionalString(o, key));
  if (!v) return std::string();
  if (v->size() > max ||
      std::any_of(v->begin(), v->end(), [](unsigned char c) { return c < 0x20; })) {
    return Invalid("must be at most " + std::to_string(max) + " characters, no control characters",
                   std::string(key));
  }
  return *v;
}

json::object CallView(const store::CallRecord& r) {
  const core::Call& c = r.call;
  json::object out{{"id", r.id},
                   {"source", r.source},
                   {"call_id", c.ref},
                   {"queue", c.queue},
                   {"outcome", core::Name(c.outcome)},
                   {"entered_at", FormatRfc3339(c.entered_at)},
                   {"answered_at", TimeOrNull(c.answered_at)},
                   {"ended_at", TimeOrNull(c.ended_at)},
                   {"agent", c.agent},
                   {"wait_seconds", c.wait_seconds},
                   {"talk_seconds", c.talk_seconds},
                   {"hold_seconds", c.hold_seconds},
                   {"wrap_seconds", c.wrap_seconds},
                   {"unanswered_rings", c.unanswered_rings},
                   {"transferred", c.transferred},
                   {"exit_key", c.exit_key}};
  out["patient_id"] = c.patient ? json::value(c.patient.value) : json::value(nullptr);
  out["callback_conversation_id"] =
      r.conversation ? json::value(r.conversation.value) : json::value(nullptr);
  return out;
}

Result<std::int64_t> PositiveInt(std::string_view value, std::string_view field) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || end != value.data() + value.size() || v <= 0) {
    return Invalid("must be a positive whole number", std::string(field));
  }
  return v;
}

}  // namespace

// POST /api/v1/calls: one call as the phone system saw it, once it ended. Posting the same
// call_id again replaces the record (200) rather than adding one (201). A caller who was not
// answered and is known by their number gets a callback task in the inbox.
Result<Response> PostCall(Context& ctx) {
  CD_TRY_ASSIGN(json::object o,
                ParseObject(ctx.request.body, {"call_id", "queue", "from", "agent", "outcome",
                                               "entered_at", "answered_at", "ended_at",
                                               "hold_seconds", "wrap_seconds", "exit_key"}));
  core::Call call;
  CD_TRY_ASSIGN(call.ref, RequireString(o, "call_id"));
  CD_TRY_ASSIGN(call.queue, OptionalLabel(o, "queue", 64));
  CD_TRY_ASSIGN(call.agent, OptionalLabel(o, "agent", 128));
  CD_TRY_ASSIGN(call.exit_key, OptionalLabel(o, "exit_key", 8));
  CD_TRY_ASSIGN(std::string outcome, RequireString(o, "outcome"));
  auto parsed = core::ParseCallOutcome(outcome);
  if (!parsed) {
    return Invalid("outcome must be answered, abandoned, timed_out, no_agents or left_by_key",
                   "outcome");
  }
  call.outcome = *parsed;
  CD_TRY_ASSIGN(call.entered_at, RequireTime(o, "entered_at"));
  CD_TRY_ASSIGN(call.ended_at, RequireTime(o, "ended_at"));
  if (o.contains("answered_at") && !o.at("answered_at").is_null()) {
    CD_TRY_ASSIGN(call.answered_at, RequireTime(o, "answered_at"));
  }
  CD_TRY_ASSIGN(call.hold_seconds, OptionalSeconds(o, "hold_seconds"));
  CD_TRY_ASSIGN(call.wrap_seconds, OptionalSeconds(o, "wrap_seconds"));
  CD_TRY_ASSIGN(auto from, OptionalString(o, "from"));
  std::string caller;
  if (from && !from->empty()) {
    auto e164 = core::NormalizePhone(*from, "1", "from");
    if (!e164) return e164.error();
    caller = *e164;
  }
  jobs::CallbackOptions options;
  CD_TRY_ASSIGN(jobs::PostedCallResult stored,
                jobs::RecordPostedCall(ctx.store, ctx.who.tenant, call, caller, options, ctx.now));
  if (stored.callback_opened) {
    // The new callback task, on the consoles of those who serve its queue.
    auto view = store::ReadValue<json::object>(
        ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<json::object> {
          CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(stored.record.conversation));
          CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
          core::SlaView v = core::ViewSla(c, ctx.now, cal);
          return ConversationView(c, v.state, v.due_at, ctx.now);
        });
    if (view) PushConversation(ctx, ctx.who.tenant, *view);
  }
  return JsonResponse(stored.created ? 201 : 200, CallView(stored.record));
}

// GET /api/v1/calls?patient_id=&before=&limit=: calls newest first; a patient's are audited as
// a read of their information.
Result<Response> ListCalls(Context& ctx) {
  store::CallFilter filter;
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "patient_id") {
      CD_TRY_ASSIGN(std::int64_t v, PositiveInt(value, "patient_id"));
      filter.patient = PatientId{v};
    } else if (key == "before") {
      CD_TRY_ASSIGN(filter.before_id, PositiveInt(value, "before"));
    } else if (key == "limit") {
      CD_TRY_ASSIGN(std::int64_t v, PositiveInt(value, "limit"));
      if (v > 200) return Invalid("limit must be between 1 and 200", "limit");
      filter.limit = static_cast<int>(v);
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  json::array items;
  std::int64_t last = 0;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    items.clear();
    if (filter.patient) CD_TRY(tx.GetPatient(*filter.patient));  // 404 for another's patient
    CD_TRY_ASSIGN(auto calls, tx.ListCalls(filter));
    for (const store::CallRecord& r : calls) {
      items.push_back(CallView(r));
      last = r.id;
    }
    return {};
  }));
  json::object out{{"items", std::move(items)}};
  out["next_before"] = static_cast<int>(out["items"].as_array().size()) == filter.limit && last
                           ? json::value(last)
                           : json::value(nullptr);
  if (filter.patient) {
    ctx.audit.Record(ctx.who.tenant,
                     AuditOf(ctx, "read", "call_list", 0, *filter.patient, "patient calls"));
  }
  return JsonResponse(200, out);
}

}  // namespace caredesk::http
