#include "base/time.hpp"

#include <gtest/gtest.h>

namespace caredesk {
namespace {

TEST(Rfc3339, RoundTripsUtcMillis) {
  Timestamp t = FromEpochMillis(1795000000123);
  std::string text = FormatRfc3339(t);
  EXPECT_EQ(text, "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(ParseRfc3339(text), t);
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
