// The practice's accounts with its channels' providers (admins): GET/PUT /api/v1/settings/sms
// (a Twilio-compatible provider) and /api/v1/settings/email (its mail server). The auth token
// and the mail password are sealed at rest and never shown again; PUT may leave them out to
// keep them.
#include "channels/email/email.hpp"
#include "channels/sms/twilio.hpp"
#include "http/handlers/context.hpp"
#include "http/json_input.hpp"

namespace caredesk::http {

namespace json = boost::json;

namespace {

json::object SmsView(const std::optional<store::ChannelSettings>& s) {
  json::object out{{"configured", s.has_value()}, {"auth_token_set", s && !s->secret.empty()}};
  channels::TwilioAccount account;
  if (s) {
    if (auto parsed = channels::ParseTwilioAccount(s->settings)) account = *parsed;
  }
  out["base_url"] = account.base_url;
  out["account_sid"] = account.account_sid;
  out["from"] = account.from;
  out["messaging_service_sid"] = account.messaging_service_sid;
  out["idempotency_header"] = account.idempotency_header;
  out["help_contact"] = account.help_contact;
  out["quiet_hours"] = account.quiet_hours;
  return out;
}

Result<std::optional<store::ChannelSettings>> Stored(Context& ctx, std::string_view channel) {
  return store::ReadValue<std::optional<store::ChannelSettings>>(
      ctx.store, ctx.who.tenant,
      [channel](store::TenantTx& tx) { return tx.GetChannelSettings(channel); });
}

Result<void> Store(Context& ctx, const store::ChannelSettings& s, std::string_view what) {
  return ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutChannelSettings(s, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "update", "settings", 0, PatientId{}, std::string(what)));
  });
}

json::object EmailView(const std::optional<store::ChannelSettings>& s) {
  json::object out{{"configured", s.has_value()}, {"smtp_password_set", s && !s->secret.empty()}};
  channels::EmailAccount account;
  if (s) {
    if (auto parsed = channels::ParseEmailAccount(s->settings)) account = *parsed;
  }
  out["address"] = account.address;
  out["display_name"] = account.display_name;
  out["smtp_url"] = account.smtp_url;
  out["smtp_username"] = account.smtp_username;
  out["imap_url"] = account.imap_url;
  out["imap_since"] = account.imap_since;
  return out;
}

}  // namespace

Result<Response> GetSmsSettings(Context& ctx) {
  CD_TRY_ASSIGN(auto stored, Stored(ctx, "sms"));
  return JsonResponse(200, SmsView(stored));
}

Result<Response> PutSmsSettings(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"base_url", "account_sid", "auth_token", "from",
                                               "messaging_service_sid", "idempotency_header",
                                               "help_contact", "quiet_hours"}));
  CD_TRY_ASSIGN(auto token, OptionalString(body, "auth_token"));
  body.erase("auth_token");
  CD_TRY_ASSIGN(channels::TwilioAccount account,
                channels::ParseTwilioAccount(json::serialize(body)));
  CD_TRY_ASSIGN(auto stored, Stored(ctx, "sms"));
  store::ChannelSettings s;
  s.channel = "sms";
  s.settings = channels::TwilioAccountJson(account);
  s.secret = token ? *token : (stored ? stored->secret : "");
  if (s.secret.empty() || s.secret.size() > 256) {
    return Invalid("auth_token is required (1 to 256 characters)", "auth_token");
  }
  CD_TRY(Store(ctx, s, "sms_provider"));
  return JsonResponse(200, SmsView(s));
}

Result<Response> GetEmailSettings(Context& ctx) {
  CD_TRY_ASSIGN(auto stored, Stored(ctx, "email"));
  return JsonResponse(200, EmailView(stored));
}

Result<Response> PutEmailSettings(Context& ctx) {
  CD_TRY_ASSIGN(json::object body,
                ParseObject(ctx.request.body, {"address", "display_name", "smtp_url",
                                               "smtp_username", "smtp_password", "imap_url"}));
  CD_TRY_ASSIGN(auto password, OptionalString(body, "smtp_password"));
  body.erase("smtp_password");
  CD_TRY_ASSIGN(channels::EmailAccount account, channels::ParseEmailAccount(json::serialize(body)));
  CD_TRY_ASSIGN(auto accounts, ctx.store.ChannelAccounts("email"));
  CD_TRY(channels::CheckAddressIsFree(accounts, ctx.who.tenant, account.address));
  CD_TRY_ASSIGN(auto stored, Stored(ctx, "email"));
  std::optional<channels::EmailAccount> before;
  if (stored) {
    if (auto parsed = channels::ParseEmailAccount(stored->settings)) before = *parsed;
  }
  channels::SetImapSince(account, before, ctx.now);
  store::ChannelSettings s;
  s.channel = "email";
  s.settings = channels::EmailAccountJson(account);
  s.secret = password ? *password : (stored ? stored->secret : "");
  if (s.secret.size() > 256) {
    return Invalid("smtp_password must have at most 256 characters", "smtp_password");
  }
  if (!account.smtp_username.empty() && s.secret.empty()) {
    return Invalid("smtp_password is required with smtp_username", "smtp_password");
  }
  CD_TRY(Store(ctx, s, "email_provider"));
  return JsonResponse(200, EmailView(s));
}

}  // namespace caredesk::http
