#include "http/api.hpp"

#include <arpa/inet.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_map>

#include "base/log.hpp"
#include "base/text.hpp"
#include "http/handlers/context.hpp"
#include "http/json_input.hpp"
#include "http/metrics.hpp"
#include "http/status.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "security/totp.hpp"

namespace caredesk::http {

namespace json = boost::json;

// Who may call a route, as bits of core::Role: the one place authorization is decided, checked
// before any handler runs.
using RoleSet = unsigned;
constexpr RoleSet Allow(core::Role r) { return 1u << static_cast<unsigned>(r); }
constexpr RoleSet kNobody = 0;  // public routes: no caller
constexpr RoleSet kAdmins = Allow(core::Role::kAdmin);
constexpr RoleSet kLeads = kAdmins | Allow(core::Role::kSupervisor);
// Everyone who works with patients; the auditor is not among them: it changes nothing.
constexpr RoleSet kStaff = kLeads | Allow(core::Role::kAgent) | Allow(core::Role::kCounselor);
constexpr RoleSet kEveryone = kStaff | Allow(core::Role::kAuditor);
constexpr RoleSet kOversight = kAdmins | Allow(core::Role::kAuditor);

// What a token must carry for a route (a session carries every scope); "" for any credential.
// The list is kTokenScopes in handlers/account.cpp.
namespace scope {
constexpr std::string_view kAny;
constexpr std::string_view kInboxRead = "inbox:read";
constexpr std::string_view kInboxWrite = "inbox:write";
constexpr std::string_view kMessagesWrite = "messages:write";
constexpr std::string_view kPatientsRead = "patients:read";
constexpr std::string_view kPatientsWrite = "patients:write";
constexpr std::string_view kSettingsRead = "settings:read";
constexpr std::string_view kSettingsWrite = "settings:write";
constexpr std::string_view kAuditRead = "audit:read";
constexpr std::string_view kReportsRead = "reports:read";
constexpr std::string_view kAccount = "account";
}  // namespace scope

struct Route {
  Method method;
  std::string_view method_name;
  std::string_view pattern;
  bool authenticated;
  RoleSet roles;
  std::string_view scope;  // a token must have it (see namespace scope)
  // Also open to a session that still has to set up its second factor.
  bool before_second_factor;
  HandlerFn fn;
  bool never_blocks = false;  // answered on the I/O thread by HandleInline
  KeptFn kept = nullptr;      // tried on the I/O thread when the caller's token is kept
  // A public route that costs real work: each client address gets ApiOptions::public_rate.
  bool rate_limited = false;
  // The body is application/x-www-form-urlencoded (a provider's webhook), not JSON.
  bool form_body = false;
  // The body is a file of any type, checked by the handler; takes the upload body limit.
  bool file_body = false;
};

// Verified bearer tokens, by hash, until `valid_until`. Only successes are cached, so a wrong
// token always reaches the database. Bounded: cleared when full.
struct TokenCache {
  static constexpr std::size_t kMaxEntries = 4096;
  struct Entry {
    store::Principal who;
    Timestamp valid_until;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;  // guarded by `mutex`

  std::optional<store::Principal> Find(const std::string& hash, Timestamp now) {
    std::lock_guard lock(mutex);
    auto it = entries.find(hash);
    if (it == entries.end()) return std::nullopt;
    if (now >= it->second.valid_until) {
      entries.erase(it);
      return std::nullopt;
    }
    return it->second.who;
  }
  void Clear() {
    std::lock_guard lock(mutex);
    entries.clear();
  }
  void Put(const std::string& hash, const store::Principal& who, Timestamp valid_until) {
    std::lock_guard lock(mutex);
    if (entries.size() >= kMaxEntries) entries.clear();
    entries.insert_or_assign(hash, Entry{who, valid_until});
  }
};

Response JsonResponse(int status, const json::value& body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = json::serialize(body);
  return r;
}

namespace {

Result<Response> Healthz(Context&) {
  Response r;
  r.headers.Set("Content-Type", "application/json");
  r.body = R"({"status":"ok"})";
  return r;
}

Result<Response> Readyz(Context& ctx) {
  if (auto ready = ctx.store.Ready(); !ready) return ready.error();
  Response r;
  r.headers.Set("Content-Type", "application/json");
  r.body = R"({"status":"ready"})";
  return r;
}

Result<Response> OpenApi(Context&) {
  Response r;
  r.headers.Set("Content-Type", "application/json");
  r.body = OpenApiDocument();
  return r;
}

bool IsIpAddress(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  std::string s(text);
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, s.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

bool IsUnsafe(Method m) {
  return m == Method::kPost || m == Method::kPut || m == Method::kPatch || m == Method::kDelete;
}

// Matches "/api/v1/conversations/{id}/replies" against a path, capturing numeric ids.
// A non-numeric or non-positive id matches nothing, so it answers 404 like a missing one.
bool Match(std::string_view pattern, std::string_view path, std::vector<std::int64_t>& ids) {
  ids.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty()) return false;
    auto ps = pattern.find('/', 1);
    auto qs = path.find('/', 1);
    std::string_view pseg = pattern.substr(0, ps);
    std::string_view qseg = path.substr(0, qs);
    if (pseg == "/{metric}") {
      // A name (a metric's): the handler reads it from the path. Lowercase, digits, '_'.
      std::string_view name = qseg.substr(1);
      if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
          })) {
        return false;
      }
    } else if (pseg == "/{id}") {
      std::string_view digits = qseg.substr(1);
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec != std::errc{} || end != digits.data() + digits.size() || v <= 0) return false;
      ids.push_back(v);
    } else if (pseg != qseg) {
      return false;
    }
    pattern = ps == std::string_view::npos ? std::string_view{} : pattern.substr(ps);
    path = qs == std::string_view::npos ? std::string_view{} : path.substr(qs);
  }
  return true;
}

}  // namespace

// Failed sign-ins in memory, per practice and email and per address (see ApiOptions). Each
// node counts its own; bounded, oldest windows dropped first when full.
struct LoginThrottle {
  struct Window {
    int failures = 0;
    Timestamp first{};         // start of the counting window
    Timestamp locked_until{};  // refused until then
  };
  static constexpr std::size_t kMaxKeys = 20000;
  std::mutex mutex;
  std::unordered_map<std::string, Window> windows;  // guarded by mutex

  // When `key` is locked at `now`, the time left; otherwise nullopt.
  std::optional<Millis> Locked(const std::string& key, Timestamp now) {
    std::lock_guard lock(mutex);
    auto it = windows.find(key);
    if (it == windows.end() || it->second.locked_until <= now) return std::nullopt;
    return std::chrono::duration_cast<Millis>(it->second.locked_until - now);
  }
  void Fail(const std::string& key, Timestamp now, int limit, Millis window) {
    std::lock_guard lock(mutex);
    if (windows.size() >= kMaxKeys) {
      std::erase_if(windows, [&](const auto& kv) {
        return kv.second.first + window <= now && kv.second.locked_until <= now;
      });
      if (windows.size() >= kMaxKeys) windows.clear();
    }
    Window& w = windows[key];
    if (w.failures == 0 || w.first + window <= now) w = Window{0, now, w.locked_until};
    if (++w.failures >= limit) {
      w.locked_until = now + window;
      w.failures = 0;
    }
  }
  void Succeed(const std::string& key) {
    std::lock_guard lock(mutex);
    windows.erase(key);
  }
};

// Requests per client address to rate-limited public routes: a token bucket of
// ApiOptions::public_burst requests, refilled at public_rate_per_minute. In memory, per node;
// bounded (idle buckets are dropped first when full).
struct PublicRateLimit {
  struct Bucket {
    double tokens = 0;
    Timestamp updated{};
  };
  static constexpr std::size_t kMaxAddresses = 50000;
  std::mutex mutex;
  std::unordered_map<std::string, Bucket> buckets;  // guarded by mutex

  // nullopt when the request may go ahead; otherwise how long until it could.
  std::optional<Millis> Take(const std::string& address, Timestamp now, int per_minute, int burst) {
    std::lock_guard lock(mutex);
    if (buckets.size() >= kMaxAddresses) buckets.clear();
    auto [it, fresh] = buckets.try_emplace(address, Bucket{static_cast<double>(burst), now});
    Bucket& b = it->second;
    double per_ms = per_minute / 60000.0;
    if (!fresh && now > b.updated) {
      b.tokens = std::min<double>(burst, b.tokens + per_ms * (now - b.updated).count());
    }
    b.updated = std::max(b.updated, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return std::nullopt;
    }
    return Millis(static_cast<std::int64_t>((1 - b.tokens) / per_ms) + 1);
  }
};

static Response TooManySignIns(Millis left) {
  Response r = ProtocolError(429, "too_many_attempts", "too many failed sign-ins; try again later");
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left).count() + 1;
  r.headers.Set("Retry-After", std::to_string(seconds));
  return r;
}

// Login: POST /api/v1/session {"tenant", "email", "password", "code"?, "recovery_code"?}.
// A user with two-factor sign-in on also sends the current code of their authenticator app, or
// one of their recovery codes; without either the answer is 401 second_factor_required, so a
// client asks for the code and sends everything again. A user of a practice that requires the
// second factor who has not set it up gets a session that can only do that. Sets a new session
// cookie (ending the one the browser sent, if any) and returns the CSRF token the console sends
// back in X-CSRF-Token on every unsafe request.
static Result<Response> Login(Context& ctx, const ApiOptions& options, LoginThrottle& throttle) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"tenant", "email", "password",
                                                                  "code", "recovery_code"}));
  CD_TRY_ASSIGN(std::string tenant, RequireString(body, "tenant"));
  CD_TRY_ASSIGN(std::string email, RequireString(body, "email"));
  CD_TRY_ASSIGN(std::string password, RequireString(body, "password"));
  CD_TRY_ASSIGN(std::optional<std::string> code, OptionalString(body, "code"));
  CD_TRY_ASSIGN(std::optional<std::string> recovery_code, OptionalString(body, "recovery_code"));
  email = AsciiLower(Trim(email));
  // Keyed by what was typed, account or not, so a lockout reveals nothing about accounts.
  const std::string account_key = "a\n" + tenant + "\n" + email;
  const std::string address_key = "r\n" + ctx.request.remote_address;
  for (const std::string* key : {&account_key, &address_key}) {
    if (auto left = throttle.Locked(*key, ctx.now)) {
      log::Warn("login_throttled", {{"request_id", ctx.request.request_id}});
      return TooManySignIns(*left);
    }
  }
  auto fail = [&](std::string_view why) {
    log::Warn("login_failed", {{"request_id", ctx.request.request_id}, {"reason", why}});
    throttle.Fail(account_key, ctx.now, options.login_max_failures, options.login_lock_time);
    throttle.Fail(address_key, ctx.now, options.login_max_address_failures,
                  options.login_lock_time);
  };
  CD_TRY_ASSIGN(auto login, ctx.store.FindLogin(tenant, email));
  // Verify against a dummy hash when the user is unknown so timing does not reveal accounts.
  static const std::string kDummy = security::HashPassword("not-a-real-password").value();
  bool ok = security::VerifyPassword(password, login ? login->password_hash : kDummy) && login;
  if (!ok) {
    fail("password");
    return MakeError(ErrorKind::kUnauthenticated, "email or password is incorrect");
  }
  const bool has_totp = login->second_factor.enabled;
  if (has_totp && !code && !recovery_code) {
    return ProtocolError(401, "second_factor_required",
                         "enter the code from your authenticator app or a recovery code");
  }
  std::optional<std::int64_t> step;
  if (has_totp && code) {
    step = security::MatchTotp(login->second_factor.totp_secret, *code, ctx.now);
    if (!step) {
      fail("code");
      return MakeError(ErrorKind::kUnauthenticated, "the code is incorrect or has expired", "code");
    }
  }
  bool factor_refused = false;
  auto opened = OpenBrowserSession(
      ctx, login->tenant, login->user, !has_totp && login->require_second_factor,
      [&](store::TenantTx& tx) -> Result<std::string> {
        if (step) {
          CD_TRY_ASSIGN(bool fresh, tx.UseTotpStep(login->user, *step));
          if (!fresh) {
            factor_refused = true;
            return MakeError(ErrorKind::kUnauthenticated, "this code was used already", "code");
          }
          return std::string("password+totp");
        }
        if (has_totp) {
          CD_TRY_ASSIGN(
              bool used,
              tx.UseRecoveryCode(login->user, security::HashRecoveryCode(*recovery_code), ctx.now));
          if (!used) {
            factor_refused = true;
            return MakeError(ErrorKind::kUnauthenticated, "the recovery code is incorrect or used",
                             "recovery_code");
          }
          return std::string("password+recovery_code");
        }
        return std::string("password");
      });
  if (!opened) {
    if (factor_refused) fail("second_factor");
    return opened.error();
  }
  throttle.Succeed(account_key);
  log::Info("login", {{"request_id", ctx.request.request_id},
                      {"tenant_id", login->tenant.value},
                      {"user_id", login->user.value}});
  Response r = JsonResponse(
      201, json::object{{"user_id", login->user.value},
                        {"tenant_id", login->tenant.value},
                        {"csrf_token", opened->csrf_token},
                        {"expires_at", FormatRfc3339(opened->expires_at)},
                        {"second_factor", opened->second_factor_pending ? "setup_required"
                                          : has_totp                    ? "verified"
                                                                        : "not_required"}});
  r.headers.Set("Set-Cookie", opened->cookie);
  return r;
}

Api::Api(store::Store& store, const Clock& clock, const ApiOptions& options)
    : store_(store),
      clock_(clock),
      options_(options),
      token_cache_(std::make_unique<TokenCache>()),
      login_throttle_(std::make_unique<LoginThrottle>()),
      public_rate_(std::make_unique<PublicRateLimit>()),
      inbox_pages_(std::make_unique<PageCache>(options.inbox_cache_bytes)),
      oidc_(std::make_unique<OidcRelyingParty>()),
      metrics_(std::make_unique<RequestMetrics>()),
      audit_(std::make_unique<AuditTrail>(store, options.audit_flush_every)) {
  if (!options_.web_root.empty()) static_files_.Load(options_.web_root);
  routes_ = {
      {Method::kGet, "GET", "/healthz", false, kNobody, scope::kAny, false, &Healthz,
       /*never_blocks=*/true},
      {Method::kGet, "GET", "/readyz", false, kNobody, scope::kAny, false, &Readyz},
      {Method::kGet, "GET", "/metrics", false, kNobody, scope::kAny, false, &GetMetrics},
      {Method::kGet, "GET", "/api/openapi.json", false, kNobody, scope::kAny, false, &OpenApi,
       /*never_blocks=*/true},
      {Method::kPost, "POST", "/api/v1/session", false, kNobody, scope::kAny, false, nullptr,
       /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/true},  // Login, special-cased
      {Method::kDelete, "DELETE", "/api/v1/session", true, kEveryone, scope::kAny, true,
       &DeleteSession},
      {Method::kGet, "GET", "/api/v1/me", true, kEveryone, scope::kAny, true, &GetMe},
      {Method::kGet, "GET", "/api/v1/auth/oidc/start", false, kNobody, scope::kAny, false,
       &StartOidcSignIn, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/true},
      {Method::kGet, "GET", "/api/v1/auth/oidc/callback", false, kNobody, scope::kAny, false,
       &FinishOidcSignIn, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/true},
      {Method::kGet, "GET", "/api/v1/settings/oidc", true, kAdmins, scope::kSettingsRead, false,
       &GetOidcSettings},
      {Method::kPut, "PUT", "/api/v1/settings/oidc", true, kAdmins, scope::kSettingsWrite, false,
       &PutOidcSettings},
      {Method::kPost, "POST", "/hooks/twilio/status", false, kNobody, scope::kAny, false,
       &TwilioStatusCallback, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/false,
       /*form_body=*/true},
      {Method::kPost, "POST", "/hooks/twilio/sms", false, kNobody, scope::kAny, false,
       &TwilioInboundSms, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/false,
       /*form_body=*/true},
      {Method::kGet, "GET", "/api/v1/settings/sms", true, kAdmins, scope::kSettingsRead, false,
       &GetSmsSettings},
      {Method::kGet, "GET", "/api/v1/settings/email", true, kAdmins, scope::kSettingsRead, false,
       &GetEmailSettings},
      {Method::kPut, "PUT", "/api/v1/settings/email", true, kAdmins, scope::kSettingsWrite, false,
       &PutEmailSettings},
      {Method::kPut, "PUT", "/api/v1/settings/sms", true, kAdmins, scope::kSettingsWrite, false,
       &PutSmsSettings},
      {Method::kGet, "GET", "/api/v1/widget/status", false, kNobody, scope::kAny, false,
       &GetWidgetStatus, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/true},
      {Method::kPost, "POST", "/api/v1/widget/chats", false, kNobody, scope::kAny, false,
       &StartChat, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/true},
      {Method::kGet, "GET", "/api/v1/widget/chat", false, kNobody, scope::kAny, false,
       &GetChatForPatient},
      {Method::kPost, "POST", "/api/v1/widget/chat/messages", false, kNobody, scope::kAny, false,
       &PostChatMessage},
      {Method::kPost, "POST", "/api/v1/widget/chat/files", false, kNobody, scope::kAny, false,
       &PostChatFile, /*never_blocks=*/false, /*kept=*/nullptr, /*rate_limited=*/false,
       /*form_body=*/false, /*file_body=*/true},
      {Method::kPost, "POST", "/api/v1/widget/chat/transcript", false, kNobody, scope::kAny, false,
       &PostChatTranscript},
      {Method::kPost, "POST", "/api/v1/widget/chat/seen", false, kNobody, scope::kAny, false,
       &PostChatSeen},
      {Method::kPost, "POST", "/api/v1/widget/chat/contact", false, kNobody, scope::kAny, false,
       &PostChatContact},
      {Method::kPost, "POST", "/api/v1/widget/chat/leave", false, kNobody, scope::kAny, false,
       &LeaveChat},
      {Method::kPost, "POST", "/api/v1/widget/chat/rating", false, kNobody, scope::kAny, false,
       &RateChat},
      {Method::kGet, "GET", "/api/v1/me/presence", true, kStaff, scope::kInboxRead, false,
       &GetPresence},
      {Method::kPut, "PUT", "/api/v1/me/presence", true, kStaff, scope::kInboxWrite, false,
       &PutPresence},
      {Method::kGet, "GET", "/api/v1/me/chats", true, kStaff, scope::kInboxRead, false,
       &ListMyChats},
      {Method::kPost, "POST", "/api/v1/chats/{id}/accept", true, kStaff, scope::kInboxWrite, false,
       &AcceptChatOffer},
      {Method::kPost, "POST", "/api/v1/chats/{id}/decline", true, kStaff, scope::kInboxWrite, false,
       &DeclineChatOffer},
      {Method::kPost, "POST", "/api/v1/chats/{id}/seen", true, kStaff, scope::kInboxWrite, false,
       &ChatSeenByAgent},
      {Method::kPost, "POST", "/api/v1/chats/{id}/end", true, kStaff, scope::kInboxWrite, false,
       &EndChatByAgent},
      {Method::kPost, "POST", "/api/v1/chats/{id}/assign", true, kLeads, scope::kInboxWrite, false,
       &AssignChat},
      {Method::kGet, "GET", "/api/v1/chats/live", true, kLeads, scope::kInboxRead, false,
       &GetLiveChats},
      {Method::kGet, "GET", "/api/v1/settings/chat", true, kEveryone, scope::kSettingsRead, false,
       &GetChatSettings},
      {Method::kPut, "PUT", "/api/v1/settings/chat", true, kAdmins, scope::kSettingsWrite, false,
       &PutChatSettings},
      {Method::kGet, "GET", "/api/v1/canned-responses", true, kEveryone, scope::kInboxRead, false,
       &GetCannedResponses},
      {Method::kPut, "PUT", "/api/v1/canned-responses", true, kLeads, scope::kSettingsWrite, false,
       &PutCannedResponses},
      {Method::kPost, "POST", "/api/v1/messages", true, kStaff, scope::kMessagesWrite, false,
       &PostMessage},
      {Method::kPost, "POST", "/api/v1/calls", true, kStaff, scope::kMessagesWrite, false,
       &PostCall},
      {Method::kGet, "GET", "/api/v1/calls", true, kEveryone, scope::kInboxRead, false, &ListCalls},
      {Method::kGet, "GET", "/api/v1/reports/kpis", true, kLeads | kOversight, scope::kReportsRead,
       false, &GetKpis},
      {Method::kGet, "GET", "/api/v1/reports/kpis/daily", true, kLeads | kOversight,
       scope::kReportsRead, false, &GetKpiDaily},
      {Method::kGet, "GET", "/api/v1/reports/kpis/{metric}/conversations", true,
       kLeads | kOversight, scope::kReportsRead, false, &GetKpiConversations},
      {Method::kGet, "GET", "/api/v1/staffing/erlang", true, kEveryone, scope::kAny, false,
       &GetErlang},
      {Method::kGet, "GET", "/api/v1/staffing", true, kLeads | kOversight, scope::kReportsRead,
       false, &GetStaffingPlan},
      {Method::kGet, "GET", "/api/v1/wellbeing", true, kLeads, scope::kReportsRead, false,
       &GetWellbeing},
      {Method::kGet, "GET", "/api/v1/me/wellbeing", true, kStaff, scope::kInboxRead, false,
       &GetMyWellbeing},
      {Method::kGet, "GET", "/api/v1/settings/reports", true, kLeads | kOversight,
       scope::kSettingsRead, false, &GetReportSettings},
      {Method::kPut, "PUT", "/api/v1/settings/reports", true, kLeads, scope::kSettingsWrite, false,
       &PutReportSettings},
      {Method::kGet, "GET", "/api/v1/conversations", true, kEveryone, scope::kInboxRead, false,
       &ListConversations,
       /*never_blocks=*/false, &ListConversationsKept},
      {Method::kGet, "GET", "/api/v1/conversations/{id}", true, kEveryone, scope::kInboxRead, false,
       &GetConversation},
      {Method::kGet, "GET", "/api/v1/attachments/{id}", true, kEveryone, scope::kInboxRead, false,
       &GetAttachment},
      {Method::kPost, "POST", "/api/v1/conversations", true, kStaff, scope::kInboxWrite, false,
       &StartConversation},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/replies", true, kStaff,
       scope::kInboxWrite, false, &PostReply},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/files", true, kStaff, scope::kInboxWrite,
       false, &PostStaffFile, /*never_blocks=*/false, /*kept=*/nullptr,
       /*rate_limited=*/false, /*form_body=*/false, /*file_body=*/true},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/notes", true, kStaff, scope::kInboxWrite,
       false, &PostNote},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/assign", true, kStaff, scope::kInboxWrite,
       false, &PostAssign},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/status", true, kStaff, scope::kInboxWrite,
       false, &PostStatus},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/tags", true, kStaff, scope::kInboxWrite,
       false, &PostTags},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/survey", true, kLeads, scope::kInboxWrite,
       false, &PostSurvey},
      {Method::kGet, "GET", "/api/v1/patients", true, kEveryone, scope::kPatientsRead, false,
       &ListPatients},
      {Method::kPost, "POST", "/api/v1/patients", true, kStaff, scope::kPatientsWrite, false,
       &CreatePatient},
      {Method::kGet, "GET", "/api/v1/patients/{id}", true, kEveryone, scope::kPatientsRead, false,
       &GetPatient},
      {Method::kPatch, "PATCH", "/api/v1/patients/{id}", true, kStaff, scope::kPatientsWrite, false,
       &PatchPatient},
      {Method::kGet, "GET", "/api/v1/patients/{id}/access-log", true, kOversight, scope::kAuditRead,
       false, &GetPatientAccessLog},
      {Method::kGet, "GET", "/api/v1/settings", true, kEveryone, scope::kSettingsRead, false,
       &GetSettings},
      {Method::kPatch, "PATCH", "/api/v1/settings", true, kAdmins, scope::kSettingsWrite, false,
       &PatchSettings},
      {Method::kGet, "GET", "/api/v1/locations", true, kEveryone, scope::kSettingsRead, false,
       &ListLocations},
      {Method::kPost, "POST", "/api/v1/locations", true, kAdmins, scope::kSettingsWrite, false,
       &CreateLocation},
      {Method::kPatch, "PATCH", "/api/v1/locations/{id}", true, kAdmins, scope::kSettingsWrite,
       false, &PatchLocation},
      {Method::kGet, "GET", "/api/v1/sla-policies", true, kEveryone, scope::kSettingsRead, false,
       &ListSlaPolicies},
      {Method::kPost, "POST", "/api/v1/sla-policies", true, kLeads, scope::kSettingsWrite, false,
       &CreateSlaPolicy},
      {Method::kPatch, "PATCH", "/api/v1/sla-policies/{id}", true, kLeads, scope::kSettingsWrite,
       false, &PatchSlaPolicy},
      {Method::kDelete, "DELETE", "/api/v1/sla-policies/{id}", true, kLeads, scope::kSettingsWrite,
       false, &DeleteSlaPolicy},
      {Method::kGet, "GET", "/api/v1/sessions", true, kEveryone, scope::kAccount, false,
       &ListSessions},
      {Method::kDelete, "DELETE", "/api/v1/sessions/{id}", true, kEveryone, scope::kAccount, false,
       &EndSession},
      {Method::kGet, "GET", "/api/v1/tokens", true, kEveryone, scope::kAccount, false, &ListTokens},
      {Method::kPost, "POST", "/api/v1/tokens", true, kEveryone, scope::kAccount, false,
       &CreateToken},
      {Method::kDelete, "DELETE", "/api/v1/tokens/{id}", true, kEveryone, scope::kAccount, false,
       &RevokeToken},
      {Method::kPost, "POST", "/api/v1/me/second-factor", true, kEveryone, scope::kAccount, true,
       &StartSecondFactor},
      {Method::kPost, "POST", "/api/v1/me/second-factor/confirm", true, kEveryone, scope::kAccount,
       true, &ConfirmSecondFactor},
      {Method::kPost, "POST", "/api/v1/me/recovery-codes", true, kEveryone, scope::kAccount, false,
       &NewRecoveryCodes},
      {Method::kGet, "GET", "/api/v1/conversations/{id}/verification", true, kEveryone,
       scope::kInboxRead, false, &GetVerification},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/verification/check", true, kStaff,
       scope::kInboxWrite, false, &CheckVerification},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/verification/code", true, kStaff,
       scope::kInboxWrite, false, &SendVerificationCode},
      {Method::kPost, "POST", "/api/v1/conversations/{id}/verification/confirm", true, kStaff,
       scope::kInboxWrite, false, &ConfirmVerification},
      {Method::kGet, "GET", "/api/v1/patients/{id}/representatives", true, kEveryone,
       scope::kPatientsRead, false, &ListRepresentatives},
      {Method::kPost, "POST", "/api/v1/patients/{id}/representatives", true, kStaff,
       scope::kPatientsWrite, false, &CreateRepresentative},
      {Method::kDelete, "DELETE", "/api/v1/representatives/{id}", true, kStaff,
       scope::kPatientsWrite, false, &RevokeRepresentative},
      {Method::kGet, "GET", "/api/v1/alerts", true, kLeads, scope::kInboxRead, false, &ListAlerts},
      {Method::kGet, "GET", "/api/v1/users", true, kEveryone, scope::kSettingsRead, false,
       &ListUsers},
      {Method::kPost, "POST", "/api/v1/users", true, kAdmins, scope::kSettingsWrite, false,
       &CreateUser},
      {Method::kPatch, "PATCH", "/api/v1/users/{id}", true, kAdmins, scope::kSettingsWrite, false,
       &PatchUser},
      {Method::kPost, "POST", "/api/v1/users/{id}/second-factor/reset", true, kAdmins,
       scope::kSettingsWrite, false, &ResetUserSecondFactor},
      {Method::kPost, "POST", "/api/v1/me/password", true, kEveryone, scope::kAccount, false,
       &ChangePassword},
  };
}

Api::~Api() {
  if (!hub_.node_id().empty()) store_.StopListening();  // its thread calls OnClusterNotice
}

void Api::FlushAudit() { audit_->Flush(); }

store::AuditRecord AuditOf(const Context& ctx, std::string action, std::string object_type,
                           std::int64_t object_id, PatientId patient, std::string detail) {
  store::AuditRecord r;
  r.at = ctx.now;
  r.actor = ctx.who.user;
  r.session = ctx.who.credential_ref;
  r.remote_address = ctx.request.remote_address;
  r.action = std::move(action);
  r.object_type = std::move(object_type);
  r.object_id = object_id;
  r.patient = patient;
  r.detail = std::move(detail);
  return r;
}

std::vector<std::string> Api::UploadPaths() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) {
    if (r.file_body) out.emplace_back(r.pattern);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Api::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes_) out.emplace_back(r.method_name, r.pattern);
  return out;
}

// The route for the request's method and path; `path_known` tells a 405 from a 404.
const Route* Api::FindRoute(const Request& request, std::vector<std::int64_t>& ids,
                            bool& path_known) const {
  Method method = request.method == Method::kHead ? Method::kGet : request.method;
  path_known = false;
  for (const Route& r : routes_) {
    if (!Match(r.pattern, request.path, ids)) continue;
    path_known = true;
    if (r.method == method) return &r;
  }
  return nullptr;
}

namespace {
std::string_view RouteName(const Route* route, bool path_known) {
  if (route) return route->pattern;
  return path_known ? "(method not allowed)" : "(no route)";
}

Response Forbidden() {
  return ErrorResponse(MakeError(ErrorKind::kForbidden, "your role does not allow this"));
}

// Whether `who` may call `route` beyond its role: a token's scopes, and a session that still has
// to set up its second factor (it may only do that, see who it is, and sign out).
std::optional<Response> Refused(const Route& route, const store::Principal& who) {
  if ((route.roles & Allow(who.role)) == 0) return Forbidden();
  if (!route.scope.empty() &&
      std::find(who.scopes.begin(), who.scopes.end(), "*") == who.scopes.end() &&
      std::find(who.scopes.begin(), who.scopes.end(), route.scope) == who.scopes.end()) {
    return ErrorResponse(MakeError(
        ErrorKind::kForbidden, "this token's scopes do not include " + std::string(route.scope)));
  }
  if (who.second_factor_pending && !route.before_second_factor) {
    return ProtocolError(403, "second_factor_setup_required",
                         "set up two-factor sign-in first (POST /api/v1/me/second-factor)");
  }
  return std::nullopt;
}

Response NoRoute(bool path_known) {
  if (path_known)
    return ProtocolError(405, "method_not_allowed", "method not allowed on this path");
  return ErrorResponse(NotFound("no such resource"));
}
}  // namespace

void Api::ResolveClientAddress(Request& request) const {
  if (options_.trusted_proxies.empty() ||
      std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(),
                request.remote_address) == options_.trusted_proxies.end()) {
    return;
  }
  auto forwarded = request.headers.Get("x-forwarded-for");
  if (!forwarded) return;
  std::string_view last = *forwarded;
  if (auto comma = last.rfind(','); comma != std::string_view::npos) last = last.substr(comma + 1);
  last = Trim(last);
  if (IsIpAddress(last)) request.remote_address = std::string(last);
}

namespace {
// The chat widget runs on the practice's own website, another origin: its calls are answered
// to any origin. They carry no cookie (the chat's secret travels in X-Chat-Token), so no
// credentials are allowed and nothing of a signed-in staff member can leak this way.
bool IsWidgetPath(std::string_view path) { return path.starts_with("/api/v1/widget/"); }

void AllowAnyOrigin(Response& r) {
  r.headers.Set("Access-Control-Allow-Origin", "*");
  r.headers.Set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id");
  r.headers.Set("Cross-Origin-Resource-Policy", "cross-origin");
}
}  // namespace

namespace {

std::string_view MethodLabel(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      break;
  }
  return "other";
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::optional<Response> Api::HandleInline(Request& request) const {
  const auto start = std::chrono::steady_clock::now();
  std::optional<Response> r = HandleInlineUntimed(request);
  if (r) {
    metrics_->Observe(MethodLabel(request.method), request.route.empty() ? "(none)" : request.route,
                      r->status, SecondsSince(start));
  }
  return r;
}

std::optional<Response> Api::HandleInlineUntimed(Request& request) const {
  if (request.method == Method::kGet || request.method == Method::kHead) {
    if (auto file = static_files_.Find(request.path)) {
      // Hashed asset names change with every build: one metrics label for all of them.
      request.route = request.path.starts_with("/assets/") ? "/assets/{file}" : request.path;
      return file;
    }
  }
  if (request.path == "/api/v1/ws" || request.path == "/api/v1/widget/ws") {
    // Reached only without "Upgrade: websocket" (an upgrade goes to Upgrade instead).
    request.route = request.path;
    Response r = ProtocolError(426, "upgrade_required", "this address takes WebSocket connections");
    r.headers.Set("Upgrade", "websocket");
    if (IsWidgetPath(request.path)) AllowAnyOrigin(r);
    return r;
  }
  if (IsWidgetPath(request.path) && request.method == Method::kOptions) {
    Response r;
    r.status = 204;
    AllowAnyOrigin(r);
    r.headers.Set("Access-Control-Allow-Methods", "GET, POST");
    r.headers.Set("Access-Control-Allow-Headers", "Content-Type, X-Chat-Token");
    r.headers.Set("Access-Control-Max-Age", "600");
    request.route = "(preflight)";
    return r;
  }
  std::optional<Response> r = HandleInlineRequest(request);
  if (r && IsWidgetPath(request.path)) AllowAnyOrigin(*r);
  return r;
}

Response Api::Handle(Request& request) {
  const auto start = std::chrono::steady_clock::now();
  Response r = HandleRequest(request);
  if (IsWidgetPath(request.path)) AllowAnyOrigin(r);
  metrics_->Observe(MethodLabel(request.method), request.route.empty() ? "(none)" : request.route,
                    r.status, SecondsSince(start));
  return r;
}

std::optional<Response> Api::HandleInlineRequest(Request& request) const {
  ResolveClientAddress(request);
  std::vector<std::int64_t> ids;
  bool path_known = false;
  const Route* route = FindRoute(request, ids, path_known);
  request.route = RouteName(route, path_known);
  if (!route) return NoRoute(path_known);
  if (!route->never_blocks) {
    if (!route->kept) return std::nullopt;
    Timestamp now = clock_.Now();
    std::optional<store::Principal> who = KeptBearer(request, now);
    if (!who) return std::nullopt;
    if (auto refused = Refused(*route, *who)) return std::move(*refused);
    Context ctx{store_, options_,      *who,    request, std::move(ids),
                now,    *inbox_pages_, *audit_, *oidc_};
    return route->kept(ctx);
  }
  // These routes read neither the caller nor the store; Context needs a principal and a time.
  store::Principal nobody;
  Context ctx{store_,      options_,      nobody,  request, std::move(ids),
              Timestamp{}, *inbox_pages_, *audit_, *oidc_};
  Result<Response> result = route->fn(ctx);
  if (!result) return ErrorResponse(result.error());
  return std::move(*result);
}

std::optional<store::Principal> Api::KeptBearer(const Request& request, Timestamp now) const {
  auto auth = request.headers.Get("authorization");
  if (!auth || AsciiLower(auth->substr(0, 7)) != "bearer ") return std::nullopt;
  return token_cache_->Find(security::HashSecret(Trim(auth->substr(7))), now);
}

Response Api::HandleRequest(Request& request) {
  ResolveClientAddress(request);
  Timestamp now = clock_.Now();
  Method method = request.method == Method::kHead ? Method::kGet : request.method;
  std::vector<std::int64_t> ids;
  bool path_known = false;
  const Route* route = FindRoute(request, ids, path_known);
  request.route = RouteName(route, path_known);
  if (!route) return NoRoute(path_known);
  if (route->rate_limited) {
    if (auto wait = public_rate_->Take(request.remote_address, now, options_.public_rate_per_minute,
                                       options_.public_burst)) {
      Response r = ProtocolError(429, "rate_limited", "too many requests; slow down");
      r.headers.Set(
          "Retry-After",
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*wait).count() + 1));
      return r;
    }
  }
  if (IsUnsafe(method) && !request.body.empty() && !route->file_body) {
    auto type = request.headers.Get("content-type");
    std::string_view wanted =
        route->form_body ? "application/x-www-form-urlencoded" : "application/json";
    if (!type || !AsciiLower(*type).starts_with(wanted)) {
      return ProtocolError(415, "unsupported_media_type",
                           "request body must be " + std::string(wanted));
    }
  }

  store::Principal who;
  if (route->authenticated) {
    auto auth = request.headers.Get("authorization");
    if (auth && AsciiLower(auth->substr(0, 7)) == "bearer ") {
      std::string hash = security::HashSecret(Trim(auth->substr(7)));
      if (auto cached = token_cache_->Find(hash, now)) {
        who = std::move(*cached);
      } else {
        auto p = store_.AuthenticateToken(hash, now);
        if (!p) return ErrorResponse(p.error());
        if (!p->has_value()) {
          return ErrorResponse(MakeError(ErrorKind::kUnauthenticated, "invalid or expired token"));
        }
        who = **p;
        if (options_.token_cache_ttl > Millis::zero()) {
          Timestamp until = now + options_.token_cache_ttl;
          if (who.token_expires_at) until = std::min(until, *who.token_expires_at);
          token_cache_->Put(hash, who, until);
        }
      }
    } else if (auto cookie = CookieValue(request, kSessionCookie)) {
      auto p = store_.AuthenticateSession(security::HashSecret(*cookie), now,
                                          options_.session_idle_timeout);
      if (!p) return ErrorResponse(p.error());
      if (!p->has_value()) {
        return ErrorResponse(
            MakeError(ErrorKind::kUnauthenticated, "session expired; sign in again"));
      }
      who = **p;
      if (IsUnsafe(method)) {
        auto csrf = request.headers.Get("x-csrf-token");
        if (!csrf || !security::ConstantTimeEquals(*csrf, who.csrf_token)) {
          return ErrorResponse(
              MakeError(ErrorKind::kForbidden, "missing or wrong X-CSRF-Token header"));
        }
      }
      if (now - who.session_last_seen > std::chrono::seconds(30)) {
        (void)store_.Write(who.tenant, [&](store::TenantTx& tx) {
          return tx.TouchSession(who.session_id_hash, now);
        });
      }
    } else {
      return ErrorResponse(MakeError(ErrorKind::kUnauthenticated, "authentication required"));
    }
    if (auto refused = Refused(*route, who)) return std::move(*refused);
  }

  Context ctx{store_, options_, who, request, std::move(ids), now, *inbox_pages_, *audit_, *oidc_};
  ctx.hub = &hub_;
  ctx.metrics = metrics_.get();
  Result<Response> result = route->fn ? route->fn(ctx) : Login(ctx, options_, *login_throttle_);
  if (!result) {
    if (result.error().kind == ErrorKind::kInternal) {
      log::Error("request_failed", {{"request_id", request.request_id}, {"path", route->pattern}});
    }
    return ErrorResponse(result.error());
  }
  // A revoked token (or a deactivated user's, or one whose role changed) must stop working
  // now, not when its cached verification runs out.
  if (route->fn == &RevokeToken || route->fn == &PatchUser) token_cache_->Clear();
  return std::move(*result);
}

}  // namespace caredesk::http
