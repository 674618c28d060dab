#include "core/staffing/erlang.hpp"

#include <cmath>

namespace caredesk::core {

double OfferedLoad(double contacts_per_second, double handle_seconds, double concurrency) {
  return contacts_per_second * handle_seconds / (concurrency < 1 ? 1 : concurrency);
}

double ProbabilityOfWaiting(int agents, double load) {
  if (load <= 0) return 0;
  if (agents <= load) return 1;
  // Erlang B by its stable recurrence B(k) = A B(k-1) / (k + A B(k-1)), then Erlang C from it:
  // no factorials or powers, so no overflow for hundreds of agents.
  double b = 1;
  for (int k = 1; k <= agents; ++k) b = load * b / (k + load * b);
  return agents * b / (agents - load * (1 - b));
}

double ServiceLevel(int agents, double load, double handle_seconds, double target_seconds) {
  if (load <= 0) return 1;
  if (agents <= load) return 0;
  return 1 - ProbabilityOfWaiting(agents, load) *
                 std::exp(-(agents - load) * target_seconds / handle_seconds);
}

std::optional<double> AverageSpeedOfAnswer(int agents, double load, double handle_seconds) {
  if (load <= 0) return 0.0;
  if (agents <= load) return std::nullopt;
  return ProbabilityOfWaiting(agents, load) * handle_seconds / (agents - load);
}

StaffingNeed AgentsNeeded(double load, double handle_seconds, const StaffingTarget& target) {
  StaffingNeed need;
  if (load <= 0) {
    need.service_level = 1;
    return need;
  }
  int n = static_cast<int>(std::floor(load)) + 1;
  while (ServiceLevel(n, load, handle_seconds, target.target_seconds) < target.service_level) ++n;
  need.agents = n;
  need.service_level = ServiceLevel(n, load, handle_seconds, target.target_seconds);
  need.asa_seconds = AverageSpeedOfAnswer(n, load, handle_seconds).value_or(0);
  need.occupancy = load / n;
  need.occupancy_high = need.occupancy > target.max_occupancy;
  // A tiny epsilon keeps 14 / 0.7 = 20 from rounding up to 21 on floating-point noise.
  need.scheduled = static_cast<int>(std::ceil(n / (1 - target.shrinkage) - 1e-9));
  return need;
}

}  // namespace caredesk::core
