// The practice manager's figures, from the event log: each conversation's events folded into one
// fact, each call into another, facts summed into tallies per cell (local day, hour, channel,
// queue, agent, category), and tallies turned into named metrics with their definitions. Tallies
// only add and subtract, so a store keeps them per cell and updates them as events arrive; any
// date range and cut is then a sum over cells, equal to summing the facts themselves.
// Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/calls/call.hpp"
#include "core/inbox/conversation.hpp"
#include "core/tenancy/calendar.hpp"

namespace caredesk::core {

// Durations in whole seconds counted in buckets: 1 s wide under ten minutes, 10 s under an hour,
// 1 min under a day, 10 min under 30 days, then one last bucket. A percentile is reported as
// the largest whole second of the bucket holding it: exact under ten minutes, never under the
// true value, and at most one bucket width over it.
class DurationHistogram {
 public:
  static constexpr int kBuckets = 600 + 300 + 1380 + 4176 + 1;
  static int BucketOf(std::int64_t seconds);
  static std::int64_t ReportedValue(int bucket);  // the largest second in the bucket

  void Add(std::int64_t seconds, std::int64_t times = 1);
  void AddToBucket(int bucket, std::int64_t times);  // 0 <= bucket < kBuckets
  void Merge(const DurationHistogram& other, std::int64_t sign = 1);
  std::int64_t count() const { return count_; }
  // Nearest rank: the smallest reported value with at least ceil(p * count) values at or under
  // it. nullopt when empty. 0 < p <= 1.
  std::optional<std::int64_t> Percentile(double p) const;
  // How many values are at or under `seconds` (exact when `seconds` is under a minute or a
  // bucket's largest second).
  std::int64_t AtMost(std::int64_t seconds) const;
  // Sparse text "bucket:count,..." for storage, and back (kInvalid when malformed).
  std::string Encode() const;
  static Result<DurationHistogram> Decode(std::string_view text);
  friend bool operator==(const DurationHistogram&, const DurationHistogram&) = default;

 private:
  std::map<int, std::int64_t> counts_;  // bucket -> values; no zero entries
  std::int64_t count_ = 0;
};

// Where a fact is counted: the local day and hour (in the practice's time zone) it arrived, and
// its cuts. `agent` is a staff user's id: who first answered a conversation ("" if nobody yet),
// and who took a call when the phone system's member name is one of theirs (else that name).
// `location` is the location's id ("" when not said); `policy` the id of the SLA policy the
// conversation is held to ("0": the built-in default; "" for calls).
struct Cell {
  std::int32_t day = 0;   // days since 1970-01-01, local
  std::int32_t hour = 0;  // 0..23 local
  std::string channel, queue, agent, category, location, policy;
  int weekday() const;  // 0 Sunday .. 6 Saturday
  friend auto operator<=>(const Cell&, const Cell&) = default;
};

// One conversation as the figures see it, folded from its events.
struct ConversationFact {
  ConversationId id;
  PatientId patient;
  Timestamp created_at{};
  Cell cell;
  bool staff_initiated = false;                        // outreach: no response times are measured
  std::optional<std::int64_t> first_response_seconds;  // the first human reply
  bool first_response_breached = false;                // the SLA said so
  std::vector<std::int64_t> next_response_seconds;     // later waits for a human reply
  std::optional<Timestamp> resolved_at;                // the first time it was resolved
  int reopens = 0;
  // The patient contacted the practice again (a conversation they began, or a call) within 7
  // days after this one was resolved: set by the rollup, which sees across conversations (see
  // IsRecontact).
  bool recontacted = false;
  // Live chat: started while someone could answer (the denominator), answered by an agent,
  // left by the patient unanswered.
  bool live_chat = false, chat_answered = false, chat_abandoned = false;
  // The patient's latest survey answers about it: satisfaction 1 to 5, recommending 0 to 10.
  std::optional<int> csat, nps;
  friend bool operator==(const ConversationFact&, const ConversationFact&) = default;
};

// Folds a conversation's events (in order) into its fact; `calendar` gives the local day and
// hour. A conversation without its conversation_created event is counted from its first event.
ConversationFact FoldConversation(ConversationId id, const std::vector<Event>& events,
                                  const BusinessCalendar& calendar);

// Whether `later` (a conversation the patient began, or their call as a fact with created_at and
// patient set) is a recontact after `earlier`: it began within 7 days after `earlier` was first
// resolved. Any subject counts as the same matter: a category is mostly set after the first
// message, and a patient who writes or calls again within a week most often still needs help.
bool IsRecontact(const ConversationFact& earlier, const ConversationFact& later);

struct CallFact {
  Cell cell;
  Call call;
  friend bool operator==(const CallFact&, const CallFact&) = default;
};
// The staff member each phone system member name belongs to (store::User::phone_agents).
using PhoneAgentStaff = std::map<std::string, UserId, std::less<>>;
CallFact FactOfCall(const Call& call, const BusinessCalendar& calendar,
                    const PhoneAgentStaff& staff = {});

// The sums a cell holds. Adding a fact and subtracting it again leaves a tally as it was.
struct Tally {
  std::int64_t conversations = 0;  // begun by a patient
  std::int64_t outreach = 0;       // begun by staff
  DurationHistogram first_response;
  std::int64_t first_response_sum = 0;
  std::int64_t first_response_decided = 0;  // answered, or breached before an answer
  std::int64_t first_response_met = 0;      // answered without a breach
  DurationHistogram next_response;
  std::int64_t next_response_sum = 0;
  DurationHistogram resolution;
  std::int64_t resolution_sum = 0;
  std::int64_t reopened = 0;        // resolved ones reopened at least once
  std::int64_t resolved_first = 0;  // resolved, never reopened, no recontact
  std::int64_t live_chats_decided = 0, chats_answered = 0;
  std::int64_t calls_offered = 0, calls_answered = 0, calls_abandoned = 0,
               calls_short_abandoned = 0, calls_timed_out = 0;
  DurationHistogram answer_wait;  // answered calls' waits
  std::int64_t answer_wait_sum = 0;
  std::int64_t handle_sum = 0;                // answered calls: talk + hold + after-call work
  std::array<std::int64_t, 8> by_category{};  // conversations per Category
  std::int64_t csat_answers = 0, csat_satisfied = 0;                    // satisfied: 4 or 5 of 5
  std::int64_t nps_answers = 0, nps_promoters = 0, nps_detractors = 0;  // 9-10; 0-6

  void Add(const ConversationFact& f, std::int64_t sign = 1);
  void Add(const CallFact& f, const PhoneRules& rules, std::int64_t sign = 1);
  void Merge(const Tally& other, std::int64_t sign = 1);
  bool empty() const;
  friend bool operator==(const Tally&, const Tally&) = default;
};

// Tallies are kept at several grains, so that every query the console can ask sums a row per
// day (or per day and value) rather than every fine cell: kDay (all cuts merged), kHour (day and
// hour), one per cut (day and that cut), one per cut with the hour (day, hour and that cut: the
// console's cut menu with its hour menu), and kFine (every cut).
enum class Grain {
  kDay,
  kHour,
  kChannel,
  kQueue,
  kAgent,
  kCategory,
  kLocation,
  kPolicy,
  kChannelHour,
  kQueueHour,
  kAgentHour,
  kCategoryHour,
  kLocationHour,
  kPolicyHour,
  kFine
};
inline constexpr Grain kGrains[] = {Grain::kDay,          Grain::kHour,       Grain::kChannel,
                                    Grain::kQueue,        Grain::kAgent,      Grain::kCategory,
                                    Grain::kLocation,     Grain::kPolicy,     Grain::kChannelHour,
                                    Grain::kQueueHour,    Grain::kAgentHour,  Grain::kCategoryHour,
                                    Grain::kLocationHour, Grain::kPolicyHour, Grain::kFine};
std::string_view Name(Grain g);
// The grain of one cut (kChannel .. kPolicy), or of it and the hour (kChannelHour ..).
Grain WithHour(Grain cut);
// `cell` with what the grain merges blanked: "" for the cuts, -1 for the hour.
Cell Project(Grain g, const Cell& cell);

// Storage form of a tally (numbers and sparse histograms); Decode gives kInvalid when malformed.
std::string EncodeTally(const Tally& t);
Result<Tally> DecodeTally(std::string_view text);

struct KpiSettings;
struct Metric;

// Sums stored tallies (EncodeTally's form) quickly: the histograms are counted in flat arrays
// while summing, not in maps. For reading a period's cells; equal to decoding and merging each.
class TallySum {
 public:
  // kInvalid when `text` is not a stored tally; then nothing of it was added.
  Result<void> Add(std::string_view text);
  Tally Total() const;
  // Empty again, keeping the arrays: summing many small groups (a day at a time) in one.
  void Reset();

 private:
  friend std::map<std::string, Metric, std::less<>> Summarize(const TallySum&, std::int64_t,
                                                              const KpiSettings&);
  // One histogram's non-zero buckets in bucket order, as (bucket, values).
  std::vector<std::pair<int, std::int64_t>> Buckets(std::size_t histogram) const;

  Tally numbers_;                                     // everything but the histograms
  std::array<std::vector<std::int64_t>, 4> buckets_;  // kBuckets long once used
  // The buckets ever non-zero since the last Reset, once each: Total and Reset visit only
  // these, not all kBuckets of each histogram.
  std::array<std::vector<int>, 4> touched_;
  std::array<std::vector<bool>, 4> seen_;
  // Add's scratch: a text's histogram entries, read whole before any is added.
  std::array<std::vector<std::pair<int, std::int64_t>>, 4> pending_;
};

// Whether the contact whose own tally is `t` is among those `metric` counts (its drill-down).
// nullopt for a name that is not a metric, or one with no contacts behind it (backlog_open,
// which is now rather than the period's).
std::optional<bool> BehindMetric(std::string_view metric, const Tally& t);

// What one fact adds to its cell.
Tally TallyOf(const ConversationFact& f);
Tally TallyOf(const CallFact& f, const PhoneRules& rules);

struct KpiSettings {
  PhoneRules phone;
  int service_level_seconds = 20;  // phone: answered within this many seconds; 1..600
  int backlog_healthy = 50;        // open requests at or under this: healthy
  int backlog_add_staff = 100;     // above this: add a team member
};

struct Metric {
  std::optional<double> value;  // nullopt: nothing to measure
  std::int64_t count = 0;       // how many contacts the value is over
  std::string_view definition;
};

// Every metric by its stable snake_case name (see kMetricNames). `backlog_open` is the count of
// conversations open or pending now, which the caller knows (it is not a sum over the period).
std::map<std::string, Metric, std::less<>> Summarize(const Tally& t, std::int64_t backlog_open,
                                                     const KpiSettings& settings);
// The same as Summarize(sum.Total(), ...), read straight from the sum's arrays: a year's series
// summarizes every day, and building each day's histograms as maps first was most of its time.
std::map<std::string, Metric, std::less<>> Summarize(const TallySum& sum, std::int64_t backlog_open,
                                                     const KpiSettings& settings);
extern const std::vector<std::string_view> kMetricNames;

// The plain way, for checking: the same metrics straight from the facts, with no cells or
// histograms in between (percentiles by nearest rank over the exact values, then reported as
// DurationHistogram reports them).
std::map<std::string, Metric, std::less<>> SummarizeFacts(
    const std::vector<ConversationFact>& conversations, const std::vector<CallFact>& calls,
    std::int64_t backlog_open, const KpiSettings& settings);

}  // namespace caredesk::core
