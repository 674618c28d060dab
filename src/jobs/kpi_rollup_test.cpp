#include "jobs/kpi_rollup.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "jobs/calls.hpp"
#include "jobs/test_practice.hpp"

namespace caredesk::jobs {
namespace {

using core::Grain;

class KpiRollupTest : public testing::PracticeTest {
 protected:
  void SetUp() override {
    PracticeTest::SetUp();
    if (HasFatalFailure()) return;
    for (int i = 0; i < 5; ++i) {
      auto p = store::WriteValue<core::Patient>(*store_, tenant_, [&](store::TenantTx& tx) {
        core::Patient patient;
        patient.name = "Patient " + std::to_string(i);
        patient.phone = "+1312555010" + std::to_string(i);
        patient.created_at = patient.updated_at = now_;
        return tx.InsertPatient(patient);
      });
      ASSERT_TRUE(p);
      patients_.push_back(*p);
    }
  }

  // Applies `step` to conversation `id` (or opens one when id is 0) and stores the result.
  ConversationId Change(
      ConversationId id,
      const std::function<Result<core::Decision>(const core::Conversation&)>& step,
      PatientId patient = {}, core::Channel channel = core::Channel::kSms) {
    ConversationId out = id;
    auto w = store_->Write(tenant_, [&](store::TenantTx& tx) -> Result<void> {
      std::vector<core::Event> events;
      core::Conversation c;
      if (!id) {
        core::Decision opened = core::OpenConversation(
            patient, channel, "front-desk", core::Priority::kNormal, {}, now_, calendar_);
        CD_TRY_ASSIGN(core::Decision d, core::ReceiveInbound(opened.conversation, now_, calendar_));
        CD_TRY_ASSIGN(c, tx.InsertConversation(d.conversation, calendar_, now_));
        for (auto* list : {&opened.events, &d.events}) {
          for (core::Event e : *list) {
            e.conversation_id = c.id;
            events.push_back(std::move(e));
          }
        }
        out = c.id;
      } else {
        CD_TRY_ASSIGN(c, tx.GetConversation(id));
        auto d = step(c);
        if (!d) return {};  // not allowed now (e.g. a closed one): nothing happens
        CD_TRY(tx.UpdateConversation(d->conversation, calendar_, now_));
        events = d->events;
      }
      return tx.AppendEvents(events);
    });
    EXPECT_TRUE(w) << w.error().message;
    return out;
  }

  // The figures the plain way: every conversation folded from all its events, every call, and
  // recontacts found by looking at every pair.
  std::vector<core::ConversationFact> PlainConversations() {
    std::vector<core::ConversationFact> facts;
    // Every conversation, the callback tasks that missed calls opened included.
    auto page = store::ReadValue<store::InboxPage>(*store_, tenant_, [](store::TenantTx& tx) {
      store::InboxFilter f;
      f.limit = 200;
      return tx.ListConversations(f);
    });
    EXPECT_TRUE(page && !page->next_cursor);
    std::vector<ConversationId> all;
    for (const auto& item : page->items) all.push_back(item.conversation.id);
    std::sort(all.begin(), all.end());
    for (ConversationId id : all) {
      auto events = store::ReadValue<std::vector<core::Event>>(
          *store_, tenant_, [&](store::TenantTx& tx) { return tx.ListEvents(id); });
      facts.push_back(core::FoldConversation(id, *events, calendar_));
    }
    auto calls = PlainCalls();
    for (core::ConversationFact& earlier : facts) {
      for (const core::ConversationFact& later : facts) {
        if (core::IsRecontact(earlier, later)) earlier.recontacted = true;
      }
      for (const core::CallFact& call : calls) {
        core::ConversationFact contact;
        contact.patient = call.call.patient;
        contact.created_at = call.call.entered_at;
        if (core::IsRecontact(earlier, contact)) earlier.recontacted = true;
      }
    }
    return facts;
  }
  std::vector<core::CallFact> PlainCalls() {
    auto calls =
        store::ReadValue<std::vector<store::CallRecord>>(*store_, tenant_, [](store::TenantTx& tx) {
          store::CallFilter f;
          f.limit = 1000;
          return tx.ListCalls(f);
        });
    std::vector<core::CallFact> out;
    for (const auto& r : *calls) out.push_back(core::FactOfCall(r.call, calendar_));
    return out;
  }

  // Both ways for one query; fails the test where they differ.
  void ExpectSameFigures(const store::KpiCellQuery& q, std::optional<int> weekday,
                         const std::string& what) {
    auto rows = store::ReadValue<std::vector<store::KpiCellRow>>(
        *store_, tenant_, [&](store::TenantTx& tx) { return tx.KpiCells(q); });
    ASSERT_TRUE(rows) << rows.error().message;
    core::Tally sum;
    for (const auto& row : *rows) {
      if (weekday && row.cell.weekday() != *weekday) continue;
      sum.Merge(*core::DecodeTally(row.tally));
    }
    auto in = [&](const core::Cell& c) {
      return c.day >= q.from_day && c.day <= q.to_day && (!q.channel || c.channel == *q.channel) &&
             (!q.queue || c.queue == *q.queue) && (!q.agent || c.agent == *q.agent) &&
             (!q.category || c.category == *q.category) &&
             (!q.location || c.location == *q.location) && (!q.policy || c.policy == *q.policy) &&
             (!q.hour || c.hour == *q.hour) && (!weekday || c.weekday() == *weekday);
    };
    std::vector<core::ConversationFact> conv;
    for (auto& f : PlainConversations()) {
      if (in(f.cell)) conv.push_back(f);
    }
    std::vector<core::CallFact> calls;
    for (auto& f : PlainCalls()) {
      if (in(f.cell)) calls.push_back(f);
    }
    core::KpiSettings settings;
    auto fast = core::Summarize(sum, 0, settings);
    auto plain = core::SummarizeFacts(conv, calls, 0, settings);
    for (const auto& [name, metric] : plain) {
      EXPECT_EQ(fast[name].value, metric.value) << name << " in " << what;
      EXPECT_EQ(fast[name].count, metric.count) << name << " in " << what;
    }
  }

  void ExpectSameFiguresEverywhere(const std::string& when) {
    std::int32_t today = calendar_.Local(now_).day;
    for (Grain g : core::kGrains) {
      store::KpiCellQuery q;
      q.grain = g;
      q.from_day = today - 30;
      q.to_day = today + 30;
      bool hourly = g == Grain::kHour;
      auto cut = [&](Grain c) {
        if (g == core::WithHour(c)) hourly = true;
        return g == c || g == core::WithHour(c);
      };
      if (cut(Grain::kChannel)) q.channel = "sms";
      if (cut(Grain::kQueue)) q.queue = "front-desk";
      if (cut(Grain::kAgent)) q.agent = "1";
      if (cut(Grain::kCategory)) q.category = "billing";
      if (cut(Grain::kLocation)) q.location = "1";
      if (cut(Grain::kPolicy)) q.policy = "5";
      if (hourly) q.hour = calendar_.Local(now_).hour;
      ExpectSameFigures(q, std::nullopt, when + " at grain " + std::string(core::Name(g)));
    }
    store::KpiCellQuery week;
    week.grain = Grain::kDay;
    week.from_day = today - 30;
    week.to_day = today + 30;
    ExpectSameFigures(week, calendar_.Local(now_).day % 7 == 0 ? 4 : 1, when + " on a weekday");
    store::KpiCellQuery fine;
    fine.grain = Grain::kFine;
    fine.from_day = today - 2;
    fine.to_day = today;
    fine.channel = "phone";
    ExpectSameFigures(fine, std::nullopt, when + " for phone calls of three days");
  }

  std::vector<core::Patient> patients_;
  std::vector<ConversationId> conversations_;
  Timestamp now_ = *ParseRfc3339("2026-11-23T15:00:00Z");  // a Monday, 09:00 in Chicago
};

TEST_F(KpiRollupTest, CellsFollowEveryChangeAndMatchAPlainRecomputation) {
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> pick(0, 99);
  KpiRollupOptions options;
  options.batch = 7;  // many small batches, conversations split across them
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 12; ++i) {
      now_ += std::chrono::minutes(1 + pick(rng));
      int action = pick(rng);
      if (action < 25 || conversations_.empty()) {
        conversations_.push_back(
            Change({}, nullptr, patients_[pick(rng) % 5].id,
                   pick(rng) < 50 ? core::Channel::kSms : core::Channel::kEmail));
        continue;
      }
      ConversationId id = conversations_[pick(rng) % conversations_.size()];
      if (action < 45) {
        Change(id, [&](const core::Conversation& c) {
          return core::RecordReply(c, UserId{1 + pick(rng) % 2}, std::nullopt, now_, calendar_);
        });
      } else if (action < 60) {
        Change(id, [&](const core::Conversation& c) {
          return core::ChangeStatus(c, core::Status::kResolved, UserId{1}, now_, calendar_);
        });
      } else if (action < 72) {
        Change(id, [&](const core::Conversation& c) -> Result<core::Decision> {
          if (!core::AcceptsInbound(c, now_)) return Conflict("closed");
          return core::ReceiveInbound(c, now_, calendar_);
        });
      } else if (action < 80) {
        Change(id, [&](const core::Conversation& c) {
          core::Routing r;
          r.category = static_cast<core::Category>(pick(rng) % 8);
          r.location = LocationId{pick(rng) % 3};  // the store keeps any id; 0 is none
          // Urgent ones are held to policy 5: the policy cut moves with the priority.
          r.priority = pick(rng) < 30 ? core::Priority::kUrgent : core::Priority::kNormal;
          core::SlaPolicy urgent;
          urgent.id = 5;
          urgent.priority = core::Priority::kUrgent;
          return core::Route(c, r, {core::SlaPolicy{}, urgent}, UserId{1}, now_, calendar_);
        });
      } else if (action < 85) {
        Change(id, [&](const core::Conversation& c) {
          return Result<core::Decision>(core::SlaTick(c, now_, calendar_));
        });
      } else {
        core::Call call;
        call.ref = "r" + std::to_string(round) + "-" + std::to_string(i);
        call.queue = "front-desk";
        call.outcome = static_cast<core::CallOutcome>(2 + pick(rng) % 5);
        call.entered_at = now_ - std::chrono::seconds(60 + pick(rng));
        if (call.outcome == core::CallOutcome::kAnswered) {
          call.answered_at = call.entered_at + std::chrono::seconds(pick(rng) / 3);
        }
        call.ended_at = now_;
        call.agent = call.answered_at ? "PJSIP/201" : "";
        auto posted =
            RecordPostedCall(*store_, tenant_, call, *patients_[pick(rng) % 5].phone, {}, now_);
        ASSERT_TRUE(posted) << posted.error().message;
      }
    }
    auto rolled = RollUpAll(*store_, tenant_, options);
    ASSERT_TRUE(rolled) << rolled.error().message;
    ExpectSameFiguresEverywhere("round " + std::to_string(round));
  }
  // Reading everything again from the start changes no cell.
  auto before =
      store::ReadValue<std::vector<store::KpiCellRow>>(*store_, tenant_, [](store::TenantTx& tx) {
        store::KpiCellQuery q;
        q.grain = Grain::kFine;
        q.from_day = 0;
        q.to_day = 1 << 30;
        return tx.KpiCells(q);
      });
  ASSERT_TRUE(before);
  ASSERT_FALSE(before->empty());
  ASSERT_TRUE(store_->Write(tenant_, [](store::TenantTx& tx) { return tx.PutKpiProgress({}); }));
  ASSERT_TRUE(RollUpAll(*store_, tenant_, options));
  auto after =
      store::ReadValue<std::vector<store::KpiCellRow>>(*store_, tenant_, [](store::TenantTx& tx) {
        store::KpiCellQuery q;
        q.grain = Grain::kFine;
        q.from_day = 0;
        q.to_day = 1 << 30;
        return tx.KpiCells(q);
      });
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), before->size());
  for (std::size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].tally, (*before)[i].tally);
  }
}

}  // namespace
}  // namespace caredesk::jobs
