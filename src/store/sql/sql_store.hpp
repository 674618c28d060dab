// Store implemented once over the SqlConnection port, for every engine. One writer thread
// owns the write connection and group-commits queued Write() calls; reads use a pool of
// connections, one per concurrent reader. Thread-safe.
#pragma once

#include <memory>

#include "store/sql/connection.hpp"
#include "store/store.hpp"

namespace caredesk::store {

struct SqlStoreOptions {
  std::size_t max_batch = 256;  // write units per group commit; 1 disables group commit
  std::size_t max_readers = 8;  // read connections open at once; further readers wait
};

// Starts the writer thread. The engine must outlive the store.
std::unique_ptr<Store> MakeSqlStore(std::shared_ptr<SqlEngine> engine,
                                    SqlStoreOptions options = {});

}  // namespace caredesk::store
