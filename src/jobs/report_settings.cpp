#include "jobs/report_settings.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <functional>
#include <sstream>

namespace caredesk::jobs {

namespace json = boost::json;

namespace {

struct Field {
  std::string_view name;
  bool whole;  // a whole number
  double min, max;
  std::function<double&(ReportSettings&)> number;  // fields kept as double
  std::function<int&(ReportSettings&)> integer;    // fields kept as int
};

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      {"backlog_healthy",
       true,
       0,
       100000,
       {},
       [](ReportSettings& s) -> int& { return s.kpi.backlog_healthy; }},
      {"backlog_add_staff",
       true,
       1,
       100000,
       {},
       [](ReportSettings& s) -> int& { return s.kpi.backlog_add_staff; }},
      {"service_level_seconds",
       true,
       1,
       600,
       {},
       [](ReportSettings& s) -> int& { return s.kpi.service_level_seconds; }},
      {"short_abandon_seconds",
       true,
       0,
       120,
       {},
       [](ReportSettings& s) -> int& { return s.kpi.phone.short_abandon_seconds; }},
      {"phone_service_level",
       false,
       0.01,
       0.999,
       [](ReportSettings& s) -> double& { return s.staffing.phone_service_level; },
       {}},
      {"chat_service_level",
       false,
       0.01,
       0.999,
       [](ReportSettings& s) -> double& { return s.staffing.chat_service_level; },
       {}},
      {"chat_target_seconds",
       true,
       1,
       3600,
       [](ReportSettings& s) -> double& { return s.staffing.chat_target_seconds; },
       {}},
      {"chat_concurrency",
       false,
       1,
       10,
       [](ReportSettings& s) -> double& { return s.staffing.chat_concurrency; },
       {}},
      {"shrinkage",
       false,
       0,
       0.9,
       [](ReportSettings& s) -> double& { return s.staffing.shrinkage; },
       {}},
      {"max_occupancy",
       false,
       0.1,
       1,
       [](ReportSettings& s) -> double& { return s.staffing.max_occupancy; },
       {}},
      {"message_handle_seconds",
       true,
       1,
       7200,
       [](ReportSettings& s) -> double& { return s.staffing.message_handle_seconds; },
       {}},
      {"break_after_minutes",
       true,
       15,
       720,
       {},
       [](ReportSettings& s) -> int& { return s.wellbeing.break_after_minutes; }},
      {"distressing_share",
       false,
       0.05,
       1,
       [](ReportSettings& s) -> double& { return s.wellbeing.distressing_share; },
       {}},
      {"after_hours_minutes",
       true,
       0,
       10080,
       {},
       [](ReportSettings& s) -> int& { return s.wellbeing.after_hours_minutes; }},
  };
  return fields;
}

// Settings that mean the same thing in two places.
void Tie(ReportSettings& s) {
  s.staffing.phone_target_seconds = s.kpi.service_level_seconds;
  s.wellbeing.max_occupancy = s.staffing.max_occupancy;
}

}  // namespace

Result<ReportSettings> ParseReportSettings(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Invalid("report settings must be a JSON object", "settings");
  ReportSettings s;
  for (const auto& kv : v.as_object()) {
    const Field* field = nullptr;
    for (const Field& f : Fields()) {
      if (f.name == kv.key()) field = &f;
    }
    if (!field) return Invalid("unknown field in report settings", std::string(kv.key()));
    const json::value& value = kv.value();
    std::ostringstream range;
    range << field->name << " must be " << (field->whole ? "a whole number" : "a number")
          << " from " << field->min << " to " << field->max;
    double x = 0;
    if (value.is_int64()) {
      x = static_cast<double>(value.as_int64());
    } else if (value.is_uint64()) {
      x = static_cast<double>(value.as_uint64());
    } else if (value.is_double() && !field->whole) {
      x = value.as_double();
    } else {
      return Invalid(range.str(), std::string(field->name));
    }
    if (!std::isfinite(x) || x < field->min || x > field->max) {
      return Invalid(range.str(), std::string(field->name));
    }
    if (field->integer) {
      field->integer(s) = static_cast<int>(x);
    } else {
      field->number(s) = x;
    }
  }
  if (s.kpi.backlog_add_staff < s.kpi.backlog_healthy) {
    return Invalid("backlog_add_staff must not be below backlog_healthy", "backlog_add_staff");
  }
  Tie(s);
  return s;
}

std::string ReportSettingsJson(const ReportSettings& settings) {
  ReportSettings s = settings;
  json::object out;
  for (const Field& f : Fields()) {
    if (f.integer) {
      out[f.name] = f.integer(s);
    } else if (f.whole) {
      out[f.name] = static_cast<std::int64_t>(std::llround(f.number(s)));
    } else {
      out[f.name] = f.number(s);
    }
  }
  return json::serialize(out);
}

Result<ReportSettings> LoadReportSettings(store::TenantTx& tx) {
  CD_TRY_ASSIGN(auto stored, tx.GetChannelSettings("reports"));
  if (!stored) {
    ReportSettings s;
    Tie(s);
    return s;
  }
  return ParseReportSettings(stored->settings);
}

Result<core::PhoneRules> PhoneRulesOf(store::TenantTx& tx, const core::PhoneRules& fallback) {
  CD_TRY_ASSIGN(auto stored, tx.GetChannelSettings("reports"));
  if (!stored) return fallback;
  CD_TRY_ASSIGN(ReportSettings s, ParseReportSettings(stored->settings));
  return s.kpi.phone;
}

}  // namespace caredesk::jobs
