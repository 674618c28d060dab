// A practice's targets and thresholds for the figures, the staffing advisor and wellbeing (the
// "reports" settings JSON, GET/PUT /api/v1/settings/reports): parsed and checked apart from the
// store so the parser can be fuzzed. Every field is optional; a missing one keeps its default.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "core/analytics/kpi.hpp"
#include "core/staffing/plan.hpp"
#include "core/staffing/wellbeing.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

struct ReportSettings {
  core::KpiSettings kpi;  // backlog thresholds, service-level seconds, short abandons
  // Phone and chat targets, chat concurrency, shrinkage, occupancy, message handle time. The
  // phone target's seconds are kpi.service_level_seconds; message_target_seconds comes from
  // the SLA policies, not from here.
  core::PlanSettings staffing;
  core::WellbeingSettings wellbeing;  // max_occupancy is staffing.max_occupancy
};

// kInvalid naming the field for anything malformed, unknown or out of range.
Result<ReportSettings> ParseReportSettings(std::string_view json);
std::string ReportSettingsJson(const ReportSettings& settings);
// The practice's settings, or the defaults when none were saved.
Result<ReportSettings> LoadReportSettings(store::TenantTx& tx);
// The practice's phone rules when it saved settings, else `fallback`.
Result<core::PhoneRules> PhoneRulesOf(store::TenantTx& tx, const core::PhoneRules& fallback);

}  // namespace caredesk::jobs
