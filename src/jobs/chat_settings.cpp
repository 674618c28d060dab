#include "jobs/chat_settings.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace caredesk::jobs {

namespace json = boost::json;

namespace {

struct MillisField {
  std::string_view name;
  Millis ChatSettings::*member;
  std::int64_t min_seconds, max_seconds;
};

constexpr MillisField kMillisFields[] = {
    {"offer_timeout_seconds", &ChatSettings::offer_timeout, 5, 600},
    {"max_wait_seconds", &ChatSettings::max_wait, 0, 86400},
    {"default_handle_seconds", &ChatSettings::default_handle, 30, 86400},
    {"presence_timeout_seconds", &ChatSettings::presence_timeout, 15, 3600},
    {"patient_timeout_seconds", &ChatSettings::patient_timeout, 30, 3600},
};

bool IsLanguageTag(std::string_view s) {
  return s.size() >= 2 && s.size() <= 8 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

}  // namespace

Result<ChatSettings> ParseChatSettings(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Invalid("chat settings must be a JSON object", "settings");
  ChatSettings s;
  for (const auto& kv : v.as_object()) {
    std::string_view key = kv.key();
    const json::value& value = kv.value();
    if (key == "enabled") {
      if (!value.is_bool()) return Invalid("enabled must be true or false", "enabled");
      s.enabled = value.as_bool();
      continue;
    }
    if (key == "queue") {
      if (!value.is_string() || value.as_string().empty() || value.as_string().size() > 64) {
        return Invalid("queue must have 1 to 64 characters", "queue");
      }
      s.queue = std::string(value.as_string());
      continue;
    }
    if (key == "languages") {
      if (!value.is_array() || value.as_array().empty() || value.as_array().size() > 20) {
        return Invalid("languages must list 1 to 20 language codes", "languages");
      }
      s.languages.clear();
      for (const json::value& l : value.as_array()) {
        if (!l.is_string() || !IsLanguageTag(l.as_string())) {
          return Invalid("languages must be lowercase codes such as \"en\"", "languages");
        }
        s.languages.emplace_back(l.as_string());
      }
      continue;
    }
    const MillisField* field = nullptr;
    for (const MillisField& f : kMillisFields) {
      if (f.name == key) field = &f;
    }
    if (!field) return Invalid("unknown field in chat settings", std::string(key));
    if (!value.is_int64() || value.as_int64() < field->min_seconds ||
        value.as_int64() > field->max_seconds) {
      return Invalid(std::string(key) + " must be a whole number from " +
                         std::to_string(field->min_seconds) + " to " +
                         std::to_string(field->max_seconds),
                     std::string(key));
    }
    s.*(field->member) = std::chrono::seconds(value.as_int64());
  }
  return s;
}

std::string ChatSettingsJson(const ChatSettings& s) {
  json::object o;
  o["enabled"] = s.enabled;
  o["queue"] = s.queue;
  json::array languages;
  for (const std::string& l : s.languages) languages.emplace_back(l);
  o["languages"] = std::move(languages);
  for (const MillisField& f : kMillisFields) {
    o[f.name] = std::chrono::duration_cast<std::chrono::seconds>(s.*(f.member)).count();
  }
  return json::serialize(o);
}

}  // namespace caredesk::jobs
