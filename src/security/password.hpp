// Password hashing with Argon2id (libsodium's crypto_pwhash_str): 3 passes over 64 MiB, above
// OWASP's minimum (2 passes, 19 MiB). Hashing costs ~100 ms of CPU: call it on the blocking
// pool, never on an I/O thread. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace caredesk::security {

// Initializes libsodium; call once at start. kInternal if it cannot initialize.
Result<void> Init();

// Minimum 8 and maximum 128 bytes (ASVS: at least 64 must be allowed), and not a password
// attackers try first: one of the most common passwords (case-insensitive, with or without
// trailing digits or "!"), fewer than four different characters, one straight run such as
// "12345678" or "abcdefgh", or the user's own email name. kInvalid, field "password",
// otherwise.
Result<void> CheckPasswordPolicy(std::string_view password, std::string_view email = {});
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view password, std::string_view hash);

}  // namespace caredesk::security
