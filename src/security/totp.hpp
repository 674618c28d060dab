// Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, the form every
// authenticator app reads from an otpauth:// URI) and single-use recovery codes. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace caredesk::security {

inline constexpr std::int64_t kTotpStepSeconds = 30;

// 160 random bits in base32 (RFC 4648, no padding): 32 characters.
std::string NewTotpSecret();
// The 30-second step that `at` falls in.
std::int64_t TotpStep(Timestamp at);
// The code for `step`; nullopt when the secret is not valid base32.
std::optional<std::string> TotpCode(std::string_view secret_base32, std::int64_t step,
                                    int digits = 6);
// The step whose code is `code`, looking one step either side of `now` (clocks drift);
// nullopt when none matches. The caller must refuse a step it has accepted before.
std::optional<std::int64_t> MatchTotp(std::string_view secret_base32, std::string_view code,
                                      Timestamp now);
// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secret_base32);

// A recovery code as shown to the user: "xxxxx-xxxxx" from an alphabet without look-alikes
// (50 bits).
std::string NewRecoveryCode();
// What is stored and compared: the hash of the code with case, spaces and dashes removed.
std::string HashRecoveryCode(std::string_view code);

// RFC 4648 base32, upper case, no padding; Decode accepts lower case and ignores spaces.
std::string Base32Encode(std::string_view bytes);
std::optional<std::string> Base32Decode(std::string_view text);

}  // namespace caredesk::security
