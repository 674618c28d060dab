// The practice manager's figures (GET /api/v1/reports/kpis): the KPI cells of a period of local
// days, cut as asked, summed and turned into named metrics with their definitions
// (core/analytics). The cells are kept by jobs/kpi_rollup, about a second behind the events.
#include <boost/json.hpp>

#include <charconv>
#include <cmath>

#include "base/text.hpp"
#include "core/analytics/kpi.hpp"
#include "http/handlers/context.hpp"

namespace caredesk::http {
namespace json = boost::json;

namespace {

constexpr int kMaxDays = 3 * 366;

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

Result<int> SmallInt(std::string_view value, int lo, int hi, const char* field) {
  int v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || end != value.data() + value.size() || v < lo || v > hi) {
    return Invalid(std::string(field) + " must be a whole number from " + std::to_string(lo) +
                       " to " + std::to_string(hi),
                   field);
  }
  return v;
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
    } else if (key == "hour") {
      CD_TRY_ASSIGN(q.hour, SmallInt(value, 0, 23, "hour"));
      ++cuts;
    } else if (key == "weekday") {
      CD_TRY_ASSIGN(r.weekday, SmallInt(value, 0, 6, "weekday"));
    } else {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
  }
  if (r.from_text.empty()) return Invalid("from is required (YYYY-MM-DD)", "from");
  if (r.to_text.empty()) return Invalid("to is required (YYYY-MM-DD)", "to");
  if (q.to_day < q.from_day) return Invalid("to must not be before from", "to");
  if (q.to_day - q.from_day >= kMaxDays) return Invalid("at most three years at once", "to");
  // No cut or one: the grain that keeps a row per day (and value); several: the fine cells.
  using core::Grain;
  q.grain = Grain::kDay;
  if (cuts == 1) {
    q.grain = q.channel    ? Grain::kChannel
              : q.queue    ? Grain::kQueue
              : q.agent    ? Grain::kAgent
              : q.category ? Grain::kCategory
                           : Grain::kHour;
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

}  // namespace

// GET /api/v1/reports/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD[&channel&queue&agent&category&hour
// &weekday]: dates inclusive, local to the practice.
Result<Response> GetKpis(Context& ctx) {
  CD_TRY_ASSIGN(KpiRequest request, ParseKpiRequest(ctx));
  core::KpiSettings settings;
  core::Tally sum;
  std::int64_t backlog = 0;
  std::string time_zone;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    sum = {};
    CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
    time_zone = tenant.time_zone;
    CD_TRY_ASSIGN(auto rows, tx.KpiCells(request.cells));
    for (const store::KpiCellRow& row : rows) {
      if (request.weekday && row.cell.weekday() != *request.weekday) continue;
      auto t = core::DecodeTally(row.tally);
      if (!t) return Internal("a stored KPI cell is unreadable");
      sum.Merge(*t);
    }
    CD_TRY_ASSIGN(backlog, tx.CountOpenConversations());
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
  if (q.hour) cuts["hour"] = *q.hour;
  if (request.weekday) cuts["weekday"] = *request.weekday;
  json::object out{
      {"from", request.from_text},
      {"to", request.to_text},
      {"time_zone", time_zone},
      {"cuts", std::move(cuts)},
      {"metrics", std::move(metrics)},
      {"backlog", json::object{{"open", backlog},
                               {"healthy_at_most", settings.backlog_healthy},
                               {"add_staff_above", settings.backlog_add_staff},
                               {"state", BacklogState(backlog, settings)}}},
      {"service_level_seconds", settings.service_level_seconds},
      {"short_abandon_seconds", settings.phone.short_abandon_seconds},
  };
  return JsonResponse(200, out);
}

}  // namespace caredesk::http
