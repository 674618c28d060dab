#include "security/password.hpp"

#include <sodium.h>

namespace caredesk::security {

Result<void> Init() {
  if (sodium_init() < 0) return Internal("libsodium failed to initialize");
  return {};
}

Result<void> CheckPasswordPolicy(std::string_view password) {
  if (password.size() < 8) return Invalid("password must have at least 8 characters", "password");
  if (password.size() > 128)
    return Invalid("password must have at most 128 characters", "password");
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
