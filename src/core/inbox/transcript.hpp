// A chat as the patient reads it afterwards: the copy the widget's "email me this chat" sends.
// Times in the practice's time zone, a date line whenever the day changes; no internal notes
// (the caller passes only what the patient saw). Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"

namespace caredesk::core {

struct TranscriptLine {
  Timestamp at;
  std::string who;  // "You", or the practice's person's first name
  std::string text;
};

// kInvalid (field "time_zone") for an unknown zone.
Result<std::string> FormatTranscript(std::string_view practice, std::string_view time_zone,
                                     const std::vector<TranscriptLine>& lines);

}  // namespace caredesk::core
