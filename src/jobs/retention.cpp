#include "jobs/retention.hpp"

#include "base/log.hpp"

namespace caredesk::jobs {

Retention::Retention(store::Store& store, const Clock& clock, RetentionOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      loop_("retention", options_.interval, [this] { return RunOnce(); }) {}

Result<int> Retention::RunOnce() {
  const Timestamp now = clock_.Now();
  CD_TRY_ASSIGN(auto tenants, store_.TenantIds());
  int total = 0;
  for (TenantId tenant : tenants) {
    for (;;) {
      int purged = 0;
      CD_TRY(store_.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
        CD_TRY_ASSIGN(store::Tenant t, tx.GetTenant());
        Timestamp cutoff = now - std::chrono::hours(24) * t.retention_days;
        CD_TRY_ASSIGN(purged, tx.PurgeConversationsBefore(cutoff, options_.batch, now));
        return {};
      }));
      total += purged;
      if (purged > 0)
        log::Info("retention_purged", {{"tenant_id", tenant.value}, {"conversations", purged}});
      if (purged < options_.batch) break;
    }
  }
  return total;
}

}  // namespace caredesk::jobs
