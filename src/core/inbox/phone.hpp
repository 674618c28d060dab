// Phone numbers to E.164. Debian's libphonenumber cannot be installed beside Boost 1.81, so
// this is a deliberately small normalizer: the North American Numbering Plan (country 1) in
// every common written form, and any "+"- or "00"-prefixed international number. Anything
// else is an error, never a guess. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace caredesk::core {

// Returns "+<digits>" or kInvalid (field `field`). `default_country` is the calling code
// used for national forms; only "1" (NANP) is supported for national numbers.
Result<std::string> NormalizePhone(std::string_view input, std::string_view default_country = "1",
                                   std::string_view field = "phone");

// True when `s` looks like a phone number rather than an email or a visitor id: only digits,
// spaces and + ( ) - . / characters, with at least 7 digits.
bool LooksLikePhone(std::string_view s);

}  // namespace caredesk::core
