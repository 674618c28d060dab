// A user's own sign-in: their sessions, API tokens and second factor. Admins may list and end
// anyone's sessions and tokens in their practice; everyone else only their own, and another
// user's ids answer 404. Every change is audited.
#include <boost/json/array.hpp>

#include <charconv>

#include "base/text.hpp"
#include "http/handlers/context.hpp"
#include "http/json_input.hpp"
#include "security/token.hpp"
#include "security/totp.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

constexpr int kRecoveryCodes = 10;
constexpr std::int64_t kDefaultTokenDays = 90;
constexpr std::int64_t kMaxTokenDays = 365;

// Every scope a token can have; a route names the one it needs (see api.cpp).
constexpr std::string_view kTokenScopes[] = {
    "inbox:read",    "inbox:write",    "messages:write", "patients:read", "patients:write",
    "settings:read", "settings:write", "audit:read",     "reports:read",  "account"};

bool IsAdmin(const store::Principal& who) { return who.role == core::Role::kAdmin; }

// Whose sessions or tokens to list: the caller's, or for an admin `?user_id=N` (every user's
// with `?user_id=all`).
Result<std::optional<UserId>> ListedUser(const Context& ctx) {
  std::optional<UserId> user = ctx.who.user;
  for (const auto& [key, value] : ctx.request.query) {
    if (key != "user_id") {
      return Invalid("unknown query parameter", key.size() <= 32 && IsValidUtf8(key) ? key : "");
    }
    if (value == "all") {
      user = std::nullopt;
    } else {
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || end != value.data() + value.size() || v <= 0) {
        return Invalid("user_id must be a user's id or \"all\"", "user_id");
      }
      user = UserId{v};
    }
  }
  if (user != std::optional<UserId>{ctx.who.user} && !IsAdmin(ctx.who)) {
    return MakeError(ErrorKind::kForbidden, "only an admin sees other users' sign-ins");
  }
  return user;
}

// The owner a change must be limited to: none for an admin, the caller for everyone else.
std::optional<UserId> OwnerLimit(const Context& ctx) {
  if (IsAdmin(ctx.who)) return std::nullopt;
  return ctx.who.user;
}

json::value OptTime(const std::optional<Timestamp>& t) {
  return t ? json::value(json::string(FormatRfc3339(*t))) : json::value(nullptr);
}

json::array Strings(const std::vector<std::string>& items) {
  json::array out;
  for (const std::string& s : items) out.emplace_back(s);
  return out;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

// Ten new recovery codes for `user`, stored as hashes; the codes themselves are shown once.
Result<std::vector<std::string>> ReplaceRecoveryCodes(store::TenantTx& tx, UserId user,
                                                      Timestamp now) {
  std::vector<std::string> codes, hashes;
  for (int i = 0; i < kRecoveryCodes; ++i) {
    codes.push_back(security::NewRecoveryCode());
    hashes.push_back(security::HashRecoveryCode(codes.back()));
  }
  CD_TRY(tx.ReplaceRecoveryCodes(user, hashes, now));
  return codes;
}

// Checks `code` against the user's TOTP secret and uses its step up, so it works once.
Result<void> UseCode(store::TenantTx& tx, const Context& ctx, const store::SecondFactor& factor,
                     std::string_view code) {
  auto step = security::MatchTotp(factor.totp_secret, code, ctx.now);
  if (!step) return Invalid("the code is incorrect or has expired", "code");
  CD_TRY_ASSIGN(bool fresh, tx.UseTotpStep(ctx.who.user, *step));
  if (!fresh) return Invalid("this code was used already; wait for the next one", "code");
  return {};
}

}  // namespace

bool IsTokenScope(std::string_view scope) {
  return std::find(std::begin(kTokenScopes), std::end(kTokenScopes), scope) !=
         std::end(kTokenScopes);
}

Result<Response> ListSessions(Context& ctx) {
  CD_TRY_ASSIGN(std::optional<UserId> user, ListedUser(ctx));
  CD_TRY_ASSIGN(auto sessions, store::ReadValue<std::vector<store::SessionInfo>>(
                                   ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                                     return tx.ListSessions(user, ctx.now);
                                   }));
  json::array items;
  for (const store::SessionInfo& s : sessions) {
    items.emplace_back(json::object{{"id", s.id},
                                    {"user_id", s.user.value},
                                    {"created_at", FormatRfc3339(s.created_at)},
                                    {"last_seen_at", FormatRfc3339(s.last_seen_at)},
                                    {"expires_at", FormatRfc3339(s.expires_at)},
                                    {"remote_address", s.remote_address},
                                    {"user_agent", s.user_agent},
                                    {"second_factor_pending", s.second_factor_pending},
                                    {"current", s.id == ctx.who.session_id}});
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

Result<Response> EndSession(Context& ctx) {
  std::int64_t id = ctx.ids.at(0);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.RevokeSessionById(id, OwnerLimit(ctx), ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "end", "session", id, PatientId{}));
  }));
  return NoContent();
}

Result<Response> ListTokens(Context& ctx) {
  CD_TRY_ASSIGN(std::optional<UserId> user, ListedUser(ctx));
  CD_TRY_ASSIGN(auto tokens, store::ReadValue<std::vector<store::TokenInfo>>(
                                 ctx.store, ctx.who.tenant,
                                 [&](store::TenantTx& tx) { return tx.ListTokens(user); }));
  json::array items;
  for (const store::TokenInfo& t : tokens) {
    items.emplace_back(json::object{{"id", t.id},
                                    {"user_id", t.user.value},
                                    {"name", t.name},
                                    {"scopes", Strings(t.scopes)},
                                    {"created_at", FormatRfc3339(t.created_at)},
                                    {"expires_at", OptTime(t.expires_at)},
                                    {"revoked_at", OptTime(t.revoked_at)}});
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

// POST /tokens {"name", "scopes", "expires_in_days"}: a token for the caller, shown once. It can
// never do more than the caller: its scopes must be among the caller's, and the caller's role
// still applies when it is used.
Result<Response> CreateToken(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"name", "scopes", "expires_in_days"}));
  CD_TRY_ASSIGN(std::string name, RequireString(body, "name"));
  name = std::string(Trim(name));
  if (name.empty() || name.size() > 100) {
    return Invalid("name must be 1 to 100 characters", "name");
  }
  CD_TRY_ASSIGN(auto scopes, OptionalStringArray(body, "scopes"));
  if (!scopes || scopes->empty()) return Invalid("name at least one scope", "scopes");
  const auto& mine = ctx.who.scopes;
  const bool all_mine = std::find(mine.begin(), mine.end(), "*") != mine.end();
  for (const std::string& s : *scopes) {
    if (!IsTokenScope(s)) return Invalid("unknown scope", "scopes");
    if (!all_mine && std::find(mine.begin(), mine.end(), s) == mine.end()) {
      return MakeError(ErrorKind::kForbidden, "a token cannot grant a scope it does not have");
    }
  }
  std::sort(scopes->begin(), scopes->end());
  scopes->erase(std::unique(scopes->begin(), scopes->end()), scopes->end());
  CD_TRY_ASSIGN(auto days, OptionalInt(body, "expires_in_days"));
  std::int64_t valid_days = days.value_or(kDefaultTokenDays);
  if (valid_days < 1 || valid_days > kMaxTokenDays) {
    return Invalid("expires_in_days must be between 1 and 365", "expires_in_days");
  }
  std::string secret = security::NewSecret("cdk_");
  CD_TRY_ASSIGN(
      store::TokenInfo token,
      store::WriteValue<store::TokenInfo>(
          ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) -> Result<store::TokenInfo> {
            CD_TRY_ASSIGN(
                store::TokenInfo t,
                tx.InsertScopedToken(ctx.who.user, security::HashSecret(secret), name, *scopes,
                                     ctx.now, ctx.now + std::chrono::hours(24) * valid_days));
            CD_TRY(tx.AppendAudit(
                AuditOf(ctx, "create", "token", t.id, PatientId{}, "scopes=" + Joined(t.scopes))));
            return t;
          }));
  return JsonResponse(201, json::object{{"id", token.id},
                                        {"token", secret},
                                        {"name", token.name},
                                        {"scopes", Strings(token.scopes)},
                                        {"created_at", FormatRfc3339(token.created_at)},
                                        {"expires_at", OptTime(token.expires_at)}});
}

Result<Response> RevokeToken(Context& ctx) {
  std::int64_t id = ctx.ids.at(0);
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.RevokeToken(id, OwnerLimit(ctx), ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "revoke", "token", id, PatientId{}));
  }));
  return NoContent();
}

// POST /me/second-factor: a new TOTP secret for the caller's authenticator app. It takes
// effect only when confirmed with a code from the app.
Result<Response> StartSecondFactor(Context& ctx) {
  CD_TRY(ParseObject(ctx.request.body.empty() ? "{}" : ctx.request.body, {}));
  std::string secret = security::NewTotpSecret();
  std::string account, issuer;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::User user, tx.GetUser(ctx.who.user));
    CD_TRY_ASSIGN(store::Tenant tenant, tx.GetTenant());
    CD_TRY(tx.StartTotp(ctx.who.user, secret));
    account = user.email;
    issuer = "CareDesk " + tenant.slug;
    return tx.AppendAudit(AuditOf(ctx, "start", "second_factor", ctx.who.user.value, PatientId{}));
  }));
  return JsonResponse(201,
                      json::object{{"secret", secret},
                                   {"otpauth_uri", security::OtpauthUri(issuer, account, secret)}});
}

// POST /me/second-factor/confirm {"code"}: turns TOTP on and answers ten recovery codes. A
// session that had to set up its second factor may now do what its role allows.
Result<Response> ConfirmSecondFactor(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"code"}));
  CD_TRY_ASSIGN(std::string code, RequireString(body, "code"));
  std::vector<std::string> codes;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::SecondFactor factor, tx.GetSecondFactor(ctx.who.user));
    if (factor.enabled) return Conflict("two-factor sign-in is already on");
    if (factor.totp_secret.empty()) {
      return Conflict("start with POST /api/v1/me/second-factor");
    }
    CD_TRY(UseCode(tx, ctx, factor, code));
    CD_TRY(tx.EnableTotp(ctx.who.user));
    CD_TRY_ASSIGN(codes, ReplaceRecoveryCodes(tx, ctx.who.user, ctx.now));
    if (!ctx.who.session_id_hash.empty()) {
      CD_TRY(tx.CompleteSecondFactor(ctx.who.session_id_hash));
    }
    return tx.AppendAudit(AuditOf(ctx, "enable", "second_factor", ctx.who.user.value, PatientId{}));
  }));
  return JsonResponse(200, json::object{{"recovery_codes", Strings(codes)}});
}

// POST /me/recovery-codes {"code"}: ten new recovery codes in place of the old ones.
Result<Response> NewRecoveryCodes(Context& ctx) {
  CD_TRY_ASSIGN(json::object body, ParseObject(ctx.request.body, {"code"}));
  CD_TRY_ASSIGN(std::string code, RequireString(body, "code"));
  std::vector<std::string> codes;
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(store::SecondFactor factor, tx.GetSecondFactor(ctx.who.user));
    if (!factor.enabled) return Conflict("two-factor sign-in is not on");
    CD_TRY(UseCode(tx, ctx, factor, code));
    CD_TRY_ASSIGN(codes, ReplaceRecoveryCodes(tx, ctx.who.user, ctx.now));
    return tx.AppendAudit(
        AuditOf(ctx, "replace", "recovery_codes", ctx.who.user.value, PatientId{}));
  }));
  return JsonResponse(200, json::object{{"recovery_codes", Strings(codes)}});
}

}  // namespace caredesk::http
