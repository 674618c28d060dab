// Staff sign-in through the practice's own OpenID Connect provider, and its settings.
//
// GET /api/v1/auth/oidc/start?tenant=SLUG sends the browser to the provider with a fresh
// secret in a short-lived cookie (caredesk_oidc, SameSite=Lax so it survives the provider's
// redirect back); state, nonce and PKCE verifier are derived from it (see OidcAttempt).
// GET /api/v1/auth/oidc/callback checks the state against the cookie, redeems the code,
// validates the ID token, finds the user and opens a session like a password sign-in does.
// A user is matched by the provider's subject once linked; the first time by the provider's
// verified email, equal to their CareDesk email. Nobody is created here: an admin adds staff
// (with their role and queues) first, so the provider decides who someone is, CareDesk what
// they may see.
#include "base/log.hpp"
#include "base/text.hpp"
#include "http/handlers/context.hpp"
#include "http/json_input.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

constexpr std::string_view kAttemptCookie = "caredesk_oidc";
constexpr std::string_view kCallbackPath = "/api/v1/auth/oidc/callback";
constexpr auto kAttemptLifetime = std::chrono::minutes(10);

Result<std::string> RedirectUri(const ApiOptions& options) {
  if (options.public_url.empty()) {
    return Unavailable(
        "sign-in through an identity provider needs the server's public_url in its config");
  }
  std::string base = options.public_url;
  while (base.ends_with('/')) base.pop_back();
  return base + std::string(kCallbackPath);
}

std::string AttemptCookie(const ApiOptions& options, std::string_view value,
                          std::chrono::seconds max_age) {
  std::string cookie = std::string(kAttemptCookie) + "=" + std::string(value) +
                       "; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=" +
                       std::to_string(max_age.count());
  if (options.secure_cookies) cookie += "; Secure";
  return cookie;
}

Error NoProvider() {
  return NotFound("this practice does not sign in through an identity provider");
}

Error NotAdmitted(std::string message) {
  return MakeError(ErrorKind::kForbidden, std::move(message));
}

json::object ProviderView(const std::optional<store::OidcProvider>& p, const ApiOptions& options) {
  auto redirect = RedirectUri(options);
  return {{"enabled", p && p->enabled},
          {"issuer", p ? p->issuer : ""},
          {"client_id", p ? p->client_id : ""},
          {"client_secret_set", p && !p->client_secret.empty()},
          {"accept_provider_mfa", p ? p->accept_provider_mfa : true},
          {"redirect_uri", redirect ? json::value(json::string(*redirect)) : json::value(nullptr)}};
}

}  // namespace

Result<Response> StartOidcSignIn(Context& ctx) {
  auto slug = ctx.request.Query("tenant");
  if (!slug || slug->empty()) return Invalid("tenant is required", "tenant");
  CD_TRY_ASSIGN(std::string redirect_uri, RedirectUri(ctx.options));
  CD_TRY_ASSIGN(auto tenant, ctx.store.FindTenantBySlug(*slug));
  if (!tenant) return NoProvider();
  CD_TRY_ASSIGN(auto provider, store::ReadValue<std::optional<store::OidcProvider>>(
                                   ctx.store, tenant->id,
                                   [](store::TenantTx& tx) { return tx.GetOidcProvider(); }));
  if (!provider || !provider->enabled) return NoProvider();
  CD_TRY_ASSIGN(auto endpoints, ctx.oidc.Discover(provider->issuer, ctx.now));
  std::string secret = security::NewSecret();
  OidcAttempt attempt = OidcAttempt::Derive(tenant->id, secret);
  Response r;
  r.status = 302;
  r.headers.Set("Location",
                OidcRelyingParty::AuthorizationUrl(endpoints, *provider, redirect_uri, attempt));
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Add("Set-Cookie",
                AttemptCookie(ctx.options, secret,
                              std::chrono::duration_cast<std::chrono::seconds>(kAttemptLifetime)));
  return r;
}

Result<Response> FinishOidcSignIn(Context& ctx) {
  auto fail = [&](std::string_view why) {
    log::Warn("oidc_sign_in_failed", {{"request_id", ctx.request.request_id}, {"reason", why}});
  };
  if (ctx.request.Query("error")) {
    fail("provider_refused");
    return MakeError(ErrorKind::kUnauthenticated, "the identity provider did not sign you in");
  }
  auto state = ctx.request.Query("state");
  auto code = ctx.request.Query("code");
  if (!state || !code || code->empty() || code->size() > 4096) {
    return Invalid("the identity provider's answer lacks its code or state");
  }
  auto secret = CookieValue(ctx.request, kAttemptCookie);
  auto tenant = OidcAttempt::TenantOf(*state);
  if (!secret || !tenant) {
    fail("no_attempt");
    return Invalid("this sign-in was not started in this browser, or took too long; start again");
  }
  OidcAttempt attempt = OidcAttempt::Derive(*tenant, *secret);
  if (!security::ConstantTimeEquals(attempt.state, *state)) {
    fail("state_mismatch");
    return Invalid("this sign-in was not started in this browser, or took too long; start again");
  }
  CD_TRY_ASSIGN(std::string redirect_uri, RedirectUri(ctx.options));
  store::Tenant practice;
  std::optional<store::OidcProvider> provider;
  CD_TRY(ctx.store.Read(*tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(practice, tx.GetTenant());
    CD_TRY_ASSIGN(provider, tx.GetOidcProvider());
    return {};
  }));
  if (!provider || !provider->enabled) return NoProvider();
  CD_TRY_ASSIGN(auto endpoints, ctx.oidc.Discover(provider->issuer, ctx.now));
  auto identity =
      ctx.oidc.Redeem(*provider, endpoints, std::string(*code), redirect_uri, attempt, ctx.now);
  if (!identity) {
    fail("id_token");
    return identity.error();
  }

  // Who this is: the linked user, else the user whose email the provider has verified.
  std::optional<store::User> user;
  bool link = false;
  store::SecondFactor factor;
  CD_TRY(ctx.store.Read(*tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(user, tx.FindUserByOidcSubject(identity->subject));
    if (!user && identity->email_verified && !identity->email.empty()) {
      CD_TRY_ASSIGN(user, tx.FindUserByEmail(identity->email));
      if (user && !user->oidc_subject.empty()) user.reset();  // linked to another identity
      link = user.has_value();
    }
    if (!user) return {};
    CD_TRY_ASSIGN(factor, tx.GetSecondFactor(user->id));
    return {};
  }));
  if (!user || !user->active) {
    fail(user ? "inactive" : "no_account");
    return NotAdmitted(
        "there is no active CareDesk account for this identity; ask your practice's admin");
  }
  // A practice that requires a second factor, or a user who set one up, accepts a provider
  // sign-in only when the provider says it checked one.
  if ((practice.require_second_factor || factor.enabled) &&
      !(provider->accept_provider_mfa && identity->provider_mfa)) {
    fail("no_provider_mfa");
    return NotAdmitted(
        "your identity provider did not confirm a second factor; sign in with your password "
        "and code, or ask your IT to require multi-factor sign-in at the provider");
  }
  const UserId id = user->id;
  auto opened = OpenBrowserSession(
      ctx, *tenant, id, /*second_factor_pending=*/false,
      [&](store::TenantTx& tx) -> Result<std::string> {
        if (link) {
          CD_TRY(tx.SetOidcSubject(id, identity->subject));
          store::AuditRecord linked;
          linked.at = ctx.now;
          linked.actor = id;
          linked.remote_address = ctx.request.remote_address;
          linked.action = "link_identity";
          linked.object_type = "user";
          linked.object_id = id.value;
          linked.detail = "oidc";
          CD_TRY(tx.AppendAudit(std::move(linked)));
        }
        return std::string(identity->provider_mfa ? "oidc+provider_mfa" : "oidc");
      });
  if (!opened) return opened.error();
  log::Info("login", {{"request_id", ctx.request.request_id},
                      {"tenant_id", tenant->value},
                      {"user_id", id.value},
                      {"method", "oidc"}});
  // A page rather than a redirect: the browser sends the SameSite=Strict session cookie only
  // on a navigation this site starts, not on the tail of the provider's redirect.
  Response r;
  r.headers.Set("Content-Type", "text/html; charset=utf-8");
  r.headers.Set("Cache-Control", "no-store");
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"0;url=/\"><title>Signed in - CareDesk</title>"
      "</head><body><p>Signed in. <a href=\"/\">Continue to CareDesk</a></p></body></html>";
  r.headers.Add("Set-Cookie", opened->cookie);
  r.headers.Add("Set-Cookie", AttemptCookie(ctx.options, "", std::chrono::seconds(0)));
  return r;
}

Result<Response> GetOidcSettings(Context& ctx) {
  CD_TRY_ASSIGN(auto provider, store::ReadValue<std::optional<store::OidcProvider>>(
                                   ctx.store, ctx.who.tenant,
                                   [](store::TenantTx& tx) { return tx.GetOidcProvider(); }));
  return JsonResponse(200, ProviderView(provider, ctx.options));
}

// PUT: the whole provider; client_secret may be left out to keep the stored one. Turning it on
// checks that the issuer answers discovery, so a typo shows here, not at the next sign-in.
Result<Response> PutOidcSettings(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"enabled", "issuer", "client_id", "client_secret",
                                               "accept_provider_mfa"}));
  CD_TRY_ASSIGN(auto enabled, OptionalBool(body, "enabled"));
  if (!enabled) return Invalid("enabled is required", "enabled");
  CD_TRY_ASSIGN(std::string issuer, RequireString(body, "issuer"));
  CD_TRY_ASSIGN(std::string client_id, RequireString(body, "client_id"));
  CD_TRY_ASSIGN(auto secret, OptionalString(body, "client_secret"));
  CD_TRY_ASSIGN(auto accept_mfa, OptionalBool(body, "accept_provider_mfa"));
  issuer = std::string(Trim(issuer));
  client_id = std::string(Trim(client_id));
  if (issuer.size() > 512 || !net::IsSafeServiceUrl(issuer)) {
    return Invalid("issuer must be an https URL of at most 512 characters", "issuer");
  }
  if (client_id.empty() || client_id.size() > 256) {
    return Invalid("client_id must have 1 to 256 characters", "client_id");
  }
  if (secret && secret->size() > 1024) {
    return Invalid("client_secret may have at most 1024 characters", "client_secret");
  }
  CD_TRY_ASSIGN(auto stored, store::ReadValue<std::optional<store::OidcProvider>>(
                                 ctx.store, ctx.who.tenant,
                                 [](store::TenantTx& tx) { return tx.GetOidcProvider(); }));
  store::OidcProvider p;
  p.enabled = *enabled;
  p.issuer = issuer;
  p.client_id = client_id;
  p.client_secret = secret ? *secret : (stored ? stored->client_secret : "");
  p.accept_provider_mfa = accept_mfa.value_or(stored ? stored->accept_provider_mfa : true);
  if (p.enabled) {
    if (p.client_secret.empty()) {
      return Invalid("client_secret is required to turn provider sign-in on", "client_secret");
    }
    CD_TRY(RedirectUri(ctx.options));
    CD_TRY(ctx.oidc.Discover(p.issuer, ctx.now));
  }
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutOidcProvider(p, ctx.now));
    return tx.AppendAudit(
        AuditOf(ctx, "update", "settings", 0, PatientId{}, p.enabled ? "oidc_on" : "oidc_off"));
  }));
  return JsonResponse(200, ProviderView(p, ctx.options));
}

}  // namespace caredesk::http
