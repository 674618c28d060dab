#include "security/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>

#include "base/text.hpp"
#include "security/token.hpp"

namespace caredesk::security {

namespace {
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Recovery codes avoid 0/o, 1/l/i so they can be read aloud and typed from paper.
constexpr std::string_view kRecoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";
}  // namespace

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    auto pos = kBase32.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(pos);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string NewTotpSecret() {
  std::array<unsigned char, 20> key{};
  randombytes_buf(key.data(), key.size());
  return Base32Encode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::int64_t TotpStep(Timestamp at) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  return seconds / kTotpStepSeconds;
}

std::optional<std::string> TotpCode(std::string_view secret_base32, std::int64_t step, int digits) {
  auto key = Base32Decode(secret_base32);
  if (!key || key->empty() || digits < 6 || digits > 8) return std::nullopt;
  std::array<unsigned char, 8> counter{};
  auto value = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), key->data(), static_cast<int>(key->size()), counter.data(), counter.size(),
            mac.data(), &mac_len) ||
      mac_len != 20) {
    return std::nullopt;
  }
  // Dynamic truncation (RFC 4226 section 5.3).
  unsigned offset = mac[19] & 0x0f;
  std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                         (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                         (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                         static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulo = 1;
  for (int i = 0; i < digits; ++i) modulo *= 10;
  std::string code = std::to_string(binary % modulo);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::optional<std::int64_t> MatchTotp(std::string_view secret_base32, std::string_view code,
                                      Timestamp now) {
  std::string typed;
  for (char c : code) {
    if (c != ' ') typed.push_back(c);
  }
  if (typed.size() != 6) return std::nullopt;
  std::int64_t step = TotpStep(now);
  for (std::int64_t s : {step, step - 1, step + 1}) {
    auto expected = TotpCode(secret_base32, s);
    if (expected && ConstantTimeEquals(*expected, typed)) return s;
  }
  return std::nullopt;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secret_base32) {
  std::string label = PercentEncode(issuer) + ":" + PercentEncode(account);
  return "otpauth://totp/" + label + "?secret=" + std::string(secret_base32) +
         "&issuer=" + PercentEncode(issuer) + "&algorithm=SHA1&digits=6&period=30";
}

std::string NewRecoveryCode() {
  std::string code;
  for (int i = 0; i < 10; ++i) {
    if (i == 5) code.push_back('-');
    code.push_back(kRecoveryAlphabet[randombytes_uniform(kRecoveryAlphabet.size())]);
  }
  return code;
}

std::string HashRecoveryCode(std::string_view code) {
  std::string normal;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    normal.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return HashSecret("recovery:" + normal);
}

}  // namespace caredesk::security
