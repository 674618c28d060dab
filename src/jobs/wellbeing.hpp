// Agent wellbeing from the store: each staff member's statuses over the last 7 days
// (presence spans), the conversations they first answered today (the KPI facts) and how many of
// those were escalated or urgent, the live chats they answered today, and, for staff with phone
// agent names, their phone login time and the calls they answered today; assessed by
// core/staffing/wellbeing. Read-only.
#pragma once

#include <optional>
#include <vector>

#include "base/error.hpp"
#include "core/staffing/wellbeing.hpp"
#include "core/tenancy/calendar.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

struct AgentWellbeing {
  store::User user;
  core::Wellbeing wellbeing;
};

// Every active staff member (auditors left out), by id; or only `only`.
Result<std::vector<AgentWellbeing>> AssessTeam(store::TenantTx& tx,
                                               const core::BusinessCalendar& calendar,
                                               Timestamp now,
                                               const core::WellbeingSettings& settings,
                                               std::optional<UserId> only = std::nullopt);

}  // namespace caredesk::jobs
