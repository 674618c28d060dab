// The KPI rollup job: keeps each practice's KPI cells up to date as events and calls arrive. A
// pass reads the events and calls after those it read last, folds each conversation and call
// they touch again from everything stored of it, and moves that fact's contribution from its
// old cell to its new one at every grain (core/analytics). Reading something twice changes
// nothing, so a pass that dies is simply done again. Runs every `interval` on its own thread;
// Start/Stop from the owning thread; RollUp may also be called directly (tests, the importer).
#pragma once

#include <chrono>

#include "base/time.hpp"
#include "core/analytics/kpi.hpp"
#include "jobs/periodic.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

struct KpiRollupOptions {
  Millis interval = std::chrono::seconds(1);
  int batch = 2000;  // events (and calls) per write
  core::KpiSettings settings;
  // What "today" is for the backlog over time; nullptr: the system clock.
  const Clock* clock = nullptr;
};

struct RollupPass {
  int conversations = 0;  // conversations folded again
  int calls = 0;
  bool advanced = false;  // it read something: there may be more
};

// The staff member each phone agent name belongs to, from the staff accounts (inactive ones too:
// their past calls are still theirs).
Result<core::PhoneAgentStaff> LoadPhoneAgentStaff(store::TenantTx& tx);

// Makes the next passes fold every call again: after a change to what a call's figures depend on
// (the short-abandon time, whose calls a phone agent name is).
Result<void> RecountCalls(store::TenantTx& tx);

// One batch for `tenant`.
Result<RollupPass> RollUp(store::Store& store, TenantId tenant, const KpiRollupOptions& options);
// Batches for `tenant` until it is up to date; returns the conversations and calls folded.
Result<int> RollUpAll(store::Store& store, TenantId tenant, const KpiRollupOptions& options);

class KpiRollup {
 public:
  explicit KpiRollup(store::Store& store, KpiRollupOptions options = {});
  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // Every practice brought up to date; returns how many conversations and calls were folded.
  Result<int> RunOnce();

 private:
  store::Store& store_;
  KpiRollupOptions options_;
  Periodic loop_;  // last: its thread calls RunOnce
};

}  // namespace caredesk::jobs
