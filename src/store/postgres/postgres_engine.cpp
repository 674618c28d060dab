#include "store/postgres/postgres_engine.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/log.hpp"

namespace caredesk::store::postgres {
namespace {

// Statement texts are constants, so a few dozen per connection is normal; past this bound
// (SQL built dynamically) new statements run unnamed instead of growing server memory.
constexpr std::size_t kMaxPreparedStatements = 256;
// SQL text is logged (it holds placeholders, never values), cut to keep lines short.
constexpr std::size_t kLoggedSqlBytes = 160;

// Type OIDs from catalog/pg_type.h, which is only shipped with the server headers.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;
constexpr Oid kUnknownOid = 0;  // let the server infer the type from context

std::string_view SqlForLog(std::string_view sql) { return sql.substr(0, kLoggedSqlBytes); }

std::string_view OrEmpty(const char* s) {
  return s == nullptr ? std::string_view() : std::string_view(s);
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Rewrites '?' placeholders to $1..$n, leaving alone those inside string literals ('...' with
// '' escapes, E'...' with backslash escapes), quoted identifiers, dollar-quoted strings and
// comments. `*count` receives n.
std::string RewritePlaceholders(std::string_view sql, std::size_t* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t n = 0;
  std::size_t i = 0;
  const std::size_t size = sql.size();
  auto copy_until = [&](std::size_t end) {
    out.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < size) {
    const char c = sql[i];
    if (c == '?') {
      out += '$';
      out += std::to_string(++n);
      ++i;
    } else if (c == '\'') {
      const bool escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
      std::size_t j = i + 1;
      while (j < size) {
        if (escapes && sql[j] == '\\') {
          j += 2;
        } else if (sql[j] == '\'') {
          if (j + 1 < size && sql[j + 1] == '\'') {
            j += 2;
          } else {
            ++j;
            break;
          }
        } else {
          ++j;
        }
      }
      copy_until(std::min(j, size));
    } else if (c == '"') {
      std::size_t j = sql.find('"', i + 1);  // "" inside is two adjacent quoted runs: fine
      copy_until(j == std::string_view::npos ? size : j + 1);
    } else if (c == '-' && i + 1 < size && sql[i + 1] == '-') {
      std::size_t j = sql.find('\n', i);
      copy_until(j == std::string_view::npos ? size : j + 1);
    } else if (c == '/' && i + 1 < size && sql[i + 1] == '*') {
      int depth = 0;  // Postgres block comments nest
      std::size_t j = i;
      while (j < size) {
        if (sql.compare(j, 2, "/*") == 0) {
          ++depth;
          j += 2;
        } else if (sql.compare(j, 2, "*/") == 0) {
          j += 2;
          if (--depth == 0) break;
        } else {
          ++j;
        }
      }
      copy_until(std::min(j, size));
    } else if (c == '$' && (i == 0 || !IsIdentChar(sql[i - 1]))) {
      // $tag$ ... $tag$ (tag may be empty); $1 style positional parameters are left as they are.
      std::size_t j = i + 1;
      while (j < size && IsIdentChar(sql[j]) && !(j == i + 1 && sql[j] >= '0' && sql[j] <= '9'))
        ++j;
      if (j < size && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j - i + 1);
        std::size_t end = sql.find(tag, j + 1);
        copy_until(end == std::string_view::npos ? size : end + tag.size());
      } else {
        copy_until(i + 1);
      }
    } else {
      copy_until(i + 1);
    }
  }
  *count = n;
  return out;
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

// Server notices and warnings go to the log as severity and SQLSTATE only: their text may
// quote values (RAISE NOTICE in a function, for one).
void OnNotice(void* /*arg*/, const PGresult* res) {
  log::Warn("postgres_notice",
            {{"severity", OrEmpty(PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED))},
             {"sqlstate", OrEmpty(PQresultErrorField(res, PG_DIAG_SQLSTATE))}});
}

SqlValue ReadValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return std::monostate{};
  const char* p = PQgetvalue(res, row, col);
  const auto len = static_cast<std::size_t>(PQgetlength(res, row, col));
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(p, p + len, v);
      if (ec == std::errc() && end == p + len) return v;
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double v = 0;
      auto [end, ec] = std::from_chars(p, p + len, v);
      if (ec == std::errc() && end == p + len) return v;
      break;  // out of double's range (numeric can be): keep the exact text
    }
    case kBoolOid:
      return std::int64_t{len > 0 && p[0] == 't' ? 1 : 0};
    default:
      break;
  }
  return std::string(p, len);
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One SQL text, rewritten once, prepared once per parameter-type signature.
struct CachedSql {
  std::string text;  // with $n placeholders
  std::size_t param_count = 0;
  std::vector<std::pair<std::string, std::string>> prepared;  // signature -> statement name
};

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;
  ~PostgresConnection() override { PQfinish(conn_); }

  // Per-session settings; run after connecting and after every reconnect.
  Result<void> SetupSession() {
    PQsetNoticeReceiver(conn_, &OnNotice, nullptr);
    return Simple("SET client_min_messages = warning");
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
    CD_TRY(Ready());
    // Simple-query protocol: several statements, one implicit transaction unless the script
    // has its own BEGIN/COMMIT.
    return Simple(std::string(sql));
  }

  Result<void> Begin() override {
    CD_TRY(Ready());
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE)
      return Internal("a transaction is already open");
    return Simple("BEGIN");
  }

  Result<void> Commit() override {
    CD_TRY(Ready());
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    if (status == PQTRANS_IDLE) return Internal("no transaction is open");
    if (status == PQTRANS_INERROR) {
      // COMMIT would quietly roll back; say so instead of reporting success.
      CD_TRY(Simple("ROLLBACK"));
      return Internal("transaction was aborted by an earlier error and has been rolled back");
    }
    return Simple("COMMIT");
  }

  Result<void> Rollback() override {
    if (txn_lost_) {
      txn_lost_ = false;  // the server already discarded it with the connection
      return {};
    }
    if (PQstatus(conn_) != CONNECTION_OK) return {};  // nothing open survives a dead connection
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
    auto result = Simple("ROLLBACK");
    if (!result && PQstatus(conn_) != CONNECTION_OK) {
      // The server discards a transaction whose connection drops: the rollback happened.
      txn_lost_ = false;
      return {};
    }
    return result;
  }

  Result<void> Savepoint(std::string_view name) override {
    if (!IsValidSavepointName(name)) return Invalid("bad savepoint name", "name");
    CD_TRY(Ready());
    return Simple("SAVEPOINT " + std::string(name));
  }
  Result<void> ReleaseSavepoint(std::string_view name) override {
    if (!IsValidSavepointName(name)) return Invalid("bad savepoint name", "name");
    CD_TRY(Ready());
    return Simple("RELEASE SAVEPOINT " + std::string(name));
  }
  Result<void> RollbackToSavepoint(std::string_view name) override {
    if (!IsValidSavepointName(name)) return Invalid("bad savepoint name", "name");
    CD_TRY(Ready());
    return Simple("ROLLBACK TO SAVEPOINT " + std::string(name));
  }

  std::string_view Dialect() const override { return "postgres"; }

  bool Ping() override { return Ready().has_value() && Simple("SELECT 1").has_value(); }

  Result<std::vector<std::string>> AwaitNotices(std::chrono::milliseconds timeout) override {
    std::vector<std::string> out;
    auto drain = [&] {
      while (PGnotify* n = PQnotifies(conn_)) {
        out.emplace_back(n->extra ? n->extra : "");
        PQfreemem(n);
      }
    };
    if (!PQconsumeInput(conn_)) return Unavailable("database connection lost");
    drain();
    if (!out.empty()) return out;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return Unavailable("database connection lost");
    int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno != EINTR) return Unavailable("database connection lost");
    if (ready > 0) {
      if (!PQconsumeInput(conn_)) return Unavailable("database connection lost");
      drain();
    }
    return out;
  }

 private:
  // Reconnects once if the connection was lost; refuses work while a lost transaction has not
  // been acknowledged with Rollback().
  Result<void> Ready() {
    if (PQstatus(conn_) != CONNECTION_OK) {
      OnConnectionLost();
      PQreset(conn_);
      statements_.clear();  // prepared statements died with the old session
      if (PQstatus(conn_) != CONNECTION_OK) {
        log::Warn("postgres_reconnect_failed", {{"error", OrEmpty(PQerrorMessage(conn_))}});
        return Unavailable("database connection lost");
      }
      CD_TRY(SetupSession());
      log::Info("postgres_reconnected");
    }
    if (txn_lost_) return Unavailable("the transaction was lost with the connection; roll back");
    return {};
  }

  void OnConnectionLost() {
    if (in_txn_) txn_lost_ = true;
    in_txn_ = false;
  }

  // Records the transaction state after a command, for OnConnectionLost().
  void NoteTransactionState() {
    if (PQstatus(conn_) == CONNECTION_OK) in_txn_ = PQtransactionStatus(conn_) != PQTRANS_IDLE;
  }

  // Turns a failed command into an Error and logs it without values. `res` may be null.
  Error Fail(const PGresult* res, std::string_view op, std::string_view sql) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      OnConnectionLost();
      // libpq's connection message names host and port, never data.
      log::Warn("postgres_connection_lost",
                {{"op", op}, {"error", OrEmpty(PQerrorMessage(conn_))}, {"sql", SqlForLog(sql)}});
      return Unavailable("database connection lost");
    }
    NoteTransactionState();
    const std::string_view state =
        OrEmpty(res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE));
    const std::string_view constraint =
        OrEmpty(res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME));
    if (state == "23505") {
      log::Info(
          "postgres_conflict",
          {{"op", op}, {"sqlstate", state}, {"constraint", constraint}, {"sql", SqlForLog(sql)}});
      return Conflict("unique constraint violated");
    }
    if (state == "40P01" || state == "40001" || state == "55P03") {
      log::Info("postgres_write_conflict", {{"op", op}, {"sqlstate", state}});
      return Unavailable(std::string(kWriteConflictMessage) + " (SQLSTATE " + std::string(state) +
                         ")");
    }
    const bool retryable = state.starts_with("08") || state.starts_with("53") ||
                           state.starts_with("57P") || state == "40001" || state == "40P01" ||
                           state == "55P03";
    if (retryable) {
      log::Warn("postgres_unavailable", {{"op", op}, {"sqlstate", state}, {"sql", SqlForLog(sql)}});
      return Unavailable("database unavailable (SQLSTATE " + std::string(state) + ")");
    }
    if (state.starts_with("42")) {
      // Syntax and access-rule errors describe the SQL text (names, tokens, types), not data;
      // their primary message is the only useful hint for a typo.
      log::Error("postgres_error",
                 {{"op", op},
                  {"sqlstate", state},
                  {"error", OrEmpty(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))},
                  {"sql", SqlForLog(sql)}});
    } else {
      log::Error(
          "postgres_error",
          {{"op", op}, {"sqlstate", state}, {"constraint", constraint}, {"sql", SqlForLog(sql)}});
    }
    return Internal("database error (SQLSTATE " + std::string(state.empty() ? "none" : state) +
                    ")");
  }

  // A command without parameters or results, over the simple-query protocol.
  Result<void> Simple(const std::string& sql) {
    ResultPtr res(PQexec(conn_, sql.c_str()));
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return Fail(res.get(), "exec", sql);
    NoteTransactionState();
    return {};
  }

  // Finds or creates the cache entry for `sql`. Null when the cache is full: run it unnamed.
  CachedSql* Lookup(std::string_view sql, CachedSql* scratch) {
    if (auto it = statements_.find(sql); it != statements_.end()) return &it->second;
    CachedSql entry;
    entry.text = RewritePlaceholders(sql, &entry.param_count);
    if (prepared_count_ >= kMaxPreparedStatements) {
      *scratch = std::move(entry);
      return scratch;
    }
    return &statements_.emplace(std::string(sql), std::move(entry)).first->second;
  }

  Result<void> Run(std::string_view sql, const SqlParams& params, std::vector<SqlRow>* rows) {
    for (const SqlValue& v : params) {
      const auto* s = std::get_if<std::string>(&v);
      if (s != nullptr && s->find('\0') != std::string::npos) {
        return Invalid("text must not contain NUL characters");
      }
    }
    CD_TRY(Ready());

    CachedSql scratch;
    CachedSql* entry = Lookup(sql, &scratch);
    if (entry->param_count != params.size()) {
      log::Error(
          "postgres_param_count",
          {{"expected", entry->param_count}, {"given", params.size()}, {"sql", SqlForLog(sql)}});
      return Internal("wrong number of SQL parameters");
    }

    std::string signature(params.size(), 'u');
    std::vector<Oid> types(params.size(), kUnknownOid);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        signature[i] = 'i';
        types[i] = kInt8Oid;
        storage[i] = std::to_string(*n);
        values[i] = storage[i].c_str();
      } else if (const auto* d = std::get_if<double>(&v)) {
        signature[i] = 'f';
        types[i] = kFloat8Oid;
        if (std::isnan(*d)) {
          storage[i] = "NaN";
        } else {
          char buf[64];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);  // shortest exact form; "inf"
          storage[i].assign(buf, ec == std::errc() ? end : buf);
        }
        values[i] = storage[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        values[i] = s->c_str();
      }
    }

    for (int attempt = 0;; ++attempt) {
      const std::string* name = nullptr;
      if (entry != &scratch) {
        CD_TRY_ASSIGN(name, Prepare(*entry, signature, types, sql));
      }
      const int n = static_cast<int>(params.size());
      ResultPtr res(name != nullptr ? PQexecPrepared(conn_, name->c_str(), n, values.data(),
                                                     nullptr, nullptr, 0)
                                    : PQexecParams(conn_, entry->text.c_str(), n, types.data(),
                                                   values.data(), nullptr, nullptr, 0));
      const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        NoteTransactionState();
        if (rows != nullptr) ReadRows(res.get(), rows);
        return {};
      }
      // A cached plan whose result shape changed (ALTER TABLE under SELECT *), or a statement
      // someone DEALLOCATEd: forget it. Outside a transaction nothing happened, so retry once.
      const std::string_view state =
          OrEmpty(res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr);
      if (name != nullptr && (state == "0A000" || state == "26000") &&
          PQstatus(conn_) == CONNECTION_OK) {
        entry->prepared.clear();
        if (attempt == 0 && PQtransactionStatus(conn_) == PQTRANS_IDLE) continue;
      }
      return Fail(res.get(), "execute", sql);
    }
  }

  // Returns the name of the statement prepared for this parameter-type signature.
  Result<const std::string*> Prepare(CachedSql& entry, const std::string& signature,
                                     const std::vector<Oid>& types, std::string_view sql) {
    for (const auto& [sig, name] : entry.prepared) {
      if (sig == signature) return &name;
    }
    std::string name = "cd_" + std::to_string(++prepared_count_);
    ResultPtr res(PQprepare(conn_, name.c_str(), entry.text.c_str(), static_cast<int>(types.size()),
                            types.data()));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
      return Fail(res.get(), "prepare", sql);
    entry.prepared.emplace_back(signature, std::move(name));
    return &entry.prepared.back().second;
  }

  static void ReadRows(const PGresult* res, std::vector<SqlRow>* rows) {
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    rows->reserve(rows->size() + static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      SqlRow& row = rows->emplace_back();
      row.columns.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) row.columns.push_back(ReadValue(res, r, c));
    }
  }

  PGconn* conn_;
  bool in_txn_ = false;    // a transaction was open after the last command
  bool txn_lost_ = false;  // the connection died with a transaction open; Rollback() clears
  std::size_t prepared_count_ = 0;  // names statements; bounds the cache
  std::unordered_map<std::string, CachedSql, StringHash, std::equal_to<>> statements_;
};

class PostgresEngine final : public SqlEngine {
 public:
  explicit PostgresEngine(std::string url) : url_(std::move(url)) {}

  Result<std::unique_ptr<SqlConnection>> Connect() override {
    PGconn* raw = PQconnectdb(url_.c_str());
    if (raw == nullptr) return Internal("out of memory creating a database connection");
    auto conn = std::make_unique<PostgresConnection>(raw);  // owns raw from here on
    if (PQstatus(raw) != CONNECTION_OK) {
      // Names host, port and user, never the password.
      log::Error("postgres_connect_failed", {{"error", OrEmpty(PQerrorMessage(raw))}});
      return Unavailable("cannot connect to the database");
    }
    CD_TRY(conn->SetupSession());
    return std::unique_ptr<SqlConnection>(std::move(conn));
  }

  std::string_view Dialect() const override { return "postgres"; }

  // Postgres has no counterpart of SQLite's integrity_check: durability rests on its WAL, and
  // on-disk corruption is caught by page checksums when the cluster has them (initdb -k). This
  // only proves the server answers.
  Result<std::string> IntegrityCheck() override {
    CD_TRY_ASSIGN(auto conn, Connect());
    CD_TRY_ASSIGN(auto rows, conn->Query("SELECT 1", {}));
    if (rows.size() != 1 || rows[0].OptInt(0) != 1)
      return Internal("SELECT 1 returned something else");
    return std::string("ok");
  }

 private:
  const std::string url_;  // immutable, so Connect() needs no lock; never logged
};

}  // namespace

Result<std::unique_ptr<SqlEngine>> OpenPostgres(std::string url) {
  if (PQisthreadsafe() == 0) return Internal("the linked libpq was built without thread support");
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    PQfreemem(parse_error);  // may quote the URL, so it is not logged
    log::Error("postgres_bad_url");
    return Invalid("malformed PostgreSQL connection URL", "url");
  }
  PQconninfoFree(options);
  auto engine = std::make_unique<PostgresEngine>(std::move(url));
  CD_TRY_ASSIGN(auto probe, engine->Connect());
  probe.reset();
  return std::unique_ptr<SqlEngine>(std::move(engine));
}

}  // namespace caredesk::store::postgres
