#include "security/password.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include <sodium.h>

namespace caredesk::security {

Result<void> Init() {
  // Random bytes from libsodium's ChaCha20 generator (seeded from the kernel, per thread)
  // instead of a getrandom() call each: every sealed value takes a fresh 24-byte nonce.
  static const bool chosen = [] {
    return randombytes_set_implementation(&randombytes_internal_implementation) == 0;
  }();
  if (!chosen || sodium_init() < 0) return Internal("libsodium failed to initialize");
  return {};
}

namespace {

// The passwords that lead every published list of leaked passwords, lowercased. Digits and
// "!" at the end are stripped before the comparison, so "Password123!" is caught too.
constexpr std::string_view kCommon[] = {
    "password", "passw0rd", "p@ssw0rd",  "p@ssword",   "qwerty",   "qwertyuiop",    "qwertz",
    "azerty",   "iloveyou", "letmein",   "welcome",    "admin",    "administrator", "changeme",
    "default",  "football", "baseball",  "basketball", "soccer",   "hockey",        "sunshine",
    "princess", "dragon",   "monkey",    "master",     "shadow",   "superman",      "batman",
    "trustno",  "whatever", "starwars",  "freedom",    "hello",    "secret",        "login",
    "abc",      "abcd",     "qazwsx",    "zaq",        "asdfgh",   "asdfghjkl",     "zxcvbn",
    "zxcvbnm",  "1q2w3e4r", "1qaz2wsx",  "q1w2e3r4",   "michael",  "jennifer",      "jessica",
    "charlie",  "jordan",   "hunter",    "ranger",     "buster",   "tigger",        "summer",
    "winter",   "spring",   "autumn",    "computer",   "internet", "mustang",       "harley",
    "pepper",   "cookie",   "chocolate", "flower",     "lovely",   "loveme",        "nurse",
    "doctor",   "clinic",   "medical",   "health",     "hospital", "patient",       "caredesk",
    "letmein",  "access",   "temp",      "guest",      "user",     "test"};

std::string StripTail(std::string s) {
  while (!s.empty() && (std::isdigit(static_cast<unsigned char>(s.back())) || s.back() == '!')) {
    s.pop_back();
  }
  return s;
}

// True when every character is the one before it plus or minus one ("12345678", "hgfedcba").
bool IsStraightRun(std::string_view s) {
  if (s.size() < 2) return true;
  int step = s[1] - s[0];
  if (step != 1 && step != -1) return false;
  for (std::size_t i = 2; i < s.size(); ++i) {
    if (s[i] - s[i - 1] != step) return false;
  }
  return true;
}

}  // namespace

Result<void> CheckPasswordPolicy(std::string_view password, std::string_view email) {
  auto weak = [](const std::string& why) { return Invalid("password " + why, "password"); };
  if (password.size() < 8) return weak("must have at least 8 characters");
  if (password.size() > 128) return weak("must have at most 128 characters");
  std::string lower(password);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string stem = StripTail(lower);
  for (std::string_view common : kCommon) {
    if (stem == common || lower == common) return weak("is one of the most common passwords");
  }
  if (stem.empty()) return weak("must not be only digits");  // e.g. "12345678", "20261128"
  std::string distinct = lower;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 4) return weak("needs at least four different characters");
  if (IsStraightRun(lower)) return weak("must not be a straight run of characters");
  std::string name(email.substr(0, email.find('@')));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.size() >= 3 && lower.find(name) != std::string::npos) {
    return weak("must not contain your email name");
  }
  return {};
}

Result<std::string> HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), 3, 64ull << 20,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace caredesk::security
