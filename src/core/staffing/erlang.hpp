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
