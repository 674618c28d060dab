// Sending SMS through a Twilio-compatible provider's REST API
// (POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic with the account SID
// and auth token), and the practice's account settings it needs. The base URL is a setting, so
// any provider that speaks the same wire format works (and the tests point it at a fake).
// Thread-compatible; the gateway holds no state between sends.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "jobs/outbox_sender.hpp"

namespace caredesk::channels {

struct TwilioAccount {
  std::string base_url = "https://api.twilio.com";
  std::string account_sid;
  std::string from;                   // the practice's number, E.164; or
  std::string messaging_service_sid;  // a messaging service that picks the number
  // A request header the provider honours to drop a repeated send (e.g. "Idempotency-Key");
  // "" if it has none, and then an interrupted send is not repeated. Twilio itself has none.
  std::string idempotency_header;
  // Added to the answer to HELP: how to reach the practice ("call 312-555-0100").
  std::string help_contact;
  // Local hours ("21:00-08:00", the tenant's time zone) in which texts the practice starts
  // (not replies, not codes a patient is waiting for) are held until the hours end; "" none.
  std::string quiet_hours;
};

// The hours in which texts may be started, from quiet hours "HH:MM-HH:MM" (local; may wrap
// past midnight) as weekly hours for core::BusinessCalendar. kInvalid (field "quiet_hours").
[[nodiscard]] Result<std::string> AllowedHoursOf(std::string_view quiet_hours);

// Parses and checks the settings JSON (as stored in ChannelSettings::settings). kInvalid naming
// the field when a value is missing or malformed.
[[nodiscard]] Result<TwilioAccount> ParseTwilioAccount(std::string_view settings_json);
std::string TwilioAccountJson(const TwilioAccount& account);

// X-Twilio-Signature of a form-encoded webhook: base64(HMAC-SHA1(auth_token, url + every
// parameter's name and value, sorted by name)), `url` exactly as the provider called it,
// query included.
std::string TwilioSignature(std::string_view auth_token, std::string_view url,
                            std::vector<std::pair<std::string, std::string>> params);

// A Twilio status callback's MessageStatus, ranked so that a late "sent" never overwrites
// "delivered" (callbacks can arrive out of order); -1 for a status we do not know.
int DeliveryStatusRank(std::string_view status);

class TwilioGateway final : public jobs::OutboundGateway {
 public:
  // With `public_url`, each message asks the provider to report its delivery to
  // <public_url>/hooks/twilio/status?tenant=<slug>; without it, no status is reported.
  explicit TwilioGateway(std::string public_url = "") : public_url_(std::move(public_url)) {}
  jobs::SendResult Send(const jobs::OutboundMessage& message,
                        const store::ChannelSettings& settings) override;
  bool Deduplicates(const store::ChannelSettings& settings) const override;
  Timestamp EarliestSend(const store::ChannelSettings& settings, std::string_view time_zone,
                         Timestamp now) const override;

 private:
  std::string public_url_;
};

}  // namespace caredesk::channels
