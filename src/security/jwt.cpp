#include "security/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <boost/json/parse.hpp>

#include <memory>

#include "security/crypto.hpp"

namespace caredesk::security {

namespace json = boost::json;

namespace {

Error Refused(std::string message) {
  return MakeError(ErrorKind::kUnauthenticated, std::move(message));
}

Result<json::object> DecodeObject(std::string_view part, std::string_view what) {
  auto bytes = FromBase64Url(part);
  if (!bytes) return Refused("the token's " + std::string(what) + " is not base64url");
  boost::system::error_code ec;
  json::value v = json::parse(*bytes, ec);
  if (ec || !v.is_object()) return Refused("the token's " + std::string(what) + " is not JSON");
  return std::move(v.as_object());
}

std::string_view StringOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An RSA public key from a JWK's base64url "n" and "e".
Result<Pkey> RsaKey(const json::object& jwk) {
  auto n = FromBase64Url(StringOf(jwk, "n"));
  auto e = FromBase64Url(StringOf(jwk, "e"));
  if (!n || !e || n->empty() || e->empty()) return Refused("the provider's RSA key is malformed");
  if (n->size() * 8 < 2048) return Refused("the provider's RSA key is shorter than 2048 bits");
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()),
                nullptr),
      &BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()),
                nullptr),
      &BN_free);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        &OSSL_PARAM_BLD_free);
  if (!bn_n || !bn_e || !build ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Internal("could not build an RSA key");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(build.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Refused("the provider's RSA key is malformed");
  }
  return Pkey(key);
}

bool IsRsaSigningKey(const json::object& jwk) {
  if (StringOf(jwk, "kty") != "RSA") return false;
  std::string_view use = StringOf(jwk, "use");
  std::string_view alg = StringOf(jwk, "alg");
  return (use.empty() || use == "sig") && (alg.empty() || alg == "RS256");
}

const json::array* Keys(const json::value& jwks) {
  if (!jwks.is_object()) return nullptr;
  const json::value* keys = jwks.as_object().if_contains("keys");
  return keys && keys->is_array() ? &keys->as_array() : nullptr;
}

}  // namespace

Result<Jwt> ParseJwt(std::string_view compact) {
  std::size_t first = compact.find('.');
  std::size_t second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return Refused("the token is not a signed JWT");
  }
  Jwt jwt;
  CD_TRY_ASSIGN(jwt.header, DecodeObject(compact.substr(0, first), "header"));
  CD_TRY_ASSIGN(jwt.claims, DecodeObject(compact.substr(first + 1, second - first - 1), "claims"));
  auto signature = FromBase64Url(compact.substr(second + 1));
  if (!signature || signature->empty()) return Refused("the token's signature is missing");
  jwt.signed_part = std::string(compact.substr(0, second));
  jwt.signature = std::move(*signature);
  return jwt;
}

bool JwksHasKey(const json::value& jwks, std::string_view kid) {
  const json::array* keys = Keys(jwks);
  if (!keys) return false;
  for (const json::value& k : *keys) {
    if (k.is_object() && StringOf(k.as_object(), "kid") == kid) return true;
  }
  return false;
}

Result<void> VerifyJwtSignature(const Jwt& jwt, const json::value& jwks) {
  if (StringOf(jwt.header, "alg") != "RS256") {
    return Refused("the token is not signed with RS256");
  }
  const json::array* keys = Keys(jwks);
  if (!keys) return Refused("the provider published no keys");
  const json::value* kid = jwt.header.if_contains("kid");
  const json::object* chosen = nullptr;
  int candidates = 0;
  for (const json::value& k : *keys) {
    if (!k.is_object() || !IsRsaSigningKey(k.as_object())) continue;
    if (kid) {
      if (kid->is_string() && StringOf(k.as_object(), "kid") == kid->as_string()) {
        chosen = &k.as_object();
        break;
      }
    } else {
      chosen = &k.as_object();
      ++candidates;
    }
  }
  if (!chosen || candidates > 1) return Refused("no key of the provider matches the token");
  CD_TRY_ASSIGN(Pkey key, RsaKey(*chosen));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return Internal("could not start an RS256 check");
  }
  int ok = EVP_DigestVerify(
      md.get(), reinterpret_cast<const unsigned char*>(jwt.signature.data()), jwt.signature.size(),
      reinterpret_cast<const unsigned char*>(jwt.signed_part.data()), jwt.signed_part.size());
  if (ok != 1) return Refused("the token's signature is not valid");
  return {};
}

}  // namespace caredesk::security
