#include "core/inbox/phone.hpp"

#include <cctype>

namespace caredesk::core {
namespace {

bool IsPunctuation(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t';
}

// NANP: NXX-NXX-XXXX where N is 2-9; area codes N11 are service codes, not numbers.
bool IsValidNanp(std::string_view ten) {
  if (ten.size() != 10) return false;
  if (ten[0] < '2' || ten[3] < '2') return false;
  if (ten[1] == '1' && ten[2] == '1') return false;
  return true;
}

}  // namespace

bool LooksLikePhone(std::string_view s) {
  int digits = 0;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (!IsPunctuation(c) && c != '+') {
      return false;
    }
  }
  return digits >= 7;
}

Result<std::string> NormalizePhone(std::string_view input, std::string_view default_country,
                                   std::string_view field) {
  std::string f(field);
  std::string_view s = input;
  while (!s.empty() && IsPunctuation(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPunctuation(s.back())) s.remove_suffix(1);
  // Extensions cannot be texted; refuse rather than drop them silently.
  for (std::string_view ext : {"ext", "x", "#"}) {
    for (std::size_t p = s.find(ext); p != std::string_view::npos; p = s.find(ext, p + 1)) {
      if (p > 0) return Invalid("phone number has an extension", f);
    }
  }
  bool international = false;
  if (!s.empty() && s.front() == '+') {
    international = true;
    s.remove_prefix(1);
  } else if (s.starts_with("00")) {
    international = true;
    s.remove_prefix(2);
  } else if (s.starts_with("011")) {  // NANP international access code
    international = true;
    s.remove_prefix(3);
  }
  std::string digits;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (!IsPunctuation(c)) {
      return Invalid("phone number contains characters other than digits", f);
    }
  }
  if (digits.empty()) return Invalid("phone number is empty", f);
  if (international) {
    if (digits.front() == '0') return Invalid("country code cannot start with 0", f);
    if (digits.size() < 8 || digits.size() > 15) {
      return Invalid("international number must have 8 to 15 digits", f);
    }
    if (digits.front() == '1' && !IsValidNanp(std::string_view(digits).substr(1))) {
      return Invalid("not a valid North American number", f);
    }
    return "+" + digits;
  }
  if (default_country != "1") {
    return Invalid("national numbers are only understood for country code 1", f);
  }
  if (digits.size() == 11 && digits.front() == '1') digits.erase(0, 1);
  if (!IsValidNanp(digits)) return Invalid("not a valid North American number", f);
  return "+1" + digits;
}

}  // namespace caredesk::core
