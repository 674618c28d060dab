// Webhooks from a Twilio-compatible SMS provider, form-encoded and authenticated by
// X-Twilio-Signature over our public URL and the sorted parameters, keyed by the practice's
// auth token. A bad or missing signature is 403 and changes nothing.
//   POST /hooks/twilio/sms?tenant=SLUG: a text from a patient. Stored (or, for a consent
//     keyword, acted on) before the answer; a repeated MessageSid is answered as the first
//     time and stores nothing.
//   POST /hooks/twilio/status?tenant=SLUG: what became of a text we sent (the StatusCallback
//     the SMS gateway asks for). A report about a message we do not know is acknowledged and
//     ignored.
#include <boost/json/parse.hpp>

#include "base/log.hpp"
#include "channels/sms/text.hpp"
#include "core/inbox/phone.hpp"
#include "net/fetch.hpp"
#include "security/crypto.hpp"
#include "http/handlers/inbound.hpp"
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

// A provider's request that proved it knows the practice's auth token.
struct SignedRequest {
  store::Tenant tenant;
  store::ChannelSettings settings;
  std::vector<std::pair<std::string, std::string>> params;
};

// Checks X-Twilio-Signature over our public URL (the address the provider called, as
// configured: behind a proxy the request's own host is not it) and the form parameters.
Result<SignedRequest> VerifyTwilio(Context& ctx) {
  if (ctx.options.public_url.empty()) {
    return Unavailable("provider webhooks need the server's public_url in its config");
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
  return SignedRequest{std::move(*tenant), std::move(*settings), std::move(params)};
}

// A TwiML answer: empty, or one text back to the sender.
Response Twiml(std::string_view reply) {
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "text/xml; charset=utf-8");
  r.body = R"(<?xml version="1.0" encoding="UTF-8"?><Response>)";
  if (!reply.empty()) {
    r.body += "<Message>";
    for (char c : reply) {
      switch (c) {
        case '&':
          r.body += "&amp;";
          break;
        case '<':
          r.body += "&lt;";
          break;
        case '>':
          r.body += "&gt;";
          break;
        default:
          r.body.push_back(c);
      }
    }
    r.body += "</Message>";
  }
  r.body += "</Response>";
  return r;
}

}  // namespace

Result<Response> TwilioStatusCallback(Context& ctx) {
  CD_TRY_ASSIGN(SignedRequest signed_request, VerifyTwilio(ctx));
  const store::Tenant& tenant = signed_request.tenant;
  const auto& params = signed_request.params;
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
  CD_TRY(ctx.store.Write(tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(known, tx.RecordDeliveryStatus("sms", sid, status, &channels::DeliveryStatusRank,
                                                 error, ctx.now));
    return {};
  }));
  log::Info("sms_status", {{"request_id", ctx.request.request_id},
                           {"tenant_id", tenant.id.value},
                           {"status", status},
                           {"known", known}});
  Response r;
  r.status = 204;
  return r;
}

namespace {

// The host of an http(s) URL, lower case; "" if it has none.
std::string HostOf(std::string_view url) {
  auto start = url.find("://");
  if (start == std::string_view::npos) return {};
  start += 3;
  auto end = url.find_first_of("/?#", start);
  std::string host(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
  return AsciiLower(host);
}

// MMS pictures (MediaUrl0..N-1) fetched from the provider with the account's credentials,
// before the message is stored. Only from the provider's own host (the URLs come in a signed
// request, but a misconfigured account must not make us fetch elsewhere), at most 5 MB each
// (the carriers' MMS limit), within 8 s in all so the provider gets its answer in time.
// Returns how many could not be fetched; the message is stored regardless and says so.
int FetchMedia(const SignedRequest& request,
               const std::vector<std::pair<std::string, std::string>>& params, int count,
               std::vector<store::Attachment>& out) {
  auto account = channels::ParseTwilioAccount(request.settings.settings);
  if (!account) return count;
  const std::string provider_host = HostOf(account->base_url);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  int missing = 0;
  for (int i = 0; i < count; ++i) {
    const std::string url = ParamOf(params, "MediaUrl" + std::to_string(i));
    std::string type = AsciiLower(ParamOf(params, "MediaContentType" + std::to_string(i)));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (url.empty() || !net::IsSafeServiceUrl(url) || HostOf(url) != provider_host ||
        left.count() <= 0) {
      ++missing;
      continue;
    }
    net::FetchRequest fetch;
    fetch.url = url;
    fetch.timeout = left;
    fetch.max_response_bytes = std::size_t{5} << 20;
    // Twilio answers a media URL with a redirect to its CDN; the credentials go to the
    // provider's host only.
    fetch.username = account->account_sid;
    fetch.password = request.settings.secret;
    fetch.max_redirects = 3;
    auto got = net::Fetch(fetch);
    if (!got || got->status != 200) {
      ++missing;
      continue;
    }
    store::Attachment a;
    if (type.empty() || type.size() > 100) type = AsciiLower(got->content_type);
    a.content_type = type.empty() || type.size() > 100 ? "application/octet-stream" : type;
    a.content = std::move(got->body);
    out.push_back(std::move(a));
  }
  return missing;
}

// STOP, START or HELP: the number's consent is recorded (an event in the patient's open
// conversation, if any, tells the agent) and the practice's confirmation is the answer. No
// conversation is opened: nobody needs to reply to a keyword.
Result<Response> ActOnKeyword(Context& ctx, const SignedRequest& request,
                              const channels::SmsKeyword& keyword, const std::string& from,
                              const std::string& key) {
  std::string help_contact;
  if (auto account = channels::ParseTwilioAccount(request.settings.settings)) {
    help_contact = account->help_contact;
  }
  const std::string reply = channels::KeywordReply(keyword, request.tenant.name, help_contact);
  const std::string request_hash = security::HashSecret(key);
  using Kind = channels::SmsKeyword::Kind;
  CD_TRY(ctx.store.Write(request.tenant.id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY(tx.LockKey("idempotency:" + key));
    CD_TRY(tx.LockKey("consent:" + from));  // STOP and START racing on two nodes take turns
    CD_TRY_ASSIGN(auto previous, tx.GetIdempotentReply(key));
    if (previous) return {};  // acted on already; the answer is the same
    if (keyword.kind != Kind::kHelp) {
      store::SmsConsent consent;
      consent.opted_out = keyword.kind == Kind::kStop;
      consent.keyword = keyword.word;
      consent.changed_at = ctx.now;
      CD_TRY(tx.PutSmsConsent(from, consent));
      CD_TRY_ASSIGN(auto patient, tx.FindPatientId(store::TenantTx::Contact::kPhone, from));
      if (patient) {
        CD_TRY_ASSIGN(auto open, tx.LatestConversationOf(*patient));
        if (open) {
          std::vector<core::Event> events(1);
          events[0].type = consent.opted_out ? "sms_opted_out" : "sms_opted_in";
          events[0].at = ctx.now;
          events[0].conversation_id = open->id;
          events[0].patient_id = *patient;
          events[0].data = {{"keyword", keyword.word}};
          CD_TRY(tx.AppendEvents(events));
        }
      }
      CD_TRY(tx.AppendAudit(
          AuditOf(ctx, "update", "sms_consent", 0, patient.value_or(PatientId{}), keyword.word)));
    }
    return tx.PutIdempotentReply(key, {request_hash, 200, reply}, ctx.now);
  }));
  log::Info("sms_keyword", {{"request_id", ctx.request.request_id},
                            {"tenant_id", request.tenant.id.value},
                            {"keyword", keyword.word}});
  // A composer open on this patient must stop (or start) offering to text at once.
  if (ctx.hub && keyword.kind != Kind::kHelp) PushConsent(*ctx.hub, request.tenant.id);
  return Twiml(reply);
}

}  // namespace

Result<Response> TwilioInboundSms(Context& ctx) {
  CD_TRY_ASSIGN(SignedRequest request, VerifyTwilio(ctx));
  const auto& params = request.params;
  std::string sid = ParamOf(params, "MessageSid");
  if (sid.empty()) sid = ParamOf(params, "SmsSid");
  if (sid.empty() || sid.size() > 64 ||
      sid.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
          std::string::npos) {
    return Invalid("MessageSid must be 1 to 64 letters and digits", "MessageSid");
  }
  Inbound in;
  in.channel = core::Channel::kSms;
  in.from_kind = Inbound::FromKind::kPhone;
  CD_TRY_ASSIGN(in.from, core::NormalizePhone(ParamOf(params, "From"), "1", "From"));
  in.text = ParamOf(params, "Body");
  const std::string media = ParamOf(params, "NumMedia");
  int media_count = 0;
  if (!media.empty()) {
    if (media.size() > 2 || media.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(media) > 10) {
      return Invalid("NumMedia must be a number from 0 to 10", "NumMedia");
    }
    media_count = std::stoi(media);
  }
  if (Trim(in.text).empty() && media_count > 0) {
    // A picture with no words: the conversation still needs a message to show and answer.
    in.text = "(" + std::to_string(media_count) + " attachment" + (media_count > 1 ? "s" : "") +
              ", no text)";
  }
  CD_TRY(core::ValidateMessageText(in.text, "Body"));
  const std::string key = "twilio-sms:" + sid;
  channels::SmsKeyword keyword = channels::ClassifySmsKeyword(in.text);
  if (keyword.kind != channels::SmsKeyword::Kind::kNone) {
    return ActOnKeyword(ctx, request, keyword, in.from, key);
  }
  in.metadata = {{"provider_ref", sid}};
  if (media_count > 0) {
    in.metadata.emplace_back("media_count", std::to_string(media_count));
    int missing = FetchMedia(request, params, media_count, in.attachments);
    if (missing > 0) in.metadata.emplace_back("media_missing", std::to_string(missing));
  }
  // The repeat of a MessageSid is the provider retrying a delivery we may have stored: it is
  // acknowledged, whatever else it carries, and stored once.
  CD_TRY_ASSIGN(StoredInbound stored,
                StoreInbound(ctx, request.tenant.id, in, key, security::HashSecret(key)));
  log::Info("sms_received", {{"request_id", ctx.request.request_id},
                             {"tenant_id", request.tenant.id.value},
                             {"repeat", stored.status == 200}});
  return Twiml("");
}

}  // namespace caredesk::http
