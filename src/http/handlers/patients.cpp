// Patients: search by name, phone (any written form) or email; create; read; partial update.
#include <boost/json/array.hpp>

#include <charconv>

#include "base/text.hpp"
#include "core/inbox/phone.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/views.hpp"
#include "http/json_input.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

#define CD_PATIENT_FIELDS                                                                      \
  {                                                                                            \
    "name", "date_of_birth", "phone", "email", "language", "preferred_channel", "consent_sms", \
        "consent_email"                                                                        \
  }

// Applies the fields present in `body` to `p`. With `partial`, absent fields keep their value
// and explicit nulls clear optional ones.
Result<void> ApplyPatientFields(const json::object& body, core::Patient& p, bool partial) {
  if (!partial || body.contains("name")) {
    CD_TRY_ASSIGN(std::string name, RequireString(body, "name"));
    name = std::string(Trim(name));
    if (name.empty()) return Invalid("name must not be empty", "name");
    p.name = std::move(name);
  }
  if (IsExplicitNull(body, "date_of_birth")) p.date_of_birth.reset();
  CD_TRY_ASSIGN(auto dob, OptionalString(body, "date_of_birth"));
  if (dob) p.date_of_birth = *dob;
  if (IsExplicitNull(body, "phone")) p.phone.reset();
  CD_TRY_ASSIGN(auto phone, OptionalString(body, "phone"));
  if (phone) {
    CD_TRY_ASSIGN(p.phone, core::NormalizePhone(*phone));
  }
  if (IsExplicitNull(body, "email")) p.email.reset();
  CD_TRY_ASSIGN(auto email, OptionalString(body, "email"));
  if (email) {
    CD_TRY_ASSIGN(p.email, core::NormalizeEmail(*email));
  }
  CD_TRY_ASSIGN(auto language, OptionalString(body, "language"));
  if (language) p.language = *language;
  if (IsExplicitNull(body, "preferred_channel")) p.preferred_channel.reset();
  CD_TRY_ASSIGN(auto channel, OptionalString(body, "preferred_channel"));
  if (channel) {
    p.preferred_channel = core::ParseChannel(*channel);
    if (!p.preferred_channel)
      return Invalid("preferred_channel must be a channel name", "preferred_channel");
  }
  CD_TRY_ASSIGN(auto sms, OptionalBool(body, "consent_sms"));
  if (sms) p.consent_sms = *sms;
  CD_TRY_ASSIGN(auto mail, OptionalBool(body, "consent_email"));
  if (mail) p.consent_email = *mail;
  return {};
}

}  // namespace

Result<Response> ListPatients(Context& ctx) {
  std::string q;
  PatientId after;
  int limit = 50;
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "q") {
      if (value.size() > 200 || !IsValidUtf8(value))
        return Invalid("q must be at most 200 characters of text", "q");
      q = std::string(Trim(value));
    } else if (key == "limit") {
      int v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || end != value.data() + value.size() || v < 1 || v > 200) {
        return Invalid("limit must be between 1 and 200", "limit");
      }
      limit = v;
    } else if (key == "cursor") {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || end != value.data() + value.size() || v <= 0) {
        return Invalid("cursor is not one this server issued", "cursor");
      }
      after = PatientId{v};
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  std::optional<std::string> phone, email;
  std::string name = q;
  if (!q.empty() && core::LooksLikePhone(q)) {
    auto e164 = core::NormalizePhone(q, "1", "q");
    if (e164) {
      phone = *e164;
      name.clear();
    }
  } else if (q.find('@') != std::string::npos) {
    auto normalized = core::NormalizeEmail(q, "q");
    if (normalized) {
      email = *normalized;
      name.clear();
    }
  }
  CD_TRY_ASSIGN(auto patients, store::ReadValue<std::vector<core::Patient>>(
                                   ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                                     return tx.SearchPatients(name, phone, email, after, limit + 1);
                                   }));
  json::array items;
  std::string shown = "patients=";
  for (std::size_t i = 0; i < patients.size() && i < static_cast<std::size_t>(limit); ++i) {
    items.emplace_back(PatientView(patients[i]));
    if (i) shown.push_back(',');
    shown += std::to_string(patients[i].id.value);
  }
  ctx.audit.Record(ctx.who.tenant,
                   AuditOf(ctx, "read", "patient_list", 0, PatientId{}, std::move(shown)));
  json::value next = nullptr;
  if (patients.size() > static_cast<std::size_t>(limit)) {
    next = json::string(std::to_string(patients[limit - 1].id.value));
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

Result<Response> CreatePatient(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, CD_PATIENT_FIELDS));
  core::Patient p;
  CD_TRY(ApplyPatientFields(body, p, /*partial=*/false));
  CD_TRY(core::ValidatePatient(p, ctx.now));
  p.created_at = p.updated_at = ctx.now;
  CD_TRY_ASSIGN(
      core::Patient created,
      store::WriteValue<core::Patient>(
          ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<core::Patient> {
            CD_TRY_ASSIGN(core::Patient out, tx.InsertPatient(p));
            std::vector<core::Event> events(1);
            events[0].type = "patient_created";
            events[0].at = ctx.now;
            events[0].patient_id = out.id;
            events[0].actor = ctx.who.user;
            CD_TRY(tx.AppendEvents(events));
            CD_TRY(tx.AppendAudit(AuditOf(ctx, "create", "patient", out.id.value, out.id)));
            return out;
          }));
  return JsonResponse(201, PatientView(created));
}

Result<Response> GetPatient(Context& ctx) {
  PatientId id{ctx.ids.at(0)};
  CD_TRY_ASSIGN(core::Patient p, store::ReadValue<core::Patient>(
                                     ctx.store, ctx.who.tenant,
                                     [&](store::TenantTx& tx) { return tx.GetPatient(id); }));
  ctx.audit.Record(ctx.who.tenant, AuditOf(ctx, "read", "patient", id.value, id));
  return JsonResponse(200, PatientView(p));
}

Result<Response> PatchPatient(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, CD_PATIENT_FIELDS));
  PatientId id{ctx.ids.at(0)};
  CD_TRY_ASSIGN(core::Patient updated,
                store::WriteValue<core::Patient>(
                    ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<core::Patient> {
                      CD_TRY_ASSIGN(core::Patient p, tx.GetPatient(id));
                      CD_TRY(ApplyPatientFields(body, p, /*partial=*/true));
                      CD_TRY(core::ValidatePatient(p, ctx.now));
                      p.updated_at = ctx.now;
                      CD_TRY(tx.UpdatePatient(p));
                      std::string fields;
                      for (const auto& kv : body)
                        fields += (fields.empty() ? "" : ",") + std::string(kv.key());
                      std::vector<core::Event> events(1);
                      events[0].type = "patient_updated";
                      events[0].at = ctx.now;
                      events[0].patient_id = id;
                      events[0].actor = ctx.who.user;
                      events[0].data = {{"fields", fields}};
                      CD_TRY(tx.AppendEvents(events));
                      CD_TRY(tx.AppendAudit(
                          AuditOf(ctx, "update", "patient", id.value, id, "fields=" + fields)));
                      return p;
                    }));
  return JsonResponse(200, PatientView(updated));
}

// Who saw or changed this patient's information: the privacy officer's report (admins and
// auditors; see the route table). Looking is itself recorded.
Result<Response> GetPatientAccessLog(Context& ctx) {
  PatientId id{ctx.ids.at(0)};
  std::int64_t before = 0;
  int limit = 100;
  for (const auto& [key, value] : ctx.request.query) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    bool number = ec == std::errc{} && end == value.data() + value.size() && v > 0;
    if (key == "cursor") {
      if (!number) return Invalid("cursor is not one this server issued", "cursor");
      before = v;
    } else if (key == "limit") {
      if (!number || v > 500) return Invalid("limit must be between 1 and 500", "limit");
      limit = static_cast<int>(v);
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  CD_TRY_ASSIGN(auto records,
                store::ReadValue<std::vector<store::AuditRecord>>(
                    ctx.store, ctx.who.tenant,
                    [&](store::TenantTx& tx) -> Result<std::vector<store::AuditRecord>> {
                      CD_TRY(tx.GetPatient(id));  // 404 for another tenant's id
                      return tx.PatientAccessLog(id, before, limit + 1);
                    }));
  json::array items;
  for (std::size_t i = 0; i < records.size() && i < static_cast<std::size_t>(limit); ++i) {
    const store::AuditRecord& r = records[i];
    items.emplace_back(
        json::object{{"id", r.id},
                     {"at", FormatRfc3339(r.at)},
                     {"actor_id", r.actor ? json::value(r.actor.value) : json::value(nullptr)},
                     {"session", r.session},
                     {"remote_address", r.remote_address},
                     {"action", r.action},
                     {"object_type", r.object_type},
                     {"object_id", r.object_id ? json::value(r.object_id) : json::value(nullptr)}});
  }
  json::value next = nullptr;
  if (records.size() > static_cast<std::size_t>(limit)) {
    next = json::string(std::to_string(records[limit - 1].id));
  }
  ctx.audit.Record(ctx.who.tenant, AuditOf(ctx, "read", "patient_access_log", id.value, id));
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

}  // namespace caredesk::http
