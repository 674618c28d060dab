// The practice's mail account and sending mail through it: settings (address, SMTP server,
// IMAP mailbox), what an email outbox item holds (subject, words, the thread it answers), and
// the outbound gateway that builds the MIME message and submits it over SMTP.
// Thread-compatible; the gateway holds no state between sends.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "core/inbox/types.hpp"
#include "jobs/outbox_sender.hpp"

namespace caredesk::channels {

struct EmailAccount {
  std::string address;        // the practice's address, also the envelope sender
  std::string display_name;   // "" uses the practice's name
  std::string smtp_url;       // smtp://HOST:587 (STARTTLS) or smtps://HOST:465
  std::string smtp_username;  // "" sends without AUTH (a relay that trusts this host)
  std::string imap_url;       // imaps://HOST/INBOX for polling; "" when mail arrives by LMTP
  // The day (YYYY-MM-DD, UTC) the mailbox was set up: polling takes mail from then on, not the
  // mailbox's history. Set by the server when imap_url is set or changed.
  std::string imap_since;
};

// The mailbox an address delivers to: "desk+billing@clinic.example" is "desk@clinic.example".
std::string BaseMailAddress(std::string_view address);

// kConflict (field "address") when a practice other than `tenant` already receives mail at
// `address`'s mailbox: mail is routed by address, so it must name one practice.
[[nodiscard]] Result<void> CheckAddressIsFree(
    const std::vector<store::Store::ChannelAccount>& accounts, TenantId tenant,
    std::string_view address);

// Carries imap_since over from the stored account when the mailbox is the same, else today.
void SetImapSince(EmailAccount& account, const std::optional<EmailAccount>& stored, Timestamp now);

// Parses and checks the settings JSON (ChannelSettings::settings for "email"); kInvalid naming
// the field.
[[nodiscard]] Result<EmailAccount> ParseEmailAccount(std::string_view settings_json);
std::string EmailAccountJson(const EmailAccount& account);

// What an email outbox item holds (sealed): built when the message is queued, turned into MIME
// when it is sent, so every attempt sends the same message with the same Message-ID.
struct EmailEnvelope {
  std::string subject;
  std::string text;
  std::string in_reply_to;              // "<...>" or ""
  std::vector<std::string> references;  // oldest first
  std::vector<std::int64_t> files;      // ids of the conversation's attachments to send with it
};
std::string EmailEnvelopeJson(const EmailEnvelope& envelope);
[[nodiscard]] Result<EmailEnvelope> ParseEmailEnvelope(std::string_view json);

// The envelope of a reply in a conversation: its subject and threading headers come from the
// patient's latest email that carries them (metadata "subject", "message_id", "references"),
// so the reply lands in that thread of the patient's mail client.
EmailEnvelope ReplyEnvelope(const std::vector<core::Message>& history, std::string text,
                            std::string_view practice);

class EmailGateway final : public jobs::OutboundGateway {
 public:
  jobs::SendResult Send(const jobs::OutboundMessage& message,
                        const store::ChannelSettings& settings) override;
  // SMTP has no idempotency key: a submission interrupted mid-way is never repeated.
  bool Deduplicates(const store::ChannelSettings&) const override { return false; }
  std::vector<std::int64_t> FilesOf(std::string_view body) const override;
};

// Our Message-ID of an outbox item: the same for every attempt, unique to this database and
// item, in the practice's mail domain.
std::string OutboundMessageId(const jobs::OutboundMessage& message, std::string_view address);

}  // namespace caredesk::channels
