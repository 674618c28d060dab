#include "store/sql/tenant_tx.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "store/open.hpp"
#include "store/sql/migrations.hpp"

namespace caredesk::store {
namespace {

// Monday 2026-11-23 at 15:00 UTC is 09:00 in Chicago; Saturday 2026-11-28 likewise.
Timestamp Monday9am() { return *ParseRfc3339("2026-11-23T15:00:00Z"); }
Timestamp Saturday9am() { return *ParseRfc3339("2026-11-28T15:00:00Z"); }

TEST(CalendarCache, ParsesTheStoredSettingsAndFollowsTheirChanges) {
  CalendarCache cache;
  TenantId tenant{7};
  auto weekdays = cache.Get(tenant, "America/Chicago", "mon-fri 08:00-17:00", "");
  ASSERT_TRUE(weekdays) << weekdays.error().message;
  EXPECT_TRUE(weekdays->IsOpen(Monday9am()));
  EXPECT_FALSE(weekdays->IsOpen(Saturday9am()));
  auto again = cache.Get(tenant, "America/Chicago", "mon-fri 08:00-17:00", "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->time_zone_name(), "America/Chicago");
  EXPECT_FALSE(again->IsOpen(Saturday9am()));
  // New hours, a new holiday or a new zone for the same tenant are parsed, never served stale.
  auto saturdays = cache.Get(tenant, "America/Chicago", "mon-sat 08:00-17:00", "");
  ASSERT_TRUE(saturdays);
  EXPECT_TRUE(saturdays->IsOpen(Saturday9am()));
  auto holiday = cache.Get(tenant, "America/Chicago", "mon-sat 08:00-17:00", "2026-11-23");
  ASSERT_TRUE(holiday);
  EXPECT_FALSE(holiday->IsOpen(Monday9am()));
  auto tokyo = cache.Get(tenant, "Asia/Tokyo", "mon-sat 08:00-17:00", "2026-11-23");
  ASSERT_TRUE(tokyo);
  EXPECT_EQ(tokyo->time_zone_name(), "Asia/Tokyo");
  // Another tenant with other settings does not disturb this one.
  auto other = cache.Get(TenantId{8}, "UTC", "always", "");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->IsOpen(Saturday9am()));
  EXPECT_EQ(cache.Get(tenant, "Asia/Tokyo", "mon-sat 08:00-17:00", "2026-11-23")->time_zone_name(),
            "Asia/Tokyo");
}

TEST(CalendarCache, SettingsThatDoNotParseAreAnErrorAndNotKept) {
  CalendarCache cache;
  auto bad_zone = cache.Get(TenantId{1}, "Mars/Olympus", "always", "");
  ASSERT_FALSE(bad_zone);
  EXPECT_EQ(bad_zone.error().kind, ErrorKind::kInvalid);
  auto bad_hours = cache.Get(TenantId{1}, "UTC", "someday 25:00-26:00", "");
  ASSERT_FALSE(bad_hours);
  EXPECT_EQ(bad_hours.error().kind, ErrorKind::kInvalid);
  EXPECT_TRUE(cache.Get(TenantId{1}, "UTC", "always", ""));
}

// A database left at version 1 keeps every indexed word through the move to WITHOUT ROWID.
TEST(Migrations, TheWordIndexKeepsItsRowsWhenItLosesItsRowid) {
  auto dir =
      std::filesystem::temp_directory_path() / ("caredesk-migrate-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "old.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
  };
  auto count = [&](const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    int n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  };
  exec("PRAGMA journal_mode=WAL");
  exec(std::string(AllMigrations().at(0).sqlite));
  exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (1, 'v1', 0)");
  exec("INSERT INTO message_tokens VALUES (1, 'refill', 10), (1, 'friday', 10), (2, 'refill', 11)");
  sqlite3_close(db);

  auto store = OpenStore("sqlite:" + path);
  ASSERT_TRUE(store) << store.error().message;
  auto applied = (*store)->Migrate();
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, static_cast<int>(AllMigrations().size()) - 1);
  EXPECT_TRUE((*store)->Ready());
  store->reset();

  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(count("SELECT COUNT(*) FROM message_tokens"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM message_tokens WHERE tenant_id = 1 AND token = 'refill' "
                  "AND conversation_id = 10"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'message_tokens' AND sql LIKE "
                  "'%WITHOUT ROWID%'"),
            1);
  // Still one row per (tenant, word, conversation).
  exec("INSERT INTO message_tokens VALUES (1, 'refill', 10) ON CONFLICT DO NOTHING");
  EXPECT_EQ(count("SELECT COUNT(*) FROM message_tokens"), 3);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace caredesk::store
