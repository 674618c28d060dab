#include "core/inbox/conversation.hpp"

#include <algorithm>
#include <charconv>

#include "base/text.hpp"

namespace caredesk::core {
namespace {

Event MakeEvent(const Conversation& c, std::string type, Timestamp at, UserId actor,
                std::vector<std::pair<std::string, std::string>> data = {}) {
  Event e;
  e.type = std::move(type);
  e.at = at;
  e.conversation_id = c.id;
  e.patient_id = c.patient_id;
  e.actor = actor;
  e.data = std::move(data);
  return e;
}

Result<void> RejectClosed(const Conversation& c) {
  if (c.status == Status::kClosed) return Conflict("the conversation is closed", "status");
  return {};
}

void PauseAll(SlaState& s, Timestamp now, const BusinessCalendar& cal) {
  s.first_response = PauseClock(s.first_response, now, cal);
  s.next_response = PauseClock(s.next_response, now, cal);
  s.resolution = PauseClock(s.resolution, now, cal);
}

void ResumeAll(SlaState& s, Timestamp now) {
  s.first_response = ResumeClock(s.first_response, now);
  s.next_response = ResumeClock(s.next_response, now);
  s.resolution = ResumeClock(s.resolution, now);
}

void StopAll(SlaState& s, Timestamp now, const BusinessCalendar& cal) {
  s.first_response = StopClock(s.first_response, now, cal);
  s.next_response = StopClock(s.next_response, now, cal);
  s.resolution = StopClock(s.resolution, now, cal);
}

void StartResolution(SlaState& s, Timestamp now) {
  s.resolution = StartClock(s.targets.resolution, now);
  s.recorded &= ~(kResolutionAtRisk | kResolutionBreached);
}

void StartNextResponse(SlaState& s, Timestamp now) {
  s.next_response = StartClock(s.targets.next_response, now);
  s.recorded &= ~(kNextAtRisk | kNextBreached);
}

void StartFirstResponse(SlaState& s, Timestamp now) {
  s.first_response = StartClock(s.targets.first_response, now);
  s.recorded &= ~(kFirstAtRisk | kFirstBreached);
}

// Leaving "resolved" for "open" or "pending": the resolution clock restarts in full and, when
// the patient is waiting, a response clock too (the first-response clock if nobody has replied
// yet, since it was stopped at resolve).
void Reopen(Conversation& c, std::vector<Event>& events, UserId actor, Timestamp now) {
  ++c.reopen_count;
  c.resolved_at.reset();
  StartResolution(c.sla, now);
  if (c.awaiting_agent) {
    c.first_response_at ? StartNextResponse(c.sla, now) : StartFirstResponse(c.sla, now);
  }
  events.push_back(MakeEvent(c, "conversation_reopened", now, actor,
                             {{"reopen_count", std::to_string(c.reopen_count)}}));
}

// Moves the status with the SLA effects of the move; appends the events.
void ApplyStatus(Conversation& c, std::vector<Event>& events, Status to, UserId actor,
                 Timestamp now, const BusinessCalendar& cal) {
  Status from = c.status;
  if (from == to) return;
  if (from == Status::kResolved && (to == Status::kOpen || to == Status::kPending)) {
    Reopen(c, events, actor, now);
  }
  switch (to) {
    case Status::kPending:
      PauseAll(c.sla, now, cal);
      break;
    case Status::kOpen:
      if (from != Status::kResolved) ResumeAll(c.sla, now);  // reopened clocks already run
      break;
    case Status::kResolved:
      if (from == Status::kPending)
        ResumeAll(c.sla, now);  // fold nothing: paused spans don't count
      StopAll(c.sla, now, cal);
      c.resolved_at = now;
      break;
    case Status::kClosed:
      StopAll(c.sla, now, cal);
      if (!c.resolved_at) c.resolved_at = now;
      break;
  }
  c.status = to;
  c.updated_at = now;
  events.push_back(MakeEvent(c, "status_changed", now, actor,
                             {{"from", std::string(Name(from))}, {"to", std::string(Name(to))}}));
}

void RetargetClock(SlaClock& clock, Millis target) {
  if (clock.target != Millis::zero()) clock.target = target;
}

}  // namespace

Result<void> ValidateMessageText(std::string_view text, std::string_view field) {
  std::string f(field);
  if (Trim(text).empty()) return Invalid("text must not be empty", f);
  if (text.size() > kMaxMessageTextBytes) {
    return MakeError(ErrorKind::kTooLarge, "text is longer than 65536 bytes", f);
  }
  if (!IsValidUtf8(text)) return Invalid("text is not valid UTF-8", f);
  return {};
}

Result<void> ValidateMessageMetadata(const std::vector<std::pair<std::string, std::string>>& m) {
  if (m.size() > kMaxMetadataEntries) {
    return Invalid("metadata may have at most 20 entries", "metadata");
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    const auto& [key, value] = m[i];
    bool key_ok = !key.empty() && key.size() <= kMaxMetadataKeyBytes &&
                  std::all_of(key.begin(), key.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '.' || c == '-';
                  });
    if (!key_ok)
      return Invalid("metadata keys are 1 to 64 characters of a-z 0-9 _ . -", "metadata");
    for (std::size_t j = 0; j < i; ++j) {
      if (m[j].first == key) return Invalid("metadata key appears twice", "metadata." + key);
    }
    if (value.size() > kMaxMetadataValueBytes || !IsValidUtf8(value)) {
      return Invalid("metadata values are at most 1024 bytes of UTF-8", "metadata." + key);
    }
  }
  return {};
}

Decision OpenConversation(PatientId patient, Channel channel, std::string queue, Priority priority,
                          const SlaPolicy& policy, Timestamp now, const BusinessCalendar&) {
  Conversation c;
  c.patient_id = patient;
  c.channel = channel;
  c.queue = std::move(queue);
  c.priority = priority;
  c.created_at = c.updated_at = c.last_message_at = now;
  c.awaiting_agent = true;
  c.sla.policy_id = policy.id;
  c.sla.targets = policy.targets;
  c.sla.first_response = StartClock(policy.targets.first_response, now);
  c.sla.resolution = StartClock(policy.targets.resolution, now);
  Decision d{c, {}};
  d.events.push_back(MakeEvent(c, "conversation_created", now, UserId{},
                               {{"channel", std::string(Name(channel))},
                                {"queue", c.queue},
                                {"priority", std::string(Name(priority))},
                                {"sla_policy_id", std::to_string(policy.id)}}));
  return d;
}

Decision StartOutreach(PatientId patient, Channel channel, std::string queue,
                       const SlaPolicy& policy, UserId author, Timestamp now,
                       const BusinessCalendar& cal) {
  Conversation c;
  c.patient_id = patient;
  c.channel = channel;
  c.queue = std::move(queue);
  c.created_at = c.updated_at = c.last_message_at = now;
  c.first_response_at = now;  // nobody is waiting for a first answer
  c.awaiting_agent = false;
  c.sla.policy_id = policy.id;
  c.sla.targets = policy.targets;
  c.sla.resolution = StartClock(policy.targets.resolution, now);
  Decision d{c, {}};
  d.events.push_back(MakeEvent(c, "conversation_created", now, author,
                               {{"channel", std::string(Name(channel))},
                                {"queue", c.queue},
                                {"priority", std::string(Name(c.priority))},
                                {"sla_policy_id", std::to_string(policy.id)},
                                {"initiated_by", "staff"}}));
  d.events.push_back(MakeEvent(d.conversation, "reply_sent", now, author));
  ApplyStatus(d.conversation, d.events, Status::kPending, author, now, cal);
  return d;
}

bool AcceptsInbound(const Conversation& c, Timestamp now) {
  switch (c.status) {
    case Status::kOpen:
    case Status::kPending:
      return true;
    case Status::kResolved:
      return c.resolved_at && now - *c.resolved_at <= kReopenWindow;
    case Status::kClosed:
      return false;
  }
  return false;
}

Result<Decision> ReceiveInbound(const Conversation& in, Timestamp now,
                                const BusinessCalendar& cal) {
  if (!AcceptsInbound(in, now)) {
    return Conflict("the conversation no longer accepts messages", "conversation_id");
  }
  Decision d = SlaTick(in, now, cal);  // thresholds passed before this message
  Conversation& c = d.conversation;
  bool staff_spoke_last = !c.awaiting_agent;
  c.awaiting_agent = true;
  if (c.status == Status::kResolved || c.status == Status::kPending) {
    ApplyStatus(c, d.events, Status::kOpen, UserId{}, now, cal);
  }
  if (staff_spoke_last && c.first_response_at && !c.sla.next_response.running_since) {
    StartNextResponse(c.sla, now);
  }
  c.last_message_at = now;
  c.updated_at = now;
  d.events.push_back(
      MakeEvent(c, "message_received", now, UserId{}, {{"channel", std::string(Name(c.channel))}}));
  return d;
}

Result<Decision> RecordReply(const Conversation& in, UserId author, std::optional<Status> then,
                             Timestamp now, const BusinessCalendar& cal) {
  CD_TRY(RejectClosed(in));
  if (then && *then != Status::kPending && *then != Status::kResolved && *then != Status::kOpen) {
    return Invalid("after a reply the status may only become open, pending or resolved", "status");
  }
  Decision d = SlaTick(in, now, cal);  // a late reply still records the breach first
  Conversation& c = d.conversation;
  std::vector<std::pair<std::string, std::string>> data;
  if (!c.first_response_at) {
    c.first_response_at = now;
    data.emplace_back("first_response_ms", std::to_string((now - c.created_at).count()));
    data.emplace_back("first_response_business_ms",
                      std::to_string(ConsumedAt(c.sla.first_response, now, cal).count()));
    c.sla.first_response = StopClock(c.sla.first_response, now, cal);
  }
  if (c.sla.next_response.running_since) {
    data.emplace_back("next_response_business_ms",
                      std::to_string(ConsumedAt(c.sla.next_response, now, cal).count()));
    c.sla.next_response = StopClock(c.sla.next_response, now, cal);
  }
  c.awaiting_agent = false;
  c.last_message_at = now;
  c.updated_at = now;
  d.events.push_back(MakeEvent(c, "reply_sent", now, author, std::move(data)));
  if (then) ApplyStatus(c, d.events, *then, author, now, cal);
  return d;
}

Result<Decision> AddNote(const Conversation& in, UserId author, Timestamp now) {
  CD_TRY(RejectClosed(in));
  Decision d{in, {}};
  d.conversation.updated_at = now;
  d.events.push_back(MakeEvent(d.conversation, "note_added", now, author));
  return d;
}

Result<Decision> ChangeStatus(const Conversation& in, Status to, UserId actor, Timestamp now,
                              const BusinessCalendar& cal) {
  if (in.status == to) return Decision{in, {}};
  CD_TRY(RejectClosed(in));
  Decision d = SlaTick(in, now, cal);  // before pausing or stopping the clocks
  ApplyStatus(d.conversation, d.events, to, actor, now, cal);
  return d;
}

Result<Decision> Route(const Conversation& in, const Routing& r,
                       const std::vector<SlaPolicy>& policies, UserId actor, Timestamp now,
                       const BusinessCalendar& cal) {
  CD_TRY(RejectClosed(in));
  Decision d = SlaTick(in, now, cal);  // before the targets change
  Conversation& c = d.conversation;
  std::vector<std::pair<std::string, std::string>> data;
  if (r.assignee && *r.assignee != c.assignee) {
    data.emplace_back("from_assignee", std::to_string(c.assignee.value));
    data.emplace_back("to_assignee", std::to_string(r.assignee->value));
    c.assignee = *r.assignee;
  }
  if (r.queue && *r.queue != c.queue) {
    data.emplace_back("from_queue", c.queue);
    data.emplace_back("to_queue", *r.queue);
    c.queue = *r.queue;
  }
  if (r.priority && *r.priority != c.priority) {
    data.emplace_back("from_priority", std::string(Name(c.priority)));
    data.emplace_back("to_priority", std::string(Name(*r.priority)));
    c.priority = *r.priority;
  }
  if (r.category && *r.category != c.category) {
    data.emplace_back("from_category", std::string(Name(c.category)));
    data.emplace_back("to_category", std::string(Name(*r.category)));
    c.category = *r.category;
  }
  if (r.location && *r.location != c.location) {
    data.emplace_back("from_location", std::to_string(c.location.value));
    data.emplace_back("to_location", std::to_string(r.location->value));
    c.location = *r.location;
  }
  if (data.empty()) return d;
  SlaPolicy policy = SelectPolicy(policies, c.queue, c.channel, c.priority);
  if (policy.id != c.sla.policy_id || !(policy.targets == c.sla.targets)) {
    data.emplace_back("sla_policy_id", std::to_string(policy.id));
    c.sla.policy_id = policy.id;
    c.sla.targets = policy.targets;
    RetargetClock(c.sla.first_response, policy.targets.first_response);
    RetargetClock(c.sla.next_response, policy.targets.next_response);
    RetargetClock(c.sla.resolution, policy.targets.resolution);
  }
  c.updated_at = now;
  d.events.push_back(MakeEvent(c, "routed", now, actor, std::move(data)));
  return d;
}

Result<Decision> RecordSurvey(const Conversation& c, std::string_view survey, std::int64_t score,
                              UserId actor, Timestamp now) {
  if (survey != "csat" && survey != "nps") return Invalid("survey must be csat or nps", "survey");
  const std::int64_t lo = survey == "csat" ? 1 : 0, hi = survey == "csat" ? 5 : 10;
  if (score < lo || score > hi) {
    return Invalid(survey == "csat" ? "a csat score is 1 to 5" : "an nps score is 0 to 10",
                   "score");
  }
  Decision d{c, {}};
  d.events.push_back(
      MakeEvent(c, "survey_answered", now, actor,
                {{"survey", std::string(survey)}, {"score", std::to_string(score)}}));
  return d;
}

Result<Decision> SetTags(const Conversation& in, const std::vector<std::string>& tags, UserId actor,
                         Timestamp now) {
  if (tags.size() > 20) return Invalid("at most 20 tags", "tags");
  std::vector<std::string> clean;
  for (const auto& t : tags) {
    std::string tag = AsciiLower(Trim(t));
    if (tag.empty() || tag.size() > 40)
      return Invalid("each tag must have 1 to 40 characters", "tags");
    for (char ch : tag) {
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
                ch == ':';
      if (!ok) return Invalid("tags may contain only a-z, 0-9, '-', '_' and ':'", "tags");
    }
    if (std::find(clean.begin(), clean.end(), tag) == clean.end()) clean.push_back(std::move(tag));
  }
  CD_TRY(RejectClosed(in));
  Decision d{in, {}};
  if (clean == in.tags) return d;
  d.conversation.tags = clean;
  d.conversation.updated_at = now;
  std::string joined;
  for (const auto& t : clean) joined += (joined.empty() ? "" : ",") + t;
  d.events.push_back(MakeEvent(d.conversation, "tags_changed", now, actor, {{"tags", joined}}));
  return d;
}

namespace {

struct ClockRef {
  SlaClock SlaState::*clock;
  std::uint32_t at_risk_flag;
  std::uint32_t breach_flag;
  const char* name;
};
constexpr ClockRef kClocks[] = {
    {&SlaState::first_response, kFirstAtRisk, kFirstBreached, "first_response"},
    {&SlaState::next_response, kNextAtRisk, kNextBreached, "next_response"},
    {&SlaState::resolution, kResolutionAtRisk, kResolutionBreached, "resolution"},
};

}  // namespace

Decision ChangeCalendar(const Conversation& c, Timestamp now, const BusinessCalendar& before) {
  Decision d = SlaTick(c, now, before);
  for (const ClockRef& ref : kClocks) {
    SlaClock& clock = d.conversation.sla.*(ref.clock);
    if (clock.running_since) clock = ResumeClock(PauseClock(clock, now, before), now);
  }
  return d;
}

Decision SlaTick(const Conversation& in, Timestamp now, const BusinessCalendar& cal) {
  Decision d{in, {}};
  SlaState& s = d.conversation.sla;
  for (const ClockRef& ref : kClocks) {
    const SlaClock& clock = s.*(ref.clock);
    if (!clock.running_since) continue;
    if (!(s.recorded & ref.at_risk_flag)) {
      auto at = AtRiskAt(clock, s.targets.at_risk_fraction, cal);
      if (!at) {
        s.recorded |= ref.at_risk_flag;  // restarted already past the at-risk point
      } else if (*at <= now) {
        s.recorded |= ref.at_risk_flag;
        d.events.push_back(
            MakeEvent(d.conversation, "sla_at_risk", *at, UserId{},
                      {{"clock", ref.name}, {"policy_id", std::to_string(s.policy_id)}}));
      }
    }
    if (!(s.recorded & ref.breach_flag)) {
      auto due = DueAt(clock, cal);
      if (due && *due <= now) {
        s.recorded |= ref.breach_flag;
        d.events.push_back(
            MakeEvent(d.conversation, "sla_breached", *due, UserId{},
                      {{"clock", ref.name}, {"policy_id", std::to_string(s.policy_id)}}));
      }
    }
  }
  return d;
}

SlaView ViewSla(const Conversation& c, Timestamp now, const BusinessCalendar& cal) {
  SlaView v{"none", std::nullopt, std::nullopt};
  bool any_running = false, any_paused = false, at_risk = false, breached = false;
  const SlaState& s = c.sla;
  for (const ClockRef& ref : kClocks) {
    const SlaClock& clock = s.*(ref.clock);
    if (!clock.started || clock.stopped_at) continue;
    if (!clock.running_since) {
      any_paused = true;
      continue;
    }
    any_running = true;
    auto due = DueAt(clock, cal);
    auto risk = AtRiskAt(clock, s.targets.at_risk_fraction, cal);
    if (due && (!v.due_at || *due < *v.due_at)) v.due_at = due;
    if (due && *due <= now) breached = true;
    if (!risk || *risk <= now) at_risk = true;
    auto consider = [&](std::optional<Timestamp> t, std::uint32_t flag) {
      if (t && !(s.recorded & flag) && (!v.next_timer_at || *t < *v.next_timer_at))
        v.next_timer_at = t;
    };
    consider(risk, ref.at_risk_flag);
    consider(due, ref.breach_flag);
  }
  if (breached)
    v.state = "breached";
  else if (at_risk)
    v.state = "at_risk";
  else if (any_running)
    v.state = "ok";
  else if (any_paused)
    v.state = "paused";
  return v;
}

namespace {

// The stored SLA state is a short line of space-separated numbers ("v1 policy targets... clocks");
// encoded and decoded with to_chars/from_chars because every inbox row decodes one.
void PutNumber(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.push_back(' ');
  out.append(buf, end);
}

void PutClock(std::string& out, const SlaClock& c) {
  PutNumber(out, c.target.count());
  PutNumber(out, c.consumed.count());
  PutNumber(out, c.running_since ? ToEpochMillis(*c.running_since) : -1);
  PutNumber(out, c.stopped_at ? ToEpochMillis(*c.stopped_at) : -1);
  PutNumber(out, c.started ? 1 : 0);
}

// Reads space-separated fields from the encoded line; any malformed field fails the whole read.
class FieldReader {
 public:
  explicit FieldReader(std::string_view text) : text_(text) {}

  template <typename T>
  bool Read(T& value) {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
    if (ec != std::errc{}) return false;
    std::size_t next = static_cast<std::size_t>(ptr - text_.data());
    if (next < text_.size() && text_[next] != ' ') return false;
    pos_ = next;
    return true;
  }
  bool Literal(std::string_view word) {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return pos_ == text_.size() || text_[pos_] == ' ';
  }
  bool AtEnd() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    return pos_ == text_.size();
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool GetClock(FieldReader& in, SlaClock& c) {
  std::int64_t target, consumed, running, stopped;
  int started;
  if (!in.Read(target) || !in.Read(consumed) || !in.Read(running) || !in.Read(stopped) ||
      !in.Read(started)) {
    return false;
  }
  c.target = Millis{target};
  c.consumed = Millis{consumed};
  c.running_since = running >= 0 ? std::optional(FromEpochMillis(running)) : std::nullopt;
  c.stopped_at = stopped >= 0 ? std::optional(FromEpochMillis(stopped)) : std::nullopt;
  c.started = started != 0;
  return true;
}

}  // namespace

std::string EncodeSla(const SlaState& s) {
  std::string out = "v1";
  out.reserve(160);
  PutNumber(out, s.policy_id);
  PutNumber(out, s.targets.first_response.count());
  PutNumber(out, s.targets.next_response.count());
  PutNumber(out, s.targets.resolution.count());
  char fraction[32];
  auto [end, ec] = std::to_chars(fraction, fraction + sizeof fraction, s.targets.at_risk_fraction);
  out.push_back(' ');
  out.append(fraction, end);
  PutNumber(out, s.recorded);
  PutClock(out, s.first_response);
  PutClock(out, s.next_response);
  PutClock(out, s.resolution);
  return out;
}

Result<SlaState> DecodeSla(std::string_view text) {
  FieldReader in{text};
  SlaState s;
  std::int64_t first, next, res;
  if (!in.Literal("v1") || !in.Read(s.policy_id) || !in.Read(first) || !in.Read(next) ||
      !in.Read(res) || !in.Read(s.targets.at_risk_fraction) || !in.Read(s.recorded) ||
      !GetClock(in, s.first_response) || !GetClock(in, s.next_response) ||
      !GetClock(in, s.resolution) || !in.AtEnd()) {
    return Internal("stored SLA state is corrupt");
  }
  s.targets.first_response = Millis{first};
  s.targets.next_response = Millis{next};
  s.targets.resolution = Millis{res};
  return s;
}

}  // namespace caredesk::core
