#include "base/log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace caredesk::log {
namespace {

using ::testing::HasSubstr;
using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;

TEST(Log, UnbufferedLinesAreWrittenAtOnce) {
  CaptureStderr();
  Info("first_event", {{"count", 3}});
  std::string out = GetCapturedStderr();
  EXPECT_THAT(out, HasSubstr(R"("level":"info","event":"first_event","count":3})"));
}

TEST(Log, BufferedInfoWaitsForFlushAndAWarningWritesItFirst) {
  CaptureStderr();
  SetBuffered(true);
  Info("queued_one");
  Info("queued_two");
  std::fflush(stderr);
  std::string nothing_yet = GetCapturedStderr();
  EXPECT_EQ(nothing_yet, "");

  CaptureStderr();
  Warn("a_warning");
  std::string out = GetCapturedStderr();
  auto one = out.find("queued_one"), two = out.find("queued_two"), warn = out.find("a_warning");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  ASSERT_NE(warn, std::string::npos);
  EXPECT_LT(one, two);
  EXPECT_LT(two, warn);

  CaptureStderr();
  Info("after_warning");
  Flush();
  EXPECT_THAT(GetCapturedStderr(), HasSubstr("after_warning"));
  SetBuffered(false);
}

TEST(Log, AFullBufferIsWrittenWithoutWaiting) {
  CaptureStderr();
  SetBuffered(true);
  for (int i = 0; i < 400; ++i) Info("filler_line_for_the_buffer", {{"i", i}});  // > 32 KiB
  std::string out = GetCapturedStderr();
  EXPECT_THAT(out, HasSubstr(R"("i":0})"));
  CaptureStderr();
  SetBuffered(false);  // writes the rest
  EXPECT_THAT(GetCapturedStderr(), HasSubstr(R"("i":399})"));
}

}  // namespace
}  // namespace caredesk::log
