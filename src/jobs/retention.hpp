// The retention job: purges the content of conversations each practice no longer keeps
// (Tenant::retention_days after they were last active, once resolved or closed), so patient
// information is not held longer than the practice's policy. Runs every `interval`; owns one
// thread; Start/Stop from the thread that owns the job.
#pragma once

#include <chrono>

#include "base/time.hpp"
#include "jobs/periodic.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

struct RetentionOptions {
  std::chrono::milliseconds interval = std::chrono::hours(1);
  int batch = 200;  // conversations per write
};

class Retention {
 public:
  Retention(store::Store& store, const Clock& clock, RetentionOptions options = {});

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // One pass over every practice; returns how many conversations were purged.
  Result<int> RunOnce();

 private:
  store::Store& store_;
  const Clock& clock_;
  RetentionOptions options_;
  Periodic loop_;  // last: its thread calls RunOnce, which uses the members above
};

}  // namespace caredesk::jobs
