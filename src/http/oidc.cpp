#include "http/oidc.hpp"

#include <boost/json/parse.hpp>

#include <charconv>

#include "base/text.hpp"
#include "security/crypto.hpp"
#include "security/jwt.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;
using net::FetchRequest;
using net::FetchResponse;
using net::FormEncode;
using net::IsSafeServiceUrl;

namespace {

constexpr auto kClockSkew = std::chrono::seconds(60);

Error Refused(std::string message) {
  return MakeError(ErrorKind::kUnauthenticated, std::move(message));
}

std::string StringOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::int64_t> SecondsOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

// A value derived from the browser's secret for one purpose, base64url (43 characters).
std::string Derived(std::string_view purpose, std::string_view secret) {
  return security::ToBase64Url(security::Sha256(std::string(purpose) + "\n" + std::string(secret)));
}

}  // namespace

OidcAttempt OidcAttempt::Derive(TenantId tenant, std::string_view browser_secret) {
  OidcAttempt a;
  a.state = std::to_string(tenant.value) + "." + Derived("state", browser_secret);
  a.nonce = Derived("nonce", browser_secret);
  a.code_verifier = Derived("pkce", browser_secret);
  a.code_challenge = security::ToBase64Url(security::Sha256(a.code_verifier));
  return a;
}

std::optional<TenantId> OidcAttempt::TenantOf(std::string_view state) {
  std::size_t dot = state.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 18) return std::nullopt;
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(state.data(), state.data() + dot, id);
  if (ec != std::errc() || end != state.data() + dot || id <= 0) return std::nullopt;
  return TenantId{id};
}

Result<json::value> OidcRelyingParty::FetchJson(const FetchRequest& request) {
  CD_TRY_ASSIGN(FetchResponse response, net::Fetch(request));
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  if (response.status != 200) {
    // The provider's own error code helps the practice's IT person; its description may echo
    // input, so it is left out.
    std::string code;
    if (!ec && v.is_object()) code = StringOf(v.as_object(), "error");
    if (!IsValidUtf8(code) || code.size() > 64) code.clear();
    return Refused("the identity provider answered " + std::to_string(response.status) +
                   (code.empty() ? std::string() : " (" + code + ")"));
  }
  if (ec || !v.is_object()) return Refused("the identity provider's answer is not JSON");
  return v;
}

Result<OidcRelyingParty::Endpoints> OidcRelyingParty::Discover(const std::string& issuer,
                                                               Timestamp now) {
  {
    std::lock_guard lock(mutex_);
    auto it = discovered_.find(issuer);
    if (it != discovered_.end() && now < it->second.until) return it->second.endpoints;
  }
  if (!IsSafeServiceUrl(issuer)) {
    return Invalid("the identity provider's issuer must be an https URL", "issuer");
  }
  Result<Endpoints> found = Fetched(issuer);
  std::lock_guard lock(mutex_);
  if (discovered_.size() >= 1000) discovered_.clear();  // bounded: issuers are typed by admins
  discovered_.insert_or_assign(issuer,
                               Discovered{found, now + (found ? Millis(std::chrono::hours(1))
                                                              : Millis(std::chrono::minutes(1)))});
  return found;
}

Result<OidcRelyingParty::Endpoints> OidcRelyingParty::Fetched(const std::string& issuer) {
  std::string base = issuer;
  while (base.ends_with('/')) base.pop_back();
  FetchRequest request;
  request.url = base + "/.well-known/openid-configuration";
  request.headers = {{"Accept", "application/json"}};
  auto document = FetchJson(request);
  if (!document) {
    if (document.error().kind == ErrorKind::kUnauthenticated) {
      return Unavailable("the identity provider's discovery document could not be read");
    }
    return document.error();
  }
  const json::object& o = document->as_object();
  if (StringOf(o, "issuer") != issuer) {
    return Invalid("the identity provider's discovery document names another issuer", "issuer");
  }
  Endpoints e{StringOf(o, "authorization_endpoint"), StringOf(o, "token_endpoint"),
              StringOf(o, "jwks_uri")};
  for (const std::string* url : {&e.authorization, &e.token, &e.jwks}) {
    if (!IsSafeServiceUrl(*url)) {
      return Invalid("the identity provider's endpoints must be https URLs", "issuer");
    }
  }
  return e;
}

std::string OidcRelyingParty::AuthorizationUrl(const Endpoints& endpoints,
                                               const store::OidcProvider& provider,
                                               const std::string& redirect_uri,
                                               const OidcAttempt& attempt) {
  std::string url = endpoints.authorization;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += FormEncode({{"response_type", "code"},
                     {"client_id", provider.client_id},
                     {"redirect_uri", redirect_uri},
                     {"scope", "openid email"},
                     {"state", attempt.state},
                     {"nonce", attempt.nonce},
                     {"code_challenge", attempt.code_challenge},
                     {"code_challenge_method", "S256"}});
  return url;
}

Result<json::value> OidcRelyingParty::Keys(const std::string& jwks_uri, std::string_view kid,
                                           Timestamp now) {
  {
    std::lock_guard lock(mutex_);
    auto it = key_sets_.find(jwks_uri);
    if (it != key_sets_.end()) {
      bool known = kid.empty() || security::JwksHasKey(it->second.keys, kid);
      bool recent = now - it->second.fetched_at < std::chrono::minutes(1);
      if ((known && now - it->second.fetched_at < std::chrono::hours(24)) || recent) {
        return it->second.keys;
      }
    }
  }
  FetchRequest request;
  request.url = jwks_uri;
  request.headers = {{"Accept", "application/json"}};
  CD_TRY_ASSIGN(json::value keys, FetchJson(request));
  std::lock_guard lock(mutex_);
  key_sets_[jwks_uri] = KeySet{keys, now};
  return keys;
}

Result<OidcIdentity> OidcRelyingParty::Redeem(const store::OidcProvider& provider,
                                              const Endpoints& endpoints, const std::string& code,
                                              const std::string& redirect_uri,
                                              const OidcAttempt& attempt, Timestamp now) {
  FetchRequest request;
  request.method = "POST";
  request.url = endpoints.token;
  // RFC 6749 2.3.1: each part form-encoded before joining.
  std::string credentials =
      PercentEncode(provider.client_id) + ":" + PercentEncode(provider.client_secret);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"},
                     {"Authorization", "Basic " + security::ToBase64(credentials)}};
  request.body = FormEncode({{"grant_type", "authorization_code"},
                             {"code", code},
                             {"redirect_uri", redirect_uri},
                             {"code_verifier", attempt.code_verifier}});
  CD_TRY_ASSIGN(json::value answer, FetchJson(request));
  std::string id_token = StringOf(answer.as_object(), "id_token");
  if (id_token.empty()) return Refused("the identity provider sent no ID token");
  CD_TRY_ASSIGN(security::Jwt jwt, security::ParseJwt(id_token));
  std::string kid = StringOf(jwt.header, "kid");
  CD_TRY_ASSIGN(json::value keys, Keys(endpoints.jwks, kid, now));
  CD_TRY(security::VerifyJwtSignature(jwt, keys));

  const json::object& c = jwt.claims;
  if (StringOf(c, "iss") != provider.issuer) return Refused("the ID token names another issuer");
  const json::value* aud = c.if_contains("aud");
  bool for_us = false;
  std::size_t audiences = 0;
  if (aud && aud->is_string()) {
    for_us = aud->as_string() == provider.client_id;
    audiences = 1;
  } else if (aud && aud->is_array()) {
    for (const json::value& a : aud->as_array()) {
      for_us = for_us || (a.is_string() && a.as_string() == provider.client_id);
      ++audiences;
    }
  }
  if (!for_us) return Refused("the ID token is not meant for this practice's client");
  if ((audiences > 1 || c.contains("azp")) && StringOf(c, "azp") != provider.client_id) {
    return Refused("the ID token was issued to another party");
  }
  const std::int64_t now_s = ToEpochMillis(now) / 1000;
  const std::int64_t skew = kClockSkew.count();
  auto exp = SecondsOf(c, "exp");
  auto iat = SecondsOf(c, "iat");
  if (!exp || *exp + skew <= now_s) return Refused("the ID token has expired");
  if (!iat || *iat - skew > now_s) return Refused("the ID token was issued in the future");
  if (!security::ConstantTimeEquals(StringOf(c, "nonce"), attempt.nonce)) {
    return Refused("the ID token belongs to another sign-in");
  }
  std::string sub = StringOf(c, "sub");
  if (sub.empty() || sub.size() > 255 || !IsValidUtf8(sub)) {
    return Refused("the ID token names no subject");
  }
  OidcIdentity who;
  who.subject = provider.issuer + " " + sub;
  who.email = AsciiLower(Trim(StringOf(c, "email")));
  if (!IsValidUtf8(who.email)) who.email.clear();
  const json::value* verified = c.if_contains("email_verified");
  who.email_verified = verified && ((verified->is_bool() && verified->as_bool()) ||
                                    (verified->is_string() && verified->as_string() == "true"));
  if (const json::value* amr = c.if_contains("amr"); amr && amr->is_array()) {
    for (const json::value& m : amr->as_array()) {
      who.provider_mfa = who.provider_mfa || (m.is_string() && m.as_string() == "mfa");
    }
  }
  return who;
}

}  // namespace caredesk::http
