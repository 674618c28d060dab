#include "core/routing/routing.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

Timestamp At(int seconds) { return Timestamp{std::chrono::seconds(1'800'000'000 + seconds)}; }

AgentLoad Agent(std::int64_t id, int chats, int idle_since, int max_chats = 3) {
  AgentLoad a;
  a.user = UserId{id};
  a.status = AgentStatus::kAvailable;
  a.chats = chats;
  a.max_chats = max_chats;
  a.idle_since = At(idle_since);
  return a;
}

ChatNeed Need(std::string queue = "front-desk", std::string language = "en") {
  return ChatNeed{std::move(queue), std::move(language), {}};
}

TEST(RoutingTest, StatusNamesRoundTrip) {
  for (auto s : {AgentStatus::kAvailable, AgentStatus::kBusy, AgentStatus::kOnBreak,
                 AgentStatus::kOffline}) {
    EXPECT_EQ(ParseAgentStatus(Name(s)), s);
  }
  EXPECT_EQ(ParseAgentStatus("away"), std::nullopt);
  EXPECT_EQ(ParseAgentStatus("Available"), std::nullopt);
}

TEST(RoutingTest, LeastLoadedAgentGetsTheChat) {
  std::vector<AgentLoad> agents{Agent(1, 2, 0), Agent(2, 1, 50), Agent(3, 2, 10)};
  EXPECT_EQ(PickAgent(agents, Need()), UserId{2});
}

TEST(RoutingTest, TiesGoToTheAgentIdleLongest) {
  std::vector<AgentLoad> agents{Agent(1, 1, 30), Agent(2, 1, 10), Agent(3, 1, 20)};
  EXPECT_EQ(PickAgent(agents, Need()), UserId{2});
}

TEST(RoutingTest, OnlyAvailableAgentsWithRoomTakeChats) {
  std::vector<AgentLoad> agents{Agent(1, 0, 0), Agent(2, 0, 0), Agent(3, 0, 0), Agent(4, 3, 0)};
  agents[0].status = AgentStatus::kBusy;
  agents[1].status = AgentStatus::kOnBreak;
  agents[2].status = AgentStatus::kOffline;
  EXPECT_EQ(PickAgent(agents, Need()), std::nullopt);  // agent 4 is full (3 of 3)
  agents[3].max_chats = 4;
  EXPECT_EQ(PickAgent(agents, Need()), UserId{4});
}

TEST(RoutingTest, SkillsMustMatchLanguageAndQueue) {
  std::vector<AgentLoad> agents{Agent(1, 0, 0), Agent(2, 2, 0), Agent(3, 1, 0)};
  agents[0].languages = {"en"};
  agents[1].languages = {"en", "es"};
  agents[2].languages = {"es"};
  agents[2].queues = {"billing"};
  EXPECT_EQ(PickAgent(agents, Need("front-desk", "es")), UserId{2});
  EXPECT_EQ(PickAgent(agents, Need("billing", "es")), UserId{3});
  EXPECT_EQ(PickAgent(agents, Need("billing", "fr")), std::nullopt);
  // An agent who names no languages takes any; a chat that names none goes to anyone.
  agents[0].languages.clear();
  EXPECT_EQ(PickAgent(agents, Need("front-desk", "fr")), UserId{1});
  EXPECT_EQ(PickAgent(agents, Need("front-desk", "")), UserId{1});
}

TEST(RoutingTest, AgentsWhoPassedTheChatOverAreNotOfferedItAgain) {
  std::vector<AgentLoad> agents{Agent(1, 0, 0), Agent(2, 2, 0)};
  ChatNeed need = Need();
  need.passed_over = {UserId{1}};
  EXPECT_EQ(PickAgent(agents, need), UserId{2});
  agents[1].chats = 3;  // agent 2 is full: the chat waits rather than bounce back to agent 1
  EXPECT_EQ(PickAgent(agents, need), std::nullopt);
}

TEST(RoutingTest, ExpectedWaitCountsChatsAheadOfTheFreeSlots) {
  Millis handle = std::chrono::minutes(6);
  EXPECT_EQ(ExpectedWait(0, 1, 6, handle), Millis{0});
  EXPECT_EQ(ExpectedWait(1, 1, 6, handle), std::chrono::minutes(1));
  EXPECT_EQ(ExpectedWait(5, 0, 6, handle), std::chrono::minutes(6));
  EXPECT_EQ(ExpectedWait(0, 0, 0, handle), Millis::max());
}

TEST(RoutingTest, AvailabilityIsHonest) {
  Millis handle = std::chrono::minutes(6), max_wait = std::chrono::minutes(5);
  std::vector<AgentLoad> agents{Agent(1, 3, 0), Agent(2, 1, 0)};
  agents[1].status = AgentStatus::kOnBreak;
  ChatAvailability a = Availability(agents, Need(), true, 0, handle, max_wait);
  EXPECT_EQ(a.agents_available, 1);
  EXPECT_EQ(a.free_slots, 0);
  EXPECT_EQ(a.expected_wait, std::chrono::minutes(2));  // 6 minutes over 3 chats in progress
  EXPECT_TRUE(a.live);
  // Ten chats already waiting: 22 minutes is past the threshold, so not live.
  a = Availability(agents, Need(), true, 10, handle, max_wait);
  EXPECT_EQ(a.expected_wait, std::chrono::minutes(22));
  EXPECT_FALSE(a.live);
  // Outside business hours the answer is no, whoever is signed in.
  EXPECT_FALSE(Availability(agents, Need(), false, 0, handle, max_wait).live);
  // Nobody available.
  agents[0].status = AgentStatus::kBusy;
  a = Availability(agents, Need(), true, 0, handle, max_wait);
  EXPECT_EQ(a.agents_available, 0);
  EXPECT_FALSE(a.live);
}

}  // namespace
}  // namespace caredesk::core
