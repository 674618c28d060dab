#include "jobs/calls.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "jobs/test_practice.hpp"

namespace caredesk::jobs {
namespace {

class CallsTest : public testing::PracticeTest {
 protected:
  CallsTest() {
    time_zone_ = "America/New_York";
    business_hours_ = "always";
  }

  IncomingPhoneEvent Ev(std::string key, std::string ref, std::string kind, int at_s,
                        std::string agent = {}, std::optional<int> wait = {},
                        std::optional<int> talk = {}, std::string caller = {}) {
    IncomingPhoneEvent in;
    in.event.key = std::move(key);
    in.event.call_ref = std::move(ref);
    in.event.queue = "support";
    in.event.kind = std::move(kind);
    in.event.at = now_ + std::chrono::seconds(at_s);
    in.event.agent = std::move(agent);
    in.event.wait_seconds = wait;
    in.event.talk_seconds = talk;
    in.caller = std::move(caller);
    return in;
  }

  std::vector<store::CallRecord> Calls() {
    auto r = store::ReadValue<std::vector<store::CallRecord>>(
        *store_, tenant_, [](store::TenantTx& tx) { return tx.ListCalls({}); });
    EXPECT_TRUE(r);
    return r ? *r : std::vector<store::CallRecord>{};
  }

  Timestamp now_ = *ParseRfc3339("2026-11-29T15:00:00Z");
};

TEST_F(CallsTest, EventsFoldIntoCallsAndReadingThemAgainAddsNothing) {
  std::vector<IncomingPhoneEvent> log{
      Ev("a1", "1.1", "enter", 0, "", {}, {}, "2125550100"),
      Ev("a2", "1.1", "connect", 30, "PJSIP/201", 30),
      Ev("a3", "1.1", "complete", 270, "PJSIP/201", 30, 240),
      Ev("b1", "1.2", "enter", 5, "", {}, {}, "anonymous"),
      Ev("b2", "1.2", "abandon", 65, "", 60),
      Ev("c1", "", "pause", 100, "PJSIP/201"),
  };
  auto first = AddPhoneEvents(*store_, tenant_, log, {}, now_ + std::chrono::minutes(10));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->events_added, 6);
  EXPECT_EQ(first->duplicates, 0);
  EXPECT_EQ(first->calls_changed, 2);
  EXPECT_EQ(first->callbacks_opened, 0) << "the abandoned caller withheld their number";
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  const core::Call& answered = calls[0].call.ref == "1.1" ? calls[0].call : calls[1].call;
  EXPECT_EQ(answered.outcome, core::CallOutcome::kAnswered);
  EXPECT_EQ(answered.talk_seconds, 240);
  EXPECT_TRUE(answered.patient) << "a known number is a patient";

  auto again = AddPhoneEvents(*store_, tenant_, log, {}, now_ + std::chrono::minutes(20));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->events_added, 0);
  EXPECT_EQ(again->duplicates, 6);
  EXPECT_EQ(again->calls_changed, 0);
  EXPECT_EQ(Calls().size(), 2u);
}

TEST_F(CallsTest, AMissedCallerBecomesOneCallbackTaskWithAnSla) {
  // Split across two reads, as a tailed log delivers it.
  auto part1 =
      AddPhoneEvents(*store_, tenant_, {Ev("e", "2.1", "enter", 0, "", {}, {}, "+12125550111")}, {},
                     now_ + std::chrono::seconds(1));
  ASSERT_TRUE(part1);
  EXPECT_EQ(part1->callbacks_opened, 0) << "still waiting";
  auto part2 = AddPhoneEvents(*store_, tenant_, {Ev("x", "2.1", "abandon", 75, "", 75)}, {},
                              now_ + std::chrono::seconds(80));
  ASSERT_TRUE(part2) << part2.error().message;
  EXPECT_EQ(part2->callbacks_opened, 1);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_TRUE(calls[0].conversation);
  auto conversation = store::ReadValue<core::Conversation>(
      *store_, tenant_,
      [&](store::TenantTx& tx) { return tx.GetConversation(calls[0].conversation); });
  ASSERT_TRUE(conversation);
  EXPECT_EQ(conversation->channel, core::Channel::kPhone);
  EXPECT_EQ(conversation->status, core::Status::kOpen);
  EXPECT_EQ(conversation->queue, "front-desk") << "no staff serve a queue named support";
  EXPECT_EQ(conversation->tags, std::vector<std::string>{"callback"});
  EXPECT_TRUE(conversation->awaiting_agent);
  EXPECT_EQ(conversation->created_at, now_ + std::chrono::seconds(75))
      << "the SLA runs from the miss";
  auto messages = store::ReadValue<std::vector<core::Message>>(
      *store_, tenant_, [&](store::TenantTx& tx) { return tx.ListMessages(conversation->id); });
  ASSERT_TRUE(messages);
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].sender, "+12125550111");
  EXPECT_NE((*messages)[0].text.find("hung up after 75 s"), std::string::npos);

  // A second caller from the same number abandoning briefly gets no task; reading the abandon
  // again opens no second one.
  auto part3 = AddPhoneEvents(*store_, tenant_,
                              {Ev("x", "2.1", "abandon", 75, "", 75),
                               Ev("s1", "2.2", "enter", 100, "", {}, {}, "+12125550111"),
                               Ev("s2", "2.2", "abandon", 104, "", 4)},
                              {}, now_ + std::chrono::seconds(120));
  ASSERT_TRUE(part3);
  EXPECT_EQ(part3->callbacks_opened, 0);
  EXPECT_EQ(part3->duplicates, 1);
}

TEST_F(CallsTest, OldMissedCallsCountButOpenNoTask) {
  auto r = AddPhoneEvents(*store_, tenant_,
                          {Ev("o1", "3.1", "enter", 0, "", {}, {}, "+12125550122"),
                           Ev("o2", "3.1", "timeout", 300, "", 300)},
                          {}, now_ + std::chrono::hours(48));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->calls_changed, 1);
  EXPECT_EQ(r->callbacks_opened, 0);
  EXPECT_EQ(Calls().at(0).call.outcome, core::CallOutcome::kTimedOut);
}

TEST_F(CallsTest, AnUnknownKindStoresNothingOfTheBatch) {
  auto r = AddPhoneEvents(*store_, tenant_,
                          {Ev("u1", "4.1", "enter", 0), Ev("u2", "4.1", "hangup", 5)}, {}, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CallsTest, APostedCallIsReplacedByItsRepeatAndCalledBackOnce) {
  core::Call c;
  c.ref = "pbx-77";
  c.queue = "support";
  c.outcome = core::CallOutcome::kLeftByKey;
  c.exit_key = "1";
  c.entered_at = now_;
  c.ended_at = now_ + std::chrono::seconds(40);
  auto first =
      RecordPostedCall(*store_, tenant_, c, "(212) 555-0133", {}, now_ + std::chrono::minutes(1));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->record.call.wait_seconds, 40);
  ASSERT_TRUE(first->record.conversation);
  auto again =
      RecordPostedCall(*store_, tenant_, c, "(212) 555-0133", {}, now_ + std::chrono::minutes(2));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->record.id, first->record.id);
  EXPECT_EQ(again->record.conversation, first->record.conversation);
  auto page = store::ReadValue<store::InboxPage>(*store_, tenant_, [](store::TenantTx& tx) {
    store::InboxFilter f;
    return tx.ListConversations(f);
  });
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);

  core::Call bad = c;
  bad.ended_at = now_ - std::chrono::seconds(1);
  auto refused = RecordPostedCall(*store_, tenant_, bad, "", {}, now_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "ended_at");
}

TEST(CallbackTextTest, SaysWhatHappenedWithoutPatientInformation) {
  core::Call c;
  c.queue = "support";
  c.wait_seconds = 45;
  c.outcome = core::CallOutcome::kAbandoned;
  EXPECT_EQ(CallbackText(c),
            "Missed call: the caller hung up after 45 s waiting in the queue support. Please call "
            "them back.");
  c.outcome = core::CallOutcome::kLeftByKey;
  c.exit_key = "1";
  EXPECT_EQ(CallbackText(c),
            "Callback requested: the caller pressed 1 after 45 s waiting in the queue support. "
            "Please call them back.");
}

}  // namespace
}  // namespace caredesk::jobs
