#include "base/time.hpp"

#include <date/date.h>

#include <cctype>

namespace caredesk {
namespace {

// Reads exactly `n` digits at s[pos]; -1 if they are not all digits.
int Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string FormatRfc3339(Timestamp t) {
  // Every API view formats several instants, so this avoids date::format's stream and locale.
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return date::format("%FT%TZ", t);
  std::int64_t ms_of_day = (t - day).count();
  auto put = [](char* at, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) at[i] = static_cast<char>('0' + v % 10);
  };
  std::string out(24, ' ');  // YYYY-MM-DDTHH:MM:SS.mmmZ
  put(&out[0], year, 4);
  out[4] = '-';
  put(&out[5], static_cast<unsigned>(ymd.month()), 2);
  out[7] = '-';
  put(&out[8], static_cast<unsigned>(ymd.day()), 2);
  out[10] = 'T';
  put(&out[11], ms_of_day / 3'600'000, 2);
  out[13] = ':';
  put(&out[14], ms_of_day / 60'000 % 60, 2);
  out[16] = ':';
  put(&out[17], ms_of_day / 1000 % 60, 2);
  out[19] = '.';
  put(&out[20], ms_of_day % 1000, 3);
  out[23] = 'Z';
  return out;
}

std::optional<Timestamp> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  int y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  int h = Digits(s, 11, 2), mi = Digits(s, 14, 2), sec = Digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (pos - start < 3) millis = millis * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (std::size_t k = pos - start; k < 3; ++k) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = Digits(s, pos + 1, 2), om = Digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto local = date::sys_days{ymd} + std::chrono::hours(h) + std::chrono::minutes(mi) +
               std::chrono::seconds(sec) + Millis(millis);
  return Timestamp{local - std::chrono::minutes(offset_minutes)};
}

}  // namespace caredesk
