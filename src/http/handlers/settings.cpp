// The practice's own settings, which its admins and supervisors keep without a developer:
// business hours, time zone and holidays; locations with their hours and holidays; and the
// response-time targets (SLA policies) by queue, channel and priority. Everyone on staff may
// read them; who may change them is decided with every other route's roles in api.cpp.
// Also the canned responses every agent's composer offers.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/text.hpp"
#include "core/inbox/canned.hpp"
#include "core/sla/policy.hpp"
#include "core/tenancy/calendar.hpp"
#include "http/handlers/context.hpp"
#include "http/json_input.hpp"
#include "jobs/kpi_rollup.hpp"
#include "jobs/report_settings.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

using std::chrono::minutes;

json::array Strings(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& s : items) out.emplace_back(s);
  return out;
}

json::object SettingsView(const store::Tenant& t) {
  return {{"slug", t.slug},
          {"name", t.name},
          {"time_zone", t.time_zone},
          {"business_hours", t.business_hours},
          {"holidays", Strings(t.holidays)},
          {"require_second_factor", t.require_second_factor},
          {"retention_days", t.retention_days}};
}

json::object LocationView(const store::Location& l) {
  return {
      {"id", l.id.value},
      {"name", l.name},
      {"address", l.address},
      {"business_hours", l.business_hours.empty() ? json::value(nullptr)
                                                  : json::value(json::string(l.business_hours))},
      {"holidays", Strings(l.holidays)}};
}

json::value NameOrNull(const std::optional<std::string>& s) {
  return s ? json::value(json::string(*s)) : json::value(nullptr);
}

json::object PolicyView(const core::SlaPolicy& p) {
  auto in_minutes = [](Millis m) { return std::chrono::duration_cast<minutes>(m).count(); };
  return {{"id", p.id},
          {"name", p.name},
          {"queue", NameOrNull(p.queue)},
          {"channel",
           p.channel ? json::value(json::string(core::Name(*p.channel))) : json::value(nullptr)},
          {"priority",
           p.priority ? json::value(json::string(core::Name(*p.priority))) : json::value(nullptr)},
          {"first_response_minutes", in_minutes(p.targets.first_response)},
          {"next_response_minutes", in_minutes(p.targets.next_response)},
          {"resolution_minutes", in_minutes(p.targets.resolution)},
          {"at_risk_percent", std::llround(p.targets.at_risk_fraction * 100)}};
}

// Canonical business hours text; "" stays "" where `empty_ok` (a location using the
// practice's hours).
Result<std::string> CanonicalHours(const std::string& text, bool empty_ok, std::string field) {
  if (empty_ok && Trim(text).empty()) return std::string();
  auto parsed = core::ParseWeeklyHours(text);
  if (!parsed) {
    Error e = parsed.error();
    e.field = std::move(field);
    return e;
  }
  return core::FormatWeeklyHours(*parsed);
}

Result<std::vector<std::string>> CanonicalHolidays(const std::vector<std::string>& dates) {
  CD_TRY_ASSIGN(auto days, core::ParseHolidays(dates, "holidays"));
  std::vector<std::string> out;
  out.reserve(days.size());
  for (const auto& d : days) out.push_back(core::FormatDate(d));
  return out;
}

Result<std::string> NonEmptyName(const json::object& body, std::size_t max) {
  CD_TRY_ASSIGN(std::string name, RequireString(body, "name"));
  name = std::string(Trim(name));
  if (name.empty() || name.size() > max) {
    return Invalid("name must have 1 to " + std::to_string(max) + " characters", "name");
  }
  return name;
}

// Applies the policy fields present in `body` (null clears a condition).
Result<void> ApplyPolicyFields(const json::object& body, core::SlaPolicy& p, bool partial) {
  if (!partial || body.contains("name")) {
    CD_TRY_ASSIGN(p.name, NonEmptyName(body, 80));
  }
  if (IsExplicitNull(body, "queue")) p.queue.reset();
  CD_TRY_ASSIGN(auto queue, OptionalString(body, "queue"));
  if (queue) {
    if (queue->empty() || queue->size() > 64) {
      return Invalid("queue must have 1 to 64 characters", "queue");
    }
    p.queue = *queue;
  }
  if (IsExplicitNull(body, "channel")) p.channel.reset();
  CD_TRY_ASSIGN(auto channel, OptionalString(body, "channel"));
  if (channel) {
    p.channel = core::ParseChannel(*channel);
    if (!p.channel)
      return Invalid("channel must be one of chat, sms, email, phone, web", "channel");
  }
  if (IsExplicitNull(body, "priority")) p.priority.reset();
  CD_TRY_ASSIGN(auto priority, OptionalString(body, "priority"));
  if (priority) {
    p.priority = core::ParsePriority(*priority);
    if (!p.priority) return Invalid("priority must be low, normal, high or urgent", "priority");
  }
  constexpr std::int64_t kYearMinutes = std::int64_t{365} * 24 * 60;
  const std::pair<const char*, Millis*> targets[] = {
      {"first_response_minutes", &p.targets.first_response},
      {"next_response_minutes", &p.targets.next_response},
      {"resolution_minutes", &p.targets.resolution}};
  for (const auto& [key, target] : targets) {
    CD_TRY_ASSIGN(auto value, OptionalInt(body, key));
    if (!value) continue;
    if (*value < 1 || *value > kYearMinutes) {
      return Invalid("targets are 1 minute to 365 days, in minutes", key);
    }
    *target = minutes(*value);
  }
  CD_TRY_ASSIGN(auto percent, OptionalInt(body, "at_risk_percent"));
  if (percent) {
    if (*percent < 1 || *percent > 99) {
      return Invalid("at_risk_percent must be 1 to 99", "at_risk_percent");
    }
    p.targets.at_risk_fraction = static_cast<double>(*percent) / 100.0;
  }
  return core::ValidateTargets(p.targets);
}

Result<void> ApplyLocationFields(const json::object& body, store::Location& l, bool partial) {
  if (!partial || body.contains("name")) {
    CD_TRY_ASSIGN(l.name, NonEmptyName(body, 120));
  }
  CD_TRY_ASSIGN(auto address, OptionalString(body, "address"));
  if (address) {
    if (address->size() > 300) return Invalid("address must be at most 300 characters", "address");
    l.address = std::string(Trim(*address));
  }
  if (IsExplicitNull(body, "business_hours")) l.business_hours.clear();
  CD_TRY_ASSIGN(auto hours, OptionalString(body, "business_hours"));
  if (hours) {
    CD_TRY_ASSIGN(l.business_hours, CanonicalHours(*hours, /*empty_ok=*/true, "business_hours"));
  }
  CD_TRY_ASSIGN(auto holidays, OptionalStringArray(body, "holidays"));
  if (holidays) {
    CD_TRY_ASSIGN(l.holidays, CanonicalHolidays(*holidays));
  }
  return {};
}

// The fields a policy or a location may be created or changed with; others are refused.
Result<json::object> ParsePolicyBody(const Context& ctx) {
  return ParseObject(ctx.request.body,
                     {"name", "queue", "channel", "priority", "first_response_minutes",
                      "next_response_minutes", "resolution_minutes", "at_risk_percent"});
}
Result<json::object> ParseLocationBody(const Context& ctx) {
  return ParseObject(ctx.request.body, {"name", "address", "business_hours", "holidays"});
}

core::Event SettingsEvent(const Context& ctx, std::string type,
                          std::vector<std::pair<std::string, std::string>> data) {
  core::Event e;
  e.type = std::move(type);
  e.at = ctx.now;
  e.actor = ctx.who.user;
  e.data = std::move(data);
  return e;
}

std::string ChangedFields(const json::object& body) {
  std::string fields;
  for (const auto& kv : body) fields += (fields.empty() ? "" : ",") + std::string(kv.key());
  return fields;
}

}  // namespace

Result<Response> GetSettings(Context& ctx) {
  CD_TRY_ASSIGN(store::Tenant t,
                store::ReadValue<store::Tenant>(
                    ctx.store, ctx.who.tenant, [](store::TenantTx& tx) { return tx.GetTenant(); }));
  return JsonResponse(200, SettingsView(t));
}

// A change of time zone, hours or holidays moves every running SLA deadline in
// the same commit: thresholds already passed under the old calendar are recorded first, then
// the deadlines are recomputed under the new one.
Result<Response> PatchSettings(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"name", "time_zone", "business_hours", "holidays",
                                               "require_second_factor", "retention_days"}));
  if (body.empty()) return Invalid("give at least one setting to change");
  store::Tenant updated;
  auto stored = ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Tenant t, tx.GetTenant());
    if (body.contains("name")) {
      CD_TRY_ASSIGN(t.name, NonEmptyName(body, 120));
    }
    CD_TRY_ASSIGN(auto tz, OptionalString(body, "time_zone"));
    if (tz) t.time_zone = *tz;
    CD_TRY_ASSIGN(auto hours, OptionalString(body, "business_hours"));
    if (hours) {
      CD_TRY_ASSIGN(t.business_hours, CanonicalHours(*hours, false, "business_hours"));
    }
    CD_TRY_ASSIGN(auto holidays, OptionalStringArray(body, "holidays"));
    if (holidays) {
      CD_TRY_ASSIGN(t.holidays, CanonicalHolidays(*holidays));
    }
    CD_TRY_ASSIGN(auto retention, OptionalInt(body, "retention_days"));
    if (retention) {
      if (*retention < 30 || *retention > 36500) {
        return Invalid("retention_days must be between 30 and 36500", "retention_days");
      }
      t.retention_days = static_cast<int>(*retention);
      CD_TRY(tx.AppendAudit(AuditOf(ctx, "update", "settings", 0, PatientId{},
                                    "retention_days=" + std::to_string(*retention))));
    }
    CD_TRY_ASSIGN(auto second_factor, OptionalBool(body, "require_second_factor"));
    if (second_factor) {
      t.require_second_factor = *second_factor;
      CD_TRY(tx.AppendAudit(
          AuditOf(ctx, "update", "settings", 0, PatientId{},
                  *second_factor ? "require_second_factor=on" : "require_second_factor=off")));
    }
    CD_TRY_ASSIGN(auto weekly, core::ParseWeeklyHours(t.business_hours));
    CD_TRY_ASSIGN(auto days, core::ParseHolidays(t.holidays));
    CD_TRY(core::BusinessCalendar::Create(t.time_zone, weekly, days));  // names a bad zone

    CD_TRY_ASSIGN(core::BusinessCalendar before, tx.Calendar());
    CD_TRY(tx.UpdateTenantSettings(t));
    CD_TRY_ASSIGN(core::BusinessCalendar after, tx.Calendar());
    std::vector<core::Event> events;
    std::size_t moved = 0;
    if (tz || hours || holidays) {
      CD_TRY_ASSIGN(auto ids, tx.UnclosedConversations());
      for (ConversationId id : ids) {
        CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(id));
        core::Decision d = core::ChangeCalendar(c, ctx.now, before);
        CD_TRY(tx.UpdateConversation(d.conversation, after, ctx.now));
        events.insert(events.end(), d.events.begin(), d.events.end());
        ++moved;
      }
    }
    events.push_back(SettingsEvent(
        ctx, "settings_updated",
        {{"fields", ChangedFields(body)}, {"conversations_rescheduled", std::to_string(moved)}}));
    CD_TRY(tx.AppendEvents(events));
    updated = std::move(t);
    return {};
  });
  if (!stored) return stored.error();
  return JsonResponse(200, SettingsView(updated));
}

Result<Response> ListLocations(Context& ctx) {
  CD_TRY_ASSIGN(auto locations,
                store::ReadValue<std::vector<store::Location>>(
                    ctx.store, ctx.who.tenant, [](store::TenantTx& tx) { return tx.Locations(); }));
  json::array items;
  for (const auto& l : locations) items.emplace_back(LocationView(l));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

Result<Response> CreateLocation(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseLocationBody(ctx));
  store::Location l;
  CD_TRY(ApplyLocationFields(body, l, /*partial=*/false));
  CD_TRY_ASSIGN(
      store::Location created,
      store::WriteValue<store::Location>(
          ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<store::Location> {
            CD_TRY_ASSIGN(store::Location out, tx.InsertLocation(l));
            std::vector<core::Event> events{SettingsEvent(
                ctx, "location_created", {{"location_id", std::to_string(out.id.value)}})};
            CD_TRY(tx.AppendEvents(events));
            return out;
          }));
  return JsonResponse(201, LocationView(created));
}

Result<Response> PatchLocation(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseLocationBody(ctx));
  LocationId id{ctx.ids.at(0)};
  CD_TRY_ASSIGN(
      store::Location updated,
      store::WriteValue<store::Location>(
          ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<store::Location> {
            CD_TRY_ASSIGN(auto all, tx.Locations());
            auto it = std::find_if(all.begin(), all.end(),
                                   [&](const store::Location& l) { return l.id == id; });
            if (it == all.end()) return NotFound("location not found");
            CD_TRY(ApplyLocationFields(body, *it, /*partial=*/true));
            CD_TRY(tx.UpdateLocation(*it));
            std::vector<core::Event> events{SettingsEvent(
                ctx, "location_updated",
                {{"location_id", std::to_string(id.value)}, {"fields", ChangedFields(body)}})};
            CD_TRY(tx.AppendEvents(events));
            return *it;
          }));
  return JsonResponse(200, LocationView(updated));
}

Result<Response> ListSlaPolicies(Context& ctx) {
  CD_TRY_ASSIGN(auto policies, store::ReadValue<std::vector<core::SlaPolicy>>(
                                   ctx.store, ctx.who.tenant,
                                   [](store::TenantTx& tx) { return tx.SlaPolicies(); }));
  json::array items;
  for (const auto& p : policies) items.emplace_back(PolicyView(p));
  core::SlaPolicy fallback;  // what applies when no policy matches
  return JsonResponse(200,
                      json::object{{"items", std::move(items)}, {"default", PolicyView(fallback)}});
}

// A new or changed policy applies to conversations opened afterwards
// and to any conversation when it is next routed (queue, priority); a conversation keeps the
// targets it was given until then, so its deadline never jumps under an agent's feet.
Result<Response> CreateSlaPolicy(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParsePolicyBody(ctx));
  core::SlaPolicy p;
  CD_TRY(ApplyPolicyFields(body, p, /*partial=*/false));
  CD_TRY_ASSIGN(core::SlaPolicy created,
                store::WriteValue<core::SlaPolicy>(
                    ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<core::SlaPolicy> {
                      CD_TRY_ASSIGN(core::SlaPolicy out, tx.InsertSlaPolicy(p));
                      std::vector<core::Event> events{SettingsEvent(
                          ctx, "sla_policy_created", {{"sla_policy_id", std::to_string(out.id)}})};
                      CD_TRY(tx.AppendEvents(events));
                      return out;
                    }));
  return JsonResponse(201, PolicyView(created));
}

Result<Response> PatchSlaPolicy(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParsePolicyBody(ctx));
  std::int64_t id = ctx.ids.at(0);
  CD_TRY_ASSIGN(
      core::SlaPolicy updated,
      store::WriteValue<core::SlaPolicy>(
          ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<core::SlaPolicy> {
            CD_TRY_ASSIGN(auto all, tx.SlaPolicies());
            auto it = std::find_if(all.begin(), all.end(),
                                   [&](const core::SlaPolicy& p) { return p.id == id; });
            if (it == all.end()) return NotFound("SLA policy not found");
            CD_TRY(ApplyPolicyFields(body, *it, /*partial=*/true));
            CD_TRY(tx.UpdateSlaPolicy(*it));
            std::vector<core::Event> events{SettingsEvent(
                ctx, "sla_policy_updated",
                {{"sla_policy_id", std::to_string(id)}, {"fields", ChangedFields(body)}})};
            CD_TRY(tx.AppendEvents(events));
            return *it;
          }));
  return JsonResponse(200, PolicyView(updated));
}

Result<Response> DeleteSlaPolicy(Context& ctx) {
  std::int64_t id = ctx.ids.at(0);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.DeleteSlaPolicy(id));
    std::vector<core::Event> events{
        SettingsEvent(ctx, "sla_policy_deleted", {{"sla_policy_id", std::to_string(id)}})};
    return tx.AppendEvents(events);
  }));
  Response r;
  r.status = 204;
  return r;
}

// ---- Canned responses: one list per practice, kept as the "canned_responses" settings
// document and replaced whole, so an edit is one atomic change an auditor can see.

namespace {

constexpr std::string_view kCannedDocument = "canned_responses";

json::object CannedView(const std::vector<core::CannedResponse>& items) {
  json::array out;
  for (const core::CannedResponse& c : items) {
    out.push_back(json::object{{"title", c.title}, {"shortcut", c.shortcut}, {"text", c.text}});
  }
  return json::object{{"items", std::move(out)}};
}

Result<std::vector<core::CannedResponse>> ParseCanned(std::string_view body) {
  CD_TRY_ASSIGN(json::object o, ParseObject(body, {"items"}));
  auto items = o.find("items");
  if (items == o.end() || !items->value().is_array()) {
    return Invalid("items must be an array of canned responses", "items");
  }
  std::vector<core::CannedResponse> out;
  const json::array& list = items->value().as_array();
  if (list.size() > core::kMaxCannedResponses) {
    return Invalid("at most 200 canned responses", "items");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string prefix = "items[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return Invalid("must be an object", prefix);
    const json::object& item = list[i].as_object();
    CD_TRY(CheckKeys(item, {"title", "shortcut", "text"}, prefix));
    // Each field named with its item ("items[3].text"), so the form can point at it.
    auto text = [&](std::string_view key, bool required) -> Result<std::string> {
      auto it = item.find(key);
      if (it == item.end() || it->value().is_null()) {
        if (required) return Invalid("is required", prefix + "." + std::string(key));
        return std::string();
      }
      if (!it->value().is_string())
        return Invalid("must be a string", prefix + "." + std::string(key));
      return std::string(it->value().as_string());
    };
    core::CannedResponse c;
    CD_TRY_ASSIGN(c.title, text("title", true));
    CD_TRY_ASSIGN(c.text, text("text", true));
    CD_TRY_ASSIGN(c.shortcut, text("shortcut", false));
    out.push_back(std::move(c));
  }
  CD_TRY(core::ValidateCannedResponses(out));
  return out;
}

}  // namespace

Result<Response> GetCannedResponses(Context& ctx) {
  CD_TRY_ASSIGN(auto stored, store::ReadValue<std::optional<store::ChannelSettings>>(
                                 ctx.store, ctx.who.tenant, [](store::TenantTx& tx) {
                                   return tx.GetChannelSettings(kCannedDocument);
                                 }));
  if (!stored) return JsonResponse(200, json::object{{"items", json::array{}}});
  // Stored only after ParseCanned accepted it.
  CD_TRY_ASSIGN(auto items, ParseCanned(stored->settings));
  return JsonResponse(200, CannedView(items));
}

Result<Response> PutCannedResponses(Context& ctx) {
  CD_TRY_ASSIGN(auto items, ParseCanned(ctx.request.body));
  json::object view = CannedView(items);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(
        tx.PutChannelSettings({std::string(kCannedDocument), json::serialize(view), ""}, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "update", "settings", 0, PatientId{0},
                                  "canned_responses " + std::to_string(items.size())));
  }));
  return JsonResponse(200, view);
}

// GET /api/v1/settings/reports: the practice's targets and thresholds for the figures, the
// staffing advisor and wellbeing, every field filled (defaults where none was set).
Result<Response> GetReportSettings(Context& ctx) {
  CD_TRY_ASSIGN(
      jobs::ReportSettings settings,
      store::ReadValue<jobs::ReportSettings>(ctx.store, ctx.who.tenant, [](store::TenantTx& tx) {
        return jobs::LoadReportSettings(tx);
      }));
  return JsonResponse(200, json::parse(jobs::ReportSettingsJson(settings)));
}

// PUT /api/v1/settings/reports: replaces them (fields left out take their defaults). A new
// short-abandon time counts every call again: the KPI rollup re-reads them all.
Result<Response> PutReportSettings(Context& ctx) {
  CD_TRY_ASSIGN(jobs::ReportSettings settings, jobs::ParseReportSettings(ctx.request.body));
  std::string text = jobs::ReportSettingsJson(settings);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(jobs::ReportSettings before, jobs::LoadReportSettings(tx));
    CD_TRY(tx.PutChannelSettings({"reports", text, ""}, ctx.now));
    if (before.kpi.phone.short_abandon_seconds != settings.kpi.phone.short_abandon_seconds) {
      CD_TRY(jobs::RecountCalls(tx));
    }
    return tx.AppendAudit(AuditOf(ctx, "update", "settings", 0, PatientId{0}, "reports"));
  }));
  return JsonResponse(200, json::parse(text));
}

Result<void> RequireOwnLocation(store::TenantTx& tx, LocationId id, const char* field) {
  CD_TRY_ASSIGN(auto locations, tx.Locations());
  if (std::none_of(locations.begin(), locations.end(),
                   [&](const store::Location& l) { return l.id == id; })) {
    return Invalid("no such location in this practice", field);
  }
  return {};
}

}  // namespace caredesk::http
