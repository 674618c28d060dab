#include "store/sqlite/sqlite_engine.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/log.hpp"

namespace caredesk::store::sqlite {
namespace {

// Statement texts are constants, so a few dozen per connection is normal; past this bound
// (someone building SQL dynamically) new texts run uncached instead of growing memory.
constexpr std::size_t kMaxCachedStatements = 256;
// SQL text is logged (it holds '?' placeholders, never values), cut to keep lines short.
constexpr std::size_t kLoggedSqlBytes = 160;

constexpr std::string_view kSessionPragmas =
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA temp_store=MEMORY;"
    // 8 MiB of page cache per connection (negative: KiB). No mmap: each connection would map
    // the file separately and every touched page would count in the server's RSS once per
    // connection; the OS page cache serves re-reads just as well.
    "PRAGMA cache_size=-8192;"
    "PRAGMA mmap_size=0;";

std::string_view SqlForLog(std::string_view sql) { return sql.substr(0, kLoggedSqlBytes); }

// Maps an SQLite result code (extended codes are on) to an error kind and logs it. Only
// sqlite3_errstr(), a fixed text per code, is logged: sqlite3_errmsg() may quote values.
Error MapError(int code, std::string_view op, std::string_view sql) {
  const int primary = code & 0xff;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY ||
      code == SQLITE_CONSTRAINT_ROWID) {
    log::Info("sqlite_conflict", {{"op", op}, {"code", code}, {"sql", SqlForLog(sql)}});
    return Conflict("unique constraint violated");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    log::Warn("sqlite_busy", {{"op", op}, {"code", code}, {"sql", SqlForLog(sql)}});
    return Unavailable("database is busy");
  }
  log::Error(
      "sqlite_error",
      {{"op", op}, {"code", code}, {"error", sqlite3_errstr(code)}, {"sql", SqlForLog(sql)}});
  return Internal(std::string("sqlite: ") + sqlite3_errstr(code));
}

bool IsValidSavepointName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsBlank(const char* begin, const char* end) {
  for (const char* p = begin; p < end; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != ';') return false;
  }
  return true;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Result<void> Execute(std::string_view sql, const SqlParams& params) override {
    return Run(sql, params, nullptr);
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql, const SqlParams& params) override {
    std::vector<SqlRow> rows;
    CD_TRY(Run(sql, params, &rows));
    return rows;
  }

  Result<void> ExecuteScript(std::string_view sql) override {
    const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return MapError(rc, "exec_script", sql);
    return {};
  }

  Result<void> Begin() override { return Execute("BEGIN IMMEDIATE", {}); }
  Result<void> Commit() override { return Execute("COMMIT", {}); }

  Result<void> Rollback() override {
    // An error such as SQLITE_FULL may already have rolled the transaction back; a guard that
    // rolls back on every failure path must not fail again because of that.
    if (sqlite3_get_autocommit(db_) != 0) return {};
    return Execute("ROLLBACK", {});
  }

  Result<void> Savepoint(std::string_view name) override {
    if (!IsValidSavepointName(name)) return Invalid("bad savepoint name", "name");
    // SQLite would open a transaction here; Postgres refuses. Refuse on both.
    if (sqlite3_get_autocommit(db_) != 0) return Internal("savepoint outside a transaction");
    return Execute("SAVEPOINT " + std::string(name), {});
  }
  Result<void> ReleaseSavepoint(std::string_view name) override {
    if (!IsValidSavepointName(name)) return Invalid("bad savepoint name", "name");
    return Execute("RELEASE SAVEPOINT " + std::string(name), {});
  }
  Result<void> RollbackToSavepoint(std::string_view name) override {
    if (!IsValidSavepointName(name)) return Invalid("bad savepoint name", "name");
    return Execute("ROLLBACK TO SAVEPOINT " + std::string(name), {});
  }

  std::string_view Dialect() const override { return "sqlite"; }

  bool Ping() override { return Query("SELECT 1", {}).has_value(); }

 private:
  // Returns the statement for `sql`, from the cache when possible. `*cached` tells the caller
  // whether to reset (cached) or finalize (not cached) it after use.
  Result<sqlite3_stmt*> Prepare(std::string_view sql, bool* cached) {
    if (auto it = statements_.find(sql); it != statements_.end()) {
      *cached = true;
      return it->second;
    }
    *cached = statements_.size() < kMaxCachedStatements;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      *cached ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
    if (rc != SQLITE_OK) {
      // Compiling happens before anything is bound, so this message names SQL tokens, tables
      // or columns but never a parameter value; it is the only useful hint for a typo.
      log::Error("sqlite_prepare_failed",
                 {{"code", rc}, {"error", sqlite3_errmsg(db_)}, {"sql", SqlForLog(sql)}});
      return Internal(std::string("sqlite: ") + sqlite3_errstr(rc));
    }
    if (stmt == nullptr || !IsBlank(tail, sql.data() + sql.size())) {
      sqlite3_finalize(stmt);
      log::Error("sqlite_bad_statement", {{"sql", SqlForLog(sql)}});
      return Internal("expected exactly one SQL statement; use ExecuteScript for scripts");
    }
    if (*cached) statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  // Leaves a statement ready for its next use, or frees it when it is not cached.
  class StatementUse {
   public:
    StatementUse(sqlite3_stmt* stmt, bool cached) : stmt_(stmt), cached_(cached) {}
    StatementUse(const StatementUse&) = delete;
    StatementUse& operator=(const StatementUse&) = delete;
    ~StatementUse() {
      if (cached_) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);  // text was bound SQLITE_STATIC; drop the pointers
      } else {
        sqlite3_finalize(stmt_);
      }
    }

   private:
    sqlite3_stmt* stmt_;
    bool cached_;
  };

  Result<void> Run(std::string_view sql, const SqlParams& params, std::vector<SqlRow>* rows) {
    bool cached = false;
    CD_TRY_ASSIGN(sqlite3_stmt * stmt, Prepare(sql, &cached));
    StatementUse use(stmt, cached);

    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<std::size_t>(expected) != params.size()) {
      log::Error("sqlite_param_count",
                 {{"expected", expected}, {"given", params.size()}, {"sql", SqlForLog(sql)}});
      return Internal("wrong number of SQL parameters");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else {
        const std::string& s = std::get<std::string>(v);
        // Explicit length: embedded NULs are kept. STATIC: `params` outlives the statement run.
        rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return MapError(rc, "bind", sql);
    }

    while (true) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return {};
      if (rc != SQLITE_ROW) return MapError(rc, "step", sql);
      if (rows == nullptr) continue;
      const int n = sqlite3_column_count(stmt);
      SqlRow& row = rows->emplace_back();
      row.columns.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) row.columns.push_back(ReadColumn(stmt, c));
    }
  }

  static SqlValue ReadColumn(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return std::int64_t{sqlite3_column_int64(stmt, c)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, c);
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        const int len = sqlite3_column_bytes(stmt, c);  // after _text, as the docs require
        return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(len));
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        const int len = sqlite3_column_bytes(stmt, c);
        return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(len));
      }
      default:
        return std::monostate{};
    }
  }

  sqlite3* db_;
  // Keyed by the exact SQL text; heterogeneous lookup avoids a copy per call.
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> statements_;
};

Result<std::unique_ptr<SqliteConnection>> OpenConnection(const std::string& path,
                                                         const SqliteOptions& options) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);  // a handle is returned even on failure
    log::Error("sqlite_open_failed", {{"code", rc}, {"error", sqlite3_errstr(rc)}});
    if ((rc & 0xff) == SQLITE_CANTOPEN) return Unavailable("cannot open the database file");
    return Internal(std::string("sqlite: ") + sqlite3_errstr(rc));
  }
  auto conn = std::make_unique<SqliteConnection>(db);  // owns db from here on
  sqlite3_extended_result_codes(db, 1);
  // Portability with Postgres: "x" is an identifier, never a string literal.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));

  CD_TRY_ASSIGN(auto mode, conn->Query("PRAGMA journal_mode=WAL", {}));
  if (mode.empty() || mode[0].OptText(0).value_or("") != "wal") {
    // In-memory databases and some file systems cannot do WAL; still durable, less concurrent.
    log::Warn("sqlite_not_wal",
              {{"journal_mode", mode.empty() ? "" : mode[0].OptText(0).value_or("")}});
  }
  CD_TRY(conn->ExecuteScript(kSessionPragmas));
  return conn;
}

class SqliteEngine final : public SqlEngine {
 public:
  SqliteEngine(std::string path, SqliteOptions options)
      : path_(std::move(path)), options_(options) {}

  Result<std::unique_ptr<SqlConnection>> Connect() override {
    CD_TRY_ASSIGN(auto conn, OpenConnection(path_, options_));
    return std::unique_ptr<SqlConnection>(std::move(conn));
  }

  std::string_view Dialect() const override { return "sqlite"; }

  Result<std::string> IntegrityCheck() override {
    CD_TRY_ASSIGN(auto conn, OpenConnection(path_, options_));
    CD_TRY_ASSIGN(auto rows, conn->Query("PRAGMA integrity_check", {}));
    std::string report;
    for (const SqlRow& row : rows) {
      if (!report.empty()) report += '\n';
      report += row.OptText(0).value_or("");
    }
    return report;
  }

 private:
  const std::string path_;  // immutable, so Connect() needs no lock
  const SqliteOptions options_;
};

}  // namespace

Result<std::unique_ptr<SqlEngine>> OpenSqlite(std::string path, SqliteOptions options) {
  if (sqlite3_threadsafe() == 0) {
    log::Error("sqlite_not_threadsafe");
    return Internal("the linked SQLite was built without thread support");
  }
  // The first connection creates the file and makes WAL persistent for all later ones.
  CD_TRY_ASSIGN(auto probe, OpenConnection(path, options));
  probe.reset();
  return std::unique_ptr<SqlEngine>(std::make_unique<SqliteEngine>(std::move(path), options));
}

}  // namespace caredesk::store::sqlite
