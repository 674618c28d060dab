// Store implemented once over the SqlConnection port, for every engine. One writer thread
// owns the write connection and group-commits queued Write() calls; reads use a pool of
// connections, one per concurrent reader. Thread-safe.
#pragma once

#include <memory>
#include <optional>

#include "base/time.hpp"
#include "security/crypto.hpp"
#include "store/sql/connection.hpp"
#include "store/store.hpp"

namespace caredesk::store {

struct SqlStoreOptions {
  std::size_t max_batch = 256;  // write units per group commit; 1 disables group commit
  std::size_t max_readers = 8;  // read connections open at once; further readers wait
  // Seals patient information at rest under per-tenant keys wrapped by this key. Without it
  // values are stored as they are, and a database that has keys is refused.
  std::optional<security::SecretKey> master_key;
  // The master key being replaced: tenant keys it wrapped still open until `caredesk keys
  // rewrap` has wrapped them all with master_key (see Store::RewrapKeys).
  std::optional<security::SecretKey> previous_master_key;
  // How often tenant keys are looked up again (a rotation by another process is used from then).
  Millis key_refresh = std::chrono::seconds(5);
  // SQLite: how often an idle writer looks for commits by other processes (`caredesk patient
  // erase`, say), after which every tenant's WriteGeneration moves so that nothing derived
  // from the old data is served again.
  Millis external_writes_check = std::chrono::seconds(1);
};

// Starts the writer thread. The engine must outlive the store.
std::unique_ptr<Store> MakeSqlStore(std::shared_ptr<SqlEngine> engine,
                                    SqlStoreOptions options = {});

}  // namespace caredesk::store
