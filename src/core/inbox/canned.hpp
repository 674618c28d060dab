// Canned responses: the practice's shared replies, with variables the console fills in before
// the agent sends (the patient's first name, the locations' hours). Checked here so every
// stored set is usable: known variables only, unique shortcuts, sane sizes. Pure.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace caredesk::core {

struct CannedResponse {
  std::string title;     // 1 to 80 characters, shown in the composer's menu
  std::string shortcut;  // "" or 1 to 24 of a-z 0-9 _ -; typed as "/shortcut" in the composer
  std::string text;      // 1 to 2000 characters; may contain {{variable}}
};

inline constexpr std::size_t kMaxCannedResponses = 200;
inline constexpr std::array<std::string_view, 4> kCannedVariables = {
    "first_name", "practice_name", "agent_name", "location_hours"};

// kInvalid naming the field ("items[3].shortcut") for the first problem found: too many
// responses, an empty or oversized title or text, invalid UTF-8, a malformed or repeated
// shortcut, an unknown or unclosed {{variable}}.
Result<void> ValidateCannedResponses(const std::vector<CannedResponse>& responses);

}  // namespace caredesk::core
