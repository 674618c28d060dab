// The audit log as handlers write to it. Changes are audited inside their own transaction
// (TenantTx::AppendAudit), so a change and its record commit together. Reads are queued here
// and written in batches at most `flush_every` later, so a read never waits for a commit; a
// crash can lose up to that much of the read trail, never a record of a change.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "store/store.hpp"

namespace caredesk::http {

class AuditTrail {
 public:
  AuditTrail(store::Store& store, Millis flush_every);
  ~AuditTrail();  // writes what is still queued
  AuditTrail(const AuditTrail&) = delete;
  AuditTrail& operator=(const AuditTrail&) = delete;

  // Queues a record of a read; thread-safe and never blocks on the database.
  void Record(TenantId tenant, store::AuditRecord record);
  // Writes everything queued so far before returning (tests, shutdown).
  void Flush();

 private:
  void Loop();

  store::Store& store_;
  const Millis flush_every_;
  std::mutex flush_mutex_;  // one flush at a time, so queued records keep their order
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::pair<TenantId, store::AuditRecord>> queue_;  // guarded by mutex_
  bool stopping_ = false;                                       // guarded by mutex_
  std::thread thread_;                                          // last: uses the above
};

}  // namespace caredesk::http
