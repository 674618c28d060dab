// The port between the storage logic (written once, in store/sql) and an engine (sqlite/,
// postgres/). SQL text uses '?' placeholders and portable syntax (INSERT ... RETURNING,
// ON CONFLICT DO NOTHING, LIMIT); an engine rewrites placeholders as it needs. A connection
// is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.hpp"

namespace caredesk::store {

// A bound parameter or a column value. NULL is std::monostate.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

struct SqlRow {
  std::vector<SqlValue> columns;

  bool IsNull(std::size_t i) const { return std::holds_alternative<std::monostate>(columns.at(i)); }
  std::int64_t Int(std::size_t i) const;  // NULL reads as 0
  double Real(std::size_t i) const;
  const std::string& Text(std::size_t i) const;  // NULL reads as ""
  std::optional<std::int64_t> OptInt(std::size_t i) const;
  std::optional<std::string> OptText(std::size_t i) const;
};

using SqlParams = std::vector<SqlValue>;

// The database gave up one statement because another transaction held what it needed
// (PostgreSQL's deadlock and serialization failures). Nothing of the statement's unit is kept;
// running the unit again after the other transaction commits succeeds. kUnavailable.
inline constexpr std::string_view kWriteConflictMessage = "write conflict with another writer";
inline bool IsWriteConflict(const Error& e) {
  return e.kind == ErrorKind::kUnavailable && e.message.starts_with(kWriteConflictMessage);
}

// Engine-specific error details are logged by the engine (without parameter values, which may
// be PHI) and surface as kUnavailable (connection lost), kConflict (unique violation) or
// kInternal.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual Result<void> Execute(std::string_view sql, const SqlParams& params = {}) = 0;
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql, const SqlParams& params = {}) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual Result<void> ExecuteScript(std::string_view sql) = 0;

  virtual Result<void> Begin() = 0;  // BEGIN (IMMEDIATE on SQLite)
  virtual Result<void> Commit() = 0;
  virtual Result<void> Rollback() = 0;
  virtual Result<void> Savepoint(std::string_view name) = 0;
  virtual Result<void> ReleaseSavepoint(std::string_view name) = 0;
  virtual Result<void> RollbackToSavepoint(std::string_view name) = 0;

  // "sqlite" or "postgres": selects the migration set and the few dialect differences.
  virtual std::string_view Dialect() const = 0;
  // True when the connection is usable (readyz).
  virtual bool Ping() = 0;
  // Notices from other sessions (PostgreSQL NOTIFY on a channel this connection LISTENs to):
  // waits at most `timeout` for some and returns their payloads, possibly none. kUnavailable when
  // the connection is lost. Engines without notices return none at once.
  virtual Result<std::vector<std::string>> AwaitNotices(std::chrono::milliseconds timeout) {
    (void)timeout;
    return std::vector<std::string>{};
  }
};

// Opens new connections to one database; thread-safe.
class SqlEngine {
 public:
  virtual ~SqlEngine() = default;
  virtual Result<std::unique_ptr<SqlConnection>> Connect() = 0;
  virtual std::string_view Dialect() const = 0;
  // Database-level integrity check (SQLite: PRAGMA integrity_check); "ok" when healthy.
  virtual Result<std::string> IntegrityCheck() = 0;
};

}  // namespace caredesk::store
