#include "channels/voice/queue_log_import.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "jobs/test_practice.hpp"

namespace caredesk::channels {
namespace {

class FixedClock final : public Clock {
 public:
  Timestamp now{};
  Timestamp Now() const override { return now; }
};

class QueueLogImportTest : public jobs::testing::PracticeTest {
 protected:
  QueueLogImportTest() {
    time_zone_ = "America/New_York";
    business_hours_ = "always";
  }
  void SetUp() override {
    PracticeTest::SetUp();
    // Shortly after the sample log's last call, so its missed calls are recent.
    clock_.now = FromEpochMillis(1764404800LL * 1000);
  }

  std::map<std::string, store::CallRecord> Calls() {
    auto r =
        store::ReadValue<std::vector<store::CallRecord>>(*store_, tenant_, [](store::TenantTx& tx) {
          store::CallFilter f;
          f.limit = 1000;
          return tx.ListCalls(f);
        });
    EXPECT_TRUE(r);
    std::map<std::string, store::CallRecord> out;
    if (r) {
      for (auto& c : *r) out[c.call.ref] = c;
    }
    return out;
  }

  FixedClock clock_;
};

TEST_F(QueueLogImportTest, EveryEventOfARealShapedLogAddsUpAndASecondReadingAddsNothing) {
  std::vector<std::int64_t> malformed;
  QueueLogImportOptions options;
  options.batch_lines = 7;  // several batches, calls split across them
  options.on_malformed = [&](std::int64_t line, const std::string& why) {
    malformed.push_back(line);
    EXPECT_EQ(why.find("Asterisk"), std::string::npos) << "the line is never quoted";
    EXPECT_EQ(why.find("1764404700"), std::string::npos) << "the line is never quoted";
  };
  auto report = ImportQueueLog(*store_, tenant_, CAREDESK_QUEUE_LOG, options, clock_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->lines, 34);
  EXPECT_EQ(report->malformed, 2);
  EXPECT_EQ(malformed, (std::vector<std::int64_t>{17, 32}));
  EXPECT_EQ(report->skipped, 2) << "QUEUESTART and ADDMEMBER";
  EXPECT_EQ(report->intake.events_added, 30);
  EXPECT_EQ(report->intake.callbacks_opened, 3);

  auto calls = Calls();
  ASSERT_EQ(calls.size(), 10u);
  using O = core::CallOutcome;
  std::map<std::string, O> outcomes;
  for (auto& [ref, c] : calls) outcomes[ref] = c.call.outcome;
  EXPECT_EQ(outcomes, (std::map<std::string, O>{{"1764403200.1", O::kAnswered},
                                                {"1764403300.2", O::kAnswered},
                                                {"1764403400.3", O::kAbandoned},
                                                {"1764403500.4", O::kAbandoned},
                                                {"1764403600.5", O::kTimedOut},
                                                {"1764404000.6", O::kNoAgents},
                                                {"1764404100.7", O::kLeftByKey},
                                                {"1764404200.8", O::kAnswered},
                                                {"1764404300.9", O::kAnswered},
                                                {"1764404400.10", O::kAnswered}}));
  const core::Call& first = calls["1764403200.1"].call;
  EXPECT_EQ(first.wait_seconds, 18);
  EXPECT_EQ(first.talk_seconds, 240);
  EXPECT_EQ(first.agent, "PJSIP/201");
  EXPECT_EQ(first.unanswered_rings, 1);
  EXPECT_TRUE(first.patient);
  EXPECT_EQ(calls["1764403300.2"].call.talk_seconds, 120);
  for (const char* t : {"1764404200.8", "1764404300.9", "1764404400.10"}) {
    EXPECT_TRUE(calls[t].call.transferred) << t;
  }
  EXPECT_EQ(calls["1764404400.10"].call.talk_seconds, 90);
  EXPECT_EQ(calls["1764404100.7"].call.exit_key, "1");
  EXPECT_EQ(calls["1764403600.5"].call.wait_seconds, 300);
  EXPECT_FALSE(calls["1764403600.5"].call.patient) << "anonymous";
  EXPECT_EQ(calls["1764404000.6"].call.queue, "billing");
  // Callbacks: the 50 s abandon, the empty queue, the key exit; not the 4 s abandon, not the
  // anonymous timeout, not the answered calls.
  for (auto& [ref, c] : calls) {
    bool expected = ref == "1764403400.3" || ref == "1764404000.6" || ref == "1764404100.7";
    EXPECT_EQ(static_cast<bool>(c.conversation), expected) << ref;
  }

  auto again = ImportQueueLog(*store_, tenant_, CAREDESK_QUEUE_LOG, {}, clock_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->intake.events_added, 0);
  EXPECT_EQ(again->intake.duplicates, 30);
  EXPECT_EQ(again->intake.calls_changed, 0);
  EXPECT_EQ(again->intake.callbacks_opened, 0);
  EXPECT_EQ(Calls().size(), 10u);
}

TEST_F(QueueLogImportTest, AMissingFileIsAnErrorNotAnEmptyImport) {
  auto r = ImportQueueLog(*store_, tenant_, (dir_ / "nope.log").string(), {}, clock_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
}

TEST_F(QueueLogImportTest, FollowingReadsLinesAsTheyArriveAndAcrossRotation) {
  auto path = dir_ / "queue_log";
  { std::ofstream(path) << "1764403400|9.1|frontdesk|NONE|ENTERQUEUE||3125550111|1\n"; }
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> lines{0};
  QueueLogImportOptions options;
  options.follow = true;
  options.poll = std::chrono::milliseconds(5);
  options.stop = &stop;
  options.on_batch = [&](const QueueLogReport& r) { lines = r.lines; };
  Result<QueueLogReport> report = Invalid("not run");
  std::thread follower(
      [&] { report = ImportQueueLog(*store_, tenant_, path.string(), options, clock_); });
  auto wait_for = [&](std::int64_t n) {
    for (int i = 0; i < 2000 && lines < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return lines.load();
  };
  EXPECT_EQ(wait_for(1), 1);
  {
    // Asterisk writes half a line, then the rest: nothing is read until the newline.
    std::ofstream out(path, std::ios::app);
    out << "1764403450|9.1|frontdesk|NONE|ABAN" << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(lines.load(), 1);
    out << "DON|1|1|50\n" << std::flush;
  }
  EXPECT_EQ(wait_for(2), 2);
  // logrotate moves the file away and Asterisk opens a new one.
  std::filesystem::rename(path, dir_ / "queue_log.1");
  { std::ofstream(path) << "1764403500|9.2|frontdesk|NONE|ENTERQUEUE||3125550122|1\n"; }
  EXPECT_EQ(wait_for(3), 3);
  stop = true;
  follower.join();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->malformed, 0);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls["9.1"].call.outcome, core::CallOutcome::kAbandoned);
  EXPECT_TRUE(calls["9.1"].conversation) << "a callback, opened as the abandon arrived";
  EXPECT_EQ(calls["9.2"].call.outcome, core::CallOutcome::kWaiting);
}

TEST(ToPhoneEventTest, KeysIgnoreTheCallersNumberAndHousekeepingIsDropped) {
  auto a = ParseQueueLogLine("1764403200|1.1|q|NONE|ENTERQUEUE||3125550188|1");
  auto b = ParseQueueLogLine("1764403200|1.1|q|NONE|ENTERQUEUE||3125550199|1");
  auto c = ParseQueueLogLine("1764403201|1.1|q|NONE|ENTERQUEUE||3125550188|1");
  ASSERT_TRUE(a && b && c);
  auto ea = ToPhoneEvent(*a), eb = ToPhoneEvent(*b), ec = ToPhoneEvent(*c);
  ASSERT_TRUE(ea && eb && ec);
  EXPECT_EQ(ea->event.key, eb->event.key);
  EXPECT_NE(ea->event.key, ec->event.key);
  EXPECT_EQ(ea->event.key.find("3125550188"), std::string::npos);
  EXPECT_EQ(ea->caller, "3125550188");
  EXPECT_EQ(ea->event.kind, "enter");
  EXPECT_FALSE(ToPhoneEvent(*ParseQueueLogLine("1764403200|NONE|NONE|NONE|QUEUESTART|")));
  auto pause = ToPhoneEvent(*ParseQueueLogLine("1764403200|NONE|q|PJSIP/201|PAUSE|Lunch"));
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->event.call_ref, "");
  EXPECT_EQ(pause->event.kind, "pause");
  auto done = ToPhoneEvent(*ParseQueueLogLine("1764403458|1.1|q|PJSIP/201|COMPLETEAGENT|18|240|1"));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->event.kind, "complete");
  EXPECT_EQ(done->event.talk_seconds, 240);
  EXPECT_EQ(done->caller, "");
}

}  // namespace
}  // namespace caredesk::channels
