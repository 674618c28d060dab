#include "core/inbox/patient.hpp"

#include <date/date.h>

#include <cctype>

#include "base/text.hpp"

namespace caredesk::core {

Result<std::string> NormalizeEmail(std::string_view input, std::string_view field) {
  std::string f(field);
  std::string email = AsciiLower(Trim(input));
  if (email.size() > 254) return Invalid("email address is longer than 254 characters", f);
  auto at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) {
    return Invalid("email address must have the form name@domain", f);
  }
  std::string_view domain = std::string_view(email).substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size() ||
      domain.find("..") != std::string_view::npos) {
    return Invalid("email address must have the form name@domain", f);
  }
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == ',' || c == ';') {
      return Invalid("email address contains characters that are not allowed", f);
    }
  }
  return email;
}

Result<void> ValidateDateOfBirth(std::string_view dob, Timestamp today) {
  auto bad = [] { return Invalid("date_of_birth must be a date YYYY-MM-DD", "date_of_birth"); };
  if (dob.size() != 10 || dob[4] != '-' || dob[7] != '-') return bad();
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(dob[i]))) return bad();
  }
  int y = std::stoi(std::string(dob.substr(0, 4)));
  unsigned m = static_cast<unsigned>(std::stoi(std::string(dob.substr(5, 2))));
  unsigned d = static_cast<unsigned>(std::stoi(std::string(dob.substr(8, 2))));
  date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  if (!ymd.ok()) return bad();
  if (ymd.year() < date::year{1900}) {
    return Invalid("date_of_birth is before 1900", "date_of_birth");
  }
  if (date::sys_days{ymd} > date::floor<date::days>(today)) {
    return Invalid("date_of_birth is in the future", "date_of_birth");
  }
  return {};
}

Result<void> ValidateLanguage(std::string_view tag) {
  auto bad = [] { return Invalid("language must be a language tag such as en or es", "language"); };
  if (tag.empty() || tag.size() > 35) return bad();
  std::size_t start = 0;
  bool first = true;
  while (start <= tag.size()) {
    auto dash = tag.find('-', start);
    std::string_view part =
        tag.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    if (first) {
      if (part.size() < 2 || part.size() > 3) return bad();
      for (char c : part) {
        if (c < 'a' || c > 'z') return bad();
      }
    } else {
      if (part.size() < 2 || part.size() > 8) return bad();
      for (char c : part) {
        if (!std::isalnum(static_cast<unsigned char>(c))) return bad();
      }
    }
    first = false;
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return {};
}

Result<void> ValidatePatient(const Patient& p, Timestamp now) {
  if (p.name.size() > 200) return Invalid("name is longer than 200 characters", "name");
  if (!IsValidUtf8(p.name)) return Invalid("name is not valid UTF-8", "name");
  if (p.date_of_birth) CD_TRY(ValidateDateOfBirth(*p.date_of_birth, now));
  CD_TRY(ValidateLanguage(p.language));
  return {};
}

}  // namespace caredesk::core
