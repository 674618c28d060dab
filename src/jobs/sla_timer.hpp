// The SLA timer: records "at risk" and "breached" events for every tenant when a
// conversation's next threshold passes. Each event carries the threshold instant itself; the
// job polls the store's due-timer index every `interval`, so it records within that delay.
// Owns one thread; Start/Stop from the thread that owns the job.
#pragma once

#include <chrono>

#include "base/time.hpp"
#include "jobs/periodic.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

struct SlaTimerOptions {
  std::chrono::milliseconds interval{500};
  int batch = 200;  // conversations per poll
};

class SlaTimer {
 public:
  SlaTimer(store::Store& store, const Clock& clock, SlaTimerOptions options = {});

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // One pass: ticks every conversation whose timer is due at clock.Now(). Returns how many
  // conversations were ticked. Used by Start()'s thread and by tests.
  Result<int> RunOnce();

 private:
  store::Store& store_;
  const Clock& clock_;
  SlaTimerOptions options_;
  Periodic loop_;  // last: its thread calls RunOnce, which uses the members above
};

}  // namespace caredesk::jobs
