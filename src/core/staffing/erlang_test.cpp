#include "core/staffing/erlang.hpp"

#include <gtest/gtest.h>

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
  // Three chats at once make a third of the load.
  EXPECT_DOUBLE_EQ(OfferedLoad(0.01, 360, 3), 1.2);
  EXPECT_DOUBLE_EQ(OfferedLoad(0.01, 360, 0), 3.6) << "concurrency below 1 counts as 1";
}

}  // namespace
}  // namespace caredesk::core
