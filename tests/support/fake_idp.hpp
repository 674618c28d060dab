// A fake OpenID Connect provider on a loopback port for tests: it serves discovery, its key
// set and a token endpoint over real HTTP, checks client authentication and PKCE like a real
// provider, and signs ID tokens with its own RSA key. Instead of a login page, the test calls
// Authorize() with the authorization request the browser was sent to. Thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "fake_http.hpp"

namespace caredesk::testing {

class FakeIdp {
 public:
  FakeIdp(std::string client_id, std::string client_secret);
  ~FakeIdp();

  std::string issuer() const { return issuer_; }

  struct Login {
    boost::json::object claims;  // over the defaults: iss, aud, sub, nonce (the request's)
    std::string alg = "RS256";   // header alg; "none" sends no signature
    bool other_key = false;      // signed with a key the provider never published
  };
  // What the provider does once the person signs in: checks the authorization request's
  // client_id, response_type, PKCE method, and returns a one-time code for `login`. Returns ""
  // when the request is malformed.
  std::string Authorize(const std::map<std::string, std::string>& request, const Login& login);

  // A compact JWS over `claims` with `header`, signed by the published key (or another).
  std::string Sign(const boost::json::object& header, const boost::json::object& claims,
                   bool other_key) const;
  // The provider's published key set.
  boost::json::object Jwks() const;

  int token_requests() const { return token_requests_; }

 private:
  struct Pending {
    std::string redirect_uri;
    std::string challenge;
    std::string id_token;
  };
  FakeReply Answer(const FakeRequest& request);
  FakeReply Token(const std::string& authorization, const std::string& body);

  std::string client_id_, client_secret_;
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string issuer_;
  std::atomic<int> token_requests_{0};
  std::mutex mutex_;
  std::map<std::string, Pending> codes_;    // guarded by mutex_
  std::unique_ptr<FakeHttpServer> server_;  // last: its thread calls Answer
};

}  // namespace caredesk::testing
