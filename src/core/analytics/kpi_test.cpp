#include "core/analytics/kpi.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace caredesk::core {
namespace {

const Timestamp t0 = FromEpochMillis(1'764'000'000'000);  // 2025-11-24T16:00Z, a Monday

BusinessCalendar Chicago() {
  auto hours = ParseWeeklyHours("mon-fri 08:00-17:00");
  return *BusinessCalendar::Create("America/Chicago", *hours, {});
}

Event Ev(std::string type, Timestamp at, UserId actor = UserId{},
         std::vector<std::pair<std::string, std::string>> data = {}) {
  Event e;
  e.type = std::move(type);
  e.at = at;
  e.actor = actor;
  e.patient_id = PatientId{1};
  e.data = std::move(data);
  return e;
}

Timestamp At(int seconds) { return t0 + std::chrono::seconds(seconds); }

TEST(DurationHistogramTest, BucketsAndPercentilesReportTheLargestSecondOfTheirBucket) {
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::BucketOf(0)), 0);
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::BucketOf(599)), 599);
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::BucketOf(600)), 609);
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::BucketOf(3599)), 3599);
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::BucketOf(3600)), 3659);
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::BucketOf(86400)), 86999);
  EXPECT_EQ(DurationHistogram::BucketOf(40 * 86400), DurationHistogram::kBuckets - 1);
  EXPECT_EQ(DurationHistogram::ReportedValue(DurationHistogram::kBuckets - 1), 30 * 86400)
      << "the last bucket reads as 30 days or more";
  for (std::int64_t s = 0; s < 30 * 86400; s += 97) {
    int b = DurationHistogram::BucketOf(s);
    ASSERT_GE(DurationHistogram::ReportedValue(b), s) << s;
    ASSERT_EQ(DurationHistogram::BucketOf(DurationHistogram::ReportedValue(b)), b) << s;
  }
  DurationHistogram h;
  for (int s : {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}) h.Add(s);
  EXPECT_EQ(h.Percentile(0.5), 50);
  EXPECT_EQ(h.Percentile(0.9), 90);
  EXPECT_EQ(h.AtMost(20), 2);
  auto round_trip = DurationHistogram::Decode(h.Encode());
  ASSERT_TRUE(round_trip);
  EXPECT_EQ(*round_trip, h);
  EXPECT_FALSE(DurationHistogram::Decode("5:"));
  EXPECT_FALSE(DurationHistogram::Decode("99999:1"));
  EXPECT_FALSE(DurationHistogram::Decode("a:1"));
  DurationHistogram empty;
  EXPECT_FALSE(empty.Percentile(0.5));
}

TEST(TallyCodingTest, MalformedStorageIsRefused) {
  Tally t;
  t.conversations = 3;
  t.first_response.Add(30);
  t.first_response.Add(45);
  t.first_response.Add(7200);
  t.resolution.Add(86400);
  t.calls_offered = 2;
  t.answer_wait.Add(15);
  t.answer_wait.Add(25);
  auto back = DecodeTally(EncodeTally(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, t);
  EXPECT_FALSE(DecodeTally(""));
  EXPECT_FALSE(DecodeTally("1 2 3|||"));
  std::string text = EncodeTally(t);
  EXPECT_FALSE(DecodeTally(text + "|"));
  EXPECT_FALSE(DecodeTally("x" + text));
  TallySum sum;
  ASSERT_TRUE(sum.Add(text));
  for (const std::string& bad : {std::string(""), std::string("1 2 3|||"), text + "|", "x" + text,
                                 text.substr(0, text.size() - 1) + "9:1:1"}) {
    EXPECT_FALSE(sum.Add(bad)) << bad;
  }
  EXPECT_EQ(sum.Total(), t) << "a refused text adds nothing";
  // Percentiles and the service level straight from the arrays equal the histograms' own.
  KpiSettings settings;
  const auto from_sum = Summarize(sum, 0, settings), from_tally = Summarize(t, 0, settings);
  for (const auto& [name, metric] : from_tally) {
    EXPECT_EQ(from_sum.at(name).value, metric.value) << name;
    EXPECT_EQ(from_sum.at(name).count, metric.count) << name;
  }
  EXPECT_EQ(from_sum.at("first_response_time_p50_s").value, 45.0);
  EXPECT_EQ(from_sum.at("service_level").value, 0.5);
  sum.Reset();
  EXPECT_EQ(Summarize(sum, 0, settings).at("first_response_time_p50_s").value, std::nullopt);
}

TEST(FoldConversationTest, HumanRepliesOnlyAndEachWaitOnce) {
  UserId ana{7};
  std::vector<Event> events{
      Ev("conversation_created", At(0), {}, {{"channel", "sms"}, {"queue", "front-desk"}}),
      Ev("message_received", At(0)),
      Ev("reply_sent", At(20)),  // an automatic acknowledgement: not a response
      Ev("message_received", At(60)),
      Ev("reply_sent", At(300), ana),  // first response: 300 s after the first message
      Ev("message_received", At(400)),
      Ev("message_received", At(450)),
      Ev("reply_sent", At(520), ana),  // next response: 120 s after the first unanswered one
      Ev("routed", At(530), ana, {{"to_category", "billing"}, {"to_queue", "billing"}}),
      Ev("status_changed", At(600), ana, {{"from", "open"}, {"to", "resolved"}}),
      Ev("conversation_reopened", At(900)),
      Ev("status_changed", At(1000), ana, {{"from", "open"}, {"to", "resolved"}}),
  };
  ConversationFact f = FoldConversation(ConversationId{3}, events, Chicago());
  EXPECT_EQ(f.first_response_seconds, 300);
  EXPECT_EQ(f.next_response_seconds, std::vector<std::int64_t>{120});
  EXPECT_EQ(f.cell.agent, "7");
  EXPECT_EQ(f.cell.channel, "sms");
  EXPECT_EQ(f.cell.queue, "billing");
  EXPECT_EQ(f.cell.category, "billing");
  EXPECT_EQ(f.resolved_at, At(600)) << "the first resolution";
  EXPECT_EQ(f.reopens, 1);
  EXPECT_EQ(f.cell.hour, 10) << "16:00Z is 10:00 in Chicago";
  EXPECT_EQ(f.cell.weekday(), 1) << "a Monday";
}

TEST(FoldConversationTest, StaffOutreachHasNoResponseTimesAndABreachIsRemembered) {
  std::vector<Event> outreach{
      Ev("conversation_created", At(0), UserId{7}, {{"channel", "sms"}, {"initiated_by", "staff"}}),
      Ev("reply_sent", At(0), UserId{7}),
      Ev("message_received", At(100)),
      Ev("reply_sent", At(160), UserId{7}),
  };
  ConversationFact f = FoldConversation(ConversationId{4}, outreach, Chicago());
  EXPECT_TRUE(f.staff_initiated);
  EXPECT_FALSE(f.first_response_seconds);
  EXPECT_EQ(f.next_response_seconds, std::vector<std::int64_t>{60});
  std::vector<Event> breached{
      Ev("conversation_created", At(0), {}, {{"channel", "email"}}),
      Ev("message_received", At(0)),
      Ev("sla_breached", At(1800), {}, {{"clock", "first_response"}}),
      Ev("reply_sent", At(4000), UserId{8}),
  };
  ConversationFact g = FoldConversation(ConversationId{5}, breached, Chicago());
  EXPECT_TRUE(g.first_response_breached);
  EXPECT_EQ(g.first_response_seconds, 4000);
}

TEST(FoldConversationTest, TheLocationAndPolicyAreTheLatestSaid) {
  std::vector<Event> events{
      Ev("conversation_created", At(0), {},
         {{"channel", "sms"}, {"queue", "front-desk"}, {"sla_policy_id", "3"}}),
      Ev("message_received", At(0)),
  };
  ConversationFact f = FoldConversation(ConversationId{6}, events, Chicago());
  EXPECT_EQ(f.cell.policy, "3");
  EXPECT_EQ(f.cell.location, "") << "not said";
  events.push_back(Ev("routed", At(60), UserId{2},
                      {{"from_location", "0"}, {"to_location", "5"}, {"sla_policy_id", "4"}}));
  f = FoldConversation(ConversationId{6}, events, Chicago());
  EXPECT_EQ(f.cell.location, "5");
  EXPECT_EQ(f.cell.policy, "4");
  events.push_back(
      Ev("routed", At(120), UserId{2}, {{"from_location", "5"}, {"to_location", "0"}}));
  f = FoldConversation(ConversationId{6}, events, Chicago());
  EXPECT_EQ(f.cell.location, "") << "taken off again";
  EXPECT_EQ(f.cell.policy, "4") << "a routing that keeps the policy does not say it";
  // Route says the location and the new policy in its event.
  Conversation c;
  c.priority = Priority::kNormal;
  SlaPolicy urgent;
  urgent.id = 7;
  urgent.priority = Priority::kUrgent;
  Routing r;
  r.location = LocationId{2};
  r.priority = Priority::kUrgent;
  auto routed = Route(c, r, {SlaPolicy{}, urgent}, UserId{2}, At(0), Chicago());
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->conversation.location, LocationId{2});
  ASSERT_EQ(routed->events.size(), 1u);
  ConversationFact g = FoldConversation(ConversationId{7}, routed->events, Chicago());
  EXPECT_EQ(g.cell.location, "2");
  EXPECT_EQ(g.cell.policy, "7");
}

TEST(FoldConversationTest, SurveyAnswersAreTheLatestOfEachKind) {
  Conversation c;
  auto answer = [&](std::string_view survey, std::int64_t score, int at) {
    auto d = RecordSurvey(c, survey, score, UserId{}, At(at));
    EXPECT_TRUE(d) << survey << " " << score;
    return d ? d->events.at(0) : Event{};
  };
  std::vector<Event> events{Ev("conversation_created", At(0), {}, {{"channel", "sms"}}),
                            answer("csat", 4, 10), answer("nps", 6, 20), answer("csat", 2, 30)};
  ConversationFact f = FoldConversation(ConversationId{8}, events, Chicago());
  EXPECT_EQ(f.csat, 2);
  EXPECT_EQ(f.nps, 6);
  Tally t = TallyOf(f);
  EXPECT_EQ(t.csat_answers, 1);
  EXPECT_EQ(t.csat_satisfied, 0);
  EXPECT_EQ(t.nps_detractors, 1);
  EXPECT_EQ(DecodeTally(EncodeTally(t)).value(), t) << "stored and read back alike";
  // Out of range or unknown: refused, naming the field.
  EXPECT_EQ(RecordSurvey(c, "csat", 0, UserId{}, At(0)).error().field, "score");
  EXPECT_EQ(RecordSurvey(c, "csat", 6, UserId{}, At(0)).error().field, "score");
  EXPECT_EQ(RecordSurvey(c, "nps", 11, UserId{}, At(0)).error().field, "score");
  EXPECT_EQ(RecordSurvey(c, "ces", 3, UserId{}, At(0)).error().field, "survey");
  EXPECT_TRUE(RecordSurvey(c, "nps", 0, UserId{}, At(0)));
  // CSAT: satisfied (4, 5) over answers; NPS: % promoters (9, 10) minus % detractors (0-6).
  Tally sum;
  for (auto [csat, nps] : {std::pair{5, 10}, std::pair{4, 9}, std::pair{3, 7}, std::pair{1, 0}}) {
    ConversationFact g;
    g.csat = csat;
    g.nps = nps;
    sum.Add(g);
  }
  auto m = Summarize(sum, 0, KpiSettings{});
  EXPECT_EQ(m["csat"].value, 0.5);
  EXPECT_EQ(m["csat"].count, 4);
  EXPECT_EQ(m["nps"].value, 25.0);
  EXPECT_EQ(BehindMetric("csat", sum), true);
  EXPECT_EQ(BehindMetric("nps", Tally{}), false);
}

TEST(FactOfCallTest, APhoneAgentNameOfAStaffMemberCountsAsThem) {
  Call call;
  call.queue = "front-desk";
  call.entered_at = At(0);
  call.agent = "PJSIP/201";
  const PhoneAgentStaff staff{{"PJSIP/201", UserId{7}}, {"Local/201@from-queue", UserId{7}}};
  CallFact f = FactOfCall(call, Chicago(), staff);
  EXPECT_EQ(f.cell.agent, "7");
  EXPECT_EQ(f.cell.channel, "phone");
  EXPECT_EQ(f.call.agent, "PJSIP/201") << "the call keeps the phone system's name";
  call.agent = "PJSIP/209";  // nobody's: the phone system's name is the cut
  EXPECT_EQ(FactOfCall(call, Chicago(), staff).cell.agent, "PJSIP/209");
  call.agent = "";
  EXPECT_EQ(FactOfCall(call, Chicago(), staff).cell.agent, "");
}

TEST(KpiTest, HandBuiltHistoryGivesTheKnownFigures) {
  std::vector<ConversationFact> conversations;
  auto conv = [&](int id, std::optional<int> fr, bool breached, std::optional<int> resolved,
                  int reopens, std::string category) {
    ConversationFact f;
    f.id = ConversationId{id};
    f.patient = PatientId{id};
    f.created_at = t0;
    f.cell.category = std::move(category);
    if (fr) f.first_response_seconds = *fr;
    f.first_response_breached = breached;
    if (resolved) f.resolved_at = At(*resolved);
    f.reopens = reopens;
    conversations.push_back(f);
  };
  conv(1, 60, false, 3600, 0, "appointment");
  conv(2, 120, false, 7200, 1, "appointment");
  conv(3, 2000, true, std::nullopt, 0, "billing");
  conv(4, std::nullopt, true, std::nullopt, 0, "uncategorized");   // breached, unanswered
  conv(5, std::nullopt, false, std::nullopt, 0, "uncategorized");  // still within its target
  ConversationFact chat;
  chat.id = ConversationId{6};
  chat.created_at = t0;
  chat.cell.category = "uncategorized";
  chat.live_chat = true;
  chat.chat_answered = true;
  conversations.push_back(chat);
  chat.id = ConversationId{7};
  chat.chat_answered = false;
  chat.chat_abandoned = true;
  conversations.push_back(chat);

  std::vector<CallFact> calls;
  auto call = [&](CallOutcome o, int wait, int talk, int hold = 0, int wrap = 0) {
    CallFact f;
    f.call.outcome = o;
    f.call.wait_seconds = wait;
    f.call.talk_seconds = talk;
    f.call.hold_seconds = hold;
    f.call.wrap_seconds = wrap;
    calls.push_back(f);
  };
  call(CallOutcome::kAnswered, 10, 200, 30, 60);
  call(CallOutcome::kAnswered, 20, 100);
  call(CallOutcome::kAnswered, 50, 300);
  call(CallOutcome::kAbandoned, 45, 0);
  call(CallOutcome::kAbandoned, 4, 0);  // short
  call(CallOutcome::kTimedOut, 300, 0);
  call(CallOutcome::kLeftByKey, 30, 0);
  call(CallOutcome::kWaiting, 0, 0);  // not ended: not counted

  KpiSettings settings;
  Tally t;
  for (const auto& f : conversations) t.Add(f);
  for (const auto& f : calls) t.Add(f, settings.phone);
  auto m = Summarize(t, 42, settings);
  EXPECT_EQ(m["conversations"].value, 7);
  EXPECT_EQ(m["first_response_time_mean_s"].value, (60 + 120 + 2000) / 3.0);
  EXPECT_EQ(m["first_response_time_mean_s"].count, 3);
  EXPECT_EQ(m["first_response_time_p50_s"].value, 120) << "nearest rank 2 of {60, 120, 2000}";
  EXPECT_EQ(m["first_response_time_p90_s"].value, 2009) << "2000 s, in the 2000-2009 s bucket";
  EXPECT_EQ(m["sla_first_response_attainment"].value, 2.0 / 4);
  EXPECT_EQ(m["resolution_time_mean_s"].value, (3600 + 7200) / 2.0);
  EXPECT_EQ(m["reopen_rate"].value, 0.5);
  EXPECT_EQ(m["first_contact_resolution_rate"].value, 0.5);
  EXPECT_EQ(m["backlog_open"].value, 42);
  EXPECT_EQ(m["chat_answer_rate"].value, 0.5);
  EXPECT_EQ(m["calls_offered"].value, 6);
  EXPECT_EQ(m["calls_answered"].value, 3);
  EXPECT_EQ(m["calls_abandoned"].value, 1);
  EXPECT_EQ(m["calls_short_abandoned"].value, 1);
  EXPECT_EQ(m["calls_timed_out"].value, 2);
  EXPECT_EQ(m["abandonment_rate"].value, 1.0 / 6);
  EXPECT_EQ(m["average_speed_of_answer_s"].value, (10 + 20 + 50) / 3.0);
  EXPECT_EQ(m["service_level"].value, 2.0 / 6) << "answered within 20 s over offered";
  EXPECT_EQ(m["average_handle_time_s"].value, (290 + 100 + 300) / 3.0);
  EXPECT_FALSE(m["csat"].value) << "no answers, no figure";
  EXPECT_FALSE(m["nps"].value);
  EXPECT_EQ(m["contacts_appointment"].value, 2);
  EXPECT_EQ(m["contacts_billing"].value, 1);
  for (std::string_view name : kMetricNames) {
    bool drillable = name != "backlog_open";
    EXPECT_EQ(BehindMetric(name, Tally{}).has_value(), drillable) << name;
  }
  EXPECT_FALSE(BehindMetric("contacts_gossip", Tally{}));
  Tally answered_call;
  answered_call.calls_offered = answered_call.calls_answered = 1;
  EXPECT_EQ(BehindMetric("average_handle_time_s", answered_call), true);
  EXPECT_EQ(BehindMetric("calls_abandoned", answered_call), false);
  std::set<std::string> names;
  for (const auto& [name, metric] : m) {
    names.insert(name);
    EXPECT_FALSE(metric.definition.empty()) << name;
  }
  EXPECT_EQ(names, std::set<std::string>(kMetricNames.begin(), kMetricNames.end()));
}

// ---- The property: cells kept up to date event by event give the figures of a plain
// recomputation from the facts, for any period and cut.

struct History {
  std::vector<std::vector<Event>> conversations;  // each conversation's events, in order
  std::vector<Call> calls;
};

History RandomHistory(std::mt19937& rng, const BusinessCalendar& cal) {
  History h;
  std::uniform_int_distribution<int> pick(0, 99);
  const char* channels[] = {"sms", "email", "chat", "web"};
  const char* queues[] = {"front-desk", "billing", "nurses"};
  SlaPolicy policy;
  SlaPolicy urgent_policy;  // what an urgent conversation is held to
  urgent_policy.id = 9;
  urgent_policy.priority = Priority::kUrgent;
  const std::vector<SlaPolicy> policies{policy, urgent_policy};
  int n = 5 + pick(rng) % 40;
  for (int i = 0; i < n; ++i) {
    Timestamp now = t0 + std::chrono::minutes(pick(rng) * 97 + i * 13);
    std::string channel = channels[pick(rng) % 4];
    Decision opened = OpenConversation(PatientId{1 + pick(rng) % 6}, *ParseChannel(channel),
                                       queues[pick(rng) % 3], Priority::kNormal, policy, now, cal);
    Conversation c = opened.conversation;
    std::vector<Event> events = opened.events;
    auto apply = [&](Result<Decision> d) {
      if (!d) return;
      c = d->conversation;
      events.insert(events.end(), d->events.begin(), d->events.end());
    };
    apply(ReceiveInbound(c, now, cal));
    bool live = channel == "chat" && pick(rng) < 70;
    if (channel == "chat") {
      events.push_back(Ev("chat_started", now, {}, {{"live", live ? "true" : "false"}}));
    }
    int steps = pick(rng) % 8;
    for (int s = 0; s < steps; ++s) {
      now += std::chrono::seconds(1 + pick(rng) * pick(rng) * 3);
      int action = pick(rng);
      if (action < 25) {
        apply(ReceiveInbound(c, now, cal));
      } else if (action < 50) {
        apply(RecordReply(c, UserId{1 + pick(rng) % 3}, std::nullopt, now, cal));
      } else if (action < 55) {
        apply(RecordReply(c, UserId{}, std::nullopt, now, cal));  // a bot
      } else if (action < 70) {
        apply(ChangeStatus(c, Status::kResolved, UserId{2}, now, cal));
      } else if (action < 78) {
        Routing r;
        r.category = static_cast<Category>(pick(rng) % 8);
        if (pick(rng) < 40) r.location = LocationId{pick(rng) % 3};  // 0: none
        if (pick(rng) < 30) r.priority = pick(rng) < 50 ? Priority::kUrgent : Priority::kNormal;
        apply(Route(c, r, policies, UserId{2}, now, cal));
      } else if (action < 84) {
        apply(Result<Decision>(SlaTick(c, now, cal)));
      } else if (action < 88) {
        const bool csat = pick(rng) < 50;
        apply(RecordSurvey(c, csat ? "csat" : "nps", pick(rng) % (csat ? 5 : 11) + (csat ? 1 : 0),
                           UserId{}, now));
      } else if (live && action < 94) {
        events.push_back(Ev("chat_accepted", now, UserId{1}));
      } else if (live) {
        events.push_back(Ev("chat_abandoned", now));
      }
    }
    for (Event& e : events) e.conversation_id = ConversationId{i + 1};
    h.conversations.push_back(std::move(events));
  }
  int calls = pick(rng) % 30;
  for (int i = 0; i < calls; ++i) {
    Call k;
    k.ref = std::to_string(i);
    k.queue = queues[pick(rng) % 3];
    k.agent = pick(rng) < 50 ? "PJSIP/201" : "PJSIP/202";
    k.entered_at = t0 + std::chrono::minutes(pick(rng) * 97);
    k.outcome = static_cast<CallOutcome>(pick(rng) % 7);
    k.wait_seconds = pick(rng) * pick(rng) / 50;
    k.talk_seconds = k.outcome == CallOutcome::kAnswered ? pick(rng) * 9 : 0;
    k.hold_seconds = k.talk_seconds / 5;
    k.wrap_seconds = pick(rng);
    h.calls.push_back(k);
  }
  return h;
}

struct Filter {
  std::int32_t from_day = 0, to_day = 0;
  std::optional<std::string> channel, queue, agent, category, location, policy;
  std::optional<int> hour, weekday;
  bool Matches(const Cell& c) const {
    return c.day >= from_day && c.day <= to_day && (!channel || c.channel == *channel) &&
           (!queue || c.queue == *queue) && (!agent || c.agent == *agent) &&
           (!category || c.category == *category) && (!location || c.location == *location) &&
           (!policy || c.policy == *policy) && (!hour || c.hour == *hour) &&
           (!weekday || c.weekday() == *weekday);
  }
};

TEST(KpiPropertyTest, CellsKeptEventByEventEqualAPlainRecomputationForAnyCut) {
  BusinessCalendar cal = Chicago();
  KpiSettings settings;
  std::mt19937 rng(20261129);
  for (int round = 0; round < 300; ++round) {
    History h = RandomHistory(rng, cal);
    // The store's way: each event updates its conversation's fact; the cell loses the old fact
    // and gains the new one; a new conversation marks the patient's recent ones recontacted.
    std::map<Cell, Tally> cells;
    std::map<ConversationId, ConversationFact> facts;
    auto change = [&](const ConversationFact* before, const ConversationFact& after) {
      if (before) {
        cells[before->cell].Add(*before, -1);
        if (cells[before->cell].empty()) cells.erase(before->cell);
      }
      cells[after.cell].Add(after, 1);
    };
    // Events of all conversations interleaved by time, as they would arrive.
    std::vector<std::pair<Timestamp, std::pair<std::size_t, std::size_t>>> order;
    for (std::size_t c = 0; c < h.conversations.size(); ++c) {
      for (std::size_t e = 0; e < h.conversations[c].size(); ++e) {
        order.push_back({h.conversations[c][e].at, {c, e}});
      }
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [at, where] : order) {
      const auto& [c, e] = where;
      ConversationId id{static_cast<std::int64_t>(c + 1)};
      std::vector<Event> prefix(h.conversations[c].begin(),
                                h.conversations[c].begin() + static_cast<std::ptrdiff_t>(e + 1));
      ConversationFact after = FoldConversation(id, prefix, cal);
      auto found = facts.find(id);
      if (found != facts.end()) after.recontacted = found->second.recontacted;
      if (found == facts.end()) {
        // A new conversation: earlier ones of the patient resolved within 7 days, same matter.
        for (auto& [other_id, other] : facts) {
          if (!other.recontacted && IsRecontact(other, after)) {
            ConversationFact marked = other;
            marked.recontacted = true;
            change(&other, marked);
            other = marked;
          }
        }
        change(nullptr, after);
      } else {
        change(&found->second, after);
      }
      facts[id] = after;
    }
    std::vector<CallFact> call_facts;
    for (const Call& k : h.calls) {
      CallFact f = FactOfCall(k, cal);
      cells[f.cell].Add(f, settings.phone);
      call_facts.push_back(f);
    }

    std::uniform_int_distribution<int> pick(0, 99);
    for (int q = 0; q < 8; ++q) {
      Filter filter;
      std::int32_t base = cal.Local(t0).day;
      filter.from_day = base + pick(rng) % 5 - 1;
      filter.to_day = filter.from_day + pick(rng) % 90;
      if (pick(rng) < 30)
        filter.channel = std::vector<std::string>{"sms", "chat", "phone"}[pick(rng) % 3];
      if (pick(rng) < 30)
        filter.queue = std::vector<std::string>{"front-desk", "billing"}[pick(rng) % 2];
      if (pick(rng) < 20)
        filter.agent = std::vector<std::string>{"1", "2", "PJSIP/201", ""}[pick(rng) % 4];
      if (pick(rng) < 20) filter.category = std::string(Name(static_cast<Category>(pick(rng) % 8)));
      if (pick(rng) < 20) filter.location = std::vector<std::string>{"", "1", "2"}[pick(rng) % 3];
      if (pick(rng) < 20) filter.policy = std::vector<std::string>{"0", "9", ""}[pick(rng) % 3];
      if (pick(rng) < 20) filter.hour = pick(rng) % 24;
      if (pick(rng) < 20) filter.weekday = pick(rng) % 7;
      Tally sum;
      for (const auto& [cell, tally] : cells) {
        if (filter.Matches(cell)) sum.Merge(tally);
      }
      std::vector<ConversationFact> conv_in;
      for (const auto& [id, f] : facts) {
        if (filter.Matches(f.cell)) conv_in.push_back(f);
      }
      std::vector<CallFact> calls_in;
      for (const CallFact& f : call_facts) {
        if (filter.Matches(f.cell)) calls_in.push_back(f);
      }
      auto fast = Summarize(sum, 3, settings);
      auto plain = SummarizeFacts(conv_in, calls_in, 3, settings);
      for (const auto& [name, metric] : plain) {
        ASSERT_EQ(fast[name].value, metric.value) << name << " round " << round << " query " << q;
        ASSERT_EQ(fast[name].count, metric.count) << name << " round " << round;
      }
    }
    // Every grain's cell sums to the same figures, and the storage form reads back the same.
    std::map<std::pair<Grain, Cell>, Tally> grains;
    for (const auto& [cell, tally] : cells) {
      for (Grain g : kGrains) grains[{g, Project(g, cell)}].Merge(tally);
    }
    TallySum reused;  // one for every grain, Reset between, as the daily series uses it
    for (Grain g : kGrains) {
      Tally total, stored;
      for (const auto& [key, tally] : grains) {
        if (key.first != g) continue;
        total.Merge(tally);
        auto decoded = DecodeTally(EncodeTally(tally));
        ASSERT_TRUE(decoded) << Name(g);
        stored.Merge(*decoded);
      }
      Tally everything;
      for (const auto& [cell, tally] : cells) everything.Merge(tally);
      ASSERT_EQ(total, everything) << Name(g);
      ASSERT_EQ(stored, everything) << Name(g);
      TallySum fast;
      reused.Reset();  // what the previous grain left in it is gone
      for (const auto& [key, tally] : grains) {
        if (key.first == g) {
          ASSERT_TRUE(fast.Add(EncodeTally(tally)));
          ASSERT_TRUE(reused.Add(EncodeTally(tally)));
        }
      }
      ASSERT_EQ(fast.Total(), everything) << Name(g);
      ASSERT_EQ(reused.Total(), everything) << Name(g);
      // Summarizing the sum's arrays directly gives what summarizing its total does.
      const auto want = Summarize(everything, 3, settings);
      for (const TallySum* s : {&fast, &reused}) {
        const auto got = Summarize(*s, 3, settings);
        for (const auto& [name, metric] : want) {
          ASSERT_EQ(got.at(name).value, metric.value) << name << " " << Name(g);
          ASSERT_EQ(got.at(name).count, metric.count) << name << " " << Name(g);
        }
      }
    }
    // Taking every fact out again leaves nothing behind.
    for (const auto& [id, f] : facts) cells[f.cell].Add(f, -1);
    for (const CallFact& f : call_facts) cells[f.cell].Add(f, settings.phone, -1);
    for (const auto& [cell, tally] : cells) ASSERT_TRUE(tally.empty()) << round;
  }
}

}  // namespace
}  // namespace caredesk::core
