// Mail delivered to a practice's address (by the LMTP listener now; IMAP polling later): read
// with GMime, then
//   - a bounce of mail we sent fails that message, with the reason in its conversation;
//   - an auto-reply (out of office, vacation) is noted in the conversation it answers and opens
//     nothing, so two auto-responders can never keep each other going;
//   - mail from a person is stored like any inbound message, threaded by In-Reply-To and
//     References into the conversation our mail started when that is the sender's own, else
//     the sender's latest, else a new one. The same Message-ID delivered twice is stored once.
#include "base/log.hpp"
#include "base/text.hpp"
#include "channels/email/email.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/parse.hpp"
#include "channels/sms/twilio.hpp"
#include "http/api.hpp"
#include "http/handlers/context.hpp"
#include "http/handlers/inbound.hpp"
#include "security/token.hpp"

namespace caredesk::http {

namespace {

constexpr std::size_t kMaxAttachmentBytes = std::size_t{25} << 20;

}  // namespace

Result<std::optional<TenantId>> Api::MailTenant(std::string_view recipient) const {
  const std::string address = channels::BaseMailAddress(AsciiLower(recipient));
  if (address.empty()) return std::optional<TenantId>{};
  Timestamp now = clock_.Now();
  {
    std::lock_guard lock(mail_routes_mutex_);
    if (now - mail_routes_loaded_ <= std::chrono::seconds(5)) {
      auto it = mail_routes_.find(address);
      if (it != mail_routes_.end()) return std::optional<TenantId>{it->second};
      // Unknown: the table may predate a practice that just set this address; reload.
    }
  }
  CD_TRY_ASSIGN(auto accounts, store_.ChannelAccounts("email"));
  std::map<std::string, TenantId> routes;
  for (const auto& account : *&accounts) {
    if (auto parsed = channels::ParseEmailAccount(account.settings)) {
      routes.emplace(channels::BaseMailAddress(parsed->address), account.tenant);
    }
  }
  std::lock_guard lock(mail_routes_mutex_);
  mail_routes_ = std::move(routes);
  mail_routes_loaded_ = now;
  auto it = mail_routes_.find(address);
  if (it == mail_routes_.end()) return std::optional<TenantId>{};
  return std::optional<TenantId>{it->second};
}

MailVerdict::Kind Api::CheckMailRecipient(std::string_view recipient) const {
  auto tenant = MailTenant(recipient);
  if (!tenant) return MailVerdict::Kind::kTemporary;  // the store did not answer: try later
  return *tenant ? MailVerdict::Kind::kDelivered : MailVerdict::Kind::kRejected;
}

MailVerdict Api::DeliverMail(std::string_view recipient,
                             std::optional<std::string_view> envelope_sender,
                             std::string_view raw) {
  auto tenant = MailTenant(recipient);
  if (!tenant) return {MailVerdict::Kind::kTemporary, "could not look up the recipient now"};
  if (!*tenant) return {MailVerdict::Kind::kRejected, "no such mailbox here"};
  return DeliverMailTo(**tenant, recipient, envelope_sender, raw);
}

MailVerdict Api::DeliverMailTo(TenantId tenant_id, std::string_view recipient,
                               std::optional<std::string_view> envelope_sender,
                               std::string_view raw) {
  using Kind = MailVerdict::Kind;
  const std::optional<TenantId> tenant = tenant_id;
  auto parsed = channels::ParseMail(raw);
  if (!parsed) return {Kind::kRejected, "not a mail message"};
  channels::InboundMail& mail = *parsed;
  store::Principal system;  // the mail system: no user, audited as such
  system.tenant = *tenant;
  system.credential_ref = "lmtp";
  Request request;
  request.request_id = security::NewSecret().substr(0, 16);
  request.remote_address = "lmtp";
  std::vector<std::int64_t> ids;
  Context ctx{store_,       options_,      system,  request, std::move(ids),
              clock_.Now(), *inbox_pages_, *audit_, *oidc_};
  ctx.hub = &hub_;
  const std::string address = channels::BaseMailAddress(AsciiLower(recipient));
  auto log_outcome = [&](std::string_view outcome) {
    log::Info("mail_received", {{"request_id", request.request_id},
                                {"tenant_id", tenant->value},
                                {"kind", outcome},
                                {"attachments", mail.attachments.size()}});
  };
  // Mail from our own address came back to us: never store (or answer) it.
  if (mail.from_address == address) {
    log_outcome("own_address_dropped");
    return {Kind::kDelivered, ""};
  }
  if (mail.kind == channels::InboundMail::Kind::kBounce ||
      (envelope_sender && envelope_sender->empty())) {
    std::string bounced = mail.bounced_message_id;
    if (bounced.empty() && !mail.references.empty()) bounced = mail.references.back();
    bool known = false;
    auto recorded = store_.Write(*tenant, [&](store::TenantTx& tx) -> Result<void> {
      CD_TRY_ASSIGN(known, tx.RecordDeliveryStatus(
                               "email", bounced, "undelivered", &channels::DeliveryStatusRank,
                               "the recipient's mail server returned it (bounce)", ctx.now));
      return {};
    });
    if (!recorded) return {Kind::kTemporary, "could not record the bounce"};
    log_outcome(known ? "bounce" : "bounce_unknown");
    return {Kind::kDelivered, ""};
  }
  // The conversation our mail started, if the mail answers one of ours.
  std::optional<ConversationId> thread;
  auto threaded = store::ReadValue<std::optional<ConversationId>>(
      store_, *tenant, [&](store::TenantTx& tx) -> Result<std::optional<ConversationId>> {
        for (auto it = mail.references.rbegin(); it != mail.references.rend(); ++it) {
          CD_TRY_ASSIGN(auto found, tx.FindOutboundConversation("email", *it));
          if (found) return found;
        }
        return std::optional<ConversationId>{};
      });
  if (threaded) thread = *threaded;
  // A client that dropped the headers may still keep the subject's token.
  if (!thread) {
    if (auto token = channels::ThreadTokenIn(mail.subject)) thread = ConversationId{*token};
  }
  if (mail.kind == channels::InboundMail::Kind::kAutoReply) {
    if (thread) {
      auto noted = store_.Write(*tenant, [&](store::TenantTx& tx) -> Result<void> {
        auto found = tx.GetConversation(*thread);
        if (!found) return {};  // not this practice's: nothing to note
        const core::Conversation& c = *found;
        // Only an answer from the conversation's own patient is noted there.
        CD_TRY_ASSIGN(auto sender,
                      tx.FindPatientId(store::TenantTx::Contact::kEmail, mail.from_address));
        if (!sender || *sender != c.patient_id) return {};
        std::vector<core::Event> events(1);
        events[0].type = "auto_reply_received";
        events[0].at = ctx.now;
        events[0].conversation_id = c.id;
        events[0].patient_id = c.patient_id;
        events[0].data = {{"channel", "email"}};
        return tx.AppendEvents(events);
      });
      if (!noted) return {Kind::kTemporary, "could not record the auto-reply"};
    }
    log_outcome("auto_reply");
    return {Kind::kDelivered, ""};
  }
  Inbound in;
  in.channel = core::Channel::kEmail;
  in.from_kind = Inbound::FromKind::kEmail;
  auto from = core::NormalizeEmail(mail.from_address, "from");
  if (!from && envelope_sender) from = core::NormalizeEmail(*envelope_sender, "from");
  if (!from) return {Kind::kRejected, "the sender's address is not valid"};
  in.from = *from;
  in.text = mail.text;
  in.thread = thread;
  auto keep = [&](std::string key, std::string value) {
    if (value.empty()) return;
    if (value.size() > core::kMaxMetadataValueBytes) {
      std::size_t cut = core::kMaxMetadataValueBytes;
      while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
      value.resize(cut);
    }
    in.metadata.emplace_back(std::move(key), std::move(value));
  };
  keep("subject", mail.subject);
  keep("message_id", mail.message_id);
  std::string references;
  // The newest references are the ones a reply needs; the oldest is the thread's start.
  for (auto it = mail.references.rbegin(); it != mail.references.rend(); ++it) {
    if (references.size() + it->size() + 1 > core::kMaxMetadataValueBytes) break;
    if (!references.empty()) references.insert(0, 1, ' ');
    references.insert(0, *it);
  }
  keep("references", references);
  if (mail.folded_at < mail.text.size()) keep("folded_at", std::to_string(mail.folded_at));
  // Kept with the message. A file over 25 MB is refused with the whole mail, so the sender's
  // server tells them (rather than the practice silently missing it).
  for (channels::MailAttachment& a : mail.attachments) {
    if (a.bytes.size() > kMaxAttachmentBytes) {
      return {Kind::kRejected, "an attachment is larger than 25 MB"};
    }
    store::Attachment stored;
    stored.filename = a.filename;
    if (stored.filename.size() > 255) {
      std::size_t cut = 255;
      while (cut > 0 && (static_cast<unsigned char>(stored.filename[cut]) & 0xC0) == 0x80) --cut;
      stored.filename.resize(cut);
    }
    stored.content_type = a.content_type.size() > 100 ? "application/octet-stream" : a.content_type;
    stored.content = std::move(a.bytes);
    in.attachments.push_back(std::move(stored));
  }
  if (auto valid = core::ValidateMessageText(in.text); !valid) {
    return {Kind::kRejected, "the message has no readable text"};
  }
  // Delivered twice (the MTA did not see our answer) is stored once.
  const std::string key =
      "mail:" + security::HashSecret(mail.message_id.empty() ? std::string(raw) : mail.message_id);
  auto stored = StoreInbound(ctx, *tenant, in, key, key);
  if (!stored) {
    // Only what is wrong with the mail itself is refused for good; anything else (the
    // database, the disk) is the MTA's to try again, so nothing is lost.
    ErrorKind why = stored.error().kind;
    if (why == ErrorKind::kInvalid || why == ErrorKind::kTooLarge) {
      return {Kind::kRejected, "the message could not be stored"};
    }
    return {Kind::kTemporary, "could not store the message now"};
  }
  log_outcome(stored->status == 200 ? "repeat" : "message");
  return {Kind::kDelivered, ""};
}

}  // namespace caredesk::http
