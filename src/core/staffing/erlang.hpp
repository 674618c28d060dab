// Staffing math for the advisor: how many agents a queue needs to answer a share of contacts
// within a target time, with Erlang C (M/M/N: nobody gives up), and the headcount to schedule
// once breaks and meetings (shrinkage) are counted. Pure; durations in seconds.
#pragma once

#include <optional>

namespace caredesk::core {

// Offered load in Erlangs: contacts per second times the mean handle time in seconds.
// Chat agents serve several sessions at once; `concurrency` (>= 1) divides the load, the
// common approximation (an agent with 3 chats is a third as busy per chat).
double OfferedLoad(double contacts_per_second, double handle_seconds, double concurrency = 1);

// Erlang C: the probability that a contact waits at all, with `agents` agents and `load`
// Erlangs. 1 when agents <= load (the queue grows without end).
double ProbabilityOfWaiting(int agents, double load);

// The share answered within `target_seconds`: 1 - P(wait) * e^(-(N - A) t / AHT). 0 when
// agents <= load.
double ServiceLevel(int agents, double load, double handle_seconds, double target_seconds);

// Average speed of answer, over all contacts: P(wait) * AHT / (N - A). nullopt when
// agents <= load (unbounded).
std::optional<double> AverageSpeedOfAnswer(int agents, double load, double handle_seconds);

// Erlang A (M/M/N+M): callers who wait give up after an exponential patience of mean
// `patience_seconds`, so waiting and abandoning trade off, and a queue with as many agents as
// Erlangs or fewer still settles (Garnett, Mandelbaum and Reiman 2002). Computed exactly from
// the birth-death chain, truncated where the tail is below 1e-12; callers so patient that
// the chain would pass 200,000 states are reported as never answered in time. With infinite
// patience use Erlang C.
struct ErlangA {
  double wait_probability = 0;     // P(a contact waits at all)
  double abandon_probability = 0;  // P(a contact gives up before an answer)
  double service_level = 0;        // P(answered within the target), abandons included
  double mean_queue = 0;           // contacts waiting, on average
};
// `contacts_per_second` > 0, `handle_seconds` > 0, `patience_seconds` > 0, agents >= 1.
ErlangA ErlangAQueue(int agents, double contacts_per_second, double handle_seconds,
                     double patience_seconds, double target_seconds);
// The fewest agents whose Erlang A service level meets the target (used where abandonment is
// measured: Erlang C overstates the need when callers give up).
int AgentsNeededWithAbandonment(double contacts_per_second, double handle_seconds,
                                double patience_seconds, double service_level,
                                double target_seconds);

struct StaffingNeed {
  int agents = 0;               // on the queue at once, to meet the target
  int scheduled = 0;            // agents / (1 - shrinkage), rounded up
  double service_level = 0;     // what `agents` achieve
  double asa_seconds = 0;       // average speed of answer with `agents`
  double occupancy = 0;         // load / agents
  bool occupancy_high = false;  // above 85%: agents will burn out; add one
};

struct StaffingTarget {
  double service_level = 0.8;   // share answered within...
  double target_seconds = 20;   // ...this many seconds
  double shrinkage = 0.3;       // share of paid time not on the queue (breaks, meetings, training)
  double max_occupancy = 0.85;  // above this the need is flagged
};

// The fewest agents meeting `target` for `load` Erlangs of contacts with `handle_seconds` mean
// handle time. No contacts: zero agents. Inputs must be finite and non-negative, handle
// time positive, shrinkage in [0, 1).
StaffingNeed AgentsNeeded(double load, double handle_seconds, const StaffingTarget& target);

}  // namespace caredesk::core
