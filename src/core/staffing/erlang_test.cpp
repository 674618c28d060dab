#include "core/staffing/erlang.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <queue>
#include <random>

namespace caredesk::core {
namespace {

// Check values: ../shared/reference/staffing-and-security.md (mitan's example inputs and the
// clinic-scale figures), and issue #6's worked example.
TEST(ErlangCTest, MatchesThePublishedExample) {
  double load = OfferedLoad(360.0 / 1800, 240);  // 360 calls per 30 min, 4 min each
  EXPECT_DOUBLE_EQ(load, 48);
  EXPECT_NEAR(ProbabilityOfWaiting(55, load), 0.239, 0.0005);
  EXPECT_NEAR(*AverageSpeedOfAnswer(55, load, 240), 8.2, 0.05);
  EXPECT_NEAR(ServiceLevel(55, load, 240, 15), 0.846, 0.0005);
}

TEST(ErlangCTest, ClinicScaleChats) {
  double load = OfferedLoad(60.0 / 3600, 360);  // 60 chats an hour, 6 minutes each
  EXPECT_NEAR(load, 6, 1e-12);
  StaffingNeed need = AgentsNeeded(load, 360, {0.8, 20, 0.3, 0.85});
  EXPECT_EQ(need.agents, 9);
  EXPECT_NEAR(need.service_level, 0.83, 0.005);
  EXPECT_NEAR(need.asa_seconds, 23.5, 0.05);
  EXPECT_NEAR(need.occupancy, 0.667, 0.001);
  EXPECT_FALSE(need.occupancy_high);
  StaffingNeed busier = AgentsNeeded(OfferedLoad(120.0 / 3600, 240), 240, {0.8, 20, 0.3, 0.85});
  EXPECT_EQ(busier.agents, 11);
  EXPECT_NEAR(busier.service_level, 0.81, 0.005);
  EXPECT_NEAR(busier.occupancy, 0.727, 0.001);
}

TEST(ErlangCTest, TheIssuesWorkedExampleWithShrinkage) {
  // 100 contacts per 30 minutes, 3-minute handle time, 80% within 20 s, shrinkage 0.3.
  double load = OfferedLoad(100.0 / 1800, 180);
  StaffingNeed need = AgentsNeeded(load, 180, {0.8, 20, 0.3, 0.85});
  EXPECT_EQ(need.agents, 14);
  EXPECT_EQ(need.scheduled, 20);
  EXPECT_LT(ServiceLevel(13, load, 180, 20), 0.8) << "13 would not do";
}

TEST(ErlangCTest, EdgesAreSafe) {
  EXPECT_EQ(ProbabilityOfWaiting(3, 0), 0);
  EXPECT_EQ(ProbabilityOfWaiting(3, 3), 1) << "as many agents as Erlangs: the queue never empties";
  EXPECT_EQ(ServiceLevel(2, 5, 180, 20), 0);
  EXPECT_FALSE(AverageSpeedOfAnswer(5, 5, 180));
  StaffingNeed none = AgentsNeeded(0, 180, {});
  EXPECT_EQ(none.agents, 0);
  EXPECT_EQ(none.scheduled, 0);
  // Hundreds of agents: the recurrence neither overflows nor loses the answer.
  StaffingNeed big = AgentsNeeded(400, 180, {0.8, 20, 0.3, 0.85});
  EXPECT_GT(big.agents, 400);
  EXPECT_LT(big.agents, 440);
  EXPECT_GE(big.service_level, 0.8);
  EXPECT_LT(ServiceLevel(big.agents - 1, 400, 180, 20), 0.8);
  EXPECT_TRUE(big.occupancy_high) << "large pools run hot at 80/20: the advisor warns";
  // A target nobody meets ends the search instead of running forever.
  EXPECT_LE(AgentsNeeded(10, 180, {1.0, 20, 0.3, 0.85}).agents, 10 + 1000);
  EXPECT_LE(AgentsNeededWithAbandonment(10.0 / 180, 180, 1e7, 1.0, 20), 10 + 1000);
  // Three chats at once make a third of the load.
  EXPECT_DOUBLE_EQ(OfferedLoad(0.01, 360, 3), 1.2);
  EXPECT_DOUBLE_EQ(OfferedLoad(0.01, 360, 0), 3.6) << "concurrency below 1 counts as 1";
}

// M/M/N+M simulated, event by event, as an independent check of the exact computation.
ErlangA Simulate(int agents, double lambda, double handle, double patience, double target,
                 int arrivals) {
  std::mt19937_64 rng(20261129);
  std::exponential_distribution<double> next_arrival(lambda), service(1 / handle),
      give_up(1 / patience);
  std::priority_queue<double, std::vector<double>, std::greater<>> busy_until;
  std::deque<std::pair<double, double>> waiting;  // arrival time, when they give up
  double now = 0;
  long waited = 0, abandoned = 0, in_time = 0;
  auto free_agent = [&](double at) {
    // The first waiting contact still there takes the agent free at `at`.
    while (!waiting.empty()) {
      auto [arrived, deadline] = waiting.front();
      waiting.pop_front();
      if (deadline < at) {
        ++abandoned;
        continue;
      }
      if (at - arrived <= target) ++in_time;
      busy_until.push(at + service(rng));
      return;
    }
  };
  for (int i = 0; i < arrivals; ++i) {
    now += next_arrival(rng);
    while (!busy_until.empty() && busy_until.top() <= now) {
      double at = busy_until.top();
      busy_until.pop();
      free_agent(at);
    }
    if (static_cast<int>(busy_until.size()) < agents) {
      ++in_time;
      busy_until.push(now + service(rng));
    } else {
      ++waited;
      waiting.emplace_back(now, now + give_up(rng));
    }
  }
  ErlangA out;
  out.wait_probability = static_cast<double>(waited) / arrivals;
  out.abandon_probability = static_cast<double>(abandoned) / arrivals;
  out.service_level = static_cast<double>(in_time) / arrivals;
  return out;
}

TEST(ErlangATest, MatchesASimulationOfImpatientCallers) {
  // 9 Erlangs on 8 agents: hopeless for Erlang C, settled by callers giving up after ~1 min.
  for (auto [agents, patience] : {std::pair{8, 60.0}, std::pair{10, 120.0}, std::pair{12, 300.0}}) {
    ErlangA exact = ErlangAQueue(agents, 1.0 / 20, 180, patience, 20);
    ErlangA simulated = Simulate(agents, 1.0 / 20, 180, patience, 20, 400000);
    EXPECT_NEAR(exact.wait_probability, simulated.wait_probability, 0.01) << agents;
    EXPECT_NEAR(exact.abandon_probability, simulated.abandon_probability, 0.01) << agents;
    EXPECT_NEAR(exact.service_level, simulated.service_level, 0.01) << agents;
  }
}

TEST(ErlangATest, PatientCallersGiveErlangC) {
  double load = OfferedLoad(100.0 / 1800, 180);
  ErlangA a = ErlangAQueue(14, 100.0 / 1800, 180, 1e7, 20);
  EXPECT_NEAR(a.wait_probability, ProbabilityOfWaiting(14, load), 1e-3);
  EXPECT_NEAR(a.service_level, ServiceLevel(14, load, 180, 20), 1e-3);
  EXPECT_LT(a.abandon_probability, 1e-4);
  // Impatience makes the same staff look better on waits, at the price of abandons.
  ErlangA impatient = ErlangAQueue(14, 100.0 / 1800, 180, 60, 20);
  EXPECT_GT(impatient.service_level, a.service_level);
  EXPECT_GT(impatient.abandon_probability, 0.005);
  // So where callers give up, fewer agents reach 80/20 than Erlang C says, never more.
  int with_abandons = AgentsNeededWithAbandonment(100.0 / 1800, 180, 60, 0.8, 20);
  EXPECT_LE(with_abandons, 14);
  EXPECT_GE(ErlangAQueue(with_abandons, 100.0 / 1800, 180, 60, 20).service_level, 0.8);
  EXPECT_LT(ErlangAQueue(with_abandons - 1, 100.0 / 1800, 180, 60, 20).service_level, 0.8);
  EXPECT_EQ(AgentsNeededWithAbandonment(100.0 / 1800, 180, 1e7, 0.8, 20), 14);
}

}  // namespace
}  // namespace caredesk::core
