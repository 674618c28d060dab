#include "jobs/kpi_rollup.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <string>
#include <utility>

#include "base/log.hpp"
#include "jobs/report_settings.hpp"

namespace caredesk::jobs {
namespace {

using core::Cell;
using core::Grain;
using core::Tally;

// The cells one batch touches, read once and written once at the end.
class CellCache {
 public:
  explicit CellCache(store::TenantTx& tx) : tx_(tx) {}

  // Moves `before` (in cell `from`) out and `after` (in cell `to`) in, at every grain.
  Result<void> Move(const std::optional<std::pair<Cell, Tally>>& before,
                    const std::pair<Cell, Tally>& after) {
    for (Grain g : core::kGrains) {
      if (before) {
        CD_TRY_ASSIGN(Tally * t, Load(g, core::Project(g, before->first)));
        t->Merge(before->second, -1);
      }
      CD_TRY_ASSIGN(Tally * t, Load(g, core::Project(g, after.first)));
      t->Merge(after.second, 1);
    }
    return {};
  }

  Result<void> Flush() {
    for (const auto& [key, tally] : cells_) {
      CD_TRY(tx_.PutKpiCell(key.first, key.second,
                            tally.empty() ? std::string() : core::EncodeTally(tally)));
    }
    return {};
  }

 private:
  Result<Tally*> Load(Grain g, const Cell& cell) {
    auto key = std::pair{g, cell};
    auto it = cells_.find(key);
    if (it != cells_.end()) return &it->second;
    CD_TRY_ASSIGN(auto stored, tx_.GetKpiCell(g, cell));
    Tally t;
    if (stored) {
      auto decoded = core::DecodeTally(*stored);
      if (!decoded) return Internal("a stored KPI cell is unreadable");
      t = std::move(*decoded);
    }
    return &cells_.emplace(key, std::move(t)).first->second;
  }

  store::TenantTx& tx_;
  std::map<std::pair<Grain, Cell>, Tally> cells_;
};

Result<Tally> StoredTally(const store::KpiFactRow& row) {
  auto t = core::DecodeTally(row.tally);
  if (!t) return Internal("a stored KPI fact is unreadable");
  return std::move(*t);
}

// A new conversation of a patient marks their conversations resolved within the 7 days before
// it, on the same matter, as recontacted: they lose their first-contact resolution.
Result<void> MarkRecontacts(store::TenantTx& tx, CellCache& cells,
                            const core::ConversationFact& later) {
  if (!later.patient || later.staff_initiated) return {};
  CD_TRY_ASSIGN(auto rows, tx.KpiFactsOfPatient(later.patient));
  for (store::KpiFactRow& row : rows) {
    if (row.recontacted || row.key.rfind("conversation:", 0) != 0) continue;
    core::ConversationFact earlier;
    earlier.id = ConversationId{std::stoll(row.key.substr(13))};
    earlier.patient = row.patient;
    earlier.created_at = row.created_at;
    earlier.resolved_at = row.resolved_at;
    earlier.staff_initiated = row.staff_initiated;
    earlier.cell = row.cell;
    if (!core::IsRecontact(earlier, later)) continue;
    CD_TRY_ASSIGN(Tally before, StoredTally(row));
    Tally after = before;
    after.resolved_first = 0;  // a single fact's: 1 when it counted as resolved first time
    CD_TRY(cells.Move(std::pair{row.cell, before}, std::pair{row.cell, after}));
    row.recontacted = true;
    row.tally = core::EncodeTally(after);
    CD_TRY(tx.PutKpiFact(row));
  }
  return {};
}

Result<void> RefoldConversation(store::TenantTx& tx, CellCache& cells, ConversationId id,
                                const core::BusinessCalendar& calendar) {
  CD_TRY_ASSIGN(auto events, tx.ListEvents(id));
  if (events.empty()) return {};
  core::ConversationFact fact = core::FoldConversation(id, events, calendar);
  std::string key = "conversation:" + std::to_string(id.value);
  CD_TRY_ASSIGN(auto stored, tx.GetKpiFact(key));
  if (stored) {
    fact.recontacted = stored->recontacted;
  } else {
    CD_TRY(MarkRecontacts(tx, cells, fact));
  }
  store::KpiFactRow row;
  row.key = key;
  row.patient = fact.patient;
  row.cell = fact.cell;
  Tally tally = core::TallyOf(fact);
  row.tally = core::EncodeTally(tally);
  row.created_at = fact.created_at;
  row.resolved_at = fact.resolved_at;
  row.staff_initiated = fact.staff_initiated;
  row.recontacted = fact.recontacted;
  if (stored && stored->cell == row.cell && stored->tally == row.tally &&
      stored->resolved_at == row.resolved_at && stored->patient == row.patient) {
    return {};  // nothing the figures see has changed
  }
  std::optional<std::pair<Cell, Tally>> before;
  if (stored) {
    CD_TRY_ASSIGN(Tally old, StoredTally(*stored));
    before = std::pair{stored->cell, std::move(old)};
  }
  CD_TRY(cells.Move(before, std::pair{row.cell, std::move(tally)}));
  return tx.PutKpiFact(row);
}

Result<void> RefoldCall(store::TenantTx& tx, CellCache& cells, const store::CallRecord& record,
                        const core::BusinessCalendar& calendar, const core::PhoneRules& rules,
                        const core::PhoneAgentStaff& staff) {
  core::CallFact fact = core::FactOfCall(record.call, calendar, staff);
  std::string key = "call:" + std::to_string(record.id);
  CD_TRY_ASSIGN(auto stored, tx.GetKpiFact(key));
  if (!stored) {
    // A call is an inbound contact: a patient calling within 7 days of a resolution recontacts.
    core::ConversationFact as_contact;
    as_contact.patient = record.call.patient;
    as_contact.created_at = record.call.entered_at;
    CD_TRY(MarkRecontacts(tx, cells, as_contact));
  }
  store::KpiFactRow row;
  row.key = key;
  row.patient = record.call.patient;
  row.cell = fact.cell;
  Tally tally = core::TallyOf(fact, rules);
  row.tally = core::EncodeTally(tally);
  row.created_at = record.call.entered_at;
  row.staff_initiated = true;  // a call is never a recontact's earlier conversation
  if (stored && stored->cell == row.cell && stored->tally == row.tally) return {};
  std::optional<std::pair<Cell, Tally>> before;
  if (stored) {
    CD_TRY_ASSIGN(Tally old, StoredTally(*stored));
    before = std::pair{stored->cell, std::move(old)};
  }
  CD_TRY(cells.Move(before, std::pair{row.cell, std::move(tally)}));
  return tx.PutKpiFact(row);
}

}  // namespace

Result<core::PhoneAgentStaff> LoadPhoneAgentStaff(store::TenantTx& tx) {
  CD_TRY_ASSIGN(auto users, tx.ListUsers());
  core::PhoneAgentStaff staff;
  for (const store::User& u : users) {
    for (const std::string& name : u.phone_agents) staff.emplace(name, u.id);
  }
  return staff;
}

Result<void> RecountCalls(store::TenantTx& tx) {
  CD_TRY_ASSIGN(store::KpiProgress progress, tx.GetKpiProgress());
  progress.calls_after = progress.calls_read = Timestamp{};
  progress.calls_after_id = progress.calls_read_id = 0;
  return tx.PutKpiProgress(progress);
}

Result<RollupPass> RollUp(store::Store& store, TenantId tenant, const KpiRollupOptions& options) {
  RollupPass pass;
  CD_TRY(store.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    pass = {};
    CD_TRY_ASSIGN(store::KpiProgress progress, tx.GetKpiProgress());
    // Asked before reading, so that once it says the last pass's horizon has passed, this
    // pass's reads see every transaction that could have committed below the marks.
    CD_TRY_ASSIGN(std::optional<std::uint64_t> horizon, tx.WriteHorizon());
    bool confirmed = true;
    if (horizon && progress.horizon != 0) {
      CD_TRY_ASSIGN(confirmed, tx.WritesFinishedBefore(progress.horizon));
    }
    CD_TRY_ASSIGN(auto changed, tx.ConversationsChangedAfter(progress.events_after, options.batch));
    CD_TRY_ASSIGN(auto calls, tx.CallsChangedAfter(progress.calls_after, progress.calls_after_id,
                                                   options.batch));
    if (changed.first.empty() && calls.empty() && changed.second == progress.events_after) {
      return {};
    }
    CD_TRY_ASSIGN(core::BusinessCalendar calendar, tx.Calendar());
    core::PhoneRules rules = options.settings.phone;
    core::PhoneAgentStaff staff;
    if (!calls.empty()) {
      CD_TRY_ASSIGN(rules, PhoneRulesOf(tx, options.settings.phone));
      CD_TRY_ASSIGN(staff, LoadPhoneAgentStaff(tx));
    }
    CellCache cells(tx);
    // Oldest first, so a conversation resolved in this batch is seen resolved by a later one
    // of the same patient that began after it.
    for (ConversationId id : changed.first) {
      CD_TRY(RefoldConversation(tx, cells, id, calendar));
    }
    for (const store::CallRecord& record : calls) {
      CD_TRY(RefoldCall(tx, cells, record, calendar, rules, staff));
    }
    CD_TRY(cells.Flush());
    const store::KpiProgress before = progress;
    const std::int64_t last_event = changed.second;
    const std::pair<Timestamp, std::int64_t> last_call =
        calls.empty() ? std::pair{progress.calls_after, progress.calls_after_id}
                      : std::pair{calls.back().updated_at, calls.back().id};
    if (!horizon) {
      // One writer: rows are numbered in the order they commit, so what was read is final.
      progress.events_after = last_event;
      std::tie(progress.calls_after, progress.calls_after_id) = last_call;
    } else {
      // Several writers: the marks move only over what an earlier pass read and this pass read
      // again after every transaction begun before that pass had ended (a late commit below
      // the marks is folded then). Folding again is harmless: it moves a contribution from its
      // old cell to its new one.
      if (confirmed && progress.horizon != 0) {
        progress.events_after = std::min(last_event, progress.events_read);
        std::tie(progress.calls_after, progress.calls_after_id) =
            std::min(last_call, std::pair{progress.calls_read, progress.calls_read_id});
      }
      progress.events_read = last_event;
      std::tie(progress.calls_read, progress.calls_read_id) = last_call;
      progress.horizon = *horizon;
    }
    CD_TRY(tx.PutKpiProgress(progress));
    pass.conversations = static_cast<int>(changed.first.size());
    pass.calls = static_cast<int>(calls.size());
    // More may follow while a mark moved; a pass that only read the pending range again while
    // an old transaction still runs leaves it for later.
    pass.advanced = progress.events_after != before.events_after ||
                    progress.calls_after != before.calls_after ||
                    progress.calls_after_id != before.calls_after_id ||
                    progress.events_read != before.events_read ||
                    progress.calls_read != before.calls_read ||
                    progress.calls_read_id != before.calls_read_id;
    return {};
  }));
  return pass;
}

Result<int> RollUpAll(store::Store& store, TenantId tenant, const KpiRollupOptions& options) {
  int total = 0, conversations = 0;
  for (;;) {
    CD_TRY_ASSIGN(RollupPass pass, RollUp(store, tenant, options));
    total += pass.conversations + pass.calls;
    conversations += pass.conversations;
    if (!pass.advanced) break;
  }
  if (conversations > 0) {
    // Conversations changed, so the backlog may have: today's is recorded for the trend, once
    // the rollup has caught up (counting it after every batch slowed catching up by a tenth).
    static const SystemClock system;
    const Timestamp now = (options.clock ? options.clock : &system)->Now();
    CD_TRY(store.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(core::BusinessCalendar calendar, tx.Calendar());
      CD_TRY_ASSIGN(std::int64_t open, tx.CountOpenConversations());
      return tx.PutBacklog(calendar.Local(now).day, open);
    }));
  }
  return total;
}

KpiRollup::KpiRollup(store::Store& store, KpiRollupOptions options)
    : store_(store),
      options_(std::move(options)),
      loop_("kpi_rollup", options_.interval, [this] { return RunOnce(); }) {}

Result<int> KpiRollup::RunOnce() {
  CD_TRY_ASSIGN(auto tenants, store_.TenantIds());
  int total = 0;
  for (TenantId tenant : tenants) {
    CD_TRY_ASSIGN(int n, RollUpAll(store_, tenant, options_));
    total += n;
  }
  return total;
}

}  // namespace caredesk::jobs
