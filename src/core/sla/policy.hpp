// Response-time targets (SLA policies) and how one is chosen for a conversation: the most
// specific policy whose queue, channel and priority conditions all match wins; ties go to
// the lowest id; with no match the tenant's default targets apply. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "core/inbox/types.hpp"

namespace caredesk::core {

struct SlaTargets {
  // All counted in business time. Defaults: first response 30 min (the default),
  // next response 60 min, resolution 24 business hours (three 8-hour days).
  Millis first_response = std::chrono::minutes(30);
  Millis next_response = std::chrono::minutes(60);
  Millis resolution = std::chrono::hours(24);
  double at_risk_fraction = 0.8;  // "at risk" is recorded when 80% of a target is used

  friend bool operator==(const SlaTargets&, const SlaTargets&) = default;
};

struct SlaPolicy {
  std::int64_t id = 0;  // 0: the built-in default
  std::string name = "default";
  std::optional<std::string> queue;  // unset: any queue
  std::optional<Channel> channel;    // unset: any channel
  std::optional<Priority> priority;  // unset: any priority
  SlaTargets targets;
};

// Valid targets are positive and at most 365 days; the fraction lies in (0, 1).
Result<void> ValidateTargets(const SlaTargets& t);

SlaPolicy SelectPolicy(const std::vector<SlaPolicy>& policies, std::string_view queue,
                       Channel channel, Priority priority);

}  // namespace caredesk::core
