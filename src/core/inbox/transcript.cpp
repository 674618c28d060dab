#include "core/inbox/transcript.hpp"

#include <date/tz.h>

namespace caredesk::core {

Result<std::string> FormatTranscript(std::string_view practice, std::string_view time_zone,
                                     const std::vector<TranscriptLine>& lines) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    return Invalid("unknown time zone; use an IANA name such as America/Chicago", "time_zone");
  }
  std::string out = "Your chat with " + std::string(practice) + "\n";
  std::string day;
  for (const TranscriptLine& line : lines) {
    auto local = date::make_zoned(zone, std::chrono::time_point_cast<std::chrono::seconds>(line.at))
                     .get_local_time();
    std::string this_day = date::format("%A %d %B %Y", local);
    if (this_day != day) {
      out += "\n" + this_day + "\n";
      day = this_day;
    }
    out += date::format("%H:%M", local) + "  " + line.who + ": " + line.text + "\n";
  }
  out +=
      "\nThis is a copy of your chat, sent because you asked for it. To ask something else, "
      "reply to this email or start a new chat on our website.\n";
  return out;
}

}  // namespace caredesk::core
