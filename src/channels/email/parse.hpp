// Reading the mail patients send (RFC 5322, MIME) with GMime: who wrote, the thread it belongs
// to, readable text (text/plain preferred; HTML-only mail turned into text; any charset
// converted to UTF-8), the parts to keep as attachments, and whether a person wrote it at all
// (auto-replies, out-of-office notices and bounces are recognized, so they never open a
// conversation and are never answered). Thread-safe (GMime is initialized once).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace caredesk::channels {

struct MailAttachment {
  std::string filename;      // "" when the sender gave none
  std::string content_type;  // "image/png"
  std::string content_id;    // for an inline image, "" otherwise
  bool inline_part = false;
  std::string bytes;  // decoded content
};

struct InboundMail {
  enum class Kind {
    kMessage,    // written by a person
    kAutoReply,  // Auto-Submitted, out-of-office and vacation notices, mailing-list bulk
    kBounce,     // a delivery status notification (multipart/report, or from the mailer daemon)
  } kind = Kind::kMessage;
  std::string from_address;  // lower case; "" when it has none
  std::string from_name;
  std::string subject;
  std::string message_id;               // "<...>", "" if none
  std::vector<std::string> references;  // In-Reply-To and References, oldest first, no repeats
  std::string text;                     // valid UTF-8
  // Where quoted history or a signature begins in `text` (a "-- " line, "On ... wrote:", a
  // block of "> " lines at the end); text.size() when there is none. The console shows the
  // text up to here and folds the rest.
  std::size_t folded_at = 0;
  std::vector<MailAttachment> attachments;  // inline images included
  // For a bounce: the Message-ID of the message that could not be delivered, when it says.
  std::string bounced_message_id;
};

// kInvalid when `raw` is not a message at all (no headers). Anything else is read as well as
// it can be: an unknown charset is read as Latin-1, a truncated part keeps what arrived.
[[nodiscard]] Result<InboundMail> ParseMail(std::string_view raw);

// Readable text from HTML: tags dropped (script and style with their content), block elements
// and <br> as line breaks, entities decoded, runs of blank lines collapsed.
std::string HtmlToText(std::string_view html);

// Where quoted history or a signature begins (see InboundMail::folded_at).
std::size_t FoldPoint(std::string_view text);

}  // namespace caredesk::channels
