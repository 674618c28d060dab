#include "core/sla/policy.hpp"

namespace caredesk::core {

Result<void> ValidateTargets(const SlaTargets& t) {
  constexpr Millis kMax = std::chrono::hours(24 * 365);
  auto check = [&](Millis v, const char* field) -> Result<void> {
    if (v <= Millis::zero() || v > kMax) {
      return Invalid("target must be between 1 ms and 365 days", field);
    }
    return {};
  };
  CD_TRY(check(t.first_response, "first_response_minutes"));
  CD_TRY(check(t.next_response, "next_response_minutes"));
  CD_TRY(check(t.resolution, "resolution_minutes"));
  if (!(t.at_risk_fraction > 0.0 && t.at_risk_fraction < 1.0)) {
    return Invalid("at_risk_fraction must lie strictly between 0 and 1", "at_risk_fraction");
  }
  return {};
}

SlaPolicy SelectPolicy(const std::vector<SlaPolicy>& policies, std::string_view queue,
                       Channel channel, Priority priority) {
  const SlaPolicy* best = nullptr;
  int best_score = -1;
  for (const SlaPolicy& p : policies) {
    if (p.queue && *p.queue != queue) continue;
    if (p.channel && *p.channel != channel) continue;
    if (p.priority && *p.priority != priority) continue;
    int score = (p.queue ? 4 : 0) + (p.priority ? 2 : 0) + (p.channel ? 1 : 0);
    if (score > best_score || (score == best_score && p.id < best->id)) {
      best = &p;
      best_score = score;
    }
  }
  return best ? *best : SlaPolicy{};
}

}  // namespace caredesk::core
