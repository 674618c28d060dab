// The outbox sender: every outbound message (verification codes now; replies, reminders and
// follow-ups later) is written to the outbox in the transaction that decided to send it, and
// this job sends it through the practice's provider, retrying with exponential backoff. A
// message is claimed before it is sent, so of several nodes one sends it; a sender that dies
// mid-send leaves it claimed, and it is sent again only through a provider that deduplicates
// by our key (otherwise it is failed as "outcome unknown", never doubled). A permanent failure
// is recorded in the conversation. Owns one thread; Start/Stop from the thread that owns it.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "base/time.hpp"
#include "jobs/periodic.hpp"
#include "store/store.hpp"

namespace caredesk::jobs {

// One message as a provider sees it.
struct OutboundMessage {
  TenantId tenant;
  std::string tenant_slug;  // names the practice in the provider's callbacks
  std::int64_t outbox_id = 0;
  std::string recipient;  // E.164 for sms, an address for email
  std::string body;
  std::string idempotency_key;           // the same for every attempt of one item
  std::string purpose;                   // OutboxItem::purpose ("reply", "verification_code", ...)
  std::string practice_name;             // the sender's name where the channel shows one (email)
  Timestamp created_at{};                // when it was queued
  Timestamp now{};                       // this attempt
  std::vector<store::Attachment> files;  // the gateway's FilesOf(body), loaded with content
};

// How the provider answered one attempt.
struct SendResult {
  enum class Kind {
    kSent,       // accepted; `provider_ref` is its id
    kTransient,  // not acted on; try again later (unreachable, 429)
    kUnknown,    // may or may not have been acted on (a timeout mid-request, a 5xx)
    kPermanent,  // will never work as it is (bad number, refused credentials)
  } kind = Kind::kSent;
  std::string provider_ref;
  std::string error;  // PHI-free: an error code and what kind of failure
};

// A channel's provider adapter (channels/sms/twilio.hpp). Thread-compatible: called from the
// sender's thread only.
class OutboundGateway {
 public:
  virtual ~OutboundGateway() = default;
  // Sends `message` with the practice's account (`settings`: its JSON and sealed secret).
  virtual SendResult Send(const OutboundMessage& message,
                          const store::ChannelSettings& settings) = 0;
  // Whether the provider, as configured, drops a second request with the same idempotency key,
  // so an interrupted attempt may be repeated.
  virtual bool Deduplicates(const store::ChannelSettings& settings) const = 0;
  // The first instant at or after `now` at which a message the practice starts may go out
  // (after its quiet hours, in the practice's `time_zone`). Messages a patient is waiting for
  // (replies, codes) are not held.
  virtual Timestamp EarliestSend(const store::ChannelSettings& /*settings*/,
                                 std::string_view /*time_zone*/, Timestamp now) const {
    return now;
  }
  // The ids of the attachments a queued `body` sends along (loaded into OutboundMessage::files
  // before Send); none by default.
  virtual std::vector<std::int64_t> FilesOf(std::string_view /*body*/) const { return {}; }
};

// Whether an outbox item answers the patient (a reply, a code they are waiting for) rather
// than starting contact; only the latter waits for quiet hours.
bool AnswersThePatient(std::string_view purpose);

struct OutboxSenderOptions {
  std::chrono::milliseconds interval{1000};
  int batch = 50;                                 // items per pass
  Millis lease = std::chrono::seconds(60);        // a claimed item is due again after this
  Millis first_retry = std::chrono::seconds(30);  // then doubling, at most max_retry_delay
  Millis max_retry_delay = std::chrono::hours(1);
  int max_attempts = 8;  // then the item fails
};

class OutboxSender {
 public:
  // `gateways` by channel ("sms"); a channel without one fails its items ("not set up").
  OutboxSender(store::Store& store, const Clock& clock,
               std::map<std::string, OutboundGateway*> gateways, OutboxSenderOptions options = {});

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // One pass: every item due at clock.Now(). Returns how many were attempted.
  Result<int> RunOnce();

 private:
  store::OutboundOutcome Attempt(TenantId tenant, const store::OutboxItem& item);

  store::Store& store_;
  const Clock& clock_;
  std::map<std::string, OutboundGateway*> gateways_;
  OutboxSenderOptions options_;
  Periodic loop_;  // last: its thread calls RunOnce, which uses the members above
};

}  // namespace caredesk::jobs
