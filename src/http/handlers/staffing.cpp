// The staffing advisor: one Erlang calculation (GET /api/v1/staffing/erlang) and the weekly plan
// (GET /api/v1/staffing?week=YYYY-Www), which measures the weeks before (jobs/staffing) and
// plans each half-hour (core/staffing/plan).
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "base/text.hpp"
#include "core/analytics/kpi.hpp"
#include "core/staffing/erlang.hpp"
#include "core/staffing/plan.hpp"
#include "http/handlers/context.hpp"
#include "jobs/report_settings.hpp"
#include "jobs/staffing.hpp"
#include "jobs/wellbeing.hpp"

namespace caredesk::http {
namespace json = boost::json;

namespace {

// Rates and seconds rounded for reading (4 decimals), whole numbers as integers.
json::value Rounded(double v) {
  const double r = std::round(v * 10000) / 10000;
  if (r == std::floor(r) && std::fabs(r) < 9e15) return static_cast<std::int64_t>(r);
  return r;
}

json::object NeedJson(const core::WorkloadNeed& n) {
  json::object o{{"contacts", Rounded(n.contacts)},
                 {"aht_s", Rounded(n.handle_seconds)},
                 {"agents", n.agents},
                 {"service_level", Rounded(n.service_level)},
                 {"occupancy", Rounded(n.occupancy)},
                 {"method", n.method.empty() ? json::value(nullptr) : json::value(n.method)}};
  if (n.abandon_probability) o["abandon_probability"] = Rounded(*n.abandon_probability);
  return o;
}

json::object AlertJson(const core::PlanAlert& a, std::int32_t monday) {
  json::object o{{"kind", a.kind}, {"message", a.message}};
  if (a.from_slot >= 0) {
    o["day"] = core::SlotDay(a.from_slot);
    o["date"] = DayText(monday + a.from_slot / core::kSlotsPerDay);
    o["from"] = core::SlotTime(a.from_slot);
    o["to"] = core::SlotEnd(a.to_slot);
  }
  if (a.kind == "add_staff" || a.kind == "unmatched_phone_agents") o["agents"] = a.agents;
  return o;
}

}  // namespace

// GET /api/v1/staffing/erlang?contacts=N&interval_s=S&aht_s=S&target_s=S&service_level=F
// &shrinkage=F[&concurrency=N&max_occupancy=F&patience_s=S]: agents for one interval.
Result<Response> GetErlang(Context& ctx) {
  std::optional<double> contacts, interval, aht, patience;
  double concurrency = 1;
  core::StaffingTarget target;
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "contacts") {
      CD_TRY_ASSIGN(contacts, QueryNumber(value, 0, 1e6, "contacts"));
    } else if (key == "interval_s") {
      CD_TRY_ASSIGN(interval, QueryNumber(value, 60, 86400, "interval_s"));
    } else if (key == "aht_s") {
      CD_TRY_ASSIGN(aht, QueryNumber(value, 1, 86400, "aht_s"));
    } else if (key == "target_s") {
      CD_TRY_ASSIGN(target.target_seconds, QueryNumber(value, 0, 86400, "target_s"));
    } else if (key == "service_level") {
      CD_TRY_ASSIGN(target.service_level, QueryNumber(value, 0.01, 0.999, "service_level"));
    } else if (key == "shrinkage") {
      CD_TRY_ASSIGN(target.shrinkage, QueryNumber(value, 0, 0.9, "shrinkage"));
    } else if (key == "max_occupancy") {
      CD_TRY_ASSIGN(target.max_occupancy, QueryNumber(value, 0.1, 1, "max_occupancy"));
    } else if (key == "concurrency") {
      CD_TRY_ASSIGN(concurrency, QueryNumber(value, 1, 10, "concurrency"));
    } else if (key == "patience_s") {
      CD_TRY_ASSIGN(patience, QueryNumber(value, 1, 86400, "patience_s"));
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  if (!contacts) return Invalid("contacts is required", "contacts");
  if (!interval) return Invalid("interval_s is required", "interval_s");
  if (!aht) return Invalid("aht_s is required", "aht_s");
  double rate = *contacts / *interval;
  double load = core::OfferedLoad(rate, *aht, concurrency);
  if (load > 5000) return Invalid("more than 5000 agents' worth of contacts", "contacts");
  core::StaffingNeed need = core::AgentsNeeded(load, *aht / concurrency, target);
  json::object out{{"offered_load_erlangs", load},
                   {"agents_on_queue", need.agents},
                   {"agents_scheduled", need.scheduled},
                   {"service_level", need.service_level},
                   {"asa_s", need.asa_seconds},
                   {"occupancy", need.occupancy},
                   {"occupancy_high", need.occupancy_high},
                   {"method", "erlang_c"}};
  if (patience && rate > 0) {
    // Callers who give up: Erlang A, which needs no more agents than Erlang C.
    int agents = core::AgentsNeededWithAbandonment(rate / concurrency, *aht, *patience,
                                                   target.service_level, target.target_seconds);
    core::ErlangA a =
        core::ErlangAQueue(agents, rate / concurrency, *aht, *patience, target.target_seconds);
    out["method"] = "erlang_a";
    out["agents_on_queue"] = agents;
    out["agents_scheduled"] =
        static_cast<std::int64_t>(std::ceil(agents / (1 - target.shrinkage) - 1e-9));
    out["service_level"] = a.service_level;
    out["abandon_probability"] = a.abandon_probability;
    out["occupancy"] = agents > 0 ? load / agents : 0.0;
    out["occupancy_high"] = agents > 0 && load / agents > target.max_occupancy;
    out.erase("asa_s");
    out["asa_s"] = nullptr;
  }
  return JsonResponse(200, out);
}

// GET /api/v1/staffing?week=YYYY-Www[&weeks=N&phone_service_level=F&phone_target_s=S
// &chat_service_level=F&chat_target_s=S&chat_concurrency=N&shrinkage=F&max_occupancy=F
// &message_aht_s=S]: the plan for each half-hour of an ISO week (default: this one), from the
// `weeks` (default 4) whole weeks before it, or before this week for a week still to come.
Result<Response> GetStaffingPlan(Context& ctx) {
  std::optional<std::int32_t> monday;
  int weeks = 4;
  struct Knob {
    const char* name;
    double lo, hi;
    double core::PlanSettings::*field;
  };
  static constexpr Knob kKnobs[] = {
      {"phone_service_level", 0.01, 0.999, &core::PlanSettings::phone_service_level},
      {"phone_target_s", 1, 3600, &core::PlanSettings::phone_target_seconds},
      {"chat_service_level", 0.01, 0.999, &core::PlanSettings::chat_service_level},
      {"chat_target_s", 1, 3600, &core::PlanSettings::chat_target_seconds},
      {"chat_concurrency", 1, 10, &core::PlanSettings::chat_concurrency},
      {"shrinkage", 0, 0.9, &core::PlanSettings::shrinkage},
      {"max_occupancy", 0.1, 1, &core::PlanSettings::max_occupancy},
      {"message_aht_s", 1, 7200, &core::PlanSettings::message_handle_seconds},
      {"message_target_s", 60, 7 * 86400, &core::PlanSettings::message_target_seconds},
  };
  std::vector<std::pair<const Knob*, double>> given;  // over the practice's settings
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "week") {
      CD_TRY_ASSIGN(monday, core::MondayOfIsoWeek(value));
      continue;
    }
    if (key == "weeks") {
      CD_TRY_ASSIGN(weeks, QueryInt(value, 1, 13, "weeks"));
      continue;
    }
    const Knob* knob = nullptr;
    for (const Knob& k : kKnobs) {
      if (key == k.name) knob = &k;
    }
    if (!knob) {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
    CD_TRY_ASSIGN(double v, QueryNumber(value, knob->lo, knob->hi, knob->name));
    given.emplace_back(knob, v);
  }
  core::KpiSettings kpi;
  core::PlanSettings settings;
  core::PlanInput input;
  std::int32_t first_monday = 0;
  std::int64_t backlog = 0;
  std::string time_zone;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
    time_zone = tenant.time_zone;
    CD_TRY_ASSIGN(core::BusinessCalendar calendar, tx.Calendar());
    CD_TRY_ASSIGN(jobs::ReportSettings practice, jobs::LoadReportSettings(tx));
    kpi = practice.kpi;
    settings = practice.staffing;
    // Texts and email are held to the SLA policy a new text in the front-desk queue gets.
    CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
    core::SlaPolicy policy =
        core::SelectPolicy(policies, "front-desk", core::Channel::kSms, core::Priority::kNormal);
    settings.message_target_seconds =
        std::chrono::duration<double>(policy.targets.first_response).count();
    for (const auto& [knob, v] : given) settings.*(knob->field) = v;
    const std::int32_t today = calendar.Local(ctx.now).day;
    const std::int32_t this_monday = today - core::WeekdayFromMonday(today);
    if (!monday) monday = this_monday;
    // Whole weeks only: a week still to come is planned from the weeks before this one.
    first_monday = std::min(*monday, this_monday) - 7 * weeks;
    CD_TRY_ASSIGN(input, jobs::MeasureWeeks(tx, calendar, first_monday, weeks, kpi.phone));
    CD_TRY_ASSIGN(backlog, tx.CountOpenConversations());
    return {};
  }));
  input.settings = settings;
  core::WeeklyPlan plan = core::PlanWeek(input);

  json::array slots;
  for (const core::SlotPlan& s : plan.slots) {
    json::object o{{"day", core::SlotDay(s.slot)},
                   {"date", DayText(*monday + s.slot / core::kSlotsPerDay)},
                   {"time", core::SlotTime(s.slot)},
                   {"agents_on_queue", s.agents_on_queue},
                   {"agents_scheduled", s.agents_scheduled},
                   {"staffed", s.staffed ? Rounded(*s.staffed) : json::value(nullptr)},
                   {"occupancy", Rounded(s.occupancy)},
                   {"occupancy_high", s.occupancy_high}};
    for (core::Workload w : core::kWorkloads) {
      o[core::Name(w)] = NeedJson(s.needs[static_cast<std::size_t>(w)]);
    }
    slots.push_back(std::move(o));
  }
  json::array alerts;
  if (backlog > kpi.backlog_healthy) {
    const bool add = backlog > kpi.backlog_add_staff;
    alerts.push_back(json::object{
        {"kind", "backlog"},
        {"open", backlog},
        {"message", "The backlog is " + std::to_string(backlog) + " open requests, above " +
                        std::to_string(add ? kpi.backlog_add_staff : kpi.backlog_healthy) +
                        (add ? ": add a team member" : ": watch it")}});
  }
  for (const core::PlanAlert& a : plan.alerts) alerts.push_back(AlertJson(a, *monday));
  json::object handle;
  for (core::Workload w : core::kWorkloads) {
    handle[core::Name(w)] = Rounded(plan.handle_seconds[static_cast<std::size_t>(w)]);
  }
  json::object out{
      {"week", core::IsoWeekOf(*monday)},
      {"from", DayText(*monday)},
      {"to", DayText(*monday + 6)},
      {"time_zone", time_zone},
      {"measured", json::object{{"from", DayText(first_monday)},
                                {"to", DayText(first_monday + 7 * weeks - 1)},
                                {"weeks", weeks}}},
      {"settings", json::object{{"phone_service_level", settings.phone_service_level},
                                {"phone_target_s", settings.phone_target_seconds},
                                {"chat_service_level", settings.chat_service_level},
                                {"chat_target_s", settings.chat_target_seconds},
                                {"chat_concurrency", settings.chat_concurrency},
                                {"message_target_s", settings.message_target_seconds},
                                {"message_aht_s", settings.message_handle_seconds},
                                {"shrinkage", settings.shrinkage},
                                {"max_occupancy", settings.max_occupancy}}},
      {"aht_s", std::move(handle)},
      {"patience_s",
       plan.patience_seconds ? Rounded(*plan.patience_seconds) : json::value(nullptr)},
      {"backlog", json::object{{"open", backlog},
                               {"healthy_at_most", kpi.backlog_healthy},
                               {"add_staff_above", kpi.backlog_add_staff}}},
      {"alerts", std::move(alerts)},
      {"slots", std::move(slots)},
  };
  return JsonResponse(200, out);
}

namespace {

json::object WellbeingJson(const jobs::AgentWellbeing& a) {
  const core::Wellbeing& w = a.wellbeing;
  json::array concerns;
  for (const std::string& c : w.concerns) concerns.emplace_back(c);
  return json::object{
      {"user_id", a.user.id.value},
      {"name", a.user.display_name},
      {"status", core::Name(w.status)},
      {"working_since",
       w.working_since ? json::value(FormatRfc3339(*w.working_since)) : json::value(nullptr)},
      {"minutes_without_break", w.minutes_without_break},
      {"worked_minutes_today", w.worked_minutes_today},
      {"after_hours_minutes", w.after_hours_minutes},
      {"handled_today", w.handled_today},
      {"distressing_today", w.distressing_today},
      {"calls_today", w.calls_today},
      {"distressing_share",
       w.distressing_share ? Rounded(*w.distressing_share) : json::value(nullptr)},
      {"occupancy", w.occupancy ? Rounded(*w.occupancy) : json::value(nullptr)},
      {"break_suggested", w.break_suggested},
      {"concerns", std::move(concerns)},
  };
}

Result<std::pair<std::vector<jobs::AgentWellbeing>, core::WellbeingSettings>> Assess(
    Context& ctx, std::optional<UserId> only) {
  std::vector<jobs::AgentWellbeing> team;
  core::WellbeingSettings settings;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(core::BusinessCalendar calendar, tx.Calendar());
    CD_TRY_ASSIGN(jobs::ReportSettings practice, jobs::LoadReportSettings(tx));
    settings = practice.wellbeing;
    CD_TRY_ASSIGN(team, jobs::AssessTeam(tx, calendar, ctx.now, settings, only));
    return {};
  }));
  return std::pair{std::move(team), settings};
}

json::object SettingsJson(const core::WellbeingSettings& s) {
  return json::object{{"break_after_minutes", s.break_after_minutes},
                      {"min_break_minutes", s.min_break_minutes},
                      {"distressing_share", s.distressing_share},
                      {"distressing_min_count", s.distressing_min_count},
                      {"after_hours_minutes", s.after_hours_minutes},
                      {"max_occupancy", s.max_occupancy}};
}

}  // namespace

// GET /api/v1/wellbeing: every staff member's workload and breaks, who needs a break first.
Result<Response> GetWellbeing(Context& ctx) {
  CD_TRY_ASSIGN(auto assessed, Assess(ctx, std::nullopt));
  auto& [team, settings] = assessed;
  std::stable_sort(team.begin(), team.end(), [](const auto& a, const auto& b) {
    return a.wellbeing.break_suggested > b.wellbeing.break_suggested;
  });
  json::array items;
  for (const jobs::AgentWellbeing& a : team) items.push_back(WellbeingJson(a));
  return JsonResponse(
      200, json::object{{"settings", SettingsJson(settings)}, {"items", std::move(items)}});
}

// GET /api/v1/me/wellbeing: the caller's own, for the console's gentle nudge.
Result<Response> GetMyWellbeing(Context& ctx) {
  CD_TRY_ASSIGN(auto assessed, Assess(ctx, ctx.who.user));
  auto& [team, settings] = assessed;
  if (team.empty()) return MakeError(ErrorKind::kNotFound, "no such staff member");
  json::object out = WellbeingJson(team.front());
  out["settings"] = SettingsJson(settings);
  return JsonResponse(200, out);
}

}  // namespace caredesk::http
