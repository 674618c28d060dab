// What the staffing advisor measures from the store: per half-hour of the week, the contacts that
// arrived and their handle times (from the KPI facts and the calls), callers' waits and abandons,
// and the agents who were there to answer (console presence and phone agents' queue logins),
// over whole past weeks. core/staffing/plan turns it into a plan.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "core/calls/call.hpp"
#include "core/staffing/plan.hpp"
#include "core/tenancy/calendar.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

// The `weeks` weeks beginning on the local Monday `first_monday` (days since 1970-01-01), read in
// `tx`. Fills `history`, `weeks` and `staffed` of the result (settings stay default).
//
// How contacts are counted: calls offered (short abandons left out), with talk + hold + wrap as
// handle time; live chats, with the time from the first human reply to resolution (capped at
// two hours) as handle time; texts, email, web forms, chats nobody could take live and
// callback tasks as messages. Conversations staff began are not demand.
//
// Who was there: a console agent whose status was available or busy; a phone agent logged in to
// a queue and not paused (their login is looked for up to a day before the weeks). Each person
// counts once, their phone names joining them; names of nobody's count on the phone side only.
// Each phone agent name's working time (logged in, not paused) in [from, until], its events
// read from a day before `from` to know who was already logged in; one still working at `until`
// is counted to it.
Result<std::map<std::string, std::vector<core::Interval>>> PhoneWorkingIntervals(
    store::TenantTx& tx, Timestamp from, Timestamp until);

Result<core::PlanInput> MeasureWeeks(store::TenantTx& tx, const core::BusinessCalendar& calendar,
                                     std::int32_t first_monday, int weeks,
                                     const core::PhoneRules& rules);

}  // namespace caredesk::jobs
