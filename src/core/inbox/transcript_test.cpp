#include "core/inbox/transcript.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

TEST(TranscriptTest, ReadsLikeTheChatInThePracticesTime) {
  Timestamp t = *ParseRfc3339("2026-11-23T23:58:00Z");  // 17:58 in Chicago, a Monday
  std::vector<TranscriptLine> lines{
      {t, "You", "Can I move my appointment?"},
      {t + std::chrono::minutes(1), "Ana", "Of course: Tuesday at 9?"},
      {t + std::chrono::hours(7), "You", "Yes please"},  // the next local day
  };
  auto text = FormatTranscript("Lakeside Family Medicine", "America/Chicago", lines);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "Your chat with Lakeside Family Medicine\n"
            "\nMonday 23 November 2026\n"
            "17:58  You: Can I move my appointment?\n"
            "17:59  Ana: Of course: Tuesday at 9?\n"
            "\nTuesday 24 November 2026\n"
            "00:58  You: Yes please\n"
            "\nThis is a copy of your chat, sent because you asked for it. To ask something "
            "else, reply to this email or start a new chat on our website.\n");
  auto bad = FormatTranscript("X", "Mars/Base", lines);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "time_zone");
}

}  // namespace
}  // namespace caredesk::core
