// Parsing and validation of an inbound message body (POST /api/v1/messages), apart from
// storage so it can be unit-tested and fuzzed. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "core/inbox/patient.hpp"
#include "store/store.hpp"

namespace caredesk::http {

struct Inbound {
  core::Channel channel = core::Channel::kChat;
  std::string from;  // normalized
  enum class FromKind { kPhone, kEmail, kVisitor } from_kind = FromKind::kVisitor;
  std::string text;
  std::optional<PatientId> patient_id;
  std::optional<core::Patient> details;  // used only when a new patient is created
  std::string queue = "front-desk";
  // Opens a new conversation at this priority; raises (never lowers) an existing one's.
  std::optional<core::Priority> priority;
  // A new conversation is for this location (kInvalid naming "location" unless it is one of
  // the practice's own); an existing one keeps its own.
  std::optional<LocationId> location;
  std::vector<std::pair<std::string, std::string>> metadata;  // valid per ValidateMessageMetadata
  // The conversation the channel says this answers (an email's In-Reply-To). Used only when it
  // is the sender's own and still takes messages; otherwise the sender's latest one is.
  std::optional<ConversationId> thread;
  // Files sent with the message (MMS pictures, mail attachments), stored with it.
  std::vector<store::Attachment> attachments;
};

// kInvalid / kTooLarge naming the field for anything malformed; `from` is normalized to E.164
// or a lowercase email, or kept as an opaque visitor id for chat and web.
Result<Inbound> ParseInbound(std::string_view body, Timestamp now);

}  // namespace caredesk::http
