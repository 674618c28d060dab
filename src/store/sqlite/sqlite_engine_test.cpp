#include "store/sqlite/sqlite_engine.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace caredesk::store::sqlite {
namespace {

using namespace std::string_literals;

constexpr std::string_view kSchema = R"sql(
  CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    mrn TEXT NOT NULL UNIQUE,
    name TEXT,
    weight REAL,
    visits INTEGER
  );
  CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    body TEXT NOT NULL
  );
)sql";

class SqliteEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "caredesk_sqlite_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    engine_ = Open();
    ASSERT_NE(engine_, nullptr);
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
    ASSERT_TRUE(conn_->ExecuteScript(kSchema).has_value());
  }

  void TearDown() override {
    conn_.reset();
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<SqlEngine> Open(SqliteOptions options = {}) {
    auto engine = OpenSqlite((dir_ / "caredesk.db").string(), options);
    EXPECT_TRUE(engine.has_value()) << (engine ? "" : engine.error().message);
    return engine ? std::move(*engine) : nullptr;
  }

  std::unique_ptr<SqlConnection> Connect(SqlEngine* engine = nullptr) {
    auto conn = (engine != nullptr ? engine : engine_.get())->Connect();
    EXPECT_TRUE(conn.has_value()) << (conn ? "" : conn.error().message);
    return conn ? std::move(*conn) : nullptr;
  }

  std::int64_t InsertPatient(SqlConnection& c, const std::string& mrn) {
    auto rows = c.Query("INSERT INTO patients (mrn) VALUES (?) RETURNING id", {mrn});
    EXPECT_TRUE(rows.has_value()) << (rows ? "" : rows.error().message);
    if (!rows || rows->size() != 1) return -1;
    return (*rows)[0].Int(0);
  }

  std::int64_t CountPatients(SqlConnection& c) {
    auto rows = c.Query("SELECT COUNT(*) FROM patients");
    EXPECT_TRUE(rows.has_value());
    return rows ? (*rows)[0].Int(0) : -1;
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqlEngine> engine_;
  std::unique_ptr<SqlConnection> conn_;
};

TEST_F(SqliteEngineTest, DialectIsSqlite) {
  EXPECT_EQ(engine_->Dialect(), "sqlite");
  EXPECT_EQ(conn_->Dialect(), "sqlite");
  EXPECT_TRUE(conn_->Ping());
}

TEST_F(SqliteEngineTest, ConnectionPragmasAreApplied) {
  auto one = [&](const char* sql) {
    auto rows = conn_->Query(sql);
    EXPECT_TRUE(rows.has_value()) << sql;
    return rows && !rows->empty() ? (*rows)[0].columns.at(0) : SqlValue{};
  };
  EXPECT_EQ(one("PRAGMA journal_mode"), SqlValue("wal"s));
  EXPECT_EQ(one("PRAGMA synchronous"), SqlValue(std::int64_t{2}));  // FULL
  EXPECT_EQ(one("PRAGMA foreign_keys"), SqlValue(std::int64_t{1}));
  EXPECT_EQ(one("PRAGMA busy_timeout"), SqlValue(std::int64_t{5000}));
  EXPECT_EQ(one("PRAGMA temp_store"), SqlValue(std::int64_t{2}));  // MEMORY
  EXPECT_EQ(one("PRAGMA cache_size"), SqlValue(std::int64_t{-8192}));
  EXPECT_EQ(one("PRAGMA mmap_size"), SqlValue(std::int64_t{0}));
}

TEST_F(SqliteEngineTest, InsertReturningId) {
  const std::int64_t first = InsertPatient(*conn_, "MRN-1");
  const std::int64_t second = InsertPatient(*conn_, "MRN-2");
  EXPECT_GT(first, 0);
  EXPECT_EQ(second, first + 1);
  auto rows = conn_->Query("SELECT mrn FROM patients WHERE id = ?", {second});
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "MRN-2");
}

TEST_F(SqliteEngineTest, ValuesRoundTrip) {
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::string_view kInsertFull =
      "INSERT INTO patients (mrn, name, weight, visits) VALUES (?, ?, ?, ?)";
  const std::string utf8 =
      "Zo\xC3\xAB \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82";  // Zoë 日本 🙂
  const std::string with_nul = "before\0after"s;
  ASSERT_EQ(with_nul.size(), 12u);

  ASSERT_TRUE(conn_->Execute(kInsertFull, {"a"s, utf8, 72.25, kMin}).has_value());
  ASSERT_TRUE(conn_->Execute(kInsertFull, {"b"s, with_nul, -1e300, kMax}).has_value());
  ASSERT_TRUE(conn_->Execute(kInsertFull, {"c"s, SqlValue{}, SqlValue{}, SqlValue{}}).has_value());

  auto rows = conn_->Query("SELECT mrn, name, weight, visits FROM patients ORDER BY mrn");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 3u);
  const SqlRow& a = (*rows)[0];
  EXPECT_EQ(a.columns[1], SqlValue(utf8));
  EXPECT_EQ(a.columns[2], SqlValue(72.25));
  EXPECT_EQ(a.columns[3], SqlValue(kMin));
  EXPECT_EQ(a.Int(3), kMin);
  EXPECT_DOUBLE_EQ(a.Real(2), 72.25);

  const SqlRow& b = (*rows)[1];
  EXPECT_EQ(b.Text(1), with_nul);
  EXPECT_EQ(b.Text(1).size(), 12u);
  EXPECT_EQ(b.Real(2), -1e300);
  EXPECT_EQ(b.Int(3), kMax);

  const SqlRow& c = (*rows)[2];
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_TRUE(c.IsNull(2));
  EXPECT_TRUE(c.IsNull(3));
  EXPECT_EQ(c.Text(1), "");
  EXPECT_EQ(c.Int(3), 0);
  EXPECT_EQ(c.Real(2), 0.0);
  EXPECT_EQ(c.OptInt(3), std::nullopt);
  EXPECT_EQ(c.OptText(1), std::nullopt);

  // The same NUL-bearing text matches as a parameter too.
  auto found = conn_->Query("SELECT mrn FROM patients WHERE name = ?", {with_nul});
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].Text(0), "b");
}

TEST_F(SqliteEngineTest, UniqueViolationIsConflict) {
  InsertPatient(*conn_, "DUP");
  auto again = conn_->Execute("INSERT INTO patients (mrn) VALUES (?)", {"DUP"s});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);

  const std::int64_t id = InsertPatient(*conn_, "OTHER");
  auto pk = conn_->Execute("INSERT INTO patients (id, mrn) VALUES (?, ?)", {id, "X"s});
  ASSERT_FALSE(pk.has_value());
  EXPECT_EQ(pk.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(CountPatients(*conn_), 2);
}

TEST_F(SqliteEngineTest, OtherConstraintViolationsAreInternal) {
  auto fk = conn_->Execute("INSERT INTO notes (patient_id, body) VALUES (?, ?)",
                           {std::int64_t{999}, "x"s});
  ASSERT_FALSE(fk.has_value());
  EXPECT_EQ(fk.error().kind, ErrorKind::kInternal);  // foreign_keys=ON is in force

  auto not_null = conn_->Execute("INSERT INTO patients (mrn) VALUES (?)", {SqlValue{}});
  ASSERT_FALSE(not_null.has_value());
  EXPECT_EQ(not_null.error().kind, ErrorKind::kInternal);
}

TEST_F(SqliteEngineTest, OnConflictDoNothing) {
  InsertPatient(*conn_, "SAME");
  auto rows = conn_->Query(
      "INSERT INTO patients (mrn) VALUES (?) ON CONFLICT (mrn) DO NOTHING RETURNING id", {"SAME"s});
  ASSERT_TRUE(rows.has_value());
  EXPECT_TRUE(rows->empty());
}

TEST_F(SqliteEngineTest, TransactionRollbackDiscardsWork) {
  InsertPatient(*conn_, "KEPT");
  ASSERT_TRUE(conn_->Begin().has_value());
  InsertPatient(*conn_, "GONE");
  EXPECT_EQ(CountPatients(*conn_), 2);
  ASSERT_TRUE(conn_->Rollback().has_value());
  EXPECT_EQ(CountPatients(*conn_), 1);

  ASSERT_TRUE(conn_->Begin().has_value());
  InsertPatient(*conn_, "COMMITTED");
  ASSERT_TRUE(conn_->Commit().has_value());
  EXPECT_EQ(CountPatients(*conn_), 2);
}

TEST_F(SqliteEngineTest, TransactionStateErrors) {
  EXPECT_TRUE(conn_->Rollback().has_value());  // nothing to roll back is fine
  auto commit = conn_->Commit();
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().kind, ErrorKind::kInternal);

  ASSERT_TRUE(conn_->Begin().has_value());
  auto nested = conn_->Begin();
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().kind, ErrorKind::kInternal);
  EXPECT_TRUE(conn_->Rollback().has_value());
}

TEST_F(SqliteEngineTest, ConflictInsideTransactionKeepsTheTransaction) {
  ASSERT_TRUE(conn_->Begin().has_value());
  InsertPatient(*conn_, "ONE");
  auto dup = conn_->Execute("INSERT INTO patients (mrn) VALUES (?)", {"ONE"s});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  // SQLite undoes only the failed statement. (Postgres aborts the whole transaction: portable
  // code wraps statements that may conflict in a savepoint.)
  InsertPatient(*conn_, "TWO");
  ASSERT_TRUE(conn_->Commit().has_value());
  EXPECT_EQ(CountPatients(*conn_), 2);
}

TEST_F(SqliteEngineTest, SavepointRollbackKeepsEarlierWork) {
  ASSERT_TRUE(conn_->Begin().has_value());
  InsertPatient(*conn_, "EARLY");
  ASSERT_TRUE(conn_->Savepoint("sp_1").has_value());
  InsertPatient(*conn_, "LATE");
  auto dup = conn_->Execute("INSERT INTO patients (mrn) VALUES (?)", {"EARLY"s});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(conn_->RollbackToSavepoint("sp_1").has_value());
  ASSERT_TRUE(conn_->ReleaseSavepoint("sp_1").has_value());
  ASSERT_TRUE(conn_->Commit().has_value());

  auto rows = conn_->Query("SELECT mrn FROM patients ORDER BY id");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "EARLY");
}

TEST_F(SqliteEngineTest, SavepointNeedsATransaction) {
  auto sp = conn_->Savepoint("sp");
  ASSERT_FALSE(sp.has_value());
  EXPECT_EQ(sp.error().kind, ErrorKind::kInternal);
}

TEST_F(SqliteEngineTest, SavepointNameIsValidated) {
  ASSERT_TRUE(conn_->Begin().has_value());
  for (std::string_view bad : {"", "1abc", "a b", "x; DROP TABLE patients", "sp-1"}) {
    auto r = conn_->Savepoint(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid) << bad;
  }
  EXPECT_TRUE(conn_->Rollback().has_value());
}

TEST_F(SqliteEngineTest, PreparedStatementsAreCachedAndReused) {
  constexpr std::string_view kSql = "SELECT ? + 1";
  for (std::int64_t i = 0; i < 5; ++i) {
    auto rows = conn_->Query(kSql, {i});
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ((*rows)[0].Int(0), i + 1);  // bindings of the previous run do not leak
  }
  // A statement that failed is reset and usable again.
  ASSERT_FALSE(conn_->Query(kSql, {}).has_value());
  auto after = conn_->Query(kSql, {std::int64_t{41}});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ((*after)[0].Int(0), 42);

  // sqlite_stmt lists this connection's live prepared statements (ENABLE_STMTVTAB, on in Debian).
  auto stmts =
      conn_->Query("SELECT COUNT(*), SUM(run) FROM sqlite_stmt WHERE sql = ?", {std::string(kSql)});
  if (!stmts) GTEST_SKIP() << "SQLite built without the sqlite_stmt virtual table";
  EXPECT_EQ((*stmts)[0].Int(0), 1);  // one statement, not one per call
  EXPECT_EQ((*stmts)[0].Int(1), 6);  // ran six times (the failed call never stepped)
}

TEST_F(SqliteEngineTest, ManyDistinctStatementsStayCorrect) {
  // More texts than the per-connection cache holds: the overflow runs unnamed.
  for (int i = 0; i < 300; ++i) {
    auto rows = conn_->Query("SELECT ? + " + std::to_string(i), {std::int64_t{1}});
    ASSERT_TRUE(rows.has_value()) << i;
    EXPECT_EQ((*rows)[0].Int(0), i + 1);
  }
  auto again = conn_->Query("SELECT ? + 299", {std::int64_t{1}});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)[0].Int(0), 300);
}

TEST_F(SqliteEngineTest, CachedStatementSurvivesSchemaChange) {
  ASSERT_TRUE(
      conn_->ExecuteScript("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);").has_value());
  auto before = conn_->Query("SELECT * FROM t");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ((*before)[0].columns.size(), 1u);
  ASSERT_TRUE(conn_->ExecuteScript("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x';").has_value());
  auto after = conn_->Query("SELECT * FROM t");
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ((*after)[0].columns.size(), 2u);
  EXPECT_EQ((*after)[0].Text(1), "x");
}

TEST_F(SqliteEngineTest, MisuseIsInternal) {
  auto count = conn_->Execute("INSERT INTO patients (mrn) VALUES (?)", {});
  ASSERT_FALSE(count.has_value());
  EXPECT_EQ(count.error().kind, ErrorKind::kInternal);

  auto two = conn_->Execute("SELECT 1; SELECT 2");
  ASSERT_FALSE(two.has_value());
  EXPECT_EQ(two.error().kind, ErrorKind::kInternal);

  auto syntax = conn_->Query("SELEKT 1");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_EQ(syntax.error().kind, ErrorKind::kInternal);

  // Double quotes are identifiers, as in Postgres; not string literals.
  auto dqs = conn_->Query("SELECT id FROM patients WHERE mrn = \"nope\"");
  ASSERT_FALSE(dqs.has_value());
  EXPECT_EQ(dqs.error().kind, ErrorKind::kInternal);
}

TEST_F(SqliteEngineTest, ExecuteScriptRunsEveryStatement) {
  constexpr std::string_view kScript = R"sql(
      CREATE TABLE a (x INTEGER);
      INSERT INTO a VALUES (1);
      INSERT INTO a VALUES (2);  -- comment
  )sql";
  ASSERT_TRUE(conn_->ExecuteScript(kScript).has_value());
  auto rows = conn_->Query("SELECT SUM(x) FROM a");
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ((*rows)[0].Int(0), 3);

  auto bad = conn_->ExecuteScript("INSERT INTO a VALUES (3); INSERT INTO nowhere VALUES (4);");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInternal);
}

TEST_F(SqliteEngineTest, IntegrityCheckIsOk) {
  InsertPatient(*conn_, "M");
  auto report = engine_->IntegrityCheck();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(*report, "ok");
}

TEST_F(SqliteEngineTest, ReaderSeesCommittedSnapshotWhileWriterWorks) {
  InsertPatient(*conn_, "BEFORE");
  auto reader = Connect();
  ASSERT_NE(reader, nullptr);

  ASSERT_TRUE(conn_->Begin().has_value());
  InsertPatient(*conn_, "DURING");
  // WAL: the reader is not blocked and sees the last committed state.
  EXPECT_EQ(CountPatients(*reader), 1);

  // A read transaction keeps its snapshot across the writer's commit.
  ASSERT_TRUE(reader->Execute("BEGIN").has_value());
  EXPECT_EQ(CountPatients(*reader), 1);
  ASSERT_TRUE(conn_->Commit().has_value());
  EXPECT_EQ(CountPatients(*reader), 1);
  ASSERT_TRUE(reader->Commit().has_value());
  EXPECT_EQ(CountPatients(*reader), 2);
}

TEST_F(SqliteEngineTest, SecondWriterTimesOutAsUnavailable) {
  auto engine = Open(SqliteOptions{.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_NE(engine, nullptr);
  auto first = Connect(engine.get());
  auto second = Connect(engine.get());
  ASSERT_TRUE(first->Begin().has_value());
  auto busy = second->Begin();
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().kind, ErrorKind::kUnavailable);
  auto write = second->Execute("INSERT INTO patients (mrn) VALUES (?)", {"W"s});
  ASSERT_FALSE(write.has_value());
  EXPECT_EQ(write.error().kind, ErrorKind::kUnavailable);
  ASSERT_TRUE(first->Commit().has_value());
  EXPECT_TRUE(second->Begin().has_value());
  EXPECT_TRUE(second->Commit().has_value());
}

TEST_F(SqliteEngineTest, ConnectionsOnSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr int kRowsEach = 50;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto conn = engine_->Connect();
      if (!conn) {
        failures[t] = kRowsEach;
        return;
      }
      for (int i = 0; i < kRowsEach; ++i) {
        const std::string mrn = "T" + std::to_string(t) + "-" + std::to_string(i);
        bool ok = (*conn)->Begin().has_value() &&
                  (*conn)->Execute("INSERT INTO patients (mrn) VALUES (?)", {mrn}).has_value() &&
                  (*conn)->Commit().has_value();
        if (!ok) {
          (void)(*conn)->Rollback();
          ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(CountPatients(*conn_), kThreads * kRowsEach);
}

TEST_F(SqliteEngineTest, DataSurvivesReopen) {
  InsertPatient(*conn_, "DURABLE");
  conn_.reset();
  engine_.reset();
  engine_ = Open();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(CountPatients(*conn), 1);
}

TEST(SqliteOpenTest, MissingDirectoryIsUnavailable) {
  auto engine = OpenSqlite(::testing::TempDir() + "caredesk_no_such_dir/x/y.db");
  ASSERT_FALSE(engine.has_value());
  EXPECT_EQ(engine.error().kind, ErrorKind::kUnavailable);
}

// The row accessors live in store/sql; they are exercised here with values SQLite produces.
TEST(SqlRowTest, AccessorsConvertWhereLossless) {
  SqlRow row{{SqlValue{}, std::int64_t{7}, 2.0, "123"s, "abc"s, 2.5, -9223372036854775808.0}};
  EXPECT_EQ(row.Int(0), 0);
  EXPECT_EQ(row.Int(1), 7);
  EXPECT_EQ(row.Int(2), 2);  // Postgres numeric arrives as double
  EXPECT_EQ(row.Int(3), 123);
  EXPECT_EQ(row.Int(6), std::numeric_limits<std::int64_t>::min());
  EXPECT_THROW(row.Int(4), ErrorException);
  EXPECT_THROW(row.Int(5), ErrorException);
  EXPECT_EQ(row.Real(1), 7.0);
  EXPECT_EQ(row.Real(3), 123.0);
  EXPECT_EQ(row.Text(0), "");
  EXPECT_EQ(row.Text(4), "abc");
  EXPECT_THROW(row.Text(1), ErrorException);
  EXPECT_EQ(row.OptText(1), "7");
  EXPECT_EQ(row.OptText(5), "2.5");
  EXPECT_EQ(row.OptInt(0), std::nullopt);
  EXPECT_EQ(row.OptInt(1), 7);
  EXPECT_THROW(row.Int(99), std::out_of_range);
}

}  // namespace
}  // namespace caredesk::store::sqlite
