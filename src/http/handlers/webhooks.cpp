// Webhooks from providers. POST /hooks/twilio/status?tenant=SLUG: a Twilio-compatible SMS
// provider reporting what became of a text we sent (the StatusCallback the SMS gateway asks
// for). Form-encoded; authenticated by X-Twilio-Signature over our public URL and the sorted
// parameters, keyed by the practice's auth token. A bad or missing signature is 403 and
// changes nothing; a report about a message we do not know is acknowledged and ignored.
#include "base/log.hpp"
#include "base/text.hpp"
#include "channels/sms/twilio.hpp"
#include "http/handlers/context.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace {

std::string ParamOf(const std::vector<std::pair<std::string, std::string>>& params,
                    std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

Result<Response> TwilioStatusCallback(Context& ctx) {
  if (ctx.options.public_url.empty()) {
    return Unavailable("provider callbacks need the server's public_url in its config");
  }
  const Error forged =
      MakeError(ErrorKind::kForbidden, "the request's X-Twilio-Signature does not match");
  auto slug = ctx.request.Query("tenant");
  auto signature = ctx.request.headers.Get("x-twilio-signature");
  if (!slug || slug->empty() || !signature) return forged;
  CD_TRY_ASSIGN(auto tenant, ctx.store.FindTenantBySlug(*slug));
  if (!tenant) return forged;  // the same answer as a bad signature: nothing is revealed
  CD_TRY_ASSIGN(auto settings, store::ReadValue<std::optional<store::ChannelSettings>>(
                                   ctx.store, tenant->id, [](store::TenantTx& tx) {
                                     return tx.GetChannelSettings("sms");
                                   }));
  if (!settings) return forged;
  auto params = ParseQuery(ctx.request.body);
  std::string expected = channels::TwilioSignature(
      settings->secret, ctx.options.public_url + ctx.request.target, params);
  if (!security::ConstantTimeEquals(*signature, expected)) {
    log::Warn("webhook_signature_mismatch",
              {{"request_id", ctx.request.request_id}, {"tenant_id", tenant->id.value}});
    return forged;
  }
  std::string sid = ParamOf(params, "MessageSid");
  if (sid.empty()) sid = ParamOf(params, "SmsSid");
  std::string status = ParamOf(params, "MessageStatus");
  if (status.empty()) status = ParamOf(params, "SmsStatus");
  if (channels::DeliveryStatusRank(status) < 0) {
    return Invalid("MessageStatus is not a status this server knows", "MessageStatus");
  }
  std::string code = ParamOf(params, "ErrorCode");
  bool digits = !code.empty() && code.size() <= 8 &&
                code.find_first_not_of("0123456789") == std::string::npos;
  std::string error = (digits ? "provider error " + code + ", " : std::string()) + status +
                      " (reported by the SMS provider)";
  bool known = false;
  CD_TRY(ctx.store.Write(tenant->id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(known, tx.RecordDeliveryStatus("sms", sid, status, &channels::DeliveryStatusRank,
                                                 error, ctx.now));
    return {};
  }));
  log::Info("sms_status", {{"request_id", ctx.request.request_id},
                           {"tenant_id", tenant->id.value},
                           {"status", status},
                           {"known", known}});
  Response r;
  r.status = 204;
  return r;
}

}  // namespace caredesk::http
