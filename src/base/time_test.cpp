#include "base/time.hpp"

#include <date/date.h>
#include <gtest/gtest.h>

namespace caredesk {
namespace {

TEST(Rfc3339, RoundTripsUtcMillis) {
  Timestamp t = FromEpochMillis(1795000000123);
  std::string text = FormatRfc3339(t);
  EXPECT_EQ(text, "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(ParseRfc3339(text), t);
}

TEST(Rfc3339, FormatsLikeTheCalendarLibraryAcrossTheRange) {
  // The hand-written formatter must agree with date::format everywhere an API can meet.
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{951782400000} /* 2000-02-29 */,
                          std::int64_t{4107542399999} /* 2100-02-28 23:59:59.999 */,
                          std::int64_t{-1} /* 1969-12-31 23:59:59.999 */,
                          std::int64_t{253402300799999} /* 9999-12-31 */}) {
    EXPECT_EQ(FormatRfc3339(FromEpochMillis(ms)), date::format("%FT%TZ", FromEpochMillis(ms)));
  }
  for (std::int64_t ms = -86'400'000LL * 800; ms < 86'400'000LL * 40000; ms += 7'777'777'777) {
    ASSERT_EQ(FormatRfc3339(FromEpochMillis(ms)), date::format("%FT%TZ", FromEpochMillis(ms)));
    ASSERT_EQ(ParseRfc3339(FormatRfc3339(FromEpochMillis(ms))), FromEpochMillis(ms));
  }
}

TEST(Rfc3339, AppliesOffsets) {
  EXPECT_EQ(ParseRfc3339("2026-11-19T06:06:40-05:00"), ParseRfc3339("2026-11-19T11:06:40Z"));
}

TEST(Rfc3339, RejectsMalformed) {
  EXPECT_EQ(ParseRfc3339("yesterday"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-11-19"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-11-19T11:06:40Zjunk"), std::nullopt);
}

}  // namespace
}  // namespace caredesk

namespace caredesk {
namespace {

TEST(Rfc3339, ParsesFractionsAndRejectsOutOfRange) {
  EXPECT_EQ(ParseRfc3339("2026-11-19T11:06:40.5Z"),
            FromEpochMillis(1795000000000 + 86400000 + 500));
  EXPECT_EQ(ParseRfc3339("2026-11-18T11:06:40.123456Z"), FromEpochMillis(1795000000123));
  EXPECT_EQ(ParseRfc3339("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-11-19T24:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-11-19T11:06:40"), std::nullopt) << "an offset is required";
  EXPECT_EQ(ParseRfc3339("2026-11-19T11:06:40.Z"), std::nullopt);
}

}  // namespace
}  // namespace caredesk
