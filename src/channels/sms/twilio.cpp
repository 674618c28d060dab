#include "channels/sms/twilio.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>

#include "base/text.hpp"
#include "core/tenancy/calendar.hpp"
#include "net/fetch.hpp"
#include "security/crypto.hpp"

namespace caredesk::channels {

namespace json = boost::json;

namespace {

bool IsAlnum(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

bool IsE164(std::string_view s) {
  return s.size() >= 9 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
         std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsHeaderName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string StringOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Result<TwilioAccount> ParseTwilioAccount(std::string_view settings_json) {
  boost::system::error_code ec;
  json::value v = json::parse(settings_json, ec);
  if (ec || !v.is_object()) return Invalid("SMS settings must be a JSON object");
  const json::object& o = v.as_object();
  for (const auto& [key, value] : o) {
    if (!value.is_string()) return Invalid("must be a string", std::string(key));
  }
  TwilioAccount a;
  if (o.contains("base_url")) a.base_url = StringOf(o, "base_url");
  while (a.base_url.ends_with('/')) a.base_url.pop_back();
  a.account_sid = StringOf(o, "account_sid");
  a.from = StringOf(o, "from");
  a.messaging_service_sid = StringOf(o, "messaging_service_sid");
  a.idempotency_header = StringOf(o, "idempotency_header");
  if (!net::IsSafeServiceUrl(a.base_url) || a.base_url.size() > 256) {
    return Invalid("base_url must be an https URL", "base_url");
  }
  if (a.account_sid.empty() || a.account_sid.size() > 64 || !IsAlnum(a.account_sid)) {
    return Invalid("account_sid must be 1 to 64 letters and digits", "account_sid");
  }
  if (a.from.empty() == a.messaging_service_sid.empty()) {
    return Invalid("give either from (the practice's number) or messaging_service_sid", "from");
  }
  if (!a.from.empty() && !IsE164(a.from)) {
    return Invalid("from must be an E.164 number such as +13125550100", "from");
  }
  if (!a.messaging_service_sid.empty() &&
      (a.messaging_service_sid.size() > 64 || !IsAlnum(a.messaging_service_sid))) {
    return Invalid("messaging_service_sid must be letters and digits", "messaging_service_sid");
  }
  if (!a.idempotency_header.empty() && !IsHeaderName(a.idempotency_header)) {
    return Invalid("idempotency_header must be a header name", "idempotency_header");
  }
  a.help_contact = StringOf(o, "help_contact");
  if (a.help_contact.size() > 100 || !IsValidUtf8(a.help_contact) ||
      a.help_contact.find_first_of("\r\n") != std::string::npos) {
    return Invalid("help_contact must be one line of at most 100 characters", "help_contact");
  }
  a.quiet_hours = StringOf(o, "quiet_hours");
  if (!a.quiet_hours.empty()) CD_TRY(AllowedHoursOf(a.quiet_hours));
  return a;
}

Result<std::string> AllowedHoursOf(std::string_view quiet) {
  const Error bad = MakeError(
      ErrorKind::kInvalid, "quiet_hours must be HH:MM-HH:MM, such as 21:00-08:00", "quiet_hours");
  auto minutes = [](std::string_view hm) -> int {
    if (hm.size() != 5 || hm[2] != ':') return -1;
    for (std::size_t i : {0, 1, 3, 4}) {
      if (hm[i] < '0' || hm[i] > '9') return -1;
    }
    int h = (hm[0] - '0') * 10 + (hm[1] - '0'), m = (hm[3] - '0') * 10 + (hm[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
  };
  if (quiet.size() != 11 || quiet[5] != '-') return bad;
  int start = minutes(quiet.substr(0, 5)), end = minutes(quiet.substr(6, 5));
  if (start < 0 || end < 0 || start == end) return bad;
  auto hm = [](int total) {
    char out[6];
    std::snprintf(out, sizeof out, "%02d:%02d", total / 60, total % 60);
    return std::string(out);
  };
  // Allowed: from the end of the quiet hours to their start.
  if (end < start) return "sun-sat " + hm(end) + "-" + hm(start);
  std::string allowed = "sun-sat ";
  if (start > 0) allowed += "00:00-" + hm(start);
  if (start > 0) allowed += ",";
  allowed += hm(end) + "-24:00";
  return allowed;
}

std::string TwilioAccountJson(const TwilioAccount& a) {
  return json::serialize(json::object{{"base_url", a.base_url},
                                      {"account_sid", a.account_sid},
                                      {"from", a.from},
                                      {"messaging_service_sid", a.messaging_service_sid},
                                      {"idempotency_header", a.idempotency_header},
                                      {"help_contact", a.help_contact},
                                      {"quiet_hours", a.quiet_hours}});
}

std::string TwilioSignature(std::string_view auth_token, std::string_view url,
                            std::vector<std::pair<std::string, std::string>> params) {
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string data(url);
  for (const auto& [name, value] : params) {
    data += name;
    data += value;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return security::ToBase64(std::string_view(reinterpret_cast<const char*>(mac), length));
}

int DeliveryStatusRank(std::string_view status) {
  if (status == "accepted" || status == "scheduled" || status == "queued") return 0;
  if (status == "sending") return 1;
  if (status == "sent") return 2;
  if (status == "delivered") return 3;
  if (status == "read") return 4;
  if (status == "undelivered" || status == "failed" || status == "canceled") return 5;
  return -1;
}

bool TwilioGateway::Deduplicates(const store::ChannelSettings& settings) const {
  auto account = ParseTwilioAccount(settings.settings);
  return account && !account->idempotency_header.empty();
}

Timestamp TwilioGateway::EarliestSend(const store::ChannelSettings& settings,
                                      std::string_view time_zone, Timestamp now) const {
  auto account = ParseTwilioAccount(settings.settings);
  if (!account || account->quiet_hours.empty()) return now;
  auto allowed = AllowedHoursOf(account->quiet_hours);
  auto hours =
      allowed ? core::ParseWeeklyHours(*allowed) : Result<core::WeeklyHours>(allowed.error());
  if (!hours) return now;
  auto calendar = core::BusinessCalendar::Create(time_zone, *hours, {});
  if (!calendar) return now;
  return calendar->AddBusinessTime(now, Millis{0});
}

jobs::SendResult TwilioGateway::Send(const jobs::OutboundMessage& message,
                                     const store::ChannelSettings& settings) {
  using Kind = jobs::SendResult::Kind;
  jobs::SendResult out;
  auto account = ParseTwilioAccount(settings.settings);
  if (!account) {
    out.kind = Kind::kPermanent;
    out.error = "the SMS settings are invalid (" + account.error().field + ")";
    return out;
  }
  net::FetchRequest request;
  request.method = "POST";
  request.url =
      account->base_url + "/2010-04-01/Accounts/" + account->account_sid + "/Messages.json";
  request.timeout = std::chrono::seconds(10);
  request.headers = {{"Authorization",
                      "Basic " + security::ToBase64(account->account_sid + ":" + settings.secret)},
                     {"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  if (!account->idempotency_header.empty()) {
    request.headers.emplace_back(account->idempotency_header, message.idempotency_key);
  }
  std::vector<std::pair<std::string, std::string>> form = {{"To", message.recipient},
                                                           {"Body", message.body}};
  if (!public_url_.empty()) {
    form.emplace_back("StatusCallback",
                      public_url_ + "/hooks/twilio/status?tenant=" + message.tenant_slug);
  }
  if (account->from.empty()) {
    form.emplace_back("MessagingServiceSid", account->messaging_service_sid);
  } else {
    form.emplace_back("From", account->from);
  }
  request.body = net::FormEncode(form);
  bool request_sent = false;
  auto answer = net::Fetch(request, &request_sent);
  if (!answer) {
    out.kind = request_sent ? Kind::kUnknown : Kind::kTransient;
    out.error = request_sent ? "the SMS provider did not answer in time"
                             : "the SMS provider could not be reached";
    return out;
  }
  boost::system::error_code ec;
  json::value body = json::parse(answer->body, ec);
  const json::object* o = !ec && body.is_object() ? &body.as_object() : nullptr;
  const std::string status = "HTTP " + std::to_string(answer->status);
  if (answer->status >= 200 && answer->status < 300) {
    std::string sid = o ? StringOf(*o, "sid") : "";
    if (sid.size() > 64 || !IsAlnum(sid)) sid.clear();
    out.kind = Kind::kSent;
    out.provider_ref = sid;
    return out;
  }
  // The provider's numeric code says what went wrong (21211: not a valid number; 21610: the
  // number opted out); its message may quote the number, so it is not kept.
  std::string code;
  if (o) {
    if (const json::value* c = o->if_contains("code"); c && c->is_int64()) {
      code = "provider error " + std::to_string(c->as_int64()) + ", ";
    }
  }
  out.error = code + status;
  out.kind = answer->status == 429   ? Kind::kTransient
             : answer->status >= 500 ? Kind::kUnknown
                                     : Kind::kPermanent;
  if (answer->status == 401 || answer->status == 403) {
    out.error = "the SMS provider refused the account's credentials (" + status + ")";
  }
  return out;
}

}  // namespace caredesk::channels
