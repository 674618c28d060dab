#include "base/time.hpp"

#include <date/date.h>

#include <sstream>

namespace caredesk {

std::string FormatRfc3339(Timestamp t) { return date::format("%FT%TZ", t); }

std::optional<Timestamp> ParseRfc3339(std::string_view text) {
  std::istringstream in{std::string(text)};
  date::sys_time<Millis> tp;
  if (text.ends_with('Z') || text.ends_with('z')) {
    in >> date::parse("%FT%T", tp);
    if (in.fail()) return std::nullopt;
    char z = 0;
    in >> z;
    if (z != 'Z' && z != 'z') return std::nullopt;
  } else {
    in >> date::parse("%FT%T%Ez", tp);
    if (in.fail()) return std::nullopt;
  }
  if (in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return tp;
}

}  // namespace caredesk
