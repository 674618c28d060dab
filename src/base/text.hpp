// Text helpers shared by every layer: UTF-8 validation, JSON string escaping, ASCII case
// folding and the tokenizer behind message search. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace caredesk {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);
// The length of the well-formed UTF-8 sequence starting at s[i], or 0 if there is none.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i);

// Appends `s` as a quoted JSON string. Invalid UTF-8 bytes are replaced by U+FFFD so a log
// line is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

std::string AsciiLower(std::string_view s);
// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view s);
std::string_view Trim(std::string_view s);

// Splits text into lowercase search tokens: runs of letters and digits (ASCII folded, other
// UTF-8 letters kept as-is), each 2..64 bytes. Duplicates removed, order of first occurrence.
std::vector<std::string> SearchTokens(std::string_view text);

}  // namespace caredesk
