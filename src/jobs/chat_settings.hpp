// A practice's live-chat settings (the "chat" channel's settings JSON): parsed and checked
// apart from the router so the parser can be fuzzed without a store. Pure; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"

namespace caredesk::jobs {

// Stored as the "chat" channel's settings JSON; every field optional.
struct ChatSettings {
  bool enabled = true;
  Millis offer_timeout = std::chrono::seconds(30);  // then the chat goes to the next agent
  Millis max_wait = std::chrono::minutes(5);        // a longer expected wait is not offered live
  Millis default_handle = std::chrono::minutes(6);  // a chat's length before any is measured
  Millis presence_timeout =
      std::chrono::seconds(90);                      // an agent's console silent this long: offline
  Millis patient_timeout = std::chrono::minutes(2);  // a waiting patient silent this long: left
  std::string queue = "front-desk";                  // where chats go
  std::vector<std::string> languages{"en", "es"};    // the languages the widget offers
};

// kInvalid naming the field for anything malformed or out of range.
Result<ChatSettings> ParseChatSettings(std::string_view json);
std::string ChatSettingsJson(const ChatSettings& settings);

}  // namespace caredesk::jobs
