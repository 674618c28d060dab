// Random secrets (bearer tokens, session ids, CSRF tokens) and the hashes stored in their
// place: the database never holds a usable credential. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace caredesk::security {

// 256 random bits, base64url without padding, with a readable prefix ("cdk_" for API tokens)
// so leaked tokens are easy to find with secret scanners.
std::string NewSecret(std::string_view prefix = "");
// SHA-256 of the secret, lowercase hex: what the database stores and looks up.
std::string HashSecret(std::string_view secret);
// SHA-256 of `bytes`, the 32 raw bytes (PKCE's S256 challenge and other derived values).
std::string Sha256(std::string_view bytes);
// Constant-time comparison of two strings.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace caredesk::security
