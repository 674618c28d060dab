#include "base/text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace caredesk {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("se\xC3\xB1or \xE2\x82\xAC \xF0\x9F\x98\x80"));
}

TEST(Utf8, RejectsMalformedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("ok\x80"));
}

TEST(JsonString, EscapesControlsAndReplacesBadBytes) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01\xFF\xC3\xB1");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xC3\xB1\"");
}

TEST(SearchTokens, LowercasesSplitsAndDeduplicates) {
  EXPECT_THAT(SearchTokens("Refill my Lisinopril, please! refill a 10mg"),
              ::testing::ElementsAre("refill", "my", "lisinopril", "please", "10mg"));
  EXPECT_THAT(SearchTokens("cita mañana"), ::testing::ElementsAre("cita", "mañana"));
}

TEST(Text, PercentEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(PercentEncode(std::string("\0+", 2)), "%00%2B");
}

}  // namespace
}  // namespace caredesk
