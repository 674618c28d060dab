// SQLite engine behind the storage port: one database file in WAL mode with synchronous=FULL,
// so an acknowledged commit survives power loss and readers never block the single writer.
// The engine is thread-safe; each connection it opens belongs to one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "store/sql/connection.hpp"

namespace caredesk::store::sqlite {

struct SqliteOptions {
  // How long a statement waits for another connection's write lock before failing with
  // kUnavailable. Default 5 s.
  std::chrono::milliseconds busy_timeout{5000};
};

// Opens the database at `path`, creating the file if absent (its directory must exist), and
// switches it to WAL. Every connection then gets foreign_keys=ON, synchronous=FULL, an 8 MiB
// page cache, no mmap and a per-connection prepared-statement cache.
//
// Connection semantics: Begin() is BEGIN IMMEDIATE (takes the write lock up front, so a
// transaction never fails half-way with SQLITE_BUSY). Rollback() outside a transaction succeeds;
// Commit() or Savepoint() outside one and Begin() inside one fail with kInternal, as on Postgres.
// Text is bound with its length, so embedded NULs round-trip. Errors: unique/primary-key
// violations -> kConflict; SQLITE_BUSY/LOCKED after the busy timeout and a file that cannot be
// opened -> kUnavailable; a bad savepoint name -> kInvalid; everything else -> kInternal. Details
// are logged without parameter values.
[[nodiscard]] Result<std::unique_ptr<SqlEngine>> OpenSqlite(std::string path,
                                                            SqliteOptions options = {});

}  // namespace caredesk::store::sqlite
