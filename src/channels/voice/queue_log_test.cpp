#include "channels/voice/queue_log.hpp"

#include <gtest/gtest.h>

namespace caredesk::channels {
namespace {

using Kind = QueueLogEvent::Kind;

TEST(QueueLogTest, ACallsLinesReadAsItsStory) {
  // One answered call, as Asterisk 18 writes it (data1..data5 columns).
  auto enter =
      ParseQueueLogLine("1764403200|1764403200.123|frontdesk|NONE|ENTERQUEUE||3125550188|1\n");
  ASSERT_TRUE(enter);
  EXPECT_EQ(enter->kind, Kind::kEnterQueue);
  EXPECT_EQ(enter->at, *ParseRfc3339("2025-11-29T08:00:00Z"));
  EXPECT_EQ(enter->call_id, "1764403200.123");
  EXPECT_EQ(enter->queue, "frontdesk");
  EXPECT_EQ(enter->agent, "") << "NONE";
  EXPECT_EQ(enter->caller_id, "3125550188");
  auto connect = ParseQueueLogLine(
      "1764403218|1764403200.123|frontdesk|PJSIP/201|CONNECT|18|1764403212.130|6");
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->kind, Kind::kConnect);
  EXPECT_EQ(connect->agent, "PJSIP/201");
  EXPECT_EQ(connect->wait_seconds, 18);
  EXPECT_EQ(connect->ring_ms, 6000);
  auto done = ParseQueueLogLine(
      "1764403458|1764403200.123|frontdesk|PJSIP/201|COMPLETECALLER|18|240|1\r\n");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, Kind::kCompleteCaller);
  EXPECT_EQ(done->wait_seconds, 18);
  EXPECT_EQ(done->talk_seconds, 240);
  EXPECT_EQ(done->original_position, 1);
}

TEST(QueueLogTest, CallsThatEndWithoutAnAgent) {
  auto abandon = ParseQueueLogLine("1764403300|1764403250.7|frontdesk|NONE|ABANDON|2|3|50");
  ASSERT_TRUE(abandon);
  EXPECT_EQ(abandon->kind, Kind::kAbandon);
  EXPECT_EQ(abandon->position, 2);
  EXPECT_EQ(abandon->original_position, 3);
  EXPECT_EQ(abandon->wait_seconds, 50);
  auto key = ParseQueueLogLine("1764403300|1764403250.8|frontdesk|NONE|EXITWITHKEY|1|1|1|95");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->kind, Kind::kExitWithKey);
  EXPECT_EQ(key->key, "1") << "pressed 1 for a callback";
  EXPECT_EQ(key->wait_seconds, 95);
  EXPECT_EQ(ParseQueueLogLine("1764403300|x.9|q|NONE|EXITWITHTIMEOUT|1|1|300")->wait_seconds, 300);
  EXPECT_EQ(ParseQueueLogLine("1764403300|x.9|q|NONE|EXITEMPTY|1|1|0")->kind, Kind::kExitEmpty);
  EXPECT_EQ(ParseQueueLogLine("1764403300|x.9|q|PJSIP/202|RINGNOANSWER|15000")->ring_ms, 15000);
  auto transfer =
      ParseQueueLogLine("1764403300|x.9|q|PJSIP/202|BLINDTRANSFER|2000|from-internal|12|95|1");
  ASSERT_TRUE(transfer);
  EXPECT_EQ(transfer->kind, Kind::kBlindTransfer);
  EXPECT_EQ(transfer->wait_seconds, 12);
  EXPECT_EQ(transfer->talk_seconds, 95);
  EXPECT_EQ(ParseQueueLogLine("1764403300|x.9|q|PJSIP/202|ATTENDEDTRANSFER|BRIDGE|x|4|30|2")
                ->talk_seconds,
            30);
}

TEST(QueueLogTest, AgentsAndHousekeeping) {
  EXPECT_EQ(ParseQueueLogLine("1764403300|NONE|NONE|PJSIP/201|AGENTLOGIN|PJSIP/201")->kind,
            Kind::kAgentLogin);
  EXPECT_EQ(ParseQueueLogLine("1764403300|NONE|q|PJSIP/201|PAUSE|Lunch")->kind, Kind::kPause);
  EXPECT_EQ(ParseQueueLogLine("1764403300|NONE|q|PJSIP/201|UNPAUSEALL|")->kind, Kind::kUnpause);
  auto start = ParseQueueLogLine("1764403300|NONE|NONE|NONE|QUEUESTART|");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->kind, Kind::kOther);
  EXPECT_EQ(start->event, "QUEUESTART");
  EXPECT_EQ(start->call_id, "");
  // An old Asterisk writes fewer columns: what is missing is absent, not an error.
  auto old = ParseQueueLogLine("1764403300|x.1|q|PJSIP/201|CONNECT|18");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->wait_seconds, 18);
  EXPECT_FALSE(old->ring_ms);
}

TEST(QueueLogTest, MalformedLinesAreRefusedWithoutQuotingThem) {
  for (std::string_view bad : {
           "",
           "1764403300|x|q|NONE",
           "yesterday|x|q|NONE|ABANDON|1|1|5",
           "17644033|x|q|NONE|ABANDON|1|1|5",  // 1970: not a queue_log time
           "1764403300|x|q|NONE|abandon!|1|1|5",
           "1764403300|x|q|NONE||1|1|5",
           "1764403300|3125550188|q|NONE|ABANDON|1|1|five",
           "1764403300|x|q|NONE|ABANDON|1|1|-5",
           "1764403300|x|q|NONE|ABANDON|1|1|99999999999",
           "1764403300|x|q|NONE|ENTERQUEUE||\xff\xfe",
       }) {
    auto r = ParseQueueLogLine(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
      EXPECT_EQ(r.error().message.find("3125550188"), std::string::npos) << r.error().message;
    }
  }
  EXPECT_FALSE(ParseQueueLogLine("1764403300|x|q|NONE|ENTERQUEUE||" + std::string(300, '5')));
}

}  // namespace
}  // namespace caredesk::channels
