// Encryption at rest: XChaCha20-Poly1305 (libsodium's IETF AEAD, 192-bit random nonces, so no
// nonce bookkeeping) for values, and keyed blind indexes (HMAC-SHA-256) so equal values can be
// found without being readable. Thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace caredesk::security {

// 256 bits of key, wiped from memory when destroyed.
class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;
  static SecretKey Random();
  // nullopt unless `bytes` is exactly kSize long.
  static std::optional<SecretKey> FromBytes(std::string_view bytes);
  SecretKey(const SecretKey& other);
  SecretKey& operator=(const SecretKey& other);
  ~SecretKey();

  const unsigned char* data() const { return bytes_.data(); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

 private:
  SecretKey() = default;
  std::array<unsigned char, kSize> bytes_{};
};

// nonce (24 bytes) || ciphertext || tag (16 bytes). `aad` is authenticated, not stored: opening
// needs the same, so a value copied to another tenant or column does not open.
std::string Seal(const SecretKey& key, std::string_view plaintext, std::string_view aad);
// nullopt when the value was altered, or sealed under another key or aad.
std::optional<std::string> Unseal(const SecretKey& key, std::string_view sealed,
                                  std::string_view aad);

// HMAC-SHA-256 of `value` under `key`, the first 12 bytes in base64url (16 characters): equal
// inputs give equal outputs, and without the key nothing about the input can be computed.
std::string BlindIndex(const SecretKey& key, std::string_view value);

// BlindIndex with the key's HMAC state computed once: an index then costs two SHA-256
// compressions instead of four (a message indexes each of its words).
class BlindIndexer {
 public:
  explicit BlindIndexer(const SecretKey& key);
  ~BlindIndexer();
  BlindIndexer(const BlindIndexer&) = delete;
  BlindIndexer& operator=(const BlindIndexer&) = delete;
  // The first `bytes` (8..32) of the MAC, base64url.
  std::string operator()(std::string_view value, std::size_t bytes = 12) const;

 private:
  alignas(64) unsigned char state_[512];  // crypto_auth_hmacsha256_state after init
};

// Base64 (RFC 4648 section 5, URL-safe, no padding).
std::string ToBase64Url(std::string_view bytes);
// Base64 (RFC 4648 section 4, with padding), as HTTP Basic authentication needs.
std::string ToBase64(std::string_view bytes);
std::optional<std::string> FromBase64Url(std::string_view text);
std::optional<std::string> FromBase64(std::string_view text);  // with padding

// A key file holds the key in base64url on one line. Reading refuses a file others may read
// (kInvalid naming the problem); writing creates the file with mode 0600 and fails if it
// exists.
Result<SecretKey> ReadKeyFile(const std::string& path);
Result<void> WriteKeyFile(const std::string& path, const SecretKey& key);

}  // namespace caredesk::security
