#include "security/crypto.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace caredesk::security {

SecretKey SecretKey::Random() {
  SecretKey k;
  randombytes_buf(k.bytes_.data(), k.bytes_.size());
  return k;
}

std::optional<SecretKey> SecretKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) return std::nullopt;
  SecretKey k;
  std::memcpy(k.bytes_.data(), bytes.data(), kSize);
  return k;
}

SecretKey::SecretKey(const SecretKey& other) : bytes_(other.bytes_) {}
SecretKey& SecretKey::operator=(const SecretKey& other) {
  bytes_ = other.bytes_;
  return *this;
}
SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

std::string Seal(const SecretKey& key, std::string_view plaintext, std::string_view aad) {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(bytes, kNonce);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      bytes + kNonce, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(aad.data()), aad.size(), nullptr,
      bytes, key.data());
  out.resize(kNonce + written);
  return out;
}

std::optional<std::string> Unseal(const SecretKey& key, std::string_view sealed,
                                  std::string_view aad) {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kNonce + kTag) return std::nullopt;
  std::string out(sealed.size() - kNonce - kTag, '\0');
  unsigned long long written = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr, bytes + kNonce,
          sealed.size() - kNonce, reinterpret_cast<const unsigned char*>(aad.data()), aad.size(),
          bytes, key.data()) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

std::string BlindIndex(const SecretKey& key, std::string_view value) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), SecretKey::kSize);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(value.data()),
                                value.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return ToBase64Url(std::string_view(reinterpret_cast<const char*>(mac), 12));
}

BlindIndexer::BlindIndexer(const SecretKey& key) {
  static_assert(sizeof(crypto_auth_hmacsha256_state) <= sizeof(state_));
  crypto_auth_hmacsha256_init(reinterpret_cast<crypto_auth_hmacsha256_state*>(state_), key.data(),
                              SecretKey::kSize);
}

BlindIndexer::~BlindIndexer() { sodium_memzero(state_, sizeof state_); }

std::string BlindIndexer::operator()(std::string_view value, std::size_t bytes) const {
  crypto_auth_hmacsha256_state state;
  std::memcpy(&state, state_, sizeof state);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(value.data()),
                                value.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  bytes = std::clamp<std::size_t>(bytes, 8, sizeof mac);
  return ToBase64Url(std::string_view(reinterpret_cast<const char*>(mac), bytes));
}

namespace {
std::string Base64Of(std::string_view bytes, int variant) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}
}  // namespace

std::string ToBase64Url(std::string_view bytes) {
  return Base64Of(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string ToBase64(std::string_view bytes) {
  return Base64Of(bytes, sodium_base64_VARIANT_ORIGINAL);
}

namespace {

std::optional<std::string> BytesOf(std::string_view text, int variant) {
  std::string out(text.size() * 3 / 4 + 1, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

std::optional<std::string> FromBase64Url(std::string_view text) {
  return BytesOf(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> FromBase64(std::string_view text) {
  return BytesOf(text, sodium_base64_VARIANT_ORIGINAL);
}

Result<SecretKey> ReadKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorKind::kInvalid, "cannot read the master key file", "master_key_file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return MakeError(ErrorKind::kInvalid,
                     "the master key file must be readable by its owner only (chmod 600)",
                     "master_key_file");
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  auto bytes = FromBase64Url(text);
  std::optional<SecretKey> key = bytes ? SecretKey::FromBytes(*bytes) : std::nullopt;
  if (bytes) sodium_memzero(bytes->data(), bytes->size());
  sodium_memzero(text.data(), text.size());
  if (!key) {
    return MakeError(ErrorKind::kInvalid,
                     "the master key file must hold 32 bytes in base64url on one line",
                     "master_key_file");
  }
  return *key;
}

Result<void> WriteKeyFile(const std::string& path, const SecretKey& key) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorKind::kInvalid,
                     errno == EEXIST ? "the key file exists already" : "cannot create the key file",
                     "master_key_file");
  }
  std::string text = ToBase64Url(key.view()) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  sodium_memzero(text.data(), text.size());
  ::close(fd);
  if (!ok) return MakeError(ErrorKind::kInternal, "cannot write the key file");
  return {};
}

}  // namespace caredesk::security
