#include "fake_idp.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <boost/json/serialize.hpp>

#include "http/message.hpp"
#include "security/crypto.hpp"
#include "security/token.hpp"

namespace caredesk::testing {

namespace json = boost::json;

struct FakeIdp::Keys {
  EVP_PKEY* published = nullptr;
  EVP_PKEY* other = nullptr;
  ~Keys() {
    EVP_PKEY_free(published);
    EVP_PKEY_free(other);
  }
};

namespace {

std::string BigEndian(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

}  // namespace

FakeIdp::FakeIdp(std::string client_id, std::string client_secret)
    : client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      keys_(std::make_unique<Keys>()) {
  keys_->published = EVP_RSA_gen(2048);
  keys_->other = EVP_RSA_gen(2048);
  server_ = std::make_unique<FakeHttpServer>([this](const FakeRequest& r) { return Answer(r); });
  issuer_ = server_->origin() + "/realms/clinic";
}

FakeIdp::~FakeIdp() = default;

FakeReply FakeIdp::Answer(const FakeRequest& request) {
  std::string url = server_->origin() + request.target;
  auto authorization = request.headers.find("authorization");
  if (request.method == "GET" && url == issuer_ + "/.well-known/openid-configuration") {
    return {200, json::serialize(json::object{
                     {"issuer", issuer_},
                     {"authorization_endpoint", issuer_ + "/protocol/auth"},
                     {"token_endpoint", issuer_ + "/protocol/token"},
                     {"jwks_uri", issuer_ + "/protocol/certs"},
                     {"id_token_signing_alg_values_supported", json::array{"RS256"}}})};
  }
  if (request.method == "GET" && url == issuer_ + "/protocol/certs") {
    return {200, json::serialize(Jwks())};
  }
  if (request.method == "POST" && url == issuer_ + "/protocol/token") {
    return Token(authorization == request.headers.end() ? "" : authorization->second, request.body);
  }
  return {404, R"({"error":"not_found"})"};
}

FakeReply FakeIdp::Token(const std::string& authorization, const std::string& body) {
  ++token_requests_;
  std::string expected = "Basic " + security::ToBase64(client_id_ + ":" + client_secret_);
  if (authorization != expected) return {401, R"({"error":"invalid_client"})"};
  std::map<std::string, std::string> form;
  for (auto& [k, v] : http::ParseQuery(body)) form[k] = v;
  Pending pending;
  {
    std::lock_guard lock(mutex_);
    auto it = codes_.find(form["code"]);
    if (it == codes_.end()) return {400, R"({"error":"invalid_grant"})"};
    pending = it->second;
    codes_.erase(it);  // a code works once
  }
  if (form["grant_type"] != "authorization_code" || form["redirect_uri"] != pending.redirect_uri ||
      security::ToBase64Url(security::Sha256(form["code_verifier"])) != pending.challenge) {
    return {400, R"({"error":"invalid_grant"})"};
  }
  return {200, json::serialize(json::object{{"access_token", "opaque"},
                                            {"token_type", "Bearer"},
                                            {"expires_in", 300},
                                            {"id_token", pending.id_token}})};
}

std::string FakeIdp::Authorize(const std::map<std::string, std::string>& request,
                               const Login& login) {
  auto get = [&](const char* key) {
    auto it = request.find(key);
    return it == request.end() ? std::string() : it->second;
  };
  if (get("client_id") != client_id_ || get("response_type") != "code" ||
      get("code_challenge_method") != "S256" || get("code_challenge").empty() ||
      get("scope").find("openid") == std::string::npos) {
    return {};
  }
  json::object claims{{"iss", issuer_},        {"aud", client_id_}, {"sub", "user-1"},
                      {"nonce", get("nonce")}, {"iat", 0},          {"exp", 0}};
  for (const auto& [k, v] : login.claims) claims[k] = v;
  json::object header{{"alg", login.alg}, {"typ", "JWT"}, {"kid", "key-1"}};
  std::string code = security::NewSecret();
  std::lock_guard lock(mutex_);
  codes_[code] =
      Pending{get("redirect_uri"), get("code_challenge"), Sign(header, claims, login.other_key)};
  return code;
}

std::string FakeIdp::Sign(const json::object& header, const json::object& claims,
                          bool other_key) const {
  std::string signed_part = security::ToBase64Url(json::serialize(header)) + "." +
                            security::ToBase64Url(json::serialize(claims));
  const json::value* alg = header.if_contains("alg");
  if (alg && alg->is_string() && alg->as_string() == "none") return signed_part + ".";
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr,
                     other_key ? keys_->other : keys_->published);
  std::size_t length = 0;
  EVP_DigestSign(md, nullptr, &length, reinterpret_cast<const unsigned char*>(signed_part.data()),
                 signed_part.size());
  std::string signature(length, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
  EVP_MD_CTX_free(md);
  signature.resize(length);
  return signed_part + "." + security::ToBase64Url(signature);
}

json::object FakeIdp::Jwks() const {
  return {{"keys",
           json::array{json::object{
               {"kty", "RSA"},
               {"kid", "key-1"},
               {"use", "sig"},
               {"alg", "RS256"},
               {"n", security::ToBase64Url(BigEndian(keys_->published, OSSL_PKEY_PARAM_RSA_N))},
               {"e", security::ToBase64Url(BigEndian(keys_->published, OSSL_PKEY_PARAM_RSA_E))}}}}};
}

}  // namespace caredesk::testing
