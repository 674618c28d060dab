// The conversation (the ticket) and its state machine: open -> pending (waiting on the
// patient) -> resolved -> closed, reopened by a new inbound message. Each command takes the
// current state, the command's inputs, `now` and the business calendar, and returns the new
// state plus the events to append, or an error that leaves the state untouched. SLA clocks
// (first response, next response, resolution) move with the state. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/inbox/types.hpp"
#include "core/sla/clock.hpp"
#include "core/sla/policy.hpp"
#include "core/tenancy/calendar.hpp"

namespace caredesk::core {

// An append-only record of a state change. `data` holds ids, names of states and durations,
// never PHI.
struct Event {
  EventId id;
  std::string type;
  Timestamp at{};
  ConversationId conversation_id;
  PatientId patient_id;
  UserId actor;  // 0: the patient or the system
  std::vector<std::pair<std::string, std::string>> data;
};

struct Message {
  MessageId id;
  ConversationId conversation_id;
  MessageKind kind = MessageKind::kInbound;
  Channel channel = Channel::kChat;
  UserId author;       // staff author of outbound messages and notes
  std::string sender;  // inbound: the address it came from (phone, email, visitor id)
  std::string text;
  DeliveryStatus delivery = DeliveryStatus::kReceived;
  // What the channel says about the message, e.g. the provider's message id or an email's
  // subject: short string pairs, as given by the integration (see ValidateMessageMetadata).
  std::vector<std::pair<std::string, std::string>> metadata;
  Timestamp created_at{};
};

// Limits that apply to every message, whatever the channel.
inline constexpr std::size_t kMaxMessageTextBytes = std::size_t{64} * 1024;
Result<void> ValidateMessageText(std::string_view text, std::string_view field = "text");
inline constexpr std::size_t kMaxMetadataEntries = 20;
inline constexpr std::size_t kMaxMetadataKeyBytes = 64;
inline constexpr std::size_t kMaxMetadataValueBytes = 1024;
// Keys are 1..64 characters of [a-z0-9_.-], unique; values at most 1024 bytes of UTF-8.
// kInvalid naming "metadata" or "metadata.<key>".
Result<void> ValidateMessageMetadata(const std::vector<std::pair<std::string, std::string>>& m);

enum SlaFlag : std::uint32_t {
  kFirstAtRisk = 1u << 0,
  kFirstBreached = 1u << 1,
  kNextAtRisk = 1u << 2,
  kNextBreached = 1u << 3,
  kResolutionAtRisk = 1u << 4,
  kResolutionBreached = 1u << 5,
};

struct SlaState {
  std::int64_t policy_id = 0;
  SlaTargets targets;
  SlaClock first_response;
  SlaClock next_response;
  SlaClock resolution;
  std::uint32_t recorded = 0;  // SlaFlag bits whose event was already appended

  friend bool operator==(const SlaState&, const SlaState&) = default;
};

struct Conversation {
  ConversationId id;
  PatientId patient_id;
  Channel channel = Channel::kChat;
  Status status = Status::kOpen;
  Priority priority = Priority::kNormal;
  std::string queue = "front-desk";
  UserId assignee;
  Category category = Category::kUncategorized;
  // Which of the practice's locations the matter is for (0: not said), for the figures' cut.
  LocationId location;
  std::vector<std::string> tags;
  Timestamp created_at{};
  Timestamp updated_at{};
  Timestamp last_message_at{};
  std::optional<Timestamp> first_response_at;
  std::optional<Timestamp> resolved_at;
  int reopen_count = 0;
  bool awaiting_agent = true;  // the last public message came from the patient
  SlaState sla;
};

struct Decision {
  Conversation conversation;
  std::vector<Event> events;
};

// How long after resolution a new inbound message reopens the conversation rather than
// starting a new one. Also the window first-contact resolution looks at.
inline constexpr Millis kReopenWindow = std::chrono::hours(24 * 7);

// A new conversation for a first inbound message; starts first-response and resolution clocks.
Decision OpenConversation(PatientId patient, Channel channel, std::string queue, Priority priority,
                          const SlaPolicy& policy, Timestamp now, const BusinessCalendar& cal);

// Staff start a conversation (the practice texts or mails the patient first): it opens
// pending, waiting on the patient, with the resolution clock paused and no first-response
// clock (nobody asked); "conversation_created" says initiated_by staff and "reply_sent" carries
// no response time, so response-time figures count only answers to patients.
Decision StartOutreach(PatientId patient, Channel channel, std::string queue,
                       const SlaPolicy& policy, UserId author, Timestamp now,
                       const BusinessCalendar& cal);

// True when an inbound message at `now` belongs in `c` (open, pending, or resolved within
// kReopenWindow); false means a new conversation should be opened.
bool AcceptsInbound(const Conversation& c, Timestamp now);

// A patient message arrived. Pending -> open; resolved -> reopened (resolution clock
// restarts). Starts the next-response clock when staff had spoken last.
// kConflict when !AcceptsInbound(c, now).
Result<Decision> ReceiveInbound(const Conversation& c, Timestamp now, const BusinessCalendar& cal);

// Staff replied to the patient. Meets the first-response and next-response clocks.
// `then` optionally moves the status in the same step (pending or resolved).
// kConflict on a closed conversation.
Result<Decision> RecordReply(const Conversation& c, UserId author, std::optional<Status> then,
                             Timestamp now, const BusinessCalendar& cal);

// An internal note: an event, no effect on SLA clocks. kConflict on a closed conversation.
Result<Decision> AddNote(const Conversation& c, UserId author, Timestamp now);

// Status change by staff. Same status: no change and no event. Closed is final (kConflict).
Result<Decision> ChangeStatus(const Conversation& c, Status to, UserId actor, Timestamp now,
                              const BusinessCalendar& cal);

// Assigns to a user (0 to unassign) and/or moves to a queue; reselects the SLA policy, keeping
// business time already used. kConflict on a closed conversation.
struct Routing {
  std::optional<UserId> assignee;
  std::optional<std::string> queue;
  std::optional<Priority> priority;
  std::optional<Category> category;
  std::optional<LocationId> location;  // 0: none
};
Result<Decision> Route(const Conversation& c, const Routing& r,
                       const std::vector<SlaPolicy>& policies, UserId actor, Timestamp now,
                       const BusinessCalendar& cal);

// The patient's answer to a survey about the conversation: "csat" (how satisfied, 1 to 5) or
// "nps" (how likely to recommend the practice, 0 to 10). Any status: surveys come after the
// matter is resolved. The figures count the latest answer of each kind. kInvalid with field
// "survey" or "score" otherwise. `actor`: who posted it (0: the patient themselves).
Result<Decision> RecordSurvey(const Conversation& c, std::string_view survey, std::int64_t score,
                              UserId actor, Timestamp now);

// Replaces the tags (each 1..40 chars of [a-z0-9_-:], at most 20, deduplicated). kInvalid
// with field "tags" otherwise.
Result<Decision> SetTags(const Conversation& c, const std::vector<std::string>& tags, UserId actor,
                         Timestamp now);

// Appends sla_at_risk / sla_breached events for thresholds passed by `now` and not yet
// recorded. Each event's `at` is the threshold instant itself, not `now`. ReceiveInbound,
// RecordReply, ChangeStatus and Route run it first, so a command that lands between two passes
// of the SLA timer never hides a threshold that had already passed.
Decision SlaTick(const Conversation& c, Timestamp now, const BusinessCalendar& cal);

// The tenant's calendar (time zone, hours, holidays) changes at `now`, away from `before`.
// Records thresholds already passed under `before`, then folds the business time each running
// clock used under it into `consumed` and restarts the span at `now`, so time already counted
// stays counted and only what is left follows the new calendar. No event of its own.
Decision ChangeCalendar(const Conversation& c, Timestamp now, const BusinessCalendar& before);

// The SLA as the inbox shows it at `now`.
struct SlaView {
  std::string_view state;                  // none | ok | at_risk | breached | paused
  std::optional<Timestamp> due_at;         // earliest deadline of a running clock
  std::optional<Timestamp> next_timer_at;  // next at-risk or breach instant not yet recorded
};
SlaView ViewSla(const Conversation& c, Timestamp now, const BusinessCalendar& cal);

// Serializes the SLA state to compact text for storage, and back. Parse is kInternal on
// corrupt input.
std::string EncodeSla(const SlaState& s);
Result<SlaState> DecodeSla(std::string_view text);

}  // namespace caredesk::core
