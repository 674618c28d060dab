// The caller's identity and sign-out. Sign-in lives in api.cpp beside authentication.
#include "http/handlers/context.hpp"

namespace caredesk::http {

namespace json = boost::json;

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
  return JsonResponse(
      200, json::object{{"user_id", user.id.value},
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
                        {"scopes", json::array(ctx.who.scopes.begin(), ctx.who.scopes.end())}});
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
