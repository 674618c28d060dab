#include "core/analytics/kpi.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace caredesk::core {
namespace {

struct Tier {
  std::int64_t from;   // first second of the tier
  std::int64_t width;  // seconds per bucket
  int first_bucket;
};
// 1 s to ten minutes (so any service-level target up to 600 s is counted exactly), 10 s to an
// hour, 1 min to a day, 10 min to 30 days. Histograms are sparse: only buckets in use are kept.
constexpr Tier kTiers[] = {{0, 1, 0}, {600, 10, 600}, {3600, 60, 900}, {86400, 600, 2280}};
constexpr std::int64_t kOverflowFrom = std::int64_t{30} * 86400;
constexpr int kOverflowBucket = 2280 + 4176;
static_assert(kOverflowBucket + 1 == DurationHistogram::kBuckets);

std::int64_t Seconds(Timestamp from, Timestamp to) {
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

std::string_view DataOf(const Event& e, std::string_view key) {
  for (const auto& [k, v] : e.data) {
    if (k == key) return v;
  }
  return {};
}

// A location's cut value: its id, or "" for none (0 or not said).
std::string Location(std::string_view id) { return id == "0" ? std::string() : std::string(id); }

std::size_t CategoryIndex(std::string_view name) {
  auto c = ParseCategory(name);
  return static_cast<std::size_t>(c.value_or(Category::kUncategorized));
}

// ceil(count * percent / 100), at least 1.
std::int64_t Rank(std::int64_t count, int percent) {
  return std::max<std::int64_t>(1, (count * percent + 99) / 100);
}

constexpr int kCategories = 8;

}  // namespace

int DurationHistogram::BucketOf(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds >= kOverflowFrom) return kOverflowBucket;
  const Tier* tier = &kTiers[0];
  for (const Tier& t : kTiers) {
    if (seconds >= t.from) tier = &t;
  }
  return tier->first_bucket + static_cast<int>((seconds - tier->from) / tier->width);
}

std::int64_t DurationHistogram::ReportedValue(int bucket) {
  if (bucket >= kOverflowBucket) return kOverflowFrom;
  const Tier* tier = &kTiers[0];
  for (const Tier& t : kTiers) {
    if (bucket >= t.first_bucket) tier = &t;
  }
  return tier->from + (bucket - tier->first_bucket + 1) * tier->width - 1;
}

void DurationHistogram::Add(std::int64_t seconds, std::int64_t times) {
  int b = BucketOf(seconds);
  std::int64_t& n = counts_[b];
  n += times;
  if (n == 0) counts_.erase(b);
  count_ += times;
}

void DurationHistogram::AddToBucket(int bucket, std::int64_t times) {
  std::int64_t& n = counts_[bucket];
  n += times;
  if (n == 0) counts_.erase(bucket);
  count_ += times;
}

void DurationHistogram::Merge(const DurationHistogram& other, std::int64_t sign) {
  for (const auto& [b, n] : other.counts_) {
    std::int64_t& mine = counts_[b];
    mine += sign * n;
    if (mine == 0) counts_.erase(b);
  }
  count_ += sign * other.count_;
}

namespace {

// A histogram's percentile and count at or under a bound, over its (bucket, values) entries in
// bucket order: shared by DurationHistogram and TallySum's arrays.
template <class Buckets>
std::optional<std::int64_t> PercentileOf(const Buckets& buckets, std::int64_t count, double p) {
  if (count <= 0) return std::nullopt;
  std::int64_t rank = Rank(count, static_cast<int>(std::lround(p * 100)));
  std::int64_t seen = 0;
  for (const auto& [b, n] : buckets) {
    seen += n;
    if (seen >= rank) return DurationHistogram::ReportedValue(b);
  }
  return DurationHistogram::ReportedValue(std::prev(buckets.end())->first);
}

template <class Buckets>
std::int64_t AtMostOf(const Buckets& buckets, std::int64_t seconds) {
  std::int64_t n = 0;
  for (const auto& [b, c] : buckets) {
    if (DurationHistogram::ReportedValue(b) > seconds) break;
    n += c;
  }
  return n;
}

}  // namespace

std::optional<std::int64_t> DurationHistogram::Percentile(double p) const {
  return PercentileOf(counts_, count_, p);
}

std::int64_t DurationHistogram::AtMost(std::int64_t seconds) const {
  return AtMostOf(counts_, seconds);
}

std::string DurationHistogram::Encode() const {
  std::string out;
  for (const auto& [b, n] : counts_) {
    if (!out.empty()) out += ',';
    out += std::to_string(b) + ':' + std::to_string(n);
  }
  return out;
}

namespace {

// Calls `entry(bucket, count)` for each "bucket:count" of a stored histogram, in order; false at
// the first malformed one (entries before it were reported).
template <class Entry>
bool ParseHistogram(std::string_view text, Entry&& entry) {
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    auto colon = item.find(':');
    int b = -1;
    std::int64_t n = 0;
    if (colon == std::string_view::npos) return false;
    auto r1 = std::from_chars(item.data(), item.data() + colon, b);
    auto r2 = std::from_chars(item.data() + colon + 1, item.data() + item.size(), n);
    if (r1.ec != std::errc{} || r1.ptr != item.data() + colon || r2.ec != std::errc{} ||
        r2.ptr != item.data() + item.size() || b < 0 || b >= DurationHistogram::kBuckets ||
        n == 0) {
      return false;
    }
    entry(b, n);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

Result<DurationHistogram> DurationHistogram::Decode(std::string_view text) {
  DurationHistogram h;
  if (!ParseHistogram(text, [&](int b, std::int64_t n) { h.AddToBucket(b, n); })) {
    return Invalid("malformed histogram");
  }
  return h;
}

int Cell::weekday() const {
  // 1970-01-01 was a Thursday (4).
  return static_cast<int>(((day % 7) + 7 + 4) % 7);
}

ConversationFact FoldConversation(ConversationId id, const std::vector<Event>& events,
                                  const BusinessCalendar& calendar) {
  ConversationFact f;
  f.id = id;
  f.cell.category = std::string(Name(Category::kUncategorized));
  // A patient's message waits for a human reply since `awaiting_since` (a flag and a time rather
  // than an optional, which GCC 12 misreads as maybe uninitialized).
  bool awaiting = false;
  Timestamp awaiting_since{};
  bool started = false;
  for (const Event& e : events) {
    if (!started) {
      f.created_at = e.at;
      started = true;
    }
    if (e.patient_id) f.patient = e.patient_id;
    const std::string& type = e.type;
    if (type == "conversation_created") {
      f.created_at = e.at;
      f.cell.channel = std::string(DataOf(e, "channel"));
      f.cell.queue = std::string(DataOf(e, "queue"));
      f.cell.policy = std::string(DataOf(e, "sla_policy_id"));
      f.cell.location = Location(DataOf(e, "location_id"));
      f.staff_initiated = DataOf(e, "initiated_by") == "staff";
    } else if (type == "message_received") {
      if (!awaiting) {
        awaiting = true;
        awaiting_since = e.at;
      }
    } else if (type == "reply_sent") {
      if (!e.actor) continue;  // an automatic answer is not a response
      if (awaiting) {
        std::int64_t waited = Seconds(awaiting_since, e.at);
        if (!f.first_response_seconds && !f.staff_initiated) {
          f.first_response_seconds = waited;
          f.cell.agent = std::to_string(e.actor.value);
        } else {
          f.next_response_seconds.push_back(waited);
        }
      }
      awaiting = false;
    } else if (type == "routed") {
      if (auto q = DataOf(e, "to_queue"); !q.empty()) f.cell.queue = std::string(q);
      if (auto c = DataOf(e, "to_category"); !c.empty()) f.cell.category = std::string(c);
      if (auto l = DataOf(e, "to_location"); !l.empty()) f.cell.location = Location(l);
      if (auto p = DataOf(e, "sla_policy_id"); !p.empty()) f.cell.policy = std::string(p);
    } else if (type == "status_changed") {
      if (DataOf(e, "to") == "resolved") {
        if (!f.resolved_at) f.resolved_at = e.at;
        awaiting = false;  // nobody waits on a resolved conversation
      }
    } else if (type == "conversation_reopened") {
      ++f.reopens;
    } else if (type == "sla_breached") {
      if (DataOf(e, "clock") == "first_response" && !f.first_response_seconds) {
        f.first_response_breached = true;
      }
    } else if (type == "chat_started") {
      f.live_chat = DataOf(e, "live") == "true";
    } else if (type == "chat_accepted") {
      f.chat_answered = true;
    } else if (type == "chat_abandoned") {
      f.chat_abandoned = true;
    } else if (type == "survey_answered") {
      int score = -1;
      const std::string_view text = DataOf(e, "score");
      std::from_chars(text.data(), text.data() + text.size(), score);
      const std::string_view survey = DataOf(e, "survey");
      if (survey == "csat" && score >= 1 && score <= 5) f.csat = score;
      if (survey == "nps" && score >= 0 && score <= 10) f.nps = score;
    }
  }
  BusinessCalendar::LocalSlot slot = calendar.Local(f.created_at);
  f.cell.day = slot.day;
  f.cell.hour = slot.hour;
  return f;
}

bool IsRecontact(const ConversationFact& earlier, const ConversationFact& later) {
  if (!earlier.resolved_at || later.staff_initiated || earlier.patient != later.patient ||
      earlier.id == later.id) {
    return false;
  }
  return later.created_at >= *earlier.resolved_at &&
         later.created_at - *earlier.resolved_at <= kReopenWindow;
}

CallFact FactOfCall(const Call& call, const BusinessCalendar& calendar,
                    const PhoneAgentStaff& staff) {
  CallFact f;
  f.call = call;
  BusinessCalendar::LocalSlot slot = calendar.Local(call.entered_at);
  f.cell.day = slot.day;
  f.cell.hour = slot.hour;
  f.cell.channel = "phone";
  f.cell.queue = call.queue;
  auto person = staff.find(call.agent);
  f.cell.agent = person != staff.end() ? std::to_string(person->second.value) : call.agent;
  return f;
}

void Tally::Add(const ConversationFact& f, std::int64_t sign) {
  // Surveys count whoever began the conversation.
  if (f.csat) {
    csat_answers += sign;
    if (*f.csat >= 4) csat_satisfied += sign;
  }
  if (f.nps) {
    nps_answers += sign;
    if (*f.nps >= 9) nps_promoters += sign;
    if (*f.nps <= 6) nps_detractors += sign;
  }
  if (f.staff_initiated) {
    outreach += sign;
    return;
  }
  conversations += sign;
  by_category[CategoryIndex(f.cell.category)] += sign;
  if (f.first_response_seconds) {
    first_response.Add(*f.first_response_seconds, sign);
    first_response_sum += sign * *f.first_response_seconds;
  }
  if (f.first_response_seconds || f.first_response_breached) first_response_decided += sign;
  if (f.first_response_seconds && !f.first_response_breached) first_response_met += sign;
  for (std::int64_t s : f.next_response_seconds) {
    next_response.Add(s, sign);
    next_response_sum += sign * s;
  }
  if (f.resolved_at) {
    std::int64_t s = Seconds(f.created_at, *f.resolved_at);
    resolution.Add(s, sign);
    resolution_sum += sign * s;
    if (f.reopens > 0) reopened += sign;
    if (f.reopens == 0 && !f.recontacted) resolved_first += sign;
  }
  if (f.live_chat && (f.chat_answered || f.chat_abandoned)) {
    live_chats_decided += sign;
    if (f.chat_answered) chats_answered += sign;
  }
}

void Tally::Add(const CallFact& f, const PhoneRules& rules, std::int64_t sign) {
  const Call& c = f.call;
  switch (c.outcome) {
    case CallOutcome::kAnswered:
      calls_offered += sign;
      calls_answered += sign;
      answer_wait.Add(c.wait_seconds, sign);
      answer_wait_sum += sign * c.wait_seconds;
      handle_sum += sign * (c.talk_seconds + c.hold_seconds + c.wrap_seconds);
      break;
    case CallOutcome::kAbandoned:
      if (IsShortAbandon(c, rules)) {
        calls_short_abandoned += sign;
      } else {
        calls_offered += sign;
        calls_abandoned += sign;
      }
      break;
    case CallOutcome::kTimedOut:
    case CallOutcome::kNoAgents:
    case CallOutcome::kLeftByKey:
      calls_offered += sign;
      calls_timed_out += sign;
      break;
    case CallOutcome::kWaiting:
    case CallOutcome::kTalking:
      break;  // counted once it ends
  }
}

void Tally::Merge(const Tally& o, std::int64_t sign) {
  conversations += sign * o.conversations;
  outreach += sign * o.outreach;
  first_response.Merge(o.first_response, sign);
  first_response_sum += sign * o.first_response_sum;
  first_response_decided += sign * o.first_response_decided;
  first_response_met += sign * o.first_response_met;
  next_response.Merge(o.next_response, sign);
  next_response_sum += sign * o.next_response_sum;
  resolution.Merge(o.resolution, sign);
  resolution_sum += sign * o.resolution_sum;
  reopened += sign * o.reopened;
  resolved_first += sign * o.resolved_first;
  live_chats_decided += sign * o.live_chats_decided;
  chats_answered += sign * o.chats_answered;
  calls_offered += sign * o.calls_offered;
  calls_answered += sign * o.calls_answered;
  calls_abandoned += sign * o.calls_abandoned;
  calls_short_abandoned += sign * o.calls_short_abandoned;
  calls_timed_out += sign * o.calls_timed_out;
  answer_wait.Merge(o.answer_wait, sign);
  answer_wait_sum += sign * o.answer_wait_sum;
  handle_sum += sign * o.handle_sum;
  for (int i = 0; i < kCategories; ++i) by_category[i] += sign * o.by_category[i];
  csat_answers += sign * o.csat_answers;
  csat_satisfied += sign * o.csat_satisfied;
  nps_answers += sign * o.nps_answers;
  nps_promoters += sign * o.nps_promoters;
  nps_detractors += sign * o.nps_detractors;
}

bool Tally::empty() const { return *this == Tally{}; }

std::string_view Name(Grain g) {
  switch (g) {
    case Grain::kDay:
      return "day";
    case Grain::kHour:
      return "hour";
    case Grain::kChannel:
      return "channel";
    case Grain::kQueue:
      return "queue";
    case Grain::kAgent:
      return "agent";
    case Grain::kCategory:
      return "category";
    case Grain::kLocation:
      return "location";
    case Grain::kPolicy:
      return "policy";
    case Grain::kChannelHour:
      return "channel_hour";
    case Grain::kQueueHour:
      return "queue_hour";
    case Grain::kAgentHour:
      return "agent_hour";
    case Grain::kCategoryHour:
      return "category_hour";
    case Grain::kLocationHour:
      return "location_hour";
    case Grain::kPolicyHour:
      return "policy_hour";
    case Grain::kFine:
      return "fine";
  }
  return "fine";
}

namespace {

// The pairs of a cut's grain and its grain with the hour.
constexpr std::pair<Grain, Grain> kHourly[] = {
    {Grain::kChannel, Grain::kChannelHour},   {Grain::kQueue, Grain::kQueueHour},
    {Grain::kAgent, Grain::kAgentHour},       {Grain::kCategory, Grain::kCategoryHour},
    {Grain::kLocation, Grain::kLocationHour}, {Grain::kPolicy, Grain::kPolicyHour}};

}  // namespace

Grain WithHour(Grain cut) {
  for (const auto& [alone, hourly] : kHourly) {
    if (alone == cut) return hourly;
  }
  return cut;
}

Cell Project(Grain g, const Cell& cell) {
  if (g == Grain::kFine) return cell;
  Cell out;
  out.day = cell.day;
  out.hour = -1;
  Grain cut = g;
  for (const auto& [alone, hourly] : kHourly) {
    if (hourly == g) cut = alone;
  }
  if (g == Grain::kHour || cut != g) out.hour = cell.hour;
  if (cut == Grain::kChannel) out.channel = cell.channel;
  if (cut == Grain::kQueue) out.queue = cell.queue;
  if (cut == Grain::kAgent) out.agent = cell.agent;
  if (cut == Grain::kCategory) out.category = cell.category;
  if (cut == Grain::kLocation) out.location = cell.location;
  if (cut == Grain::kPolicy) out.policy = cell.policy;
  return out;
}

namespace {

// The tally's numbers in a fixed order, for storage.
template <class T, class F>
void EachNumber(T& t, F&& f) {
  for (auto* v : {&t.conversations,          &t.outreach,           &t.first_response_sum,
                  &t.first_response_decided, &t.first_response_met, &t.next_response_sum,
                  &t.resolution_sum,         &t.reopened,           &t.resolved_first,
                  &t.live_chats_decided,     &t.chats_answered,     &t.calls_offered,
                  &t.calls_answered,         &t.calls_abandoned,    &t.calls_short_abandoned,
                  &t.calls_timed_out,        &t.answer_wait_sum,    &t.handle_sum,
                  &t.csat_answers,           &t.csat_satisfied,     &t.nps_answers,
                  &t.nps_promoters,          &t.nps_detractors}) {
    f(*v);
  }
  for (auto& v : t.by_category) f(v);
}

// The four histograms of a stored tally, in their order there.
constexpr std::size_t kFirstResponse = 0, kNextResponse = 1, kResolution = 2, kAnswerWait = 3;

// Reads a stored tally (EncodeTally's form): its numbers into `numbers`, and each entry of its
// four histograms (first response, next response, resolution, answer wait) to
// `entry(histogram, bucket, count)`. False when malformed, having perhaps reported some entries:
// a caller that must not half-add one collects them first.
template <class Entry>
bool ParseTally(std::string_view text, Tally& numbers, Entry&& entry) {
  auto bar = text.find('|');
  if (bar == std::string_view::npos) return false;
  std::string_view rest = text.substr(0, bar);
  bool ok = true;
  EachNumber(numbers, [&](std::int64_t& v) {
    if (!ok) return;
    auto space = rest.find(' ');
    std::string_view item = rest.substr(0, space);
    auto r = std::from_chars(item.data(), item.data() + item.size(), v);
    ok = r.ec == std::errc{} && r.ptr == item.data() + item.size() && !item.empty();
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  });
  if (!ok || !rest.empty()) return false;
  std::string_view hist = text.substr(bar + 1);
  for (int h = 0; h < 4; ++h) {
    auto next = hist.find('|');
    if ((h < 3) == (next == std::string_view::npos)) return false;
    if (!ParseHistogram(hist.substr(0, next), [&](int b, std::int64_t n) { entry(h, b, n); })) {
      return false;
    }
    hist = next == std::string_view::npos ? std::string_view() : hist.substr(next + 1);
  }
  return true;
}

}  // namespace

std::string EncodeTally(const Tally& t) {
  std::string out;
  EachNumber(t, [&](const std::int64_t& v) {
    if (!out.empty()) out += ' ';
    out += std::to_string(v);
  });
  for (const DurationHistogram* h :
       {&t.first_response, &t.next_response, &t.resolution, &t.answer_wait}) {
    out += '|';
    out += h->Encode();
  }
  return out;
}

Result<Tally> DecodeTally(std::string_view text) {
  Tally t;
  DurationHistogram* out[] = {&t.first_response, &t.next_response, &t.resolution, &t.answer_wait};
  if (!ParseTally(text, t, [&](int h, int b, std::int64_t n) { out[h]->AddToBucket(b, n); })) {
    return Invalid("malformed tally");
  }
  return t;
}

Result<void> TallySum::Add(std::string_view text) {
  // Read whole first, so a malformed text adds nothing.
  Tally numbers;
  auto& entries = pending_;
  for (auto& e : entries) e.clear();
  if (!ParseTally(text, numbers, [&](int h, int b, std::int64_t n) {
        entries[static_cast<std::size_t>(h)].emplace_back(b, n);
      })) {
    return Invalid("malformed tally");
  }
  numbers_.Merge(numbers);
  for (std::size_t h = 0; h < 4; ++h) {
    if (entries[h].empty()) continue;
    auto& dense = buckets_[h];
    auto& seen = seen_[h];
    if (dense.empty()) {
      dense.assign(DurationHistogram::kBuckets, 0);
      seen.assign(DurationHistogram::kBuckets, false);
    }
    for (const auto& [b, n] : entries[h]) {
      const auto i = static_cast<std::size_t>(b);
      dense[i] += n;
      if (!seen[i]) {
        seen[i] = true;
        touched_[h].push_back(b);
      }
    }
  }
  return {};
}

Tally TallySum::Total() const {
  Tally t = numbers_;
  DurationHistogram* out[] = {&t.first_response, &t.next_response, &t.resolution, &t.answer_wait};
  for (std::size_t h = 0; h < 4; ++h) {
    for (int b : touched_[h]) {
      const std::int64_t n = buckets_[h][static_cast<std::size_t>(b)];
      if (n != 0) out[h]->AddToBucket(b, n);
    }
  }
  return t;
}

std::vector<std::pair<int, std::int64_t>> TallySum::Buckets(std::size_t histogram) const {
  std::vector<std::pair<int, std::int64_t>> out;
  out.reserve(touched_[histogram].size());
  for (int b : touched_[histogram]) {
    const std::int64_t n = buckets_[histogram][static_cast<std::size_t>(b)];
    if (n != 0) out.emplace_back(b, n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void TallySum::Reset() {
  numbers_ = Tally{};
  for (std::size_t h = 0; h < 4; ++h) {
    for (int b : touched_[h]) {
      buckets_[h][static_cast<std::size_t>(b)] = 0;
      seen_[h][static_cast<std::size_t>(b)] = false;
    }
    touched_[h].clear();
  }
}

std::optional<bool> BehindMetric(std::string_view m, const Tally& t) {
  auto starts = [&](std::string_view prefix) { return m.substr(0, prefix.size()) == prefix; };
  if (m == "conversations") return t.conversations > 0;
  if (starts("first_response_time_")) return t.first_response.count() > 0;
  if (m == "sla_first_response_attainment") return t.first_response_decided > 0;
  if (m == "next_response_time_mean_s") return t.next_response.count() > 0;
  if (starts("resolution_time_") || m == "reopen_rate" || m == "first_contact_resolution_rate") {
    return t.resolution.count() > 0;
  }
  if (m == "chat_answer_rate") return t.live_chats_decided > 0;
  if (m == "calls_offered" || m == "abandonment_rate" || m == "service_level") {
    return t.calls_offered > 0;
  }
  if (m == "calls_answered" || m == "average_speed_of_answer_s" || m == "average_handle_time_s") {
    return t.calls_answered > 0;
  }
  if (m == "calls_abandoned") return t.calls_abandoned > 0;
  if (m == "calls_short_abandoned") return t.calls_short_abandoned > 0;
  if (m == "calls_timed_out") return t.calls_timed_out > 0;
  if (m == "csat") return t.csat_answers > 0;
  if (m == "nps") return t.nps_answers > 0;
  if (starts("contacts_")) {
    auto c = ParseCategory(m.substr(9));
    if (!c) return std::nullopt;
    return t.by_category[static_cast<std::size_t>(*c)] > 0;
  }
  return std::nullopt;
}

Tally TallyOf(const ConversationFact& f) {
  Tally t;
  t.Add(f);
  return t;
}

Tally TallyOf(const CallFact& f, const PhoneRules& rules) {
  Tally t;
  t.Add(f, rules);
  return t;
}

// ---- Metrics and their definitions.

namespace {

constexpr std::string_view kDefConversations =
    "Conversations patients began in the period (by text, email, chat or the web; phone calls "
    "are counted apart). Conversations staff began are not counted in any response figure.";
constexpr std::string_view kDefFrMean =
    "First response time, mean: from the patient's first message to the first reply written by "
    "a person, in wall-clock seconds. Automatic answers do not count. Over the conversations "
    "begun in the period that have been answered.";
constexpr std::string_view kDefFrP50 =
    "First response time, median (nearest rank), as in the mean. Exact to the second under ten "
    "minutes; above that, rounded up to 10 s (to 1 h), 1 min (to a day) or 10 min.";
constexpr std::string_view kDefFrP90 =
    "First response time, 90th percentile (nearest rank): nine in ten answered conversations had "
    "their first reply within this time. Resolution as for the median.";
constexpr std::string_view kDefFrSla =
    "Share of conversations answered within their SLA policy's first-response target (business "
    "time): answered without a breach, over those answered or breached. Conversations still "
    "within their target are not counted yet.";
constexpr std::string_view kDefNrMean =
    "Next response time, mean: each later wait of a patient's message for a person's reply in "
    "the same conversation, in wall-clock seconds.";
constexpr std::string_view kDefResMean =
    "Resolution time, mean: from the patient's first message to the first time the conversation "
    "was resolved. Over conversations begun in the period and resolved since.";
constexpr std::string_view kDefResP50 =
    "Resolution time, median (nearest rank), as in the mean; the same rounding as first "
    "response.";
constexpr std::string_view kDefResP90 =
    "Resolution time, 90th percentile (nearest rank), as in the mean.";
constexpr std::string_view kDefReopen =
    "Reopen rate: resolved conversations that were reopened at least once (a new message "
    "within 7 days, or staff reopening), over the resolved conversations.";
constexpr std::string_view kDefFcr =
    "First-contact resolution: resolved conversations never reopened and not followed, within "
    "7 days of being resolved, by another conversation or call from the patient (any subject "
    "counts as the same matter), over the resolved conversations. Recent ones can still lose it "
    "until their 7 days pass.";
constexpr std::string_view kDefBacklog =
    "Open backlog now: conversations open or pending (waiting on the team or the patient). "
    "At or under the healthy threshold (50 unless the practice set another) is healthy; above "
    "the add-staff threshold (100) means add a team member.";
constexpr std::string_view kDefChatAnswer =
    "Chat answer rate: live chats an agent accepted, over live chats that were accepted or that "
    "the patient left unanswered. Chats begun when nobody could chat (they wait for a reply by "
    "text or email) are not counted.";
constexpr std::string_view kDefOffered =
    "Calls offered: calls that reached a queue and ended, answered or not, except short "
    "abandons (callers who hung up within the short-abandon time, 10 s unless set: misdials "
    "and changed minds).";
constexpr std::string_view kDefAnswered = "Calls answered by an agent (transferred ones included).";
constexpr std::string_view kDefAbandoned =
    "Calls abandoned: callers who hung up while waiting, after the short-abandon time.";
constexpr std::string_view kDefShort =
    "Short abandons: callers who hung up within the short-abandon time; not in calls offered.";
constexpr std::string_view kDefTimedOut =
    "Calls that left the queue unanswered without hanging up: the queue's wait limit, no agent "
    "logged in, or a key pressed to leave (a callback request on most systems).";
constexpr std::string_view kDefAbandonRate =
    "Abandonment (dropout) rate: calls abandoned over calls offered. Short abandons are in "
    "neither; time-outs and key exits are in calls offered but not abandoned.";
constexpr std::string_view kDefAsa =
    "Average speed of answer: mean seconds answered calls waited in the queue.";
constexpr std::string_view kDefServiceLevel =
    "Service level: calls answered within the target (20 s unless set) over calls offered, "
    "abandoned and timed-out calls included (short abandons excluded).";
constexpr std::string_view kDefAht =
    "Average handle time: mean of talk + hold + after-call work seconds of answered calls (hold "
    "and after-call work as the phone system reports them; Asterisk's queue_log has neither).";
constexpr std::string_view kDefCsat =
    "Customer satisfaction (CSAT): answers of 4 or 5 out of 5 over all answers, one per "
    "conversation (the patient's latest): the stars after a chat, or a survey tool's answers "
    "posted to the API. Counted on the day the conversation began.";
constexpr std::string_view kDefNps =
    "Net promoter score (NPS): % of answers 9 or 10 minus % of answers 0 to 6 to \"how likely "
    "are you to recommend us\", from -100 to 100, one answer per conversation (the latest).";
constexpr std::string_view kDefCategory =
    "Conversations patients began in the period about this category (what patients ask about).";

std::optional<double> Ratio(std::int64_t num, std::int64_t den) {
  if (den <= 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

std::optional<double> AsDouble(std::optional<std::int64_t> v) {
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

// Nearest-rank percentile of exact values, reported as the histogram reports it.
std::optional<double> PlainPercentile(std::vector<std::int64_t> values, int percent) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  std::int64_t rank = Rank(static_cast<std::int64_t>(values.size()), percent);
  return static_cast<double>(DurationHistogram::ReportedValue(
      DurationHistogram::BucketOf(values[static_cast<std::size_t>(rank - 1)])));
}

using Metrics = std::map<std::string, Metric, std::less<>>;

// The metrics that are plain ratios of counts, shared by both ways of computing them: what
// differs between Summarize and SummarizeFacts is how the counts are gathered.
struct Counts {
  std::int64_t conversations = 0, fr_n = 0, fr_sum = 0, fr_decided = 0, fr_met = 0;
  std::int64_t nr_n = 0, nr_sum = 0, res_n = 0, res_sum = 0, reopened = 0, resolved_first = 0;
  std::int64_t chats_decided = 0, chats_answered = 0;
  std::int64_t offered = 0, answered = 0, abandoned = 0, short_abandoned = 0, timed_out = 0;
  std::int64_t in_target = 0, wait_sum = 0, handle_sum = 0;
  std::array<std::int64_t, 8> by_category{};
  std::int64_t csat_n = 0, csat_ok = 0, nps_n = 0, nps_pro = 0, nps_det = 0;
  std::optional<double> fr_p50, fr_p90, res_p50, res_p90;
};

Metrics FromCounts(const Counts& c, std::int64_t backlog_open) {
  Metrics m;
  auto put = [&](std::string name, std::optional<double> value, std::int64_t count,
                 std::string_view def) {
    m[std::move(name)] = Metric{value, count, def};
  };
  auto mean = [](std::int64_t sum, std::int64_t n) { return Ratio(sum, n); };
  put("conversations", static_cast<double>(c.conversations), c.conversations, kDefConversations);
  put("first_response_time_mean_s", mean(c.fr_sum, c.fr_n), c.fr_n, kDefFrMean);
  put("first_response_time_p50_s", c.fr_p50, c.fr_n, kDefFrP50);
  put("first_response_time_p90_s", c.fr_p90, c.fr_n, kDefFrP90);
  put("sla_first_response_attainment", Ratio(c.fr_met, c.fr_decided), c.fr_decided, kDefFrSla);
  put("next_response_time_mean_s", mean(c.nr_sum, c.nr_n), c.nr_n, kDefNrMean);
  put("resolution_time_mean_s", mean(c.res_sum, c.res_n), c.res_n, kDefResMean);
  put("resolution_time_p50_s", c.res_p50, c.res_n, kDefResP50);
  put("resolution_time_p90_s", c.res_p90, c.res_n, kDefResP90);
  put("reopen_rate", Ratio(c.reopened, c.res_n), c.res_n, kDefReopen);
  put("first_contact_resolution_rate", Ratio(c.resolved_first, c.res_n), c.res_n, kDefFcr);
  put("backlog_open", static_cast<double>(backlog_open), backlog_open, kDefBacklog);
  put("chat_answer_rate", Ratio(c.chats_answered, c.chats_decided), c.chats_decided,
      kDefChatAnswer);
  put("calls_offered", static_cast<double>(c.offered), c.offered, kDefOffered);
  put("calls_answered", static_cast<double>(c.answered), c.answered, kDefAnswered);
  put("calls_abandoned", static_cast<double>(c.abandoned), c.abandoned, kDefAbandoned);
  put("calls_short_abandoned", static_cast<double>(c.short_abandoned), c.short_abandoned,
      kDefShort);
  put("calls_timed_out", static_cast<double>(c.timed_out), c.timed_out, kDefTimedOut);
  put("abandonment_rate", Ratio(c.abandoned, c.offered), c.offered, kDefAbandonRate);
  put("average_speed_of_answer_s", mean(c.wait_sum, c.answered), c.answered, kDefAsa);
  put("service_level", Ratio(c.in_target, c.offered), c.offered, kDefServiceLevel);
  put("average_handle_time_s", mean(c.handle_sum, c.answered), c.answered, kDefAht);
  put("csat", Ratio(c.csat_ok, c.csat_n), c.csat_n, kDefCsat);
  std::optional<double> nps;
  if (c.nps_n > 0) nps = 100.0 * static_cast<double>(c.nps_pro - c.nps_det) / c.nps_n;
  put("nps", nps, c.nps_n, kDefNps);
  for (int i = 0; i < kCategories; ++i) {
    put("contacts_" + std::string(Name(static_cast<Category>(i))),
        static_cast<double>(c.by_category[i]), c.by_category[i], kDefCategory);
  }
  return m;
}

}  // namespace

const std::vector<std::string_view> kMetricNames = {"conversations",
                                                    "first_response_time_mean_s",
                                                    "first_response_time_p50_s",
                                                    "first_response_time_p90_s",
                                                    "sla_first_response_attainment",
                                                    "next_response_time_mean_s",
                                                    "resolution_time_mean_s",
                                                    "resolution_time_p50_s",
                                                    "resolution_time_p90_s",
                                                    "reopen_rate",
                                                    "first_contact_resolution_rate",
                                                    "backlog_open",
                                                    "chat_answer_rate",
                                                    "calls_offered",
                                                    "calls_answered",
                                                    "calls_abandoned",
                                                    "calls_short_abandoned",
                                                    "calls_timed_out",
                                                    "abandonment_rate",
                                                    "average_speed_of_answer_s",
                                                    "service_level",
                                                    "average_handle_time_s",
                                                    "csat",
                                                    "nps",
                                                    "contacts_uncategorized",
                                                    "contacts_appointment",
                                                    "contacts_billing",
                                                    "contacts_prescription",
                                                    "contacts_referral",
                                                    "contacts_records",
                                                    "contacts_clinical_question",
                                                    "contacts_other"};

namespace {

// A tally's counts that are plain numbers (not its histograms' figures).
Counts NumbersOf(const Tally& t) {
  Counts c;
  c.conversations = t.conversations;
  c.fr_sum = t.first_response_sum;
  c.fr_decided = t.first_response_decided;
  c.fr_met = t.first_response_met;
  c.nr_sum = t.next_response_sum;
  c.res_sum = t.resolution_sum;
  c.reopened = t.reopened;
  c.resolved_first = t.resolved_first;
  c.chats_decided = t.live_chats_decided;
  c.chats_answered = t.chats_answered;
  c.offered = t.calls_offered;
  c.answered = t.calls_answered;
  c.abandoned = t.calls_abandoned;
  c.short_abandoned = t.calls_short_abandoned;
  c.timed_out = t.calls_timed_out;
  c.wait_sum = t.answer_wait_sum;
  c.handle_sum = t.handle_sum;
  c.by_category = t.by_category;
  c.csat_n = t.csat_answers;
  c.csat_ok = t.csat_satisfied;
  c.nps_n = t.nps_answers;
  c.nps_pro = t.nps_promoters;
  c.nps_det = t.nps_detractors;
  return c;
}

}  // namespace

std::map<std::string, Metric, std::less<>> Summarize(const Tally& t, std::int64_t backlog_open,
                                                     const KpiSettings& settings) {
  Counts c = NumbersOf(t);
  c.fr_n = t.first_response.count();
  c.nr_n = t.next_response.count();
  c.res_n = t.resolution.count();
  c.in_target = t.answer_wait.AtMost(settings.service_level_seconds);
  c.fr_p50 = AsDouble(t.first_response.Percentile(0.5));
  c.fr_p90 = AsDouble(t.first_response.Percentile(0.9));
  c.res_p50 = AsDouble(t.resolution.Percentile(0.5));
  c.res_p90 = AsDouble(t.resolution.Percentile(0.9));
  return FromCounts(c, backlog_open);
}

std::map<std::string, Metric, std::less<>> Summarize(const TallySum& sum, std::int64_t backlog_open,
                                                     const KpiSettings& settings) {
  Counts c = NumbersOf(sum.numbers_);
  auto count = [](const auto& buckets) {
    std::int64_t n = 0;
    for (const auto& [b, values] : buckets) n += values;
    return n;
  };
  const auto first_response = sum.Buckets(kFirstResponse);
  const auto resolution = sum.Buckets(kResolution);
  c.fr_n = count(first_response);
  c.nr_n = count(sum.Buckets(kNextResponse));
  c.res_n = count(resolution);
  c.in_target = AtMostOf(sum.Buckets(kAnswerWait), settings.service_level_seconds);
  c.fr_p50 = AsDouble(PercentileOf(first_response, c.fr_n, 0.5));
  c.fr_p90 = AsDouble(PercentileOf(first_response, c.fr_n, 0.9));
  c.res_p50 = AsDouble(PercentileOf(resolution, c.res_n, 0.5));
  c.res_p90 = AsDouble(PercentileOf(resolution, c.res_n, 0.9));
  return FromCounts(c, backlog_open);
}

std::map<std::string, Metric, std::less<>> SummarizeFacts(
    const std::vector<ConversationFact>& conversations, const std::vector<CallFact>& calls,
    std::int64_t backlog_open, const KpiSettings& settings) {
  Counts c;
  std::vector<std::int64_t> fr, res;
  for (const ConversationFact& f : conversations) {
    if (f.csat) {
      ++c.csat_n;
      if (*f.csat >= 4) ++c.csat_ok;
    }
    if (f.nps) {
      ++c.nps_n;
      if (*f.nps >= 9) ++c.nps_pro;
      if (*f.nps <= 6) ++c.nps_det;
    }
    if (f.staff_initiated) continue;
    ++c.conversations;
    ++c.by_category[CategoryIndex(f.cell.category)];
    if (f.first_response_seconds) {
      fr.push_back(*f.first_response_seconds);
      c.fr_sum += *f.first_response_seconds;
      if (!f.first_response_breached) ++c.fr_met;
    }
    if (f.first_response_seconds || f.first_response_breached) ++c.fr_decided;
    for (std::int64_t s : f.next_response_seconds) {
      ++c.nr_n;
      c.nr_sum += s;
    }
    if (f.resolved_at) {
      std::int64_t s = Seconds(f.created_at, *f.resolved_at);
      res.push_back(s);
      c.res_sum += s;
      if (f.reopens > 0) ++c.reopened;
      if (f.reopens == 0 && !f.recontacted) ++c.resolved_first;
    }
    if (f.live_chat && (f.chat_answered || f.chat_abandoned)) {
      ++c.chats_decided;
      if (f.chat_answered) ++c.chats_answered;
    }
  }
  c.fr_n = static_cast<std::int64_t>(fr.size());
  c.res_n = static_cast<std::int64_t>(res.size());
  c.fr_p50 = PlainPercentile(fr, 50);
  c.fr_p90 = PlainPercentile(fr, 90);
  c.res_p50 = PlainPercentile(res, 50);
  c.res_p90 = PlainPercentile(res, 90);
  for (const CallFact& f : calls) {
    const Call& k = f.call;
    if (k.outcome == CallOutcome::kAnswered) {
      ++c.offered;
      ++c.answered;
      c.wait_sum += k.wait_seconds;
      c.handle_sum += k.talk_seconds + k.hold_seconds + k.wrap_seconds;
      if (k.wait_seconds <= settings.service_level_seconds) ++c.in_target;
    } else if (k.outcome == CallOutcome::kAbandoned) {
      if (k.wait_seconds < settings.phone.short_abandon_seconds) {
        ++c.short_abandoned;
      } else {
        ++c.offered;
        ++c.abandoned;
      }
    } else if (k.ended()) {
      ++c.offered;
      ++c.timed_out;
    }
  }
  return FromCounts(c, backlog_open);
}

}  // namespace caredesk::core
