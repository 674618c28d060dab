// The SQL implementation of TenantTx: every statement binds the tenant id held here, so a
// query cannot reach another tenant's rows. Used only by SqlStore, on the thread that owns
// the connection.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sql/connection.hpp"
#include "store/sql/keyring.hpp"
#include "store/store.hpp"

namespace caredesk::store {

// Parsed business calendars by tenant, reused while the tenant's stored settings are the same
// text: every inbound message needs one, and parsing hours and finding the time zone was 4% of
// the single writer's time. Shared by the transactions of one SqlStore; thread-safe.
class CalendarCache {
 public:
  // The calendar for these stored settings; kInvalid when they do not parse.
  Result<core::BusinessCalendar> Get(TenantId tenant, std::string_view time_zone,
                                     std::string_view business_hours, std::string_view holidays);

 private:
  struct Entry {
    std::string time_zone, business_hours, holidays;
    std::shared_ptr<const core::BusinessCalendar> calendar;
  };
  std::mutex mutex_;
  std::unordered_map<std::int64_t, Entry> entries_;  // by tenant id; guarded by mutex_
};

// `calendars` may be null (then every Calendar() call parses). `for_write`: inside the
// writer's transaction, where LockKey and row locks apply (PostgreSQL). `keys` seal and open
// patient information; null keeps it as it is.
std::unique_ptr<TenantTx> MakeSqlTenantTx(SqlConnection& db, TenantId tenant,
                                          CalendarCache* calendars = nullptr,
                                          bool for_write = false,
                                          std::shared_ptr<const TenantKeys> keys = nullptr);

// The chain hash of an audit record of `tenant`: hex SHA-256 over its prev_hash and every
// field, each written with its length so no two records share an input.
std::string AuditHash(TenantId tenant, const AuditRecord& r);
inline constexpr std::string_view kAuditColumns =
    "id, at, actor_id, session_ref, remote_address, action, object_type, object_id, patient_id, "
    "detail, prev_hash, hash";
// Reads a row selected with kAuditColumns starting at column `first`.
AuditRecord ReadAuditRecord(const SqlRow& row, std::size_t first = 0);

// Comma-joined lists as stored in TEXT columns.
std::string JoinList(const std::vector<std::string>& items);
std::vector<std::string> SplitList(std::string_view text);

}  // namespace caredesk::store
