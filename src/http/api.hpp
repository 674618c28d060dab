// The JSON API: authenticates each request (bearer token or session cookie), resolves the
// caller's tenant, routes to a handler and maps every error to one JSON shape. Handlers run
// on the blocking pool and may block on the store. Thread-safe after construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "http/hub.hpp"
#include "http/message.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "store/store.hpp"

namespace caredesk::http {

struct ApiOptions {
  Millis session_idle_timeout = std::chrono::minutes(15);  // automatic logoff (HIPAA)
  Millis session_max_lifetime = std::chrono::hours(12);
  // Signed-in sessions one user may hold at once; a new sign-in ends the oldest beyond this.
  int max_sessions_per_user = 10;
  bool secure_cookies = true;  // "Secure" attribute; browsers accept it on http://127.0.0.1 too
  // How long a verified bearer token is trusted without asking the database again: integrations
  // post in bursts, and the lookup (a read connection per request) was a quarter of ingestion's
  // cost. A revoked or deactivated token stops working within this time; 0 turns caching off.
  Millis token_cache_ttl = std::chrono::seconds(1);
  // Rendered inbox pages kept while the tenant's data is unchanged (SQLite only; see
  // Store::WriteGeneration); 0 renders every read afresh.
  std::size_t inbox_cache_bytes = std::size_t{16} << 20;
  // Sign-in throttling: after this many failed sign-ins for one practice and email within
  // login_lock_time, further attempts are refused for login_lock_time without checking the
  // password (the same for an email that has no account, so nothing is revealed); one address
  // gets login_max_address_failures across all accounts.
  int login_max_failures = 5;
  int login_max_address_failures = 20;
  Millis login_lock_time = std::chrono::minutes(15);
  // Public routes that cost real work (sign-in now; the chat widget and webhooks later) take
  // at most this many requests a minute from one address, in bursts of public_burst; more
  // are answered 429 rate_limited with Retry-After. The health probes and the OpenAPI
  // document are not limited: they are answered from memory.
  int public_rate_per_minute = 60;
  int public_burst = 20;
  // Reads are written to the audit log in batches at most this late (see AuditTrail).
  Millis audit_flush_every = std::chrono::milliseconds(100);
  // Peers (reverse proxies, docs/tls.md) whose X-Forwarded-For is believed: the client's
  // address, for the audit log, sessions and sign-in throttling, is then the last address the
  // proxy appended. Anyone else's header is ignored, so a client cannot pick its own address.
  std::vector<std::string> trusted_proxies;
  // Where the built browser code is (web/dist): the chat widget served at /widget.js. "" serves
  // none (404).
  std::string web_root;
  // The address browsers reach this server at, e.g. "https://desk.example-clinic.org" (behind
  // its reverse proxy). Sign-in through a practice's identity provider needs it for the
  // redirect URI the provider calls back; "" turns that sign-in off.
  std::string public_url;
  // The bearer token that reads /metrics; "" answers it to loopback clients only.
  std::string metrics_token;
};

// What became of one recipient's copy of a delivered mail (see Api::DeliverMail).
struct MailVerdict {
  enum class Kind { kDelivered, kTemporary, kRejected } kind = Kind::kDelivered;
  std::string reason;  // PHI-free
};

class RequestMetrics;
struct TokenCache;
struct LoginThrottle;
struct PublicRateLimit;
class PageCache;
class AuditTrail;
class OidcRelyingParty;

struct Route;

class Api {
 public:
  Api(store::Store& store, const Clock& clock, const ApiOptions& options);
  ~Api();

  // Answers any request; never throws for bad input.
  Response Handle(Request& request);
  // Answers, without touching the store or blocking, the requests that need neither: /healthz,
  // the OpenAPI document, unknown paths (404), wrong methods (405), and an inbox read whose
  // bearer token and page are both still kept in memory. nullopt for the rest, which go to
  // Handle on the blocking pool. Safe on the I/O threads.
  std::optional<Response> HandleInline(Request& request) const;

  // A WebSocket upgrade (handlers/realtime.cpp): /api/v1/ws for staff consoles (session cookie
  // from the console's own origin, or Sec-WebSocket-Protocol "caredesk.v1, <api token>") and
  // /api/v1/widget/ws?tenant=SLUG for a patient's chat ("caredesk.v1, <chat token>"). Blocking.
  Result<WsAccept> Upgrade(Request& request);
  // Who is connected, to push to them.
  Hub& hub() { return hub_; }
  // Tells the practice's consoles that its chats changed (the chat router's passes).
  void NotifyChatsChanged(TenantId tenant);
  // With other nodes on the same PostgreSQL database: announces what this node pushes and
  // delivers what the others announce (LISTEN/NOTIFY, ids only). Does nothing on SQLite. Call
  // once, before serving.
  void JoinCluster();

  // Every (method, path pattern) the API serves, e.g. {"GET", "/api/v1/conversations/{id}"}.
  std::vector<std::pair<std::string, std::string>> Routes() const;
  // The paths whose body is a file (the server lets them carry more than other requests).
  std::vector<std::string> UploadPaths() const;
  // Writes the queued records of reads to the audit log now (tests).
  void FlushAudit();

  // Mail for a practice (handlers/mail.cpp), as the LMTP listener hands it over. Blocking.
  // Whether `recipient` is a practice's address (its email settings' address; "+tag" allowed):
  // kDelivered yes, kRejected no, kTemporary when the store could not say now.
  MailVerdict::Kind CheckMailRecipient(std::string_view recipient) const;
  // Stores (or, for bounces and auto-replies, records) one recipient's copy. kTemporary when the
  // store could not take it now, so the MTA tries again.
  // `envelope_sender`: the MAIL FROM of an MTA's delivery ("" for the null sender of a
  // bounce); nullopt when the mail was taken from a mailbox, where it is not known.
  MailVerdict DeliverMail(std::string_view recipient,
                          std::optional<std::string_view> envelope_sender, std::string_view raw);
  // The same for mail already known to be `tenant`'s (taken from its own mailbox).
  MailVerdict DeliverMailTo(TenantId tenant, std::string_view recipient,
                            std::optional<std::string_view> envelope_sender, std::string_view raw);

 private:
  Response HandleRequest(Request& request);
  std::optional<Response> HandleInlineRequest(Request& request) const;
  std::optional<Response> HandleInlineUntimed(Request& request) const;
  void OnClusterNotice(std::string_view payload);
  const Route* FindRoute(const Request& request, std::vector<std::int64_t>& ids,
                         bool& path_known) const;
  // Replaces the proxy's address by the client's (see ApiOptions::trusted_proxies).
  void ResolveClientAddress(Request& request) const;
  // The caller of a bearer token verified within token_cache_ttl; nullopt otherwise.
  std::optional<store::Principal> KeptBearer(const Request& request, Timestamp now) const;

  store::Store& store_;
  const Clock& clock_;
  ApiOptions options_;
  std::vector<Route> routes_;
  std::unique_ptr<TokenCache> token_cache_;
  std::unique_ptr<LoginThrottle> login_throttle_;
  std::unique_ptr<PublicRateLimit> public_rate_;
  std::unique_ptr<PageCache> inbox_pages_;
  std::unique_ptr<OidcRelyingParty> oidc_;
  // The practice a mail address belongs to (nullopt inside: none), from a table kept 5 s and
  // reloaded on a miss; an error when the store cannot say.
  Result<std::optional<TenantId>> MailTenant(std::string_view recipient) const;
  mutable std::mutex mail_routes_mutex_;
  mutable std::map<std::string, TenantId> mail_routes_;  // guarded by mail_routes_mutex_
  mutable Timestamp mail_routes_loaded_{};               // guarded by mail_routes_mutex_
  Hub hub_;
  StaticFiles static_files_;
  std::unique_ptr<RequestMetrics> metrics_;
  std::unique_ptr<AuditTrail> audit_;  // last: flushes to store_ when destroyed
};

// Whether a token may carry `scope` (inbox:read, patients:write, account, ...).
bool IsTokenScope(std::string_view scope);

// The OpenAPI 3 document served at /api/openapi.json.
const std::string& OpenApiDocument();

}  // namespace caredesk::http
