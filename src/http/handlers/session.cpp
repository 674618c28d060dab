// The caller's identity and sign-out. Sign-in lives in api.cpp beside authentication.
#include "http/handlers/context.hpp"

namespace caredesk::http {

namespace json = boost::json;

Result<Response> GetMe(Context& ctx) {
  CD_TRY_ASSIGN(store::User user,
                store::ReadValue<store::User>(ctx.store, ctx.who.tenant, [&](store::TenantTx& tx) {
                  return tx.GetUser(ctx.who.user);
                }));
  CD_TRY_ASSIGN(store::Tenant tenant,
                store::ReadValue<store::Tenant>(
                    ctx.store, ctx.who.tenant, [](store::TenantTx& tx) { return tx.GetTenant(); }));
  return JsonResponse(200, json::object{{"user_id", user.id.value},
                                        {"email", user.email},
                                        {"display_name", user.display_name},
                                        {"role", core::Name(user.role)},
                                        {"tenant",
                                         {{"id", tenant.id.value},
                                          {"slug", tenant.slug},
                                          {"name", tenant.name},
                                          {"time_zone", tenant.time_zone}}}});
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
