#include "core/identity/verification.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "base/text.hpp"

namespace caredesk::core {

namespace {

constexpr std::array<std::string_view, 4> kDisclosureNames = {"scheduling", "billing", "clinical",
                                                              "records"};
constexpr std::array<std::string_view, 5> kStateNames = {"started", "details_matched", "code_sent",
                                                         "verified", "failed"};

// Lowercase words with Spanish accents folded (á é í ó ú ü ñ), sorted.
std::vector<std::string> NameWords(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, char>, 14> kFold = {{
      {"á", 'a'},
      {"é", 'e'},
      {"í", 'i'},
      {"ó", 'o'},
      {"ú", 'u'},
      {"ü", 'u'},
      {"ñ", 'n'},
      {"Á", 'a'},
      {"É", 'e'},
      {"Í", 'i'},
      {"Ó", 'o'},
      {"Ú", 'u'},
      {"Ü", 'u'},
      {"Ñ", 'n'},
  }};
  std::string folded;
  for (std::size_t i = 0; i < name.size();) {
    bool replaced = false;
    for (const auto& [from, to] : kFold) {
      if (name.substr(i, from.size()) == from) {
        folded.push_back(to);
        i += from.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) folded.push_back(name[i++]);
  }
  std::vector<std::string> words = SearchTokens(folded);
  std::sort(words.begin(), words.end());
  return words;
}

struct Ymd {
  int y = 0, m = 0, d = 0;
  bool operator==(const Ymd&) const = default;
};

std::optional<int> Number(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<Ymd> ParseDate(std::string_view s) {
  s = Trim(s);
  auto parts = [&](char sep) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
      auto at = s.find(sep, start);
      out.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
      if (at == std::string_view::npos) break;
      start = at + 1;
    }
    return out;
  };
  std::optional<Ymd> out;
  if (auto dash = parts('-'); dash.size() == 3 && dash[0].size() == 4) {
    auto y = Number(dash[0]), m = Number(dash[1]), d = Number(dash[2]);
    if (y && m && d) out = Ymd{*y, *m, *d};
  } else if (auto slash = parts('/'); slash.size() == 3 && slash[2].size() == 4) {
    auto m = Number(slash[0]), d = Number(slash[1]), y = Number(slash[2]);
    if (y && m && d) out = Ymd{*y, *m, *d};
  }
  if (out && (out->m < 1 || out->m > 12 || out->d < 1 || out->d > 31)) return std::nullopt;
  return out;
}

std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

bool Contains(const std::vector<Disclosure>& list, Disclosure d) {
  return std::find(list.begin(), list.end(), d) != list.end();
}

// Words that tell of results, diagnoses and conditions: said only to someone allowed clinical
// information.
constexpr std::array<std::string_view, 34> kClinicalWords = {
    "result",      "results",   "lab",       "labs",      "biopsy",    "diagnosis", "diagnosed",
    "positive",    "negative",  "hiv",       "std",       "sti",       "pregnancy", "pregnant",
    "cancer",      "tumor",     "malignant", "benign",    "pathology", "mammogram", "a1c",
    "cholesterol", "glucose",   "scan",      "mri",       "ct",        "xray",      "ultrasound",
    "chlamydia",   "gonorrhea", "hepatitis", "prognosis", "abnormal",  "resultados"};

}  // namespace

std::string_view Name(Disclosure d) { return kDisclosureNames[static_cast<std::size_t>(d)]; }

std::optional<Disclosure> ParseDisclosure(std::string_view text) {
  for (std::size_t i = 0; i < kDisclosureNames.size(); ++i) {
    if (kDisclosureNames[i] == text) return static_cast<Disclosure>(i);
  }
  return std::nullopt;
}

std::string_view Name(Verification::State s) { return kStateNames[static_cast<std::size_t>(s)]; }

std::optional<Verification::State> ParseVerificationState(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == text) return static_cast<Verification::State>(i);
  }
  return std::nullopt;
}

bool NamesMatch(std::string_view claimed, std::string_view on_record) {
  std::vector<std::string> a = NameWords(claimed), b = NameWords(on_record);
  return !a.empty() && a == b;
}

bool BirthDatesMatch(std::string_view claimed, std::string_view on_record) {
  auto a = ParseDate(claimed), b = ParseDate(on_record);
  return a && b && *a == *b;
}

bool IsVerified(const Verification& v, Timestamp now) {
  return v.state == Verification::State::kVerified && v.expires_at && now < *v.expires_at;
}

std::vector<Disclosure> MayDisclose(const std::optional<Verification>& v,
                                    const std::optional<Representative>& rep, Timestamp now) {
  if (!v || !IsVerified(*v, now)) return {};
  if (v->representative_id == 0) return {std::begin(kAllDisclosures), std::end(kAllDisclosures)};
  if (!rep || rep->revoked_at) return {};
  return rep->scope;
}

std::vector<std::string> PhiInReply(std::string_view text, const Patient& record,
                                    const std::vector<Disclosure>& allowed) {
  std::vector<std::string> found;
  const bool records_ok = Contains(allowed, Disclosure::kRecords);
  if (!records_ok && record.date_of_birth) {
    if (auto d = ParseDate(*record.date_of_birth)) {
      auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
      std::string y = std::to_string(d->y);
      for (const std::string& form : {*record.date_of_birth, two(d->m) + "/" + two(d->d) + "/" + y,
                                      std::to_string(d->m) + "/" + std::to_string(d->d) + "/" + y,
                                      two(d->m) + "-" + two(d->d) + "-" + y}) {
        if (text.find(form) != std::string_view::npos) {
          found.emplace_back("date_of_birth");
          break;
        }
      }
    }
  }
  if (!records_ok && record.phone) {
    std::string last10 = Digits(*record.phone);
    if (last10.size() > 10) last10 = last10.substr(last10.size() - 10);
    if (last10.size() >= 7 &&
        Digits(text).find(last10.substr(last10.size() - 7)) != std::string::npos) {
      found.emplace_back("phone");
    }
  }
  if (!records_ok && record.email && AsciiLower(text).find(*record.email) != std::string::npos) {
    found.emplace_back("email");
  }
  if (!Contains(allowed, Disclosure::kClinical)) {
    for (const std::string& word : SearchTokens(text)) {
      if (std::find(kClinicalWords.begin(), kClinicalWords.end(), word) != kClinicalWords.end()) {
        found.emplace_back("clinical");
        break;
      }
    }
  }
  return found;
}

std::string MaskBirthDate(std::string_view) { return "****-**-**"; }

std::string MaskPhone(std::string_view e164) {
  std::string digits = Digits(e164);
  if (digits.size() < 4) return "***";
  return "***-***-" + digits.substr(digits.size() - 4);
}

std::string MaskEmail(std::string_view email) {
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) return "***";
  return std::string(email.substr(0, 1)) + "***@" + std::string(email.substr(at + 1, 1)) + "***";
}

}  // namespace caredesk::core
