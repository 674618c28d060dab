// The caller's identity, opening a browser session and sign-out. Password sign-in lives in
// api.cpp beside authentication; sign-in through an identity provider in oidc.cpp.
#include <chrono>

#include "base/text.hpp"
#include "http/handlers/context.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;

Result<BrowserSession> OpenBrowserSession(
    Context& ctx, TenantId tenant, UserId user, bool second_factor_pending,
    const std::function<Result<std::string>(store::TenantTx&)>& first) {
  std::string secret = security::NewSecret();
  store::NewSession session;
  session.user = user;
  session.id_hash = security::HashSecret(secret);
  session.csrf_token = security::NewSecret();
  session.now = ctx.now;
  session.expires_at = ctx.now + ctx.options.session_max_lifetime;
  session.remote_address = ctx.request.remote_address;
  session.user_agent = ctx.request.headers.Get("user-agent").value_or("");
  if (!IsValidUtf8(session.user_agent)) session.user_agent.clear();
  session.second_factor_pending = second_factor_pending;
  std::optional<std::string> previous;
  if (auto cookie = CookieValue(ctx.request, kSessionCookie)) {
    previous = security::HashSecret(*cookie);
  }
  CD_TRY(ctx.store.Write(tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(std::string how, first(tx));
    if (previous) CD_TRY(tx.RevokeSession(*previous, ctx.now));
    CD_TRY_ASSIGN(std::int64_t id, tx.InsertSession(session));
    CD_TRY(tx.RevokeSessionsBeyond(user, ctx.options.max_sessions_per_user, ctx.now));
    store::AuditRecord record;
    record.at = ctx.now;
    record.actor = user;
    record.session = "s:" + session.id_hash.substr(0, 16);
    record.remote_address = ctx.request.remote_address;
    record.action = "sign_in";
    record.object_type = "session";
    record.object_id = id;
    record.detail = std::move(how);
    return tx.AppendAudit(std::move(record));
  }));
  BrowserSession out;
  out.cookie =
      std::string(kSessionCookie) + "=" + secret + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(ctx.options.session_max_lifetime)
              .count());
  if (ctx.options.secure_cookies) out.cookie += "; Secure";
  out.csrf_token = std::move(session.csrf_token);
  out.expires_at = session.expires_at;
  out.second_factor_pending = second_factor_pending;
  return out;
}

Result<Response> GetMe(Context& ctx) {
  CD_TRY_ASSIGN(store::User user,
                store::ReadValue<store::User>(ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                  return tx.GetUser(ctx.who.user);
                }));
  store::Tenant tenant;
  store::SecondFactor factor;
  int recovery_codes = 0;
  CD_TRY(ctx.store.Read(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(tenant, tx.GetTenant());
    CD_TRY_ASSIGN(factor, tx.GetSecondFactor(ctx.who.user));
    CD_TRY_ASSIGN(recovery_codes, tx.UnusedRecoveryCodes(ctx.who.user));
    return {};
  }));
  json::object me{
      {"user_id", user.id.value},
      {"email", user.email},
      {"display_name", user.display_name},
      {"role", core::Name(user.role)},
      {"tenant",
       {{"id", tenant.id.value},
        {"slug", tenant.slug},
        {"name", tenant.name},
        {"time_zone", tenant.time_zone}}},
      {"second_factor",
       {{"enabled", factor.enabled},
        {"required", tenant.require_second_factor},
        {"setup_pending", ctx.who.second_factor_pending},
        {"recovery_codes_left", recovery_codes}}},
      {"scopes", json::array(ctx.who.scopes.begin(), ctx.who.scopes.end())},
      // Automatic logoff: the console signs out after this long without the
      // person touching it (its own background calls keep the session alive).
      {"session_idle_seconds",
       std::chrono::duration_cast<std::chrono::seconds>(ctx.options.session_idle_timeout).count()}};
  // A console signed in through the identity provider learns its CSRF token here (a
  // cross-origin page cannot read this answer).
  if (!ctx.who.csrf_token.empty()) me["csrf_token"] = ctx.who.csrf_token;
  return JsonResponse(200, me);
}

Result<Response> DeleteSession(Context& ctx) {
  if (ctx.who.session_id_hash.empty()) {
    return Invalid("only a browser session can be ended here; revoke tokens with the CLI");
  }
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) {
    return tx.RevokeSession(ctx.who.session_id_hash, ctx.now);
  }));
  Response r;
  r.status = 204;
  r.headers.Set("Set-Cookie", "caredesk_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  return r;
}

}  // namespace caredesk::http
