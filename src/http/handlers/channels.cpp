// The practice's accounts with its channels' providers: GET/PUT /api/v1/settings/sms (admins).
// The auth token is sealed at rest and never shown again; PUT may leave it out to keep it.
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

Result<std::optional<store::ChannelSettings>> StoredSms(Context& ctx) {
  return store::ReadValue<std::optional<store::ChannelSettings>>(
      ctx.store, ctx.who.tenant, [](store::TenantTx& tx) { return tx.GetChannelSettings("sms"); });
}

}  // namespace

Result<Response> GetSmsSettings(Context& ctx) {
  CD_TRY_ASSIGN(auto stored, StoredSms(ctx));
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
  CD_TRY_ASSIGN(auto stored, StoredSms(ctx));
  store::ChannelSettings s;
  s.channel = "sms";
  s.settings = channels::TwilioAccountJson(account);
  s.secret = token ? *token : (stored ? stored->secret : "");
  if (s.secret.empty() || s.secret.size() > 256) {
    return Invalid("auth_token is required (1 to 256 characters)", "auth_token");
  }
  CD_TRY(ctx.store.Write(ctx.who.tenant, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.PutChannelSettings(s, ctx.now));
    return tx.AppendAudit(AuditOf(ctx, "update", "settings", 0, PatientId{}, "sms_provider"));
  }));
  return JsonResponse(200, SmsView(s));
}

}  // namespace caredesk::http
