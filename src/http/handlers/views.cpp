#include "http/handlers/views.hpp"

#include <boost/json/array.hpp>

namespace caredesk::http {

namespace json = boost::json;

json::value TimeOrNull(std::optional<Timestamp> t) {
  if (!t) return nullptr;
  return json::string(FormatRfc3339(*t));
}

namespace {

json::value StringOrNull(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return json::string(*s);
}

}  // namespace

json::object PatientView(const core::Patient& p) {
  return {{"id", p.id.value},
          {"name", p.name},
          {"date_of_birth", StringOrNull(p.date_of_birth)},
          {"phone", StringOrNull(p.phone)},
          {"email", StringOrNull(p.email)},
          {"language", p.language},
          {"preferred_channel", p.preferred_channel
                                    ? json::value(json::string(core::Name(*p.preferred_channel)))
                                    : json::value(nullptr)},
          {"consent_sms", p.consent_sms},
          {"consent_email", p.consent_email},
          {"created_at", FormatRfc3339(p.created_at)},
          {"updated_at", FormatRfc3339(p.updated_at)}};
}

json::object MessageView(const core::Message& m) {
  return {{"id", m.id.value},
          {"conversation_id", m.conversation_id.value},
          {"kind", core::Name(m.kind)},
          {"channel", core::Name(m.channel)},
          {"author_id", m.author ? json::value(m.author.value) : json::value(nullptr)},
          {"from", m.kind == core::MessageKind::kInbound ? json::value(json::string(m.sender))
                                                         : json::value(nullptr)},
          {"text", m.text},
          {"delivery_status", core::Name(m.delivery)},
          {"created_at", FormatRfc3339(m.created_at)}};
}

json::object EventView(const core::Event& e) {
  json::object data;
  for (const auto& [k, v] : e.data) data[k] = v;
  return {{"id", e.id.value},
          {"type", e.type},
          {"at", FormatRfc3339(e.at)},
          {"actor_id", e.actor ? json::value(e.actor.value) : json::value(nullptr)},
          {"data", std::move(data)}};
}

json::object ConversationView(const core::Conversation& c, std::string_view sla_state,
                              std::optional<Timestamp> due_at, Timestamp now) {
  json::array tags;
  for (const auto& t : c.tags) tags.emplace_back(t);
  json::object sla{
      {"state", sla_state},
      {"policy_id", c.sla.policy_id},
      {"due_at", TimeOrNull(due_at)},
      {"time_left_ms", due_at ? json::value((*due_at - now).count()) : json::value(nullptr)}};
  return {{"id", c.id.value},
          {"patient_id", c.patient_id.value},
          {"channel", core::Name(c.channel)},
          {"status", core::Name(c.status)},
          {"priority", core::Name(c.priority)},
          {"queue", c.queue},
          {"assignee_id", c.assignee ? json::value(c.assignee.value) : json::value(nullptr)},
          {"category", core::Name(c.category)},
          {"tags", std::move(tags)},
          {"created_at", FormatRfc3339(c.created_at)},
          {"updated_at", FormatRfc3339(c.updated_at)},
          {"last_message_at", FormatRfc3339(c.last_message_at)},
          {"first_response_at", TimeOrNull(c.first_response_at)},
          {"resolved_at", TimeOrNull(c.resolved_at)},
          {"reopen_count", c.reopen_count},
          {"awaiting_agent", c.awaiting_agent},
          {"sla", std::move(sla)}};
}

}  // namespace caredesk::http
