#include "core/inbox/conversation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Timestamp At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}

class ConversationTest : public ::testing::Test {
 protected:
  BusinessCalendar always_ = BusinessCalendar::AlwaysOpen();
  SlaPolicy policy_;  // defaults: 30 min first, 60 min next, 24 h resolution
  Timestamp t0_ = At("2026-11-23T15:00:00Z");

  Conversation Open() {
    Decision d = OpenConversation(PatientId{7}, Channel::kSms, "front-desk", Priority::kNormal,
                                  policy_, t0_, always_);
    d.conversation.id = ConversationId{1};
    return d.conversation;
  }
};

TEST_F(ConversationTest, OpeningStartsFirstResponseAndResolutionClocks) {
  Decision d = OpenConversation(PatientId{7}, Channel::kChat, "front-desk", Priority::kHigh,
                                policy_, t0_, always_);
  EXPECT_EQ(d.conversation.status, Status::kOpen);
  EXPECT_THAT(Types(d.events), ::testing::ElementsAre("conversation_created"));
  SlaView v = ViewSla(d.conversation, t0_, always_);
  EXPECT_EQ(v.state, "ok");
  EXPECT_EQ(v.due_at, t0_ + minutes(30));
  EXPECT_EQ(v.next_timer_at, t0_ + minutes(24));
}

TEST_F(ConversationTest, OutreachWaitsOnThePatientWithoutAResponseTime) {
  Decision d =
      StartOutreach(PatientId{7}, Channel::kSms, "front-desk", policy_, UserId{3}, t0_, always_);
  EXPECT_EQ(d.conversation.status, Status::kPending);
  EXPECT_FALSE(d.conversation.awaiting_agent);
  EXPECT_THAT(Types(d.events),
              ::testing::ElementsAre("conversation_created", "reply_sent", "status_changed"));
  EXPECT_THAT(d.events[0].data,
              ::testing::Contains(std::pair<std::string, std::string>("initiated_by", "staff")));
  for (const auto& [key, value] : d.events[1].data) {
    EXPECT_NE(key, "first_response_ms") << "nobody asked, so nobody was answered";
  }
  SlaView v = ViewSla(d.conversation, t0_ + hours(30), always_);
  EXPECT_NE(v.state, "breached") << "waiting on the patient pauses the clocks";
  // The patient answers: now the practice owes a reply, on the next-response clock.
  d.conversation.id = ConversationId{1};
  auto answer = ReceiveInbound(d.conversation, t0_ + hours(2), always_);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->conversation.status, Status::kOpen);
  EXPECT_TRUE(answer->conversation.awaiting_agent);
  EXPECT_EQ(ViewSla(answer->conversation, t0_ + hours(2), always_).due_at,
            t0_ + hours(2) + minutes(60));
}

TEST_F(ConversationTest, ReplyMeetsFirstResponseAndPatientReplyStartsNextResponse) {
  Conversation c = Open();
  auto replied = RecordReply(c, UserId{3}, std::nullopt, t0_ + minutes(12), always_);
  ASSERT_TRUE(replied);
  EXPECT_EQ(replied->conversation.first_response_at, t0_ + minutes(12));
  EXPECT_FALSE(replied->conversation.awaiting_agent);
  EXPECT_THAT(replied->events[0].data, ::testing::Contains(std::pair<std::string, std::string>(
                                           "first_response_ms", "720000")));
  // Only the resolution clock runs now, due 24 h after opening.
  EXPECT_EQ(ViewSla(replied->conversation, t0_ + minutes(13), always_).due_at, t0_ + hours(24));

  auto answer = ReceiveInbound(replied->conversation, t0_ + minutes(20), always_);
  ASSERT_TRUE(answer);
  EXPECT_EQ(ViewSla(answer->conversation, t0_ + minutes(20), always_).due_at,
            t0_ + minutes(20) + minutes(60));
  // A second patient message does not restart the next-response clock.
  auto again = ReceiveInbound(answer->conversation, t0_ + minutes(25), always_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->conversation.sla.next_response, answer->conversation.sla.next_response);
}

TEST_F(ConversationTest, PendingPausesClocksAndPatientReplyResumes) {
  Conversation c = Open();
  auto pending = ChangeStatus(c, Status::kPending, UserId{3}, t0_ + minutes(10), always_);
  ASSERT_TRUE(pending);
  EXPECT_EQ(ViewSla(pending->conversation, t0_ + hours(5), always_).state, "paused");
  auto back = ReceiveInbound(pending->conversation, t0_ + minutes(70), always_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->conversation.status, Status::kOpen);
  EXPECT_THAT(Types(back->events), ::testing::ElementsAre("status_changed", "message_received"));
  // 10 minutes used before the pause; 20 left from the resume.
  EXPECT_EQ(ViewSla(back->conversation, t0_ + minutes(70), always_).due_at, t0_ + minutes(90));
}

TEST_F(ConversationTest, InboundAfterResolutionReopensWithFreshResolutionClock) {
  Conversation c = Open();
  auto r = RecordReply(c, UserId{3}, Status::kResolved, t0_ + minutes(5), always_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->conversation.status, Status::kResolved);
  EXPECT_THAT(Types(r->events), ::testing::ElementsAre("reply_sent", "status_changed"));
  EXPECT_EQ(ViewSla(r->conversation, t0_ + hours(2), always_).state, "none");

  Timestamp later = t0_ + hours(48);
  auto reopened = ReceiveInbound(r->conversation, later, always_);
  ASSERT_TRUE(reopened);
  const Conversation& rc = reopened->conversation;
  EXPECT_EQ(rc.status, Status::kOpen);
  EXPECT_EQ(rc.reopen_count, 1);
  EXPECT_FALSE(rc.resolved_at);
  EXPECT_THAT(
      Types(reopened->events),
      ::testing::ElementsAre("conversation_reopened", "status_changed", "message_received"));
  // Next response due in 60 min, resolution restarted for a full 24 h.
  EXPECT_EQ(ViewSla(rc, later, always_).due_at, later + minutes(60));
  EXPECT_EQ(rc.sla.resolution.running_since, later);
  EXPECT_EQ(rc.sla.resolution.consumed, Millis{0});
}

TEST_F(ConversationTest, ResolvedThenPendingIsAReopenAndThePatientsReplyRunsItsClocks) {
  Conversation c = Open();
  auto resolved = RecordReply(c, UserId{3}, Status::kResolved, t0_ + minutes(5), always_);
  ASSERT_TRUE(resolved);
  auto pending =
      ChangeStatus(resolved->conversation, Status::kPending, UserId{3}, t0_ + hours(1), always_);
  ASSERT_TRUE(pending);
  const Conversation& pc = pending->conversation;
  EXPECT_EQ(pc.status, Status::kPending);
  EXPECT_EQ(pc.reopen_count, 1);
  EXPECT_FALSE(pc.resolved_at);
  EXPECT_THAT(Types(pending->events),
              ::testing::ElementsAre("conversation_reopened", "status_changed"));
  EXPECT_EQ(ViewSla(pc, t0_ + hours(1), always_).state, "paused");

  Timestamp later = t0_ + hours(2);
  auto answered = ReceiveInbound(pc, later, always_);
  ASSERT_TRUE(answered);
  const Conversation& ac = answered->conversation;
  EXPECT_EQ(ac.status, Status::kOpen);
  EXPECT_EQ(ac.reopen_count, 1);  // one reopen, not two
  EXPECT_EQ(ac.sla.resolution.running_since, later);
  EXPECT_EQ(ac.sla.resolution.consumed, Millis{0});  // paused from the reopen until now
  EXPECT_EQ(ViewSla(ac, later, always_).due_at, later + minutes(60));  // next response
}

TEST_F(ConversationTest, AReopenedConversationNobodyAnsweredGetsAFreshFirstResponseClock) {
  Conversation c = Open();
  auto resolved = ChangeStatus(c, Status::kResolved, UserId{3}, t0_ + minutes(5), always_);
  ASSERT_TRUE(resolved);
  Timestamp later = t0_ + hours(2);
  auto reopened = ReceiveInbound(resolved->conversation, later, always_);
  ASSERT_TRUE(reopened);
  const Conversation& rc = reopened->conversation;
  EXPECT_FALSE(rc.first_response_at);
  EXPECT_EQ(rc.sla.first_response.running_since, later);
  EXPECT_EQ(ViewSla(rc, later, always_).due_at, later + minutes(30));
}

TEST_F(ConversationTest, ResolvedLongAgoOrClosedStartsANewConversation) {
  Conversation c = Open();
  auto r = ChangeStatus(c, Status::kResolved, UserId{3}, t0_, always_);
  ASSERT_TRUE(r);
  EXPECT_TRUE(AcceptsInbound(r->conversation, t0_ + kReopenWindow));
  EXPECT_FALSE(AcceptsInbound(r->conversation, t0_ + kReopenWindow + Millis{1}));
  auto late = ReceiveInbound(r->conversation, t0_ + hours(24 * 8), always_);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kConflict);

  auto closed = ChangeStatus(r->conversation, Status::kClosed, UserId{3}, t0_ + hours(1), always_);
  ASSERT_TRUE(closed);
  EXPECT_FALSE(AcceptsInbound(closed->conversation, t0_ + hours(2)));
  EXPECT_EQ(ChangeStatus(closed->conversation, Status::kOpen, UserId{3}, t0_ + hours(2), always_)
                .error()
                .kind,
            ErrorKind::kConflict);
  EXPECT_EQ(RecordReply(closed->conversation, UserId{3}, std::nullopt, t0_ + hours(2), always_)
                .error()
                .kind,
            ErrorKind::kConflict);
  EXPECT_EQ(AddNote(closed->conversation, UserId{3}, t0_ + hours(2)).error().kind,
            ErrorKind::kConflict);
}

TEST_F(ConversationTest, SameStatusIsANoOpWithoutEvents) {
  Conversation c = Open();
  auto same = ChangeStatus(c, Status::kOpen, UserId{3}, t0_ + minutes(1), always_);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->events.empty());
  EXPECT_EQ(same->conversation.updated_at, c.updated_at);
}

TEST_F(ConversationTest, TickRecordsAtRiskAndBreachAtTheirOwnInstantsOnce) {
  Conversation c = Open();
  Decision early = SlaTick(c, t0_ + minutes(23), always_);
  EXPECT_TRUE(early.events.empty());

  Decision risk = SlaTick(c, t0_ + minutes(24), always_);
  ASSERT_EQ(risk.events.size(), 1u);
  EXPECT_EQ(risk.events[0].type, "sla_at_risk");
  EXPECT_EQ(risk.events[0].at, t0_ + minutes(24));
  EXPECT_EQ(ViewSla(risk.conversation, t0_ + minutes(24), always_).state, "at_risk");
  EXPECT_EQ(ViewSla(risk.conversation, t0_ + minutes(24), always_).next_timer_at,
            t0_ + minutes(30));

  Decision breach = SlaTick(risk.conversation, t0_ + minutes(31), always_);
  ASSERT_EQ(breach.events.size(), 1u);
  EXPECT_EQ(breach.events[0].type, "sla_breached");
  EXPECT_EQ(breach.events[0].at, t0_ + minutes(30));
  EXPECT_THAT(breach.events[0].data,
              ::testing::Contains(std::pair<std::string, std::string>("clock", "first_response")));
  EXPECT_EQ(ViewSla(breach.conversation, t0_ + minutes(31), always_).state, "breached");

  EXPECT_TRUE(SlaTick(breach.conversation, t0_ + minutes(40), always_).events.empty());
}

TEST_F(ConversationTest, ACommandRecordsThresholdsThatPassedBeforeItAtTheirOwnInstants) {
  Conversation c = Open();
  // No timer pass since opening; the reply comes 40 minutes later, past the 30-minute target.
  auto late = RecordReply(c, UserId{3}, std::nullopt, t0_ + minutes(40), always_);
  ASSERT_TRUE(late);
  EXPECT_THAT(Types(late->events),
              ::testing::ElementsAre("sla_at_risk", "sla_breached", "reply_sent"));
  EXPECT_EQ(late->events[0].at, t0_ + minutes(24));
  EXPECT_EQ(late->events[1].at, t0_ + minutes(30));
  EXPECT_TRUE(SlaTick(late->conversation, t0_ + minutes(41), always_).events.empty());
  // Pending after an unrecorded at-risk point: recorded first, then the clocks pause.
  auto pending = ChangeStatus(Open(), Status::kPending, UserId{3}, t0_ + minutes(25), always_);
  ASSERT_TRUE(pending);
  EXPECT_THAT(Types(pending->events), ::testing::ElementsAre("sla_at_risk", "status_changed"));
  EXPECT_EQ(pending->events[0].at, t0_ + minutes(24));
}

TEST_F(ConversationTest, DeadlinesFollowBusinessHoursAcrossTheWeekend) {
  auto hours_spec = ParseWeeklyHours("mon-fri 08:00-17:00");
  ASSERT_TRUE(hours_spec);
  auto cal = BusinessCalendar::Create("America/Chicago", *hours_spec, {});
  ASSERT_TRUE(cal);
  // Friday 2026-11-20 16:50 CST = 22:50 UTC; 10 minutes remain on Friday, 20 on Monday.
  Timestamp friday = At("2026-11-20T22:50:00Z");
  Decision d = OpenConversation(PatientId{1}, Channel::kEmail, "front-desk", Priority::kNormal,
                                policy_, friday, *cal);
  EXPECT_EQ(ViewSla(d.conversation, friday, *cal).due_at, At("2026-11-23T14:20:00Z"));
  EXPECT_EQ(ViewSla(d.conversation, At("2026-11-22T12:00:00Z"), *cal).state, "ok")
      << "only 10 of 30 minutes are used over the weekend";
  EXPECT_EQ(ViewSla(d.conversation, At("2026-11-23T14:14:00Z"), *cal).state, "at_risk")
      << "24 of 30 minutes are used by Monday 08:14";
}

TEST_F(ConversationTest, RoutingReselectsPolicyAndKeepsUsedTime) {
  Conversation c = Open();
  SlaPolicy urgent;
  urgent.id = 9;
  urgent.priority = Priority::kUrgent;
  urgent.targets.first_response = minutes(10);
  Routing r;
  r.priority = Priority::kUrgent;
  r.assignee = UserId{4};
  auto routed = Route(c, r, {urgent}, UserId{2}, t0_ + minutes(4), always_);
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->conversation.sla.policy_id, 9);
  EXPECT_EQ(routed->conversation.assignee, UserId{4});
  EXPECT_EQ(ViewSla(routed->conversation, t0_ + minutes(4), always_).due_at, t0_ + minutes(10));
  EXPECT_THAT(Types(routed->events), ::testing::ElementsAre("routed"));
  auto nothing = Route(routed->conversation, r, {urgent}, UserId{2}, t0_ + minutes(5), always_);
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->events.empty());
}

TEST_F(ConversationTest, TagsAreValidatedAndDeduplicated) {
  Conversation c = Open();
  auto ok = SetTags(c, {"Refill", "refill", " urgent-callback "}, UserId{1}, t0_);
  ASSERT_TRUE(ok);
  EXPECT_THAT(ok->conversation.tags, ::testing::ElementsAre("refill", "urgent-callback"));
  auto bad = SetTags(c, {"no spaces allowed"}, UserId{1}, t0_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "tags");
  EXPECT_EQ(SetTags(c, std::vector<std::string>(21, "x"), UserId{1}, t0_).error().field, "tags");
}

TEST_F(ConversationTest, SlaStateRoundTripsThroughStorageText) {
  Conversation c = Open();
  auto r = RecordReply(c, UserId{3}, Status::kPending, t0_ + minutes(3), always_);
  ASSERT_TRUE(r);
  std::string text = EncodeSla(r->conversation.sla);
  auto back = DecodeSla(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r->conversation.sla);
  auto corrupt = DecodeSla("v1 1 2 3");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().kind, ErrorKind::kInternal);
  // Text written by earlier versions printed the fraction with %.17g; it still decodes.
  auto legacy = DecodeSla(
      "v1 7 1800000 3600000 86400000 0.80000000000000004 1 1800000 5 1700000000000 -1 1 "
      "3600000 0 -1 -1 0 86400000 0 1700000000000 -1 1");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->policy_id, 7);
  EXPECT_DOUBLE_EQ(legacy->targets.at_risk_fraction, 0.8);
  EXPECT_EQ(legacy->first_response.consumed, Millis{5});
  EXPECT_EQ(legacy->first_response.running_since, FromEpochMillis(1700000000000));
  EXPECT_FALSE(legacy->next_response.running_since);
  EXPECT_TRUE(legacy->resolution.started);
  EXPECT_FALSE(DecodeSla(text + " 9"));                             // trailing field
  EXPECT_FALSE(DecodeSla("v2" + text.substr(2)));                   // unknown version
  EXPECT_FALSE(DecodeSla(text.substr(0, text.size() - 2) + "x1"));  // not a number
}

TEST_F(ConversationTest, CalendarChangeKeepsTimeAlreadyUsedAndMovesWhatIsLeft) {
  Conversation c = Open();  // Monday 15:00Z, 30 min first response, open always
  // Open only 16:00-18:00 in Chicago (22:00Z) from now on.
  auto later =
      BusinessCalendar::Create("America/Chicago", *ParseWeeklyHours("mon-fri 16:00-18:00"), {});
  ASSERT_TRUE(later);
  Decision d = ChangeCalendar(c, t0_ + minutes(10), always_);
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(ViewSla(d.conversation, t0_ + minutes(10), *later).due_at, At("2026-11-23T22:20:00Z"))
      << "10 minutes used before the change, 20 left under the new hours";
  // Without the fold the 10 minutes would be lost.
  EXPECT_EQ(ViewSla(c, t0_ + minutes(10), *later).due_at, At("2026-11-23T22:30:00Z"));

  // A threshold passed under the old calendar is recorded at its own instant first.
  Decision late = ChangeCalendar(c, t0_ + minutes(40), always_);
  EXPECT_THAT(Types(late.events), ::testing::ElementsAre("sla_at_risk", "sla_breached"));
  EXPECT_EQ(late.events[1].at, t0_ + minutes(30));
  EXPECT_EQ(ViewSla(late.conversation, t0_ + minutes(40), *later).state, "breached");
}

TEST(MessageText, ValidatesEmptyOversizedAndInvalidUtf8) {
  EXPECT_TRUE(ValidateMessageText("hello"));
  EXPECT_EQ(ValidateMessageText("   ").error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(ValidateMessageText(std::string(kMaxMessageTextBytes + 1, 'a')).error().kind,
            ErrorKind::kTooLarge);
  EXPECT_EQ(ValidateMessageText("bad \xC3").error().field, "text");
}

TEST(MessageMetadata, KeysAreShortIdentifiersValuesShortText) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_TRUE(ValidateMessageMetadata({}));
  EXPECT_TRUE(ValidateMessageMetadata(Pairs{{"provider_message_id", "SM1"}, {"a.b-c", ""}}));
  EXPECT_EQ(ValidateMessageMetadata(Pairs{{"", "x"}}).error().field, "metadata");
  EXPECT_EQ(ValidateMessageMetadata(Pairs{{"Subject", "x"}}).error().field, "metadata");
  EXPECT_EQ(ValidateMessageMetadata(Pairs{{std::string(65, 'k'), "x"}}).error().field, "metadata");
  EXPECT_EQ(ValidateMessageMetadata(Pairs{{"k", "1"}, {"k", "2"}}).error().field, "metadata.k");
  EXPECT_EQ(ValidateMessageMetadata(Pairs{{"k", std::string(1025, 'v')}}).error().field,
            "metadata.k");
  EXPECT_TRUE(ValidateMessageMetadata(Pairs{{"k", std::string(1024, 'v')}}));
  EXPECT_EQ(ValidateMessageMetadata(Pairs{{"k", "bad \xC3"}}).error().field, "metadata.k");
  Pairs many;
  for (int i = 0; i < 21; ++i) many.emplace_back("k" + std::to_string(i), "v");
  EXPECT_EQ(ValidateMessageMetadata(many).error().field, "metadata");
  many.pop_back();
  EXPECT_TRUE(ValidateMessageMetadata(many));
}

}  // namespace
}  // namespace caredesk::core
