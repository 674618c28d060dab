#include "channels/email/email.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/text.hpp"
#include "channels/email/mime.hpp"
#include "core/inbox/patient.hpp"
#include "net/imap.hpp"
#include "net/smtp.hpp"

namespace caredesk::channels {

namespace json = boost::json;

namespace {

std::string StringOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string MetadataOf(const core::Message& m, std::string_view key) {
  for (const auto& [k, v] : m.metadata) {
    if (k == key) return v;
  }
  return {};
}

bool OneLineText(std::string_view s, std::size_t max) {
  return s.size() <= max && IsValidUtf8(s) && s.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

Result<EmailAccount> ParseEmailAccount(std::string_view settings_json) {
  boost::system::error_code ec;
  json::value v = json::parse(settings_json, ec);
  if (ec || !v.is_object()) return Invalid("email settings must be a JSON object");
  const json::object& o = v.as_object();
  for (const auto& [key, value] : o) {
    if (!value.is_string()) return Invalid("must be a string", std::string(key));
  }
  EmailAccount a;
  auto address = core::NormalizeEmail(StringOf(o, "address"), "address");
  if (!address) return address.error();
  a.address = *address;
  a.display_name = StringOf(o, "display_name");
  if (!OneLineText(a.display_name, 100)) {
    return Invalid("display_name must be one line of at most 100 characters", "display_name");
  }
  a.smtp_url = StringOf(o, "smtp_url");
  if (!net::IsSmtpUrl(a.smtp_url) || a.smtp_url.size() > 256) {
    return Invalid(
        "smtp_url must be smtp://HOST[:PORT] or smtps://HOST[:PORT], without "
        "credentials (the password is a separate field)",
        "smtp_url");
  }
  a.smtp_username = StringOf(o, "smtp_username");
  if (!OneLineText(a.smtp_username, 256)) {
    return Invalid("smtp_username must be one line of at most 256 characters", "smtp_username");
  }
  a.imap_url = StringOf(o, "imap_url");
  if (!a.imap_url.empty() && (a.imap_url.size() > 256 || !net::IsImapUrl(a.imap_url))) {
    return Invalid(
        "imap_url must be imaps://HOST[:PORT]/MAILBOX or imap://HOST[:PORT]/MAILBOX, "
        "without credentials",
        "imap_url");
  }
  a.imap_since = StringOf(o, "imap_since");
  if (!a.imap_since.empty() && net::ImapDate(a.imap_since).empty()) {
    return Invalid("imap_since must be a date, YYYY-MM-DD", "imap_since");
  }
  return a;
}

std::string BaseMailAddress(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return std::string(address);
  auto plus = address.substr(0, at).find('+');
  if (plus == std::string_view::npos) return std::string(address);
  return std::string(address.substr(0, plus)) + std::string(address.substr(at));
}

Result<void> CheckAddressIsFree(const std::vector<store::Store::ChannelAccount>& accounts,
                                TenantId tenant, std::string_view address) {
  const std::string mailbox = BaseMailAddress(address);
  for (const auto& account : accounts) {
    if (account.tenant == tenant) continue;
    auto other = ParseEmailAccount(account.settings);
    if (other && BaseMailAddress(other->address) == mailbox) {
      return Conflict("another practice on this server already receives mail at this address",
                      "address");
    }
  }
  return {};
}

void SetImapSince(EmailAccount& account, const std::optional<EmailAccount>& stored, Timestamp now) {
  if (account.imap_url.empty()) {
    account.imap_since.clear();
  } else if (stored && stored->imap_url == account.imap_url && !stored->imap_since.empty()) {
    account.imap_since = stored->imap_since;
  } else {
    account.imap_since = FormatRfc3339(now).substr(0, 10);
  }
}

std::string EmailAccountJson(const EmailAccount& a) {
  return json::serialize(json::object{{"address", a.address},
                                      {"display_name", a.display_name},
                                      {"smtp_url", a.smtp_url},
                                      {"smtp_username", a.smtp_username},
                                      {"imap_url", a.imap_url},
                                      {"imap_since", a.imap_since}});
}

std::string EmailEnvelopeJson(const EmailEnvelope& e) {
  json::array refs;
  for (const std::string& r : e.references) refs.emplace_back(r);
  json::object out{{"subject", e.subject},
                   {"text", e.text},
                   {"in_reply_to", e.in_reply_to},
                   {"references", std::move(refs)}};
  if (!e.files.empty()) out["files"] = json::array(e.files.begin(), e.files.end());
  return json::serialize(out);
}

Result<EmailEnvelope> ParseEmailEnvelope(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Invalid("not an email envelope");
  const json::object& o = v.as_object();
  EmailEnvelope e;
  e.subject = StringOf(o, "subject");
  e.text = StringOf(o, "text");
  e.in_reply_to = StringOf(o, "in_reply_to");
  if (const json::value* refs = o.if_contains("references"); refs && refs->is_array()) {
    for (const json::value& r : refs->as_array()) {
      if (r.is_string()) e.references.emplace_back(r.as_string());
    }
  }
  if (const json::value* files = o.if_contains("files"); files && files->is_array()) {
    for (const json::value& f : files->as_array()) {
      if (f.is_int64()) e.files.push_back(f.as_int64());
    }
  }
  if (e.text.empty()) return Invalid("an email envelope without text");
  return e;
}

std::vector<std::int64_t> EmailGateway::FilesOf(std::string_view body) const {
  auto envelope = ParseEmailEnvelope(body);
  return envelope ? envelope->files : std::vector<std::int64_t>{};
}

EmailEnvelope ReplyEnvelope(const std::vector<core::Message>& history, std::string text,
                            std::string_view practice) {
  EmailEnvelope e;
  e.text = std::move(text);
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->kind != core::MessageKind::kInbound) continue;
    std::string id = MetadataOf(*it, "message_id");
    std::string subject = MetadataOf(*it, "subject");
    if (id.empty() && subject.empty()) continue;
    auto ids = MessageIdsIn(id);
    if (!ids.empty()) {
      e.in_reply_to = ids.front();
      e.references = MessageIdsIn(MetadataOf(*it, "references"));
      e.references.push_back(ids.front());
      // The thread's first message and the latest ones are what clients need; 20 at most.
      if (e.references.size() > 20) {
        e.references.erase(e.references.begin() + 1, e.references.end() - 19);
      }
    }
    if (!subject.empty()) e.subject = ReplySubject(subject);
    break;
  }
  if (e.subject.empty()) e.subject = std::string(practice) + ": a reply to your message";
  return e;
}

std::string OutboundMessageId(const jobs::OutboundMessage& message, std::string_view address) {
  std::string_view domain = address.substr(address.find('@') + 1);
  return "<caredesk." + std::to_string(message.tenant.value) + "." +
         std::to_string(message.outbox_id) + "." +
         std::to_string(ToEpochMillis(message.created_at)) + "@" + std::string(domain) + ">";
}

jobs::SendResult EmailGateway::Send(const jobs::OutboundMessage& message,
                                    const store::ChannelSettings& settings) {
  using Kind = jobs::SendResult::Kind;
  jobs::SendResult out;
  auto account = ParseEmailAccount(settings.settings);
  if (!account) {
    out.kind = Kind::kPermanent;
    out.error = "the email settings are invalid (" + account.error().field + ")";
    return out;
  }
  auto envelope = ParseEmailEnvelope(message.body);
  if (!envelope) {
    out.kind = Kind::kPermanent;
    out.error = "the queued email is malformed";
    return out;
  }
  OutgoingMail mail;
  mail.from_address = account->address;
  mail.from_name = account->display_name.empty() ? message.practice_name : account->display_name;
  mail.to = message.recipient;
  mail.subject = envelope->subject;
  mail.text = envelope->text;
  mail.message_id = OutboundMessageId(message, account->address);
  mail.in_reply_to = envelope->in_reply_to;
  mail.references = envelope->references;
  // Written by a person when an agent replies or writes first; codes and reminders are
  // automatic.
  mail.automatic = message.purpose != "reply" && message.purpose != "outreach";
  mail.date = message.now;
  for (const store::Attachment& a : message.files) {
    mail.files.push_back({a.filename, a.content_type, a.content});
  }
  net::SmtpRequest request;
  request.url = account->smtp_url;
  request.username = account->smtp_username;
  request.password = settings.secret;
  request.mail_from = account->address;
  request.recipients = {message.recipient};
  request.message = BuildMail(mail);
  net::SmtpOutcome sent = net::SubmitMail(request);
  out.error = sent.error;
  switch (sent.kind) {
    case net::SmtpOutcome::Kind::kAccepted:
      out.kind = Kind::kSent;
      out.provider_ref = mail.message_id;
      break;
    case net::SmtpOutcome::Kind::kDeferred:
      out.kind = Kind::kTransient;
      break;
    case net::SmtpOutcome::Kind::kRefused:
      out.kind = Kind::kPermanent;
      break;
    case net::SmtpOutcome::Kind::kUnknown:
      out.kind = Kind::kUnknown;
      break;
  }
  return out;
}

}  // namespace caredesk::channels
