// Building the mail CareDesk sends (RFC 5322 with MIME, RFC 2045-2047, 2231): a plain-text part
// and an HTML part of the same words, any files as base64 attachments, our own Message-ID,
// In-Reply-To and References so the reply threads under the patient's mail in their client, and
// Auto-Submitted on automatic mail (RFC 3834) so autoresponders do not answer it. Pure;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"

namespace caredesk::channels {

// A file sent with the mail (a form, a letter, a picture).
struct MailFile {
  std::string filename;
  std::string content_type;  // "application/pdf"
  std::string bytes;
};

struct OutgoingMail {
  std::string from_address;  // the practice's address
  std::string from_name;     // shown beside it ("Lakeside Family Medicine")
  std::string to;
  std::string subject;
  std::string text;                     // the words; the HTML part is made from them
  std::string message_id;               // "<...@domain>"
  std::string in_reply_to;              // the patient's Message-ID we answer, "<...>" or ""
  std::vector<std::string> references;  // the thread's Message-IDs, oldest first
  bool automatic = false;               // Auto-Submitted: auto-generated
  Timestamp date{};
  std::vector<MailFile> files;  // with files the mail is multipart/mixed, the text first
};

// The whole message with CRLF line ends, lines at most 78 characters (quoted-printable
// bodies, RFC 2047 encoded words for non-ASCII header text). Header values have CR and LF
// removed, so nothing a patient wrote can add a header.
std::string BuildMail(const OutgoingMail& mail);

// "Re: <subject>" unless it already starts with a reply prefix (Re:, RE:, Aw:, ...).
std::string ReplySubject(std::string_view subject);

// The conversation's token in a subject ("Re: Refill [#C42]"), so a reply whose mail client
// dropped In-Reply-To and References still finds its conversation. Not a secret: mail is
// threaded by it only into a conversation of the sender's own.
std::string WithThreadToken(std::string_view subject, std::int64_t conversation);
std::optional<std::int64_t> ThreadTokenIn(std::string_view subject);

// The Message-IDs in a References or In-Reply-To header value, in order ("<a@b> <c@d>").
std::vector<std::string> MessageIdsIn(std::string_view header);

// RFC 2047 encoded word(s) for a header value when it is not plain printable ASCII.
std::string EncodeHeaderText(std::string_view text);

// Quoted-printable (RFC 2045 6.7) with CRLF line ends and soft breaks at 76 characters.
std::string QuotedPrintable(std::string_view text);

}  // namespace caredesk::channels
