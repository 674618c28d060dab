#include "core/calls/call.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace caredesk::core {
namespace {

using K = CallEvent::Kind;
const Timestamp t0 = FromEpochMillis(1'764'000'000'000);

CallEvent Ev(K kind, int at_s, std::string agent = {}, std::optional<int> wait = {},
             std::optional<int> talk = {}, std::string key = {}) {
  return {kind, t0 + std::chrono::seconds(at_s), std::move(agent), wait, talk, std::move(key)};
}

TEST(FoldCallTest, AnsweredCallTakesItsTimesFromTheEvents) {
  Call c = FoldCall("1700.1", {Ev(K::kEnter, 0), Ev(K::kRingNoAnswer, 15, "PJSIP/201"),
                               Ev(K::kConnect, 32, "PJSIP/202", 32),
                               Ev(K::kComplete, 272, "PJSIP/202", 32, 240)});
  EXPECT_EQ(c.ref, "1700.1");
  EXPECT_EQ(c.outcome, CallOutcome::kAnswered);
  EXPECT_EQ(c.entered_at, t0);
  EXPECT_EQ(c.answered_at, t0 + std::chrono::seconds(32));
  EXPECT_EQ(c.ended_at, t0 + std::chrono::seconds(272));
  EXPECT_EQ(c.wait_seconds, 32);
  EXPECT_EQ(c.talk_seconds, 240);
  EXPECT_EQ(c.agent, "PJSIP/202");
  EXPECT_EQ(c.unanswered_rings, 1);
  EXPECT_FALSE(c.transferred);
}

TEST(FoldCallTest, OrderOfArrivalDoesNotMatterAndRepeatsChangeNothing) {
  std::vector<CallEvent> events{Ev(K::kEnter, 0), Ev(K::kConnect, 20, "PJSIP/201", 20),
                                Ev(K::kComplete, 80, "PJSIP/201", 20, 60)};
  Call first = FoldCall("x", events);
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::vector<CallEvent> shuffled = events;
    shuffled.insert(shuffled.end(), events.begin(), events.end());  // read twice
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    Call again = FoldCall("x", shuffled);
    EXPECT_EQ(again.outcome, first.outcome);
    EXPECT_EQ(again.answered_at, first.answered_at);
    EXPECT_EQ(again.ended_at, first.ended_at);
    EXPECT_EQ(again.talk_seconds, 60);
    EXPECT_EQ(again.wait_seconds, 20);
  }
}

TEST(FoldCallTest, EachWayOfLeavingTheQueueUnanswered) {
  struct Case {
    K kind;
    CallOutcome outcome;
  } cases[] = {{K::kAbandon, CallOutcome::kAbandoned},
               {K::kTimeout, CallOutcome::kTimedOut},
               {K::kEmpty, CallOutcome::kNoAgents},
               {K::kKey, CallOutcome::kLeftByKey}};
  for (const Case& c : cases) {
    Call call = FoldCall("y", {Ev(K::kEnter, 0), Ev(c.kind, 45, "", 44, {}, "5")});
    EXPECT_EQ(call.outcome, c.outcome) << Name(c.outcome);
    EXPECT_EQ(call.wait_seconds, 44) << "the phone system's count wins";
    EXPECT_EQ(call.ended_at, t0 + std::chrono::seconds(45));
    EXPECT_FALSE(call.answered_at);
    EXPECT_EQ(call.exit_key, c.kind == K::kKey ? "5" : "");
  }
}

TEST(FoldCallTest, AnAbandonAfterTheAnswerOrASecondEndIsIgnored) {
  Call c = FoldCall("z", {Ev(K::kEnter, 0), Ev(K::kConnect, 5, "a", 5), Ev(K::kAbandon, 9, "", 9),
                          Ev(K::kComplete, 65, "a", 5, 60), Ev(K::kComplete, 90, "b", 5, 85)});
  EXPECT_EQ(c.outcome, CallOutcome::kAnswered);
  EXPECT_EQ(c.talk_seconds, 60);
  EXPECT_EQ(c.agent, "a");
}

TEST(FoldCallTest, ATransferEndsTheQueueCallAsAnswered) {
  Call c = FoldCall(
      "t", {Ev(K::kEnter, 0), Ev(K::kConnect, 10, "a", 10), Ev(K::kTransfer, 70, "a", 10, 60)});
  EXPECT_EQ(c.outcome, CallOutcome::kAnswered);
  EXPECT_TRUE(c.transferred);
  EXPECT_EQ(c.talk_seconds, 60);
}

TEST(FoldCallTest, ACallWhoseStartWasNotReadStillAddsUp) {
  // Only the COMPLETE was in the file: the answer time is the end less the talk.
  Call c = FoldCall("late", {Ev(K::kComplete, 500, "a", 30, 120)});
  EXPECT_EQ(c.outcome, CallOutcome::kAnswered);
  EXPECT_EQ(c.answered_at, t0 + std::chrono::seconds(380));
  EXPECT_EQ(c.wait_seconds, 30);
  EXPECT_EQ(c.talk_seconds, 120);
  Call waiting = FoldCall("w", {Ev(K::kEnter, 0)});
  EXPECT_EQ(waiting.outcome, CallOutcome::kWaiting);
  EXPECT_FALSE(waiting.ended());
  Call talking = FoldCall("w", {Ev(K::kEnter, 0), Ev(K::kConnect, 3, "a", 3)});
  EXPECT_EQ(talking.outcome, CallOutcome::kTalking);
  EXPECT_FALSE(talking.ended());
}

TEST(PhoneRulesTest, ShortAbandonsAreNotCalledBack) {
  PhoneRules rules;  // 10 s
  Call c = FoldCall("s", {Ev(K::kEnter, 0), Ev(K::kAbandon, 9, "", 9)});
  c.patient = PatientId{4};
  EXPECT_TRUE(IsShortAbandon(c, rules));
  EXPECT_FALSE(NeedsCallback(c, rules));
  c.wait_seconds = 10;
  EXPECT_FALSE(IsShortAbandon(c, rules));
  EXPECT_TRUE(NeedsCallback(c, rules));
  c.patient = PatientId{};
  EXPECT_FALSE(NeedsCallback(c, rules)) << "nobody to call back without a number";
}

TEST(PhoneRulesTest, TimeoutsEmptyQueuesAndKeyExitsAreCalledBack) {
  for (K kind : {K::kTimeout, K::kEmpty, K::kKey}) {
    Call c = FoldCall("k", {Ev(K::kEnter, 0), Ev(kind, 2, "", 2, {}, "1")});
    c.patient = PatientId{4};
    EXPECT_TRUE(NeedsCallback(c, {}));
  }
  Call answered =
      FoldCall("a", {Ev(K::kEnter, 0), Ev(K::kConnect, 2, "a", 2), Ev(K::kComplete, 9, "a", 2, 7)});
  answered.patient = PatientId{4};
  EXPECT_FALSE(NeedsCallback(answered, {}));
}

TEST(PostedCallTest, ComputesWaitAndTalkFromTheTimes) {
  Call c;
  c.ref = "ext-1";
  c.outcome = CallOutcome::kAnswered;
  c.entered_at = t0;
  c.answered_at = t0 + std::chrono::seconds(25);
  c.ended_at = t0 + std::chrono::seconds(325);
  c.hold_seconds = 40;
  c.wrap_seconds = 90;
  auto out = PostedCall(c);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(out->wait_seconds, 25);
  EXPECT_EQ(out->talk_seconds, 300);
}

TEST(PostedCallTest, RefusesRecordsThatDoNotAddUp) {
  Call good;
  good.ref = "ext-2";
  good.outcome = CallOutcome::kAbandoned;
  good.entered_at = t0;
  good.ended_at = t0 + std::chrono::seconds(30);
  ASSERT_TRUE(PostedCall(good).has_value());
  EXPECT_EQ(PostedCall(good)->wait_seconds, 30);

  auto field_of = [](const Call& c) {
    auto r = PostedCall(c);
    return r.has_value() ? std::string("accepted") : r.error().field;
  };
  Call c = good;
  c.ref = "";
  EXPECT_EQ(field_of(c), "call_id");
  c = good;
  c.outcome = CallOutcome::kWaiting;
  EXPECT_EQ(field_of(c), "outcome");
  c = good;
  c.ended_at = t0 - std::chrono::seconds(1);
  EXPECT_EQ(field_of(c), "ended_at");
  c = good;
  c.ended_at = t0 + std::chrono::hours(25);
  EXPECT_EQ(field_of(c), "ended_at");
  c = good;
  c.answered_at = t0 + std::chrono::seconds(3);
  EXPECT_EQ(field_of(c), "answered_at") << "an abandoned call was never answered";
  c = good;
  c.outcome = CallOutcome::kAnswered;
  EXPECT_EQ(field_of(c), "answered_at");
  c.answered_at = t0 + std::chrono::seconds(40);  // after the end
  EXPECT_EQ(field_of(c), "answered_at");
  c.answered_at = t0 + std::chrono::seconds(10);
  c.hold_seconds = 21;  // 20 s of talk
  EXPECT_EQ(field_of(c), "hold_seconds");
  c.hold_seconds = 20;
  c.wrap_seconds = -1;
  EXPECT_EQ(field_of(c), "wrap_seconds");
  c.wrap_seconds = 0;
  EXPECT_EQ(field_of(c), "accepted");
}

TEST(CallOutcomeTest, NamesRoundTrip) {
  for (CallOutcome o : {CallOutcome::kWaiting, CallOutcome::kTalking, CallOutcome::kAnswered,
                        CallOutcome::kAbandoned, CallOutcome::kTimedOut, CallOutcome::kNoAgents,
                        CallOutcome::kLeftByKey}) {
    EXPECT_EQ(ParseCallOutcome(Name(o)), o);
  }
  EXPECT_FALSE(ParseCallOutcome("hung_up"));
}

}  // namespace
}  // namespace caredesk::core
