// What a text message says to a carrier: the consent keywords patients send (STOP, START,
// HELP, and their Spanish forms) with the practice's answers, and how many segments a text is
// billed and delivered as (GSM-7 or UCS-2). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace caredesk::channels {

// A whole message that is a consent keyword. Carriers (and Twilio) act on the keyword alone,
// not on a sentence that contains it: "stop" opts out, "please stop by at 3" does not.
struct SmsKeyword {
  enum class Kind { kNone, kStop, kStart, kHelp } kind = Kind::kNone;
  std::string word;  // upper case, as matched ("STOP", "ALTO")
  bool spanish = false;
};

// Case, surrounding blanks and trailing punctuation ("Stop.", " STOP!") are ignored.
SmsKeyword ClassifySmsKeyword(std::string_view text);

// The confirmation the practice texts back, in the keyword's language. `practice` names it;
// `help_contact` ("call 312-555-0100") is added to the HELP answer when given.
std::string KeywordReply(const SmsKeyword& keyword, std::string_view practice,
                         std::string_view help_contact);

// How a text is sent: GSM-7 when every character is in the GSM 03.38 alphabet (its extension
// characters such as € and { take two septets), else UCS-2 (UTF-16 units; an emoji takes two).
struct SmsSegments {
  enum class Encoding { kGsm7, kUcs2 } encoding = Encoding::kGsm7;
  int units = 0;     // septets (GSM-7) or UTF-16 code units (UCS-2)
  int segments = 0;  // 0 for an empty text; a character is never split across two segments
};

// `text` must be valid UTF-8.
SmsSegments CountSmsSegments(std::string_view text);
std::string_view Name(SmsSegments::Encoding encoding);

}  // namespace caredesk::channels
