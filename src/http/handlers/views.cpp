#include "http/handlers/views.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <charconv>

#include "base/text.hpp"

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
  json::object metadata;
  for (const auto& [k, v] : m.metadata) metadata[k] = v;
  return {{"id", m.id.value},
          {"conversation_id", m.conversation_id.value},
          {"kind", core::Name(m.kind)},
          {"channel", core::Name(m.channel)},
          {"author_id", m.author ? json::value(m.author.value) : json::value(nullptr)},
          {"from", m.kind == core::MessageKind::kInbound ? json::value(json::string(m.sender))
                                                         : json::value(nullptr)},
          {"text", m.text},
          {"delivery_status", core::Name(m.delivery)},
          {"metadata", std::move(metadata)},
          {"created_at", FormatRfc3339(m.created_at)}};
}

json::object ChatMessageView(const core::Message& m) {
  json::object v{{"id", m.id.value},
                 {"from", m.kind == core::MessageKind::kInbound ? "patient" : "practice"},
                 {"text", m.text},
                 {"at", FormatRfc3339(m.created_at)}};
  for (const auto& [key, value] : m.metadata) {
    if (key == "client_id") v["client_id"] = value;
  }
  return v;
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

namespace {

// A minimal append-only JSON writer for the hot list path: keys are trusted literals, values
// are escaped. Produces exactly what boost::json would for the same object.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}
  void Open() {
    out_.push_back('{');
    first_ = true;
  }
  void Close() {
    out_.push_back('}');
    first_ = false;
  }
  JsonOut& Key(std::string_view key) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(key);
    out_ += "\":";
    return *this;
  }
  void String(std::string_view v) { AppendJsonString(out_, v); }
  void Int(std::int64_t v) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    out_.append(digits, end);
  }
  void Bool(bool v) { out_ += v ? "true" : "false"; }
  void Null() { out_ += "null"; }
  void Time(Timestamp t) {
    out_.push_back('"');
    out_ += FormatRfc3339(t);
    out_.push_back('"');
  }
  void TimeOrNull(std::optional<Timestamp> t) { t ? Time(*t) : Null(); }
  void IdOrNull(std::int64_t id) { id ? Int(id) : Null(); }
  std::string& raw() { return out_; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void AppendConversationJson(PageText& page, const core::Conversation& c, std::string_view sla_state,
                            std::optional<Timestamp> due_at,
                            std::optional<std::string_view> patient_name) {
  std::string& out = page.text;
  JsonOut j(out);
  j.Open();
  j.Key("id").Int(c.id.value);
  j.Key("patient_id").Int(c.patient_id.value);
  j.Key("channel").String(core::Name(c.channel));
  j.Key("status").String(core::Name(c.status));
  j.Key("priority").String(core::Name(c.priority));
  j.Key("queue").String(c.queue);
  j.Key("assignee_id").IdOrNull(c.assignee.value);
  j.Key("category").String(core::Name(c.category));
  j.Key("location_id").IdOrNull(c.location.value);
  j.Key("tags");
  out.push_back('[');
  for (std::size_t i = 0; i < c.tags.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, c.tags[i]);
  }
  out.push_back(']');
  j.Key("created_at").Time(c.created_at);
  j.Key("updated_at").Time(c.updated_at);
  j.Key("last_message_at").Time(c.last_message_at);
  j.Key("first_response_at").TimeOrNull(c.first_response_at);
  j.Key("resolved_at").TimeOrNull(c.resolved_at);
  j.Key("reopen_count").Int(c.reopen_count);
  j.Key("awaiting_agent").Bool(c.awaiting_agent);
  j.Key("sla");
  {
    JsonOut sla(out);
    sla.Open();
    sla.Key("state").String(sla_state);
    sla.Key("policy_id").Int(c.sla.policy_id);
    sla.Key("due_at").TimeOrNull(due_at);
    sla.Key("time_left_ms");
    due_at ? page.AppendTimeLeft(*due_at) : sla.Null();
    sla.Close();
  }
  if (patient_name) j.Key("patient_name").String(*patient_name);
  j.Close();
}

json::object ConversationView(const core::Conversation& c, std::string_view sla_state,
                              std::optional<Timestamp> due_at, Timestamp now) {
  // One writer for both shapes: the single-object endpoints parse what the list path appends.
  PageText page;
  AppendConversationJson(page, c, sla_state, due_at, std::nullopt);
  return json::parse(page.Fill(now)).as_object();
}

}  // namespace caredesk::http
