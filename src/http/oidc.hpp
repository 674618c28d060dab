// The relying-party side of OpenID Connect (Core 1.0, authorization code flow with PKCE):
// discovering a practice's provider, building the authorization request, redeeming the code and
// validating the ID token. Handlers in handlers/oidc.cpp drive it; the browser's state lives in
// a short-lived cookie, so any node can finish a sign-in another began. Thread-safe: discovery
// documents and key sets are cached behind a mutex; fetching blocks (handler pool only).
#pragma once

#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "base/error.hpp"
#include "base/time.hpp"
#include "net/fetch.hpp"
#include "store/store.hpp"

namespace caredesk::http {

// What one sign-in attempt derives from the browser's secret (the caredesk_oidc cookie): the
// state sent to the provider (naming the tenant), the nonce bound into the ID token and the
// PKCE verifier. Nothing is stored on the server.
struct OidcAttempt {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string code_challenge;  // S256

  static OidcAttempt Derive(TenantId tenant, std::string_view browser_secret);
  // The tenant a state names, or nullopt for a state this server did not make.
  static std::optional<TenantId> TenantOf(std::string_view state);
};

// Who the provider says signed in, after every check of the ID token passed.
struct OidcIdentity {
  std::string subject;  // "issuer sub": unique across providers
  std::string email;    // lowercase; "" when the provider sent none
  bool email_verified = false;
  bool provider_mfa = false;  // "amr" contains "mfa"
};

class OidcRelyingParty {
 public:
  struct Endpoints {
    std::string authorization;
    std::string token;
    std::string jwks;
  };
  // The provider's endpoints from issuer/.well-known/openid-configuration, kept for an hour.
  // Unavailable when the provider cannot be reached; invalid when its document is unusable
  // (not https, or naming another issuer). A failure is remembered for a minute, so a
  // provider that stalls cannot tie up a request thread per sign-in attempt.
  Result<Endpoints> Discover(const std::string& issuer, Timestamp now);

  // Where to send the browser: the authorization endpoint with this attempt's parameters.
  static std::string AuthorizationUrl(const Endpoints& endpoints,
                                      const store::OidcProvider& provider,
                                      const std::string& redirect_uri, const OidcAttempt& attempt);

  // Redeems `code` at the token endpoint (client_secret_basic, with the PKCE verifier) and
  // checks the ID token: RS256 signature by the provider's key, issuer, audience (and azp),
  // expiry and issue time (60 s of clock skew), nonce, subject. Unauthenticated when any check
  // fails; unavailable when the provider cannot be reached.
  Result<OidcIdentity> Redeem(const store::OidcProvider& provider, const Endpoints& endpoints,
                              const std::string& code, const std::string& redirect_uri,
                              const OidcAttempt& attempt, Timestamp now);

 private:
  // The provider's key set, fetched again when a token names a key it lacks (the provider
  // rotated its keys), at most once a minute.
  Result<boost::json::value> Keys(const std::string& jwks_uri, std::string_view kid, Timestamp now);
  Result<boost::json::value> FetchJson(const net::FetchRequest& request);
  Result<Endpoints> Fetched(const std::string& issuer);  // reads the discovery document

  struct Discovered {
    Result<Endpoints> endpoints;
    Timestamp until;
  };
  struct KeySet {
    boost::json::value keys;
    Timestamp fetched_at;
  };
  std::mutex mutex_;
  std::map<std::string, Discovered> discovered_;  // by issuer; guarded by mutex_
  std::map<std::string, KeySet> key_sets_;        // by jwks_uri; guarded by mutex_
};

}  // namespace caredesk::http
