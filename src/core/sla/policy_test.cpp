#include "core/sla/policy.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

using std::chrono::minutes;

SlaPolicy Make(std::int64_t id, std::optional<std::string> queue, std::optional<Channel> ch,
               std::optional<Priority> pr, int first_minutes) {
  SlaPolicy p;
  p.id = id;
  p.queue = std::move(queue);
  p.channel = ch;
  p.priority = pr;
  p.targets.first_response = minutes(first_minutes);
  return p;
}

TEST(SelectPolicy, MostSpecificMatchWins) {
  std::vector<SlaPolicy> policies{
      Make(1, std::nullopt, std::nullopt, std::nullopt, 45),
      Make(2, std::nullopt, Channel::kChat, std::nullopt, 2),
      Make(3, "billing", std::nullopt, std::nullopt, 120),
      Make(4, "billing", std::nullopt, Priority::kUrgent, 15),
  };
  EXPECT_EQ(SelectPolicy(policies, "front-desk", Channel::kEmail, Priority::kNormal).id, 1);
  EXPECT_EQ(SelectPolicy(policies, "front-desk", Channel::kChat, Priority::kNormal).id, 2);
  EXPECT_EQ(SelectPolicy(policies, "billing", Channel::kChat, Priority::kNormal).id, 3);
  EXPECT_EQ(SelectPolicy(policies, "billing", Channel::kChat, Priority::kUrgent).id, 4);
}

TEST(SelectPolicy, TiesGoToLowestIdAndNoMatchIsDefault) {
  std::vector<SlaPolicy> policies{Make(7, std::nullopt, Channel::kSms, std::nullopt, 10),
                                  Make(5, std::nullopt, Channel::kSms, std::nullopt, 20)};
  EXPECT_EQ(SelectPolicy(policies, "q", Channel::kSms, Priority::kLow).id, 5);
  SlaPolicy d = SelectPolicy(policies, "q", Channel::kEmail, Priority::kLow);
  EXPECT_EQ(d.id, 0);
  EXPECT_EQ(d.targets.first_response, minutes(30));
}

TEST(ValidateTargets, RejectsNonPositiveAndBadFraction) {
  SlaTargets t;
  EXPECT_TRUE(ValidateTargets(t));
  t.next_response = Millis{0};
  EXPECT_EQ(ValidateTargets(t).error().field, "next_response_minutes");
  t = SlaTargets{};
  t.at_risk_fraction = 1.0;
  EXPECT_EQ(ValidateTargets(t).error().field, "at_risk_fraction");
}

}  // namespace
}  // namespace caredesk::core
