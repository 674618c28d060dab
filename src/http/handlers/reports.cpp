// The practice manager's figures (GET /api/v1/reports/kpis): the KPI cells of a period of local
// days, cut as asked, summed and turned into named metrics with their definitions
// (core/analytics). The cells are kept by jobs/kpi_rollup, about a second behind the events.
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "base/text.hpp"
#include "core/analytics/kpi.hpp"
#include "http/handlers/context.hpp"
#include "jobs/report_settings.hpp"

namespace caredesk::http {
namespace json = boost::json;

namespace {

constexpr int kMaxDays = 3 * 366;
constexpr int kMaxId = std::numeric_limits<int>::max();

struct KpiRequest {
  std::string from_text, to_text;
  store::KpiCellQuery cells;
  std::optional<int> weekday;
};

Result<std::int32_t> LocalDay(std::string_view text, const char* field) {
  auto days = core::ParseHolidays({std::string(text)}, field);
  if (!days || days->size() != 1) {
    return Invalid(std::string(field) + " must be a date written YYYY-MM-DD", field);
  }
  return static_cast<std::int32_t>(date::sys_days((*days)[0]).time_since_epoch().count());
}

Result<std::string> Label(std::string_view value, const char* field) {
  if (value.empty() || value.size() > 128 || !IsValidUtf8(value)) {
    return Invalid(std::string(field) + " must be 1 to 128 characters", field);
  }
  return std::string(value);
}

Result<KpiRequest> ParseKpiRequest(const Context& ctx) {
  KpiRequest r;
  store::KpiCellQuery& q = r.cells;
  int cuts = 0;
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "from") {
      r.from_text = value;
      CD_TRY_ASSIGN(q.from_day, LocalDay(value, "from"));
    } else if (key == "to") {
      r.to_text = value;
      CD_TRY_ASSIGN(q.to_day, LocalDay(value, "to"));
    } else if (key == "channel") {
      auto c = core::ParseChannel(value);
      if (!c) return Invalid("channel must be chat, sms, email, phone or web", "channel");
      q.channel = std::string(value);
      ++cuts;
    } else if (key == "queue") {
      CD_TRY_ASSIGN(q.queue, Label(value, "queue"));
      ++cuts;
    } else if (key == "agent") {
      CD_TRY_ASSIGN(q.agent, Label(value, "agent"));
      ++cuts;
    } else if (key == "category") {
      if (!core::ParseCategory(value)) return Invalid("unknown category", "category");
      q.category = std::string(value);
      ++cuts;
    } else if (key == "location") {
      CD_TRY_ASSIGN(int id, QueryInt(value, 1, kMaxId, "location"));
      q.location = std::to_string(id);
      ++cuts;
    } else if (key == "policy") {
      CD_TRY_ASSIGN(int id, QueryInt(value, 0, kMaxId, "policy"));
      q.policy = std::to_string(id);
      ++cuts;
    } else if (key == "hour") {
      CD_TRY_ASSIGN(q.hour, QueryInt(value, 0, 23, "hour"));
      ++cuts;
    } else if (key == "weekday") {
      CD_TRY_ASSIGN(r.weekday, QueryInt(value, 0, 6, "weekday"));
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  if (r.from_text.empty()) return Invalid("from is required (YYYY-MM-DD)", "from");
  if (r.to_text.empty()) return Invalid("to is required (YYYY-MM-DD)", "to");
  if (q.to_day < q.from_day) return Invalid("to must not be before from", "to");
  if (q.to_day - q.from_day >= kMaxDays) return Invalid("at most three years at once", "to");
  // No cut, one, or one and the hour (what the console asks): the grain that keeps a row per
  // day (and value, and hour); other combinations read the fine cells.
  using core::Grain;
  const Grain cut = q.channel    ? Grain::kChannel
                    : q.queue    ? Grain::kQueue
                    : q.agent    ? Grain::kAgent
                    : q.category ? Grain::kCategory
                    : q.location ? Grain::kLocation
                    : q.policy   ? Grain::kPolicy
                                 : Grain::kHour;
  q.grain = Grain::kDay;
  if (cuts == 1) {
    q.grain = cut;
  } else if (cuts == 2 && q.hour) {
    q.grain = core::WithHour(cut);
  } else if (cuts > 1) {
    q.grain = Grain::kFine;
  }
  return r;
}

json::value Number(std::optional<double> v) {
  if (!v) return nullptr;
  // Whole numbers as integers, the rest rounded to 4 decimals (rates) or 1 (seconds).
  if (*v == std::floor(*v) && std::fabs(*v) < 9e15) return static_cast<std::int64_t>(*v);
  return *v;
}

std::string_view BacklogState(std::int64_t open, const core::KpiSettings& s) {
  if (open <= s.backlog_healthy) return "healthy";
  if (open <= s.backlog_add_staff) return "watch";
  return "add_staff";
}

constexpr int kDrillDefault = 500, kDrillMax = 5000;

// How many durations fell under a minute, 5 and 15 minutes, an hour, 4 hours, a day, and beyond
// (each boundary is a bucket's end, so the counts are exact).
json::array Distribution(const core::DurationHistogram& h) {
  json::array out;
  std::int64_t below = 0;
  for (std::int64_t up_to : {59, 299, 899, 3599, 14399, 86399}) {
    const std::int64_t n = h.AtMost(up_to);
    out.push_back(json::object{{"under_s", up_to + 1}, {"count", n - below}});
    below = n;
  }
  out.push_back(json::object{{"under_s", nullptr}, {"count", h.count() - below}});
  return out;
}

// A CSV field: quoted when it holds a comma, quote or line break; a leading = + - @ is
// prefixed with ' so a spreadsheet does not run it as a formula.
std::string CsvField(std::string v) {
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// First-response attainment per SLA policy over the request's period, from the policy grain (a
// row per day and policy), or the policy and hour grain for one hour. nullopt when the request
// cuts by anything but the policy, the hour and the weekday: that would read every fine cell of
// the period (a year of them takes seconds). A policy since deleted keeps its figures, named by
// its id.
Result<std::optional<json::array>> SlaByPolicy(store::TenantTx& tx, const KpiRequest& request) {
  const store::KpiCellQuery& asked = request.cells;
  if (asked.channel || asked.queue || asked.agent || asked.category || asked.location) {
    return std::optional<json::array>{};
  }
  store::KpiCellQuery q = asked;
  q.grain = asked.hour ? core::WithHour(core::Grain::kPolicy) : core::Grain::kPolicy;
  CD_TRY_ASSIGN(auto rows, tx.KpiCells(q));
  std::map<std::string, core::TallySum> sums;
  for (const store::KpiCellRow& row : rows) {
    if (request.weekday && row.cell.weekday() != *request.weekday) continue;
    if (row.cell.policy.empty()) continue;  // calls: no SLA policy
    if (!sums[row.cell.policy].Add(row.tally)) return Internal("a stored KPI cell is unreadable");
  }
  CD_TRY_ASSIGN(auto policies, tx.SlaPolicies());
  json::array out;
  for (const auto& [id, cells] : sums) {
    const core::Tally t = cells.Total();
    if (t.first_response_decided == 0 && t.conversations == 0) continue;
    const std::int64_t policy_id = std::stoll(id);
    std::string name = policy_id == 0 ? "Default" : "Policy " + id + " (deleted)";
    for (const core::SlaPolicy& p : policies) {
      if (p.id == policy_id) name = p.name;
    }
    out.push_back(
        json::object{{"policy_id", policy_id},
                     {"name", name},
                     {"conversations", t.conversations},
                     {"decided", t.first_response_decided},
                     {"met", t.first_response_met},
                     {"attainment", t.first_response_decided
                                        ? Number(static_cast<double>(t.first_response_met) /
                                                 static_cast<double>(t.first_response_decided))
                                        : json::value(nullptr)}});
  }
  return std::optional<json::array>{std::move(out)};
}

}  // namespace

// GET /api/v1/reports/kpis/{metric}/conversations?from&to[&cuts][&limit]: the conversations (or
// calls) behind a metric's figure for that period and cut, oldest first; CSV with
// Accept: text/csv, one row per conversation or call.
Result<Response> GetKpiConversations(Context& ctx) {
  // "/api/v1/reports/kpis/" NAME "/conversations"
  std::string_view path = ctx.request.path;
  constexpr std::string_view kPrefix = "/api/v1/reports/kpis/";
  std::string metric(path.substr(kPrefix.size(), path.rfind('/') - kPrefix.size()));
  if (!core::BehindMetric(metric, core::Tally{})) {
    return MakeError(ErrorKind::kNotFound,
                     "no such metric, or none with conversations behind it (backlog_open is "
                     "the inbox now, not a period's)");
  }
  int limit = kDrillDefault;
  bool csv_asked = false;
  std::vector<std::pair<std::string, std::string>> rest;
  for (const auto& [key, value] : ctx.request.query) {
    if (key == "format") {
      // For a link in a browser, which cannot set Accept.
      if (value != "csv" && value != "json") return Invalid("format must be csv or json", "format");
      csv_asked = value == "csv";
    } else if (key == "limit") {
      CD_TRY_ASSIGN(limit, QueryInt(value, 1, kDrillMax, "limit"));
    } else {
      rest.emplace_back(key, value);
    }
  }
  ctx.request.query = rest;
  CD_TRY_ASSIGN(KpiRequest request, ParseKpiRequest(ctx));
  std::vector<store::KpiFactRow> facts;
  bool truncated = false;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    facts.clear();
    truncated = false;
    // Read in pages until `limit` facts behind the metric are found or the period ends.
    constexpr int kScan = kDrillMax * 20;  // facts read at most: a longer period is cut short
    CD_TRY_ASSIGN(auto rows, tx.KpiFacts(request.cells, kScan));
    truncated = static_cast<int>(rows.size()) == kScan;
    for (store::KpiFactRow& row : rows) {
      if (request.weekday && row.cell.weekday() != *request.weekday) continue;
      auto t = core::DecodeTally(row.tally);
      if (!t) return Internal("a stored KPI fact is unreadable");
      if (!*core::BehindMetric(metric, *t)) continue;
      if (static_cast<int>(facts.size()) == limit) {
        truncated = true;
        break;
      }
      facts.push_back(std::move(row));
    }
    return {};
  }));
  const bool csv = csv_asked || ctx.request.headers.Get("accept").value_or("").find("text/csv") !=
                                    std::string_view::npos;
  json::array items;
  std::string text =
      "kind,id,day,hour,channel,queue,agent,category,location,policy,first_response_s,"
      "next_responses,resolution_s,reopened,recontacted,call_outcome,wait_s,handle_s\r\n";
  for (const store::KpiFactRow& row : facts) {
    core::Tally t = *core::DecodeTally(row.tally);
    const bool call = row.key.rfind("call:", 0) == 0;
    std::int64_t id = std::stoll(row.key.substr(row.key.find(':') + 1));
    std::string outcome = !call                     ? ""
                          : t.calls_answered        ? "answered"
                          : t.calls_abandoned       ? "abandoned"
                          : t.calls_short_abandoned ? "short_abandon"
                          : t.calls_timed_out       ? "timed_out"
                                                    : "in_progress";
    json::object item{{"kind", call ? "call" : "conversation"},
                      {"id", id},
                      {"day", DayText(row.cell.day)},
                      {"hour", row.cell.hour},
                      {"channel", row.cell.channel},
                      {"queue", row.cell.queue},
                      {"agent", row.cell.agent},
                      {"category", call ? "" : row.cell.category},
                      {"location", row.cell.location},
                      {"policy", row.cell.policy}};
    item["first_response_s"] =
        t.first_response.count() ? json::value(t.first_response_sum) : json::value(nullptr);
    item["next_responses"] = t.next_response.count();
    item["resolution_s"] =
        t.resolution.count() ? json::value(t.resolution_sum) : json::value(nullptr);
    item["reopened"] = t.reopened > 0;
    item["recontacted"] = row.recontacted;
    item["call_outcome"] = call ? json::value(outcome) : json::value(nullptr);
    item["wait_s"] = t.calls_answered ? json::value(t.answer_wait_sum) : json::value(nullptr);
    item["handle_s"] = t.calls_answered ? json::value(t.handle_sum) : json::value(nullptr);
    if (csv) {
      auto field = [](const json::value& v) -> std::string {
        if (v.is_null()) return "";
        if (v.is_string()) return std::string(v.as_string());
        if (v.is_bool()) return v.as_bool() ? "yes" : "no";
        return json::serialize(v);
      };
      std::string line;
      for (const char* k :
           {"kind", "id", "day", "hour", "channel", "queue", "agent", "category", "location",
            "policy", "first_response_s", "next_responses", "resolution_s", "reopened",
            "recontacted", "call_outcome", "wait_s", "handle_s"}) {
        if (!line.empty()) line += ',';
        line += CsvField(field(item.at(k)));
      }
      text += line + "\r\n";
    } else {
      items.push_back(std::move(item));
    }
  }
  if (csv) {
    Response r;
    r.status = 200;
    r.headers.Set("Content-Type", "text/csv; charset=utf-8");
    r.headers.Set("Content-Disposition", "attachment; filename=\"kpi-" + metric + "-" +
                                             request.from_text + "-to-" + request.to_text +
                                             ".csv\"");
    if (truncated) r.headers.Set("X-Truncated", "true");
    r.body = std::move(text);
    return r;
  }
  return JsonResponse(200, json::object{{"metric", metric},
                                        {"from", request.from_text},
                                        {"to", request.to_text},
                                        {"items", std::move(items)},
                                        {"truncated", truncated}});
}

// GET /api/v1/reports/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD[&channel&queue&agent&category&hour
// &weekday]: dates inclusive, local to the practice.
Result<Response> GetKpis(Context& ctx) {
  CD_TRY_ASSIGN(KpiRequest request, ParseKpiRequest(ctx));
  core::KpiSettings settings;
  core::Tally sum;
  std::int64_t backlog = 0;
  std::string time_zone;
  std::optional<json::array> by_policy;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
    time_zone = tenant.time_zone;
    CD_TRY_ASSIGN(jobs::ReportSettings practice, jobs::LoadReportSettings(tx));
    settings = practice.kpi;
    CD_TRY_ASSIGN(auto rows, tx.KpiCells(request.cells));
    core::TallySum cells;
    for (const store::KpiCellRow& row : rows) {
      if (request.weekday && row.cell.weekday() != *request.weekday) continue;
      if (!cells.Add(row.tally)) return Internal("a stored KPI cell is unreadable");
    }
    sum = cells.Total();
    CD_TRY_ASSIGN(backlog, tx.CountOpenConversations());
    CD_TRY_ASSIGN(by_policy, SlaByPolicy(tx, request));
    return {};
  }));
  json::object metrics;
  for (const auto& [name, metric] : core::Summarize(sum, backlog, settings)) {
    metrics[name] = json::object{{"value", Number(metric.value)},
                                 {"count", metric.count},
                                 {"definition", metric.definition}};
  }
  json::object cuts;
  const store::KpiCellQuery& q = request.cells;
  if (q.channel) cuts["channel"] = *q.channel;
  if (q.queue) cuts["queue"] = *q.queue;
  if (q.agent) cuts["agent"] = *q.agent;
  if (q.category) cuts["category"] = *q.category;
  if (q.location) cuts["location"] = std::stoll(*q.location);
  if (q.policy) cuts["policy"] = std::stoll(*q.policy);
  if (q.hour) cuts["hour"] = *q.hour;
  if (request.weekday) cuts["weekday"] = *request.weekday;
  json::object out{
      {"from", request.from_text},
      {"to", request.to_text},
      {"time_zone", time_zone},
      {"cuts", std::move(cuts)},
      {"metrics", std::move(metrics)},
      {"sla_by_policy", by_policy ? json::value(std::move(*by_policy)) : json::value(nullptr)},
      {"backlog", json::object{{"open", backlog},
                               {"healthy_at_most", settings.backlog_healthy},
                               {"add_staff_above", settings.backlog_add_staff},
                               {"state", BacklogState(backlog, settings)}}},
      {"service_level_seconds", settings.service_level_seconds},
      {"short_abandon_seconds", settings.phone.short_abandon_seconds},
      {"distributions", json::object{{"first_response_s", Distribution(sum.first_response)},
                                     {"resolution_s", Distribution(sum.resolution)},
                                     {"answer_wait_s", Distribution(sum.answer_wait)}}},
  };
  return JsonResponse(200, out);
}

// GET /api/v1/reports/kpis/daily?from&to[&cuts]: the same figures for each local day of the
// period (at most a year), and the open backlog each day as the rollup recorded it.
Result<Response> GetKpiDaily(Context& ctx) {
  CD_TRY_ASSIGN(KpiRequest request, ParseKpiRequest(ctx));
  const store::KpiCellQuery& q = request.cells;
  if (q.to_day - q.from_day >= 366) return Invalid("at most a year of days at once", "to");
  core::KpiSettings settings;
  std::vector<store::KpiCellRow> rows;
  std::vector<store::BacklogDay> backlog;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(jobs::ReportSettings practice, jobs::LoadReportSettings(tx));
    settings = practice.kpi;
    CD_TRY_ASSIGN(rows, tx.KpiCells(q));
    CD_TRY_ASSIGN(backlog, tx.BacklogDays(q.from_day, q.to_day));
    return {};
  }));
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.cell.day < b.cell.day; });
  json::array days;
  auto next = rows.begin();
  core::TallySum cells;  // one for every day: its arrays are large, a day's buckets few
  for (std::int32_t day = q.from_day; day <= q.to_day; ++day) {
    cells.Reset();
    for (; next != rows.end() && next->cell.day == day; ++next) {
      if (request.weekday && next->cell.weekday() != *request.weekday) continue;
      if (!cells.Add(next->tally)) return Internal("a stored KPI cell is unreadable");
    }
    json::object metrics;
    for (const auto& [name, metric] : core::Summarize(cells, 0, settings)) {
      if (name != "backlog_open") metrics[name] = Number(metric.value);
    }
    days.push_back(json::object{{"day", DayText(day)}, {"metrics", std::move(metrics)}});
  }
  json::array open;
  for (const store::BacklogDay& b : backlog) {
    open.push_back(json::object{{"day", DayText(b.day)}, {"open", b.open}, {"peak", b.peak}});
  }
  return JsonResponse(200, json::object{{"from", request.from_text},
                                        {"to", request.to_text},
                                        {"days", std::move(days)},
                                        {"backlog", std::move(open)},
                                        {"healthy_at_most", settings.backlog_healthy},
                                        {"add_staff_above", settings.backlog_add_staff}});
}

}  // namespace caredesk::http
