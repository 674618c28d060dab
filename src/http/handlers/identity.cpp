// Identity verification before disclosure (issue #3): an agent enters what the person states
// and the server answers only "matches" or "does not match"; then a one-time code goes to a
// phone or email already on the record; until then the conversation's patient details are
// masked, and a reply that would disclose them needs an explicit, audited override. Authorized
// representatives are verified in their own right and told only what their scope allows.
// Repeated failures, or a sender that is not the contact on record, flag the conversation and
// alert supervisors (GET /alerts). Every attempt is audited.
#include <sodium.h>

#include <boost/json/array.hpp>

#include <algorithm>
#include <iterator>

#include "base/text.hpp"
#include "channels/email/email.hpp"
#include "core/inbox/phone.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/identity.hpp"
#include "http/handlers/views.hpp"
#include "http/json_input.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;
using core::Verification;

namespace {

std::string CodeHash(ConversationId c, std::string_view code) {
  return security::HashSecret("verification:" + std::to_string(c.value) + ":" + std::string(code));
}

json::value OptTime(const std::optional<Timestamp>& t) {
  return t ? json::value(json::string(FormatRfc3339(*t))) : json::value(nullptr);
}

// Whom the verification is about: the patient, or a representative of theirs.
struct Subject {
  std::string name;
  std::optional<std::string> date_of_birth, phone, email;
};

Result<Subject> SubjectOf(store::TenantTx& tx, const core::Patient& p,
                          std::int64_t representative_id,
                          std::optional<core::Representative>* rep_out = nullptr) {
  if (representative_id == 0) return Subject{p.name, p.date_of_birth, p.phone, p.email};
  CD_TRY_ASSIGN(core::Representative rep, tx.GetRepresentative(representative_id));
  if (rep.patient != p.id || rep.revoked_at) return NotFound("representative not found");
  if (rep_out) *rep_out = rep;
  return Subject{rep.name, rep.date_of_birth, rep.phone, rep.email};
}

// Flags `v` (once) and records the event supervisors are alerted by.
void Flag(Verification& v, std::string reason, const Context& ctx,
          std::vector<core::Event>& events) {
  if (!v.flag_reason.empty()) return;
  v.flag_reason = std::move(reason);
  core::Event e;
  e.type = "social_engineering_suspected";
  e.at = ctx.now;
  e.conversation_id = v.conversation;
  e.patient_id = v.patient;
  e.actor = ctx.who.user;
  e.data = {{"reason", v.flag_reason}};
  events.push_back(std::move(e));
}

// The newest verification of the conversation that may continue, or a new one.
Verification Current(const std::optional<Verification>& latest, const core::Conversation& c,
                     const Context& ctx, std::int64_t representative_id) {
  if (latest && latest->state != Verification::State::kFailed &&
      latest->representative_id == representative_id &&
      !(latest->state == Verification::State::kVerified && !core::IsVerified(*latest, ctx.now))) {
    return *latest;
  }
  Verification v;
  v.conversation = c.id;
  v.patient = c.patient_id;
  v.representative_id = representative_id;
  v.started_by = ctx.who.user;
  v.created_at = ctx.now;
  if (latest && latest->state == Verification::State::kFailed) {
    v.state = Verification::State::kFailed;  // stays failed: a supervisor reviews it
    v.flag_reason = latest->flag_reason;
    v.id = latest->id;
  }
  return v;
}

Result<void> Save(store::TenantTx& tx, Verification& v) {
  if (v.id == 0) {
    CD_TRY_ASSIGN(v, tx.InsertVerification(v));
    return {};
  }
  return tx.UpdateVerification(v);
}

// The conversation (in the caller's queues) and its patient.
Result<std::pair<core::Conversation, core::Patient>> Load(store::TenantTx& tx, const Context& ctx) {
  CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(ConversationId{ctx.ids.at(0)}));
  if (!SeesQueue(ctx.who, c.queue)) return NotFound("conversation not found");
  CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(c.patient_id));
  return std::pair{std::move(c), std::move(p)};
}

// The sender of the conversation's newest inbound message.
Result<std::optional<std::string>> LastSender(store::TenantTx& tx, ConversationId c) {
  CD_TRY_ASSIGN(auto messages, tx.ListMessages(c));
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->kind == core::MessageKind::kInbound) return std::optional<std::string>{it->sender};
  }
  return std::optional<std::string>{};
}

}  // namespace

Result<DisclosureState> DisclosureOf(store::TenantTx& tx, ConversationId conversation,
                                     Timestamp now) {
  DisclosureState out;
  CD_TRY_ASSIGN(out.verification, tx.LatestVerification(conversation));
  if (out.verification && out.verification->representative_id != 0) {
    auto rep = tx.GetRepresentative(out.verification->representative_id);
    if (rep) out.representative = std::move(*rep);
  }
  out.allowed = core::MayDisclose(out.verification, out.representative, now);
  return out;
}

json::object DisclosureView(const DisclosureState& d, Timestamp now) {
  const auto& v = d.verification;
  std::string state = "unverified";
  if (v) {
    state = std::string(core::Name(v->state));
    if (v->state == Verification::State::kVerified && !core::IsVerified(*v, now)) {
      state = "expired";
    }
  }
  json::array may, may_not;
  for (core::Disclosure x : core::kAllDisclosures) {
    bool ok = std::find(d.allowed.begin(), d.allowed.end(), x) != d.allowed.end();
    (ok ? may : may_not).emplace_back(core::Name(x));
  }
  std::string guidance;
  if (v && !v->flag_reason.empty()) {
    guidance = "Possible social engineering (" + v->flag_reason +
               "): disclose nothing; a supervisor has been alerted.";
  } else if (d.allowed.empty()) {
    guidance =
        "Not verified: share only general practice information (hours, locations). Ask for the "
        "full name and date of birth, then send a code to the phone or email on record.";
  } else if (d.allowed.size() < std::size(core::kAllDisclosures)) {
    guidance = "Verified representative: discuss only what may_disclose lists.";
  } else {
    guidance = "Verified: the patient may be told about their own care.";
  }
  return {{"state", state},
          {"verified", v && core::IsVerified(*v, now)},
          {"subject", v && v->representative_id ? "representative" : "patient"},
          {"representative_id",
           v && v->representative_id ? json::value(v->representative_id) : json::value(nullptr)},
          {"failures", v ? v->failures : 0},
          {"flagged", v && !v->flag_reason.empty()},
          {"flag_reason", v && !v->flag_reason.empty() ? json::value(json::string(v->flag_reason))
                                                       : json::value(nullptr)},
          {"expires_at", v && v->state == Verification::State::kVerified ? OptTime(v->expires_at)
                                                                         : json::value(nullptr)},
          {"may_disclose", std::move(may)},
          {"may_not_disclose", std::move(may_not)},
          {"guidance", guidance}};
}

json::object MaskedPatientView(const core::Patient& p,
                               const std::vector<core::Disclosure>& allowed) {
  json::object view = PatientView(p);
  if (std::find(allowed.begin(), allowed.end(), core::Disclosure::kRecords) != allowed.end()) {
    return view;
  }
  if (p.date_of_birth) view["date_of_birth"] = core::MaskBirthDate(*p.date_of_birth);
  if (p.phone) view["phone"] = core::MaskPhone(*p.phone);
  if (p.email) view["email"] = core::MaskEmail(*p.email);
  view["masked"] = true;
  return view;
}

Result<Response> GetVerification(Context& ctx) {
  json::object out;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto loaded, Load(tx, ctx));
    CD_TRY_ASSIGN(DisclosureState d, DisclosureOf(tx, loaded.first.id, ctx.now));
    out = DisclosureView(d, ctx.now);
    return {};
  }));
  return JsonResponse(200, out);
}

// POST .../verification/check {"name", "date_of_birth", "representative_id"?}
Result<Response> CheckVerification(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"name", "date_of_birth", "representative_id"}));
  CD_TRY_ASSIGN(std::string name, RequireString(body, "name"));
  CD_TRY_ASSIGN(std::string dob, RequireString(body, "date_of_birth"));
  CD_TRY_ASSIGN(auto rep_id, OptionalInt(body, "representative_id"));
  if (name.size() > 200 || dob.size() > 40) return Invalid("name or date_of_birth too long");
  if (rep_id && *rep_id <= 0)
    return Invalid("representative_id must be positive", "representative_id");
  bool matches = false;
  json::object out;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto loaded, Load(tx, ctx));
    const auto& [c, p] = loaded;
    CD_TRY_ASSIGN(Subject subject, SubjectOf(tx, p, rep_id.value_or(0)));
    CD_TRY_ASSIGN(auto latest, tx.LatestVerification(c.id));
    Verification v = Current(latest, c, ctx, rep_id.value_or(0));
    if (v.state == Verification::State::kFailed) {
      return Conflict("verification is locked after repeated failures; a supervisor reviews it");
    }
    std::vector<core::Event> events;
    matches = core::NamesMatch(name, subject.name) && subject.date_of_birth &&
              core::BirthDatesMatch(dob, *subject.date_of_birth);
    if (matches) {
      if (v.state == Verification::State::kStarted) v.state = Verification::State::kDetailsMatched;
      v.details_matched_at = ctx.now;
    } else if (++v.failures >= core::kMaxVerificationFailures) {
      v.state = Verification::State::kFailed;
      Flag(v, "repeated details that do not match the record", ctx, events);
    }
    // Someone writing from a number or address that is not the one on record.
    CD_TRY_ASSIGN(auto sender, LastSender(tx, c.id));
    if (sender && (c.channel == core::Channel::kSms || c.channel == core::Channel::kPhone) &&
        subject.phone && *sender != *subject.phone && core::LooksLikePhone(*sender)) {
      Flag(v, "writing from a number that is not the one on record", ctx, events);
    } else if (sender && c.channel == core::Channel::kEmail && subject.email &&
               AsciiLower(*sender) != *subject.email) {
      Flag(v, "writing from an address that is not the one on record", ctx, events);
    }
    CD_TRY(Save(tx, v));
    if (!events.empty()) CD_TRY(tx.AppendEvents(events));
    CD_TRY(tx.AppendAudit(AuditOf(
        ctx, "verify_details", "conversation", c.id.value, p.id,
        (matches ? "matches" : "does_not_match") + std::string(rep_id ? " representative" : ""))));
    CD_TRY_ASSIGN(DisclosureState d, DisclosureOf(tx, c.id, ctx.now));
    out = DisclosureView(d, ctx.now);
    return {};
  }));
  return JsonResponse(200, json::object{{"result", matches ? "matches" : "does_not_match"},
                                        {"verification", std::move(out)}});
}

// POST .../verification/code {"channel": "sms" | "email"}: a one-time code to the contact on
// record, queued in the outbox for the sender (jobs/outbox_sender.hpp); the code never appears
// in any answer. 409 when the practice has no provider for the channel, so the agent knows at
// once rather than from a failure later.
Result<Response> SendVerificationCode(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"channel"}));
  CD_TRY_ASSIGN(std::string channel, RequireString(body, "channel"));
  if (channel != "sms" && channel != "email")
    return Invalid("channel must be sms or email", "channel");
  json::object out;
  std::string sent_to;
  Timestamp expires{};
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto loaded, Load(tx, ctx));
    const auto& [c, p] = loaded;
    CD_TRY_ASSIGN(auto latest, tx.LatestVerification(c.id));
    if (!latest ||
        (latest->state != Verification::State::kDetailsMatched &&
         latest->state != Verification::State::kCodeSent) ||
        !latest->details_matched_at ||
        ctx.now - *latest->details_matched_at > core::kDetailsValidFor) {
      return Conflict(
          "check the name and date of birth first (they must match, within 15 minutes)");
    }
    Verification v = *latest;
    CD_TRY_ASSIGN(Subject subject, SubjectOf(tx, p, v.representative_id));
    const std::optional<std::string>& to = channel == "sms" ? subject.phone : subject.email;
    if (!to)
      return Conflict("there is no " + std::string(channel == "sms" ? "phone" : "email") +
                      " on record");
    CD_TRY_ASSIGN(auto provider, tx.GetChannelSettings(channel));
    if (!provider) {
      return Conflict(channel == "sms"
                          ? "this practice has no SMS provider set up; an admin adds one in the "
                            "settings (PUT /api/v1/settings/sms)"
                          : "this practice has no mail server set up; an admin adds one in the "
                            "settings (PUT /api/v1/settings/email)",
                      "channel");
    }
    if (channel == "sms") {
      CD_TRY_ASSIGN(auto consent, tx.GetSmsConsent(*to));
      if (consent && consent->opted_out) {
        return Conflict("the number on record opted out of text messages (" + consent->keyword +
                            "); verify another way",
                        "channel");
      }
    }
    std::string code = std::to_string(100000 + randombytes_uniform(900000));
    v.code_hash = CodeHash(c.id, code);
    v.code_channel = channel;
    v.code_expires_at = expires = ctx.now + core::kCodeValidFor;
    v.state = Verification::State::kCodeSent;
    CD_TRY(Save(tx, v));
    CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
    store::OutboxItem item;
    item.conversation = c.id;
    item.channel = channel;
    item.recipient = *to;
    item.body = tenant.name + ": your verification code is " + code +
                ". It expires in 10 minutes. If you did not ask for it, please call us.";
    if (channel == "email") {
      channels::EmailEnvelope envelope;
      envelope.subject = tenant.name + ": your verification code";
      envelope.text = std::move(item.body);
      item.body = channels::EmailEnvelopeJson(envelope);
    }
    item.purpose = "verification_code";
    item.created_at = ctx.now;
    CD_TRY(tx.QueueOutbound(item));
    sent_to = channel == "sms" ? core::MaskPhone(*to) : core::MaskEmail(*to);
    CD_TRY(tx.AppendAudit(
        AuditOf(ctx, "verify_code_sent", "conversation", c.id.value, p.id, channel)));
    CD_TRY_ASSIGN(DisclosureState d, DisclosureOf(tx, c.id, ctx.now));
    out = DisclosureView(d, ctx.now);
    return {};
  }));
  return JsonResponse(202, json::object{{"sent_to", sent_to},
                                        {"expires_at", FormatRfc3339(expires)},
                                        {"verification", std::move(out)}});
}

// POST .../verification/confirm {"code"}
Result<Response> ConfirmVerification(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"code"}));
  CD_TRY_ASSIGN(std::string code, RequireString(body, "code"));
  code = std::string(Trim(code));
  bool confirmed = false;
  json::object out;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto loaded, Load(tx, ctx));
    const auto& [c, p] = loaded;
    CD_TRY_ASSIGN(auto latest, tx.LatestVerification(c.id));
    if (!latest || latest->state != Verification::State::kCodeSent) {
      return Conflict("no code is waiting to be confirmed");
    }
    Verification v = *latest;
    std::vector<core::Event> events;
    if (!v.code_expires_at || ctx.now >= *v.code_expires_at) {
      v.state = Verification::State::kDetailsMatched;
      v.code_hash.clear();
      CD_TRY(Save(tx, v));
      CD_TRY(
          tx.AppendAudit(AuditOf(ctx, "verify_code", "conversation", c.id.value, p.id, "expired")));
      return {};
    }
    confirmed =
        code.size() <= 12 && security::ConstantTimeEquals(CodeHash(c.id, code), v.code_hash);
    if (confirmed) {
      v.state = Verification::State::kVerified;
      v.verified_at = ctx.now;
      v.expires_at = ctx.now + core::kVerifiedFor;
      v.code_hash.clear();
    } else if (++v.failures >= core::kMaxVerificationFailures) {
      v.state = Verification::State::kFailed;
      v.code_hash.clear();
      Flag(v, "repeated wrong codes", ctx, events);
    }
    CD_TRY(Save(tx, v));
    if (!events.empty()) CD_TRY(tx.AppendEvents(events));
    CD_TRY(tx.AppendAudit(AuditOf(ctx, "verify_code", "conversation", c.id.value, p.id,
                                  confirmed ? "verified" : "wrong_code")));
    CD_TRY_ASSIGN(DisclosureState d, DisclosureOf(tx, c.id, ctx.now));
    out = DisclosureView(d, ctx.now);
    return {};
  }));
  if (out.empty()) return Conflict("the code has expired; send a new one");
  return JsonResponse(200, json::object{{"result", confirmed ? "verified" : "wrong_code"},
                                        {"verification", std::move(out)}});
}

namespace {
json::object RepresentativeView(const core::Representative& r) {
  json::array scope;
  for (core::Disclosure d : r.scope) scope.emplace_back(core::Name(d));
  auto opt = [](const std::optional<std::string>& s) {
    return s ? json::value(json::string(*s)) : json::value(nullptr);
  };
  return {{"id", r.id},
          {"patient_id", r.patient.value},
          {"name", r.name},
          {"relationship", r.relationship},
          {"date_of_birth", opt(r.date_of_birth)},
          {"phone", opt(r.phone)},
          {"email", opt(r.email)},
          {"scope", std::move(scope)},
          {"created_at", FormatRfc3339(r.created_at)},
          {"revoked_at", r.revoked_at ? json::value(json::string(FormatRfc3339(*r.revoked_at)))
                                      : json::value(nullptr)}};
}
}  // namespace

Result<Response> ListRepresentatives(Context& ctx) {
  PatientId id{ctx.ids.at(0)};
  CD_TRY_ASSIGN(auto reps,
                store::ReadValue<std::vector<core::Representative>>(
                    ctx.store, ctx.who.tenant,
                    [&](store::TenantTx& tx) -> Result<std::vector<core::Representative>> {
                      CD_TRY(tx.GetPatient(id));
                      return tx.Representatives(id);
                    }));
  json::array items;
  for (const auto& r : reps) items.emplace_back(RepresentativeView(r));
  ctx.audit.Record(ctx.who.tenant, AuditOf(ctx, "read", "representatives", id.value, id));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

// POST /patients/{id}/representatives {"name", "relationship", "date_of_birth", "phone"?,
// "email"?, "scope": [...]}: someone the patient authorized, and what they may be told.
Result<Response> CreateRepresentative(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body,
                            {"name", "relationship", "date_of_birth", "phone", "email", "scope"}));
  core::Representative rep;
  rep.patient = PatientId{ctx.ids.at(0)};
  CD_TRY_ASSIGN(rep.name, RequireString(body, "name"));
  rep.name = std::string(Trim(rep.name));
  if (rep.name.empty() || rep.name.size() > 200)
    return Invalid("name must be 1 to 200 characters", "name");
  CD_TRY_ASSIGN(rep.relationship, RequireString(body, "relationship"));
  rep.relationship = AsciiLower(Trim(rep.relationship));
  if (rep.relationship.empty() || rep.relationship.size() > 40) {
    return Invalid("relationship must be 1 to 40 characters", "relationship");
  }
  CD_TRY_ASSIGN(std::string dob, RequireString(body, "date_of_birth"));
  CD_TRY(core::ValidateDateOfBirth(dob, ctx.now));
  rep.date_of_birth = dob;
  CD_TRY_ASSIGN(auto phone, OptionalString(body, "phone"));
  if (phone) {
    CD_TRY_ASSIGN(rep.phone, core::NormalizePhone(*phone, "1", "phone"));
  }
  CD_TRY_ASSIGN(auto email, OptionalString(body, "email"));
  if (email) {
    CD_TRY_ASSIGN(rep.email, core::NormalizeEmail(*email, "email"));
  }
  CD_TRY_ASSIGN(auto scope, OptionalStringArray(body, "scope"));
  if (!scope || scope->empty())
    return Invalid("scope must name at least one of scheduling, billing, clinical, records",
                   "scope");
  for (const std::string& s : *scope) {
    auto d = core::ParseDisclosure(s);
    if (!d) return Invalid("scope must be among scheduling, billing, clinical, records", "scope");
    if (std::find(rep.scope.begin(), rep.scope.end(), *d) == rep.scope.end())
      rep.scope.push_back(*d);
  }
  rep.created_at = ctx.now;
  CD_TRY_ASSIGN(
      core::Representative made,
      store::WriteValue<core::Representative>(
          ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<core::Representative> {
            CD_TRY_ASSIGN(core::Representative r, tx.InsertRepresentative(rep));
            std::string detail = "scope=";
            for (core::Disclosure d : r.scope) detail += std::string(core::Name(d)) + ",";
            detail.pop_back();
            CD_TRY(
                tx.AppendAudit(AuditOf(ctx, "create", "representative", r.id, r.patient, detail)));
            return r;
          }));
  return JsonResponse(201, RepresentativeView(made));
}

Result<Response> RevokeRepresentative(Context& ctx) {
  std::int64_t id = ctx.ids.at(0);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::Representative r, tx.GetRepresentative(id));
    CD_TRY(tx.RevokeRepresentative(id, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "revoke", "representative", id, r.patient));
  }));
  Response r;
  r.status = 204;
  return r;
}

// GET /alerts: conversations flagged as possible social engineering, newest first.
Result<Response> ListAlerts(Context& ctx) {
  CD_TRY_ASSIGN(auto flagged, store::ReadValue<std::vector<Verification>>(
                                  ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                                    return tx.FlaggedVerifications(0, 100);
                                  }));
  json::array items;
  std::string shown = "patients=";
  for (const Verification& v : flagged) {
    items.emplace_back(json::object{{"kind", "social_engineering_suspected"},
                                    {"verification_id", v.id},
                                    {"conversation_id", v.conversation.value},
                                    {"patient_id", v.patient.value},
                                    {"reason", v.flag_reason},
                                    {"state", core::Name(v.state)},
                                    {"failures", v.failures},
                                    {"started_by", v.started_by.value},
                                    {"created_at", FormatRfc3339(v.created_at)}});
    shown += std::to_string(v.patient.value) + ",";
  }
  ctx.audit.Record(ctx.who.tenant, AuditOf(ctx, "read", "alerts", 0, PatientId{}, shown));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

}  // namespace caredesk::http
