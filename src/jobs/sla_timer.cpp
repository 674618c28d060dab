#include "jobs/sla_timer.hpp"

#include "base/log.hpp"
#include "core/inbox/conversation.hpp"

namespace caredesk::jobs {

SlaTimer::SlaTimer(store::Store& store, const Clock& clock, SlaTimerOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      loop_("sla_timer", options_.interval, [this] { return RunOnce(); }) {}

Result<int> SlaTimer::RunOnce() {
  Timestamp now = clock_.Now();
  CD_TRY_ASSIGN(auto due, store_.DueSlaTimers(now, options_.batch));
  int ticked = 0;
  for (const auto& item : due) {
    auto r = store_.Write(item.tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(core::Conversation c, tx.GetConversation(item.conversation));
      CD_TRY_ASSIGN(core::BusinessCalendar cal, tx.Calendar());
      core::Decision d = core::SlaTick(c, now, cal);
      // Always store: even with no event, the stored timer moves to the next threshold.
      CD_TRY(tx.UpdateConversation(d.conversation, cal, now));
      return tx.AppendEvents(d.events);
    });
    if (!r) {
      log::Warn("sla_tick_failed", {{"tenant_id", item.tenant.value},
                                    {"conversation_id", item.conversation.value},
                                    {"code", ErrorKindName(r.error().kind)}});
      continue;
    }
    ++ticked;
  }
  return ticked;
}

}  // namespace caredesk::jobs
