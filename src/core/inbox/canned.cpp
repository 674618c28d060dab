#include "core/inbox/canned.hpp"

#include <algorithm>
#include <set>

#include "base/text.hpp"

namespace caredesk::core {

namespace {

std::size_t Characters(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Result<void> Bad(std::string message, std::size_t index, std::string_view field) {
  return MakeError(ErrorKind::kInvalid, std::move(message),
                   "items[" + std::to_string(index) + "]." + std::string(field));
}

bool ShortcutChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Every "{{" opens a variable that must close with "}}" and name a known one (spaces around
// the name allowed, as the console reads them).
Result<void> CheckVariables(std::string_view text, std::size_t index) {
  for (std::size_t at = text.find("{{"); at != std::string_view::npos;
       at = text.find("{{", at + 2)) {
    std::size_t end = text.find("}}", at + 2);
    if (end == std::string_view::npos) return Bad("a {{ is not closed with }}", index, "text");
    std::string_view name = Trim(text.substr(at + 2, end - at - 2));
    if (std::find(kCannedVariables.begin(), kCannedVariables.end(), name) ==
        kCannedVariables.end()) {
      return Bad("unknown variable; use first_name, practice_name, agent_name or location_hours",
                 index, "text");
    }
    at = end;
  }
  return {};
}

}  // namespace

Result<void> ValidateCannedResponses(const std::vector<CannedResponse>& responses) {
  if (responses.size() > kMaxCannedResponses) {
    return MakeError(ErrorKind::kInvalid, "at most 200 canned responses", "items");
  }
  std::set<std::string_view> shortcuts;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    const CannedResponse& r = responses[i];
    for (auto [value, field] : {std::pair{std::string_view(r.title), "title"},
                                std::pair{std::string_view(r.text), "text"},
                                std::pair{std::string_view(r.shortcut), "shortcut"}}) {
      if (!IsValidUtf8(value)) return Bad("must be valid UTF-8 text", i, field);
    }
    std::size_t title = Characters(Trim(r.title));
    if (title == 0 || title > 80) return Bad("title must have 1 to 80 characters", i, "title");
    std::size_t text = Characters(Trim(r.text));
    if (text == 0 || text > 2000) return Bad("text must have 1 to 2000 characters", i, "text");
    if (!r.shortcut.empty()) {
      if (r.shortcut.size() > 24 ||
          !std::all_of(r.shortcut.begin(), r.shortcut.end(), ShortcutChar)) {
        return Bad("shortcut must be 1 to 24 of a-z, 0-9, _ and -", i, "shortcut");
      }
      if (!shortcuts.insert(r.shortcut).second) {
        return Bad("another canned response has this shortcut", i, "shortcut");
      }
    }
    CD_TRY(CheckVariables(r.text, i));
  }
  return {};
}

}  // namespace caredesk::core
