// PostgreSQL engine behind the storage port, on libpq. The engine is thread-safe; each connection
// it opens is one libpq connection used by one thread at a time, with its own cache of
// server-side prepared statements.
#pragma once

#include <memory>
#include <string>

#include "base/error.hpp"
#include "store/sql/connection.hpp"

namespace caredesk::store::postgres {

// Opens an engine for `url`, a libpq connection URI (postgresql://user@host:port/db?...), and
// checks it with one connection. Fails with kInvalid when the URL does not parse and with
// kUnavailable when the server cannot be reached. The URL is never logged (it may hold a
// password); connect_timeout, sslmode etc. are taken from it as libpq does.
//
// Connection semantics:
// - '?' placeholders become $1..$n (not inside '...', E'...', "...", $tag$...$tag$ or comments),
//   so the jsonb operators ?, ?| and ?& cannot be written; use jsonb_exists() and friends.
//   int64 parameters are sent as bigint and double as double precision; text and NULL are left
//   for the server to type from context (so text binds to timestamptz, jsonb, uuid columns);
//   where the context fixes no type (`? IS NULL`, as in `? IS NULL OR col = ?`) write
//   CAST(? AS type), which is portable.
// - Results: smallint/integer/bigint -> int64, real/double/numeric -> double, boolean -> int64
//   0 or 1, everything else as its text form, NULL -> monostate.
// - Text containing a NUL byte cannot be stored: kInvalid, nothing is sent.
// - Errors: 23505 (unique) -> kConflict; a lost connection (08xxx, the server gone) ->
//   kUnavailable, and the next call reconnects once; 40001/40P01 (serialization, deadlock),
//   55P03, 53xxx and 57Pxx -> kUnavailable (retry later); everything else -> kInternal. Only the
//   SQLSTATE and constraint name are logged, never a value.
// - Any error inside a transaction aborts it (Postgres semantics): later statements fail until
//   RollbackToSavepoint() or Rollback(); Commit() of an aborted transaction rolls it back and
//   fails with kInternal. If the connection is lost inside a transaction, every call but
//   Rollback() fails with kUnavailable until Rollback() acknowledges the loss.
// - Begin() inside a transaction and Commit()/Savepoint() outside one fail with kInternal;
//   Rollback() outside one succeeds.
[[nodiscard]] Result<std::unique_ptr<SqlEngine>> OpenPostgres(std::string url);

}  // namespace caredesk::store::postgres
