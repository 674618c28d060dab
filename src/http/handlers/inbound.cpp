#include "http/handlers/inbound.hpp"

#include "base/text.hpp"
#include "core/inbox/conversation.hpp"
#include "core/inbox/phone.hpp"
#include "http/json_input.hpp"

namespace caredesk::http {

namespace json = boost::json;

static Result<core::Patient> ParsePatientDetails(const json::object& o, Timestamp now) {
  CD_TRY(CheckKeys(o, {"name", "date_of_birth", "phone", "email", "language"}, "patient"));
  core::Patient p;
  auto field_error = [](Error e) {
    e.field = "patient." + e.field;
    return e;
  };
  auto name = OptionalString(o, "name");
  auto dob = OptionalString(o, "date_of_birth");
  auto phone = OptionalString(o, "phone");
  auto email = OptionalString(o, "email");
  auto language = OptionalString(o, "language");
  for (auto* r : {&name, &dob, &phone, &email, &language}) {
    if (!*r) return field_error(r->error());
  }
  if (*name) p.name = std::string(Trim(**name));
  p.date_of_birth = *dob;
  if (*phone) {
    auto e164 = core::NormalizePhone(**phone);
    if (!e164) return field_error(e164.error());
    p.phone = *e164;
  }
  if (*email) {
    auto normalized = core::NormalizeEmail(**email);
    if (!normalized) return field_error(normalized.error());
    p.email = *normalized;
  }
  if (*language) p.language = **language;
  if (auto valid = core::ValidatePatient(p, now); !valid) return field_error(valid.error());
  return p;
}

Result<Inbound> ParseInbound(std::string_view raw, Timestamp now) {
  CD_TRY_ASSIGN(json::object body, ParseObject(raw, {"channel", "from", "text", "patient_id",
                                                     "patient", "queue", "priority", "metadata"}));
  Inbound in;
  CD_TRY_ASSIGN(std::string channel, RequireString(body, "channel"));
  auto parsed = core::ParseChannel(channel);
  if (!parsed) return Invalid("channel must be one of chat, sms, email, phone, web", "channel");
  in.channel = *parsed;

  CD_TRY_ASSIGN(std::string from, RequireString(body, "from"));
  from = std::string(Trim(from));
  if (from.empty() || from.size() > 320)
    return Invalid("from must have 1 to 320 characters", "from");
  bool is_phone_channel = in.channel == core::Channel::kSms || in.channel == core::Channel::kPhone;
  if (is_phone_channel || (in.channel != core::Channel::kEmail && core::LooksLikePhone(from))) {
    CD_TRY_ASSIGN(in.from, core::NormalizePhone(from, "1", "from"));
    in.from_kind = Inbound::FromKind::kPhone;
  } else if (in.channel == core::Channel::kEmail || from.find('@') != std::string::npos) {
    CD_TRY_ASSIGN(in.from, core::NormalizeEmail(from, "from"));
    in.from_kind = Inbound::FromKind::kEmail;
  } else {
    // A chat or web visitor id: opaque, printable ASCII.
    for (char c : from) {
      if (c <= 0x20 || c >= 0x7f) return Invalid("visitor id must be printable ASCII", "from");
    }
    if (from.size() > 128) return Invalid("visitor id must have at most 128 characters", "from");
    in.from = from;
    in.from_kind = Inbound::FromKind::kVisitor;
  }

  CD_TRY_ASSIGN(in.text, RequireString(body, "text"));
  CD_TRY(core::ValidateMessageText(in.text));
  CD_TRY_ASSIGN(auto patient_id, OptionalInt(body, "patient_id"));
  if (patient_id) {
    if (*patient_id <= 0) return Invalid("patient_id must be a positive integer", "patient_id");
    in.patient_id = PatientId{*patient_id};
  }
  if (auto it = body.find("patient"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return Invalid("patient must be an object", "patient");
    CD_TRY_ASSIGN(core::Patient details, ParsePatientDetails(it->value().as_object(), now));
    in.details = std::move(details);
  }
  CD_TRY_ASSIGN(auto queue, OptionalString(body, "queue"));
  if (queue) {
    if (queue->empty() || queue->size() > 64)
      return Invalid("queue must have 1 to 64 characters", "queue");
    in.queue = *queue;
  }
  CD_TRY_ASSIGN(auto priority, OptionalString(body, "priority"));
  if (priority) {
    in.priority = core::ParsePriority(*priority);
    if (!in.priority) return Invalid("priority must be low, normal, high or urgent", "priority");
  }
  if (auto it = body.find("metadata"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return Invalid("metadata must be an object", "metadata");
    for (const auto& kv : it->value().as_object()) {
      // The key is not echoed here: it has not been checked yet.
      if (!kv.value().is_string()) return Invalid("metadata values must be strings", "metadata");
      in.metadata.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
    CD_TRY(core::ValidateMessageMetadata(in.metadata));
  }
  return in;
}

}  // namespace caredesk::http
