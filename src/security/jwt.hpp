// Signed JSON Web Tokens (RFC 7515/7519) as OpenID Connect providers issue them: parsing a
// compact token and checking its RS256 signature against the provider's published key set
// (RFC 7517). Checking claims (issuer, audience, expiry, nonce) is the caller's job; see
// http/oidc.hpp. Stateless and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace caredesk::security {

struct Jwt {
  boost::json::object header;
  boost::json::object claims;
  std::string signed_part;  // "header.payload" exactly as received
  std::string signature;    // raw bytes
};

// Splits and decodes a compact JWS. Fails (unauthenticated) on anything that is not three
// base64url parts with JSON objects for header and claims; verifies nothing.
[[nodiscard]] Result<Jwt> ParseJwt(std::string_view compact);

// Checks the signature of `jwt` with the RSA key of `jwks` (a JWK Set) whose "kid" is the
// header's, or with the set's only RSA signing key when the header names none. Only RS256 is
// accepted: "none", HMAC and every other algorithm are refused, so a token cannot choose how
// it is checked. Keys under 2048 bits are refused. Fails unauthenticated.
[[nodiscard]] Result<void> VerifyJwtSignature(const Jwt& jwt, const boost::json::value& jwks);

// Whether `jwks` has a key with this id (a provider that rotated its keys is asked again).
bool JwksHasKey(const boost::json::value& jwks, std::string_view kid);

}  // namespace caredesk::security
