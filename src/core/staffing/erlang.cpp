#include "core/staffing/erlang.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

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

namespace {
constexpr std::size_t kLongestChain = 200000;  // states of the birth-death chain, at most
// The searches for "fewest agents" stop this far above the load: a target no team meets (100%)
// gets this many, rather than a search without end.
constexpr int kMostExtraAgents = 1000;
}  // namespace

ErlangA ErlangAQueue(int agents, double contacts_per_second, double handle_seconds,
                     double patience_seconds, double target_seconds) {
  const double lambda = contacts_per_second, mu = 1 / handle_seconds, theta = 1 / patience_seconds;
  const double served_rate = agents * mu;  // while all agents are busy
  // The stationary distribution, unnormalized: terms shrink once the queue outgrows
  // lambda / theta, and the chain is cut where they are negligible.
  std::vector<double> pi{1.0};
  double total = 1.0, peak = 1.0;
  for (int k = 1;; ++k) {
    double death = std::min(k, agents) * mu + std::max(k - agents, 0) * theta;
    double next = pi.back() * lambda / death;
    pi.push_back(next);
    total += next;
    peak = std::max(peak, next);
    // Past the agents each term is the one before times lambda / (N mu + (k-N) theta), which
    // only falls: once the terms fall and are negligible, so is everything after.
    if (k > agents && next < pi[pi.size() - 2] && next < 1e-12 * peak) break;
    if (pi.size() > kLongestChain) {
      // Callers so patient that the queue would run to hundreds of thousands: nobody is
      // answered in time; the fluid limit gives the share that gives up.
      ErlangA hopeless;
      hopeless.wait_probability = 1;
      hopeless.abandon_probability = std::max(0.0, 1 - served_rate / lambda);
      hopeless.mean_queue = lambda * patience_seconds;
      return hopeless;
    }
  }
  for (double& p : pi) p /= total;
  const int top = static_cast<int>(pi.size()) - 1;
  const int longest = std::max(top - agents, 0);  // the most contacts ahead of an arrival
  // P(answered within t | q ahead): the arrival moves up at rate N mu + i theta with i ahead,
  // and gives up at rate theta, so it is answered with probability N mu / (N mu + (q+1) theta),
  // after a sum of exponential stages of rates c_i = N mu + (i+1) theta (i = q .. 0). The
  // stages' CDF is computed for every q at once by uniformization.
  const double uniform = served_rate + (longest + 1) * theta;
  std::vector<double> absorbed(static_cast<std::size_t>(longest) + 1, 0.0);
  std::vector<double> within(static_cast<std::size_t>(longest) + 1, 0.0);
  const double mean_steps = uniform * target_seconds;
  const int steps = static_cast<int>(mean_steps + 12 * std::sqrt(mean_steps) + 30);
  for (int n = 0; n <= steps; ++n) {
    // Poisson weights in log space, so a long target or a large pool does not underflow.
    const double weight =
        mean_steps > 0 ? std::exp(-mean_steps + n * std::log(mean_steps) - std::lgamma(n + 1.0))
                       : (n == 0 ? 1.0 : 0.0);
    if (n > 0) {
      // One uniformized step: from stage i the arrival moves to i-1 (or is answered, from 0).
      for (int i = longest; i >= 0; --i) {
        double move = (served_rate + (i + 1) * theta) / uniform;
        double below = i == 0 ? 1.0 : absorbed[static_cast<std::size_t>(i) - 1];
        absorbed[static_cast<std::size_t>(i)] =
            move * below + (1 - move) * absorbed[static_cast<std::size_t>(i)];
      }
    }
    for (int i = 0; i <= longest; ++i) {
      within[static_cast<std::size_t>(i)] += weight * absorbed[static_cast<std::size_t>(i)];
    }
  }
  ErlangA out;
  double answered_in_time = 0;
  for (int k = 0; k <= top; ++k) {
    double p = pi[static_cast<std::size_t>(k)];
    if (k < agents) {
      answered_in_time += p;
      continue;
    }
    int q = k - agents;
    out.wait_probability += p;
    out.mean_queue += q * p;
    double answered = served_rate / (served_rate + (q + 1) * theta);
    answered_in_time += p * answered * within[static_cast<std::size_t>(q)];
  }
  out.abandon_probability = theta * out.mean_queue / lambda;
  out.service_level = answered_in_time;
  return out;
}

int AgentsNeededWithAbandonment(double contacts_per_second, double handle_seconds,
                                double patience_seconds, double service_level,
                                double target_seconds) {
  if (contacts_per_second <= 0) return 0;
  // A target of 100% is met by no finite team: the search stops where more agents no longer
  // help (as many agents as contacts could ever be in the system at once, and then some).
  const int most = static_cast<int>(contacts_per_second * handle_seconds) + kMostExtraAgents;
  int n = 1;
  while (n < most &&
         ErlangAQueue(n, contacts_per_second, handle_seconds, patience_seconds, target_seconds)
                 .service_level < service_level) {
    ++n;
  }
  return n;
}

StaffingNeed AgentsNeeded(double load, double handle_seconds, const StaffingTarget& target) {
  StaffingNeed need;
  if (load <= 0) {
    need.service_level = 1;
    return need;
  }
  int n = static_cast<int>(std::floor(load)) + 1;
  const int most = static_cast<int>(load) + kMostExtraAgents;
  while (n < most &&
         ServiceLevel(n, load, handle_seconds, target.target_seconds) < target.service_level) {
    ++n;
  }
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
