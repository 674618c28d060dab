#include "store/sql/tenant_tx.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace caredesk::store
