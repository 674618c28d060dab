#include "jobs/wellbeing.hpp"

#include <algorithm>
#include <map>

#include "jobs/kpi_rollup.hpp"
#include "jobs/staffing.hpp"

namespace caredesk::jobs {

Result<std::vector<AgentWellbeing>> AssessTeam(store::TenantTx& tx,
                                               const core::BusinessCalendar& calendar,
                                               Timestamp now,
                                               const core::WellbeingSettings& settings,
                                               std::optional<UserId> only) {
  const Timestamp today = calendar.StartOfLocalDay(calendar.Local(now).day);
  std::map<UserId, core::AgentActivity> activity;
  CD_TRY_ASSIGN(auto users, tx.ListUsers());
  std::erase_if(users, [&](const store::User& u) {
    return !u.active || u.role == core::Role::kAuditor || (only && u.id != *only);
  });
  for (const store::User& u : users) activity[u.id];

  CD_TRY_ASSIGN(auto spans, tx.PresenceSpans(now - std::chrono::hours(24 * 7),
                                             now + std::chrono::milliseconds(1)));
  for (const store::PresenceSpan& s : spans) {
    if (auto it = activity.find(s.user); it != activity.end()) {
      it->second.spans.push_back({s.status, s.from, s.to});
    }
  }

  // Today's conversations by who first answered them (the KPI facts' agent), and whether they
  // were escalated or urgent as they stand now.
  store::KpiCellQuery q;
  q.from_day = q.to_day = calendar.Local(now).day;
  if (only) q.agent = std::to_string(only->value);
  CD_TRY_ASSIGN(auto facts, tx.KpiFacts(q, 100'000));
  for (const store::KpiFactRow& f : facts) {
    if (f.key.rfind("conversation:", 0) != 0 || f.cell.agent.empty()) continue;
    UserId agent{std::stoll(f.cell.agent)};
    auto it = activity.find(agent);
    if (it == activity.end()) continue;
    ++it->second.handled_today;
    CD_TRY_ASSIGN(core::Conversation c,
                  tx.GetConversation(ConversationId{std::stoll(f.key.substr(13))}));
    if (c.priority == core::Priority::kUrgent ||
        std::find(c.tags.begin(), c.tags.end(), "escalated") != c.tags.end()) {
      ++it->second.distressing_today;
    }
  }

  CD_TRY_ASSIGN(auto chats, tx.ChatsAnsweredSince(today));
  for (const store::Chat& c : chats) {
    auto it = activity.find(c.agent);
    if (it == activity.end() || !c.answered_at) continue;
    it->second.chats_today.push_back({*c.answered_at, c.ended_at.value_or(now)});
  }

  // Phone work, for the staff whose phone agent names are known: login time over the week (read
  // from a day earlier, to know who was already logged in) and the calls they answered today.
  CD_TRY_ASSIGN(core::PhoneAgentStaff staff, LoadPhoneAgentStaff(tx));
  if (!staff.empty()) {
    CD_TRY_ASSIGN(auto phone, PhoneWorkingIntervals(tx, now - std::chrono::hours(24 * 7), now));
    for (auto& [name, intervals] : phone) {
      auto person = staff.find(name);
      if (person == staff.end()) continue;
      if (auto it = activity.find(person->second); it != activity.end()) {
        auto& mine = it->second.phone_working;
        mine.insert(mine.end(), intervals.begin(), intervals.end());
      }
    }
    store::CallFilter filter;
    filter.from = today;
    filter.to = now + std::chrono::milliseconds(1);
    filter.limit = 1000;
    for (int page = 0; page < 100; ++page) {
      CD_TRY_ASSIGN(auto calls, tx.ListCalls(filter));
      for (const store::CallRecord& record : calls) {
        const core::Call& c = record.call;
        auto person = staff.find(c.agent);
        if (!c.answered_at || person == staff.end()) continue;
        auto it = activity.find(person->second);
        if (it == activity.end()) continue;
        const Timestamp end = c.ended_at ? *c.ended_at + std::chrono::seconds(c.wrap_seconds) : now;
        it->second.calls_today.push_back({*c.answered_at, std::min(end, now)});
      }
      if (calls.size() < static_cast<std::size_t>(filter.limit)) break;
      filter.before_id = calls.back().id;
    }
  }

  std::vector<AgentWellbeing> out;
  out.reserve(users.size());
  for (store::User& u : users) {
    core::Wellbeing w = core::AssessAgent(activity[u.id], now, today, calendar, settings);
    out.push_back({std::move(u), std::move(w)});
  }
  return out;
}

}  // namespace caredesk::jobs
