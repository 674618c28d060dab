#include "http/audit_trail.hpp"

#include <map>

#include "base/log.hpp"

namespace caredesk::http {

namespace {
// Past this many unwritten records (the database has been down for a while) the oldest are
// dropped, loudly, rather than growing without bound.
constexpr std::size_t kMaxQueued = 200000;
}  // namespace

AuditTrail::AuditTrail(store::Store& store, Millis flush_every)
    : store_(store), flush_every_(flush_every), thread_([this] { Loop(); }) {}

AuditTrail::~AuditTrail() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  Flush();
}

void AuditTrail::Record(TenantId tenant, store::AuditRecord record) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= kMaxQueued) {
    log::Error("audit_records_dropped", {{"count", std::uint64_t{1}}});
    queue_.erase(queue_.begin());
  }
  queue_.emplace_back(tenant, std::move(record));
}

void AuditTrail::Flush() {
  std::lock_guard flushing(flush_mutex_);
  std::vector<std::pair<TenantId, store::AuditRecord>> taken;
  {
    std::lock_guard lock(mutex_);
    taken.swap(queue_);
  }
  if (taken.empty()) return;
  std::map<std::int64_t, std::vector<store::AuditRecord>> by_tenant;  // keeps queue order
  for (auto& [tenant, record] : taken) by_tenant[tenant.value].push_back(std::move(record));
  for (auto& entry : by_tenant) {
    const std::int64_t tenant = entry.first;
    std::vector<store::AuditRecord>& records = entry.second;
    // Unseen: records of reads are on no inbox page, so kept pages stay valid.
    auto written = store_.WriteUnseen(TenantId{tenant}, [&](store::TenantTx& tx) -> Result<void> {
      std::vector<store::AuditRecord> batch = records;  // a unit may run twice
      return tx.AppendAudits(batch);
    });
    if (!written) {
      // Kept for the next pass, ahead of newer records.
      log::Warn("audit_write_failed", {{"tenant_id", tenant}, {"records", records.size()}});
      std::lock_guard lock(mutex_);
      std::vector<std::pair<TenantId, store::AuditRecord>> again;
      again.reserve(records.size() + queue_.size());
      for (auto& r : records) again.emplace_back(TenantId{tenant}, std::move(r));
      for (auto& item : queue_) again.push_back(std::move(item));
      queue_.swap(again);
    }
  }
}

void AuditTrail::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, flush_every_, [&] { return stopping_; });
      if (stopping_) return;
    }
    Flush();
  }
}

}  // namespace caredesk::http
