#include "channels/email/parse.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "base/text.hpp"
#include "channels/email/mime.hpp"

namespace caredesk::channels {

namespace {

constexpr std::size_t kMaxText = 60000;  // a message's text holds at most 64 KiB
constexpr std::size_t kMaxHtml = std::size_t{2} << 20;

void InitGmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, Unref>;

std::string Lower(std::string_view s) { return AsciiLower(s); }

// Valid UTF-8 as is; anything else read as Latin-1 (every byte is a character), so no text is
// lost and nothing invalid is stored.
std::string ToUtf8(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

void AppendUtf8(std::string& out, unsigned long cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string HeaderOf(GMimeObject* object, const char* name) {
  const char* value = g_mime_object_get_header(object, name);
  return value ? std::string(value) : std::string();
}

// The decoded content of a leaf part (transfer encoding undone, charset untouched).
std::string BytesOf(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return {};
  GPtr<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, stream.get());
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  return array ? std::string(reinterpret_cast<const char*>(array->data), array->len)
               : std::string();
}

// A text part as UTF-8: GMime converts from its declared charset; an unknown or lying charset
// falls back to the bytes read as UTF-8 or Latin-1.
std::string TextOf(GMimePart* part) {
  if (GMIME_IS_TEXT_PART(part)) {
    if (char* text = g_mime_text_part_get_text(GMIME_TEXT_PART(part))) {
      std::string out(text);
      g_free(text);
      if (IsValidUtf8(out)) return out;
    }
  }
  return ToUtf8(BytesOf(part));
}

std::string TruncateUtf8(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += "\n[… the rest of this message was too long to keep]";
  return text;
}

std::string MessageIdOfHeaders(std::string_view headers) {
  std::string lower = Lower(headers);
  auto at = lower.find("\nmessage-id:");
  if (at == std::string::npos && lower.starts_with("message-id:")) at = 0;
  if (at == std::string::npos) return {};
  auto ids = MessageIdsIn(headers.substr(at, 300));
  return ids.empty() ? std::string() : ids.front();
}

struct Walk {
  std::string plain, html;
  bool have_plain = false, have_html = false;
  std::vector<MailAttachment> attachments;
  std::vector<MailAttachment> forwarded;  // message/rfc822 parts: kept unless it is a bounce
  std::string bounced_message_id;
};

void VisitPart(GMimeObject* /*parent*/, GMimeObject* object, gpointer data) {
  auto* walk = static_cast<Walk*>(data);
  if (GMIME_IS_MESSAGE_PART(object)) {
    // A returned message inside a bounce.
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    const char* id = inner ? g_mime_message_get_message_id(inner) : nullptr;
    if (id && walk->bounced_message_id.empty())
      walk->bounced_message_id = "<" + std::string(id) + ">";
    // A forwarded message (lab results sent on by a relative, say) is kept as a file.
    if (inner) {
      if (char* text = g_mime_object_to_string(GMIME_OBJECT(inner), nullptr)) {
        MailAttachment a;
        a.filename = "forwarded message.eml";
        a.content_type = "message/rfc822";
        a.bytes = text;
        g_free(text);
        walk->forwarded.push_back(std::move(a));
      }
    }
    return;
  }
  if (!GMIME_IS_PART(object)) return;  // multiparts: their children are visited
  GMimePart* part = GMIME_PART(object);
  GMimeContentType* type = g_mime_object_get_content_type(object);
  char* mime = type ? g_mime_content_type_get_mime_type(type) : nullptr;
  std::string mime_type = mime ? Lower(mime) : "text/plain";
  g_free(mime);
  const bool attachment = g_mime_part_is_attachment(part);
  if (mime_type == "text/rfc822-headers" || mime_type == "message/rfc822-headers") {
    if (walk->bounced_message_id.empty()) {
      walk->bounced_message_id = MessageIdOfHeaders(BytesOf(part));
    }
    return;
  }
  if (mime_type == "message/delivery-status") return;
  if (mime_type == "text/plain" && !attachment && !walk->have_plain) {
    walk->plain = TextOf(part);
    walk->have_plain = true;
    return;
  }
  if (mime_type == "text/html" && !attachment && !walk->have_html) {
    walk->html = TextOf(part);
    walk->have_html = true;
    return;
  }
  MailAttachment a;
  const char* filename = g_mime_part_get_filename(part);
  a.filename = filename ? ToUtf8(filename) : "";
  a.content_type = mime_type;
  const char* cid = g_mime_object_get_content_id(object);
  a.content_id = cid ? std::string(cid) : "";
  const char* disposition = g_mime_object_get_disposition(object);
  a.inline_part = disposition && Lower(disposition) == "inline";
  a.bytes = BytesOf(part);
  walk->attachments.push_back(std::move(a));
}

bool StartsWithAny(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (s.starts_with(p)) return true;
  }
  return false;
}

InboundMail::Kind KindOf(GMimeMessage* message, const InboundMail& mail) {
  GMimeObject* object = GMIME_OBJECT(message);
  std::string auto_submitted = Lower(Trim(HeaderOf(object, "Auto-Submitted")));
  std::string precedence = Lower(Trim(HeaderOf(object, "Precedence")));
  std::string subject = Lower(mail.subject);  // for bounces from a mailer daemon
  GMimeObject* body = g_mime_message_get_mime_part(message);
  std::string type;
  if (body) {
    if (GMimeContentType* ct = g_mime_object_get_content_type(body)) {
      char* mime = g_mime_content_type_get_mime_type(ct);
      type = mime ? Lower(mime) : "";
      g_free(mime);
      if (type == "multipart/report") {
        const char* report = g_mime_content_type_get_parameter(ct, "report-type");
        if (!report || Lower(report) == "delivery-status") return InboundMail::Kind::kBounce;
      }
    }
  }
  std::string local = mail.from_address.substr(0, mail.from_address.find('@'));
  if ((local == "mailer-daemon" || local == "postmaster") &&
      StartsWithAny(subject, {"undeliver", "delivery status", "returned mail", "mail delivery",
                              "failure notice", "delivery failure"})) {
    return InboundMail::Kind::kBounce;
  }
  // Only what says outright that no person wrote it: a subject ("Out of office note for my
  // employer") or a list header is not enough to drop a patient's mail.
  if (!auto_submitted.empty() && auto_submitted != "no") return InboundMail::Kind::kAutoReply;
  if (precedence == "auto_reply") return InboundMail::Kind::kAutoReply;
  if (!HeaderOf(object, "X-Autoreply").empty() || !HeaderOf(object, "X-Autorespond").empty()) {
    return InboundMail::Kind::kAutoReply;
  }
  return InboundMail::Kind::kMessage;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  // A message's text holds 64 KiB; HTML beyond a few MB only costs time.
  if (html.size() > kMaxHtml) html = html.substr(0, kMaxHtml);
  // Elements that start a new line (a list item, a row, a break); p and div also leave a
  // blank line.
  static constexpr std::string_view kBlocks[] = {
      "p",  "/p",  "div", "/div", "br",  "br/",   "li",     "tr",         "h1",         "h2",
      "h3", "h4",  "h5",  "h6",   "/h1", "/h2",   "/h3",    "/h4",        "/h5",        "/h6",
      "ul", "/ul", "ol",  "/ol",  "hr",  "table", "/table", "blockquote", "/blockquote"};
  std::string raw;
  raw.reserve(html.size());
  std::size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      std::size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, end - i - 1);
      std::size_t name_end = tag.find_first_of(" \t\r\n>");
      std::string name = Lower(tag.substr(0, name_end));
      if (name.ends_with('/') && name.size() > 1 && name != "br/") name.pop_back();
      if (name == "script" || name == "style" || name == "head" || name == "title") {
        // To the closing tag, searched in place (a copy per tag made mail with many tags
        // quadratic).
        const std::string close = "</" + name;
        std::size_t stop = end;
        while (true) {
          stop = html.find("</", stop);
          if (stop == std::string_view::npos) break;
          if (Lower(html.substr(stop, close.size())) == close) break;
          stop += 2;
        }
        if (stop == std::string_view::npos) break;
        std::size_t after = html.find('>', stop);
        i = after == std::string_view::npos ? html.size() : after + 1;
        continue;
      }
      if (std::find(std::begin(kBlocks), std::end(kBlocks), name) != std::end(kBlocks)) {
        raw += (name == "p" || name == "/p" || name == "div" || name == "/div") ? "\n\n" : "\n";
      }
      i = end + 1;
      continue;
    }
    if (c == '&') {
      std::size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string entity = Lower(html.substr(i + 1, semi - i - 1));
        std::string decoded;
        if (entity == "amp")
          decoded = "&";
        else if (entity == "lt")
          decoded = "<";
        else if (entity == "gt")
          decoded = ">";
        else if (entity == "quot")
          decoded = "\"";
        else if (entity == "apos" || entity == "#39")
          decoded = "'";
        else if (entity == "nbsp")
          decoded = " ";
        else if (entity.size() > 1 && entity[0] == '#') {
          unsigned long cp = 0;
          bool hex = entity[1] == 'x';
          std::string digits = entity.substr(hex ? 2 : 1);
          if (!digits.empty() && digits.size() <= 7 &&
              digits.find_first_not_of(hex ? "0123456789abcdef" : "0123456789") ==
                  std::string::npos) {
            cp = std::stoul(digits, nullptr, hex ? 16 : 10);
            AppendUtf8(decoded, cp);
          }
        }
        if (!decoded.empty()) {
          raw += decoded;
          i = semi + 1;
          continue;
        }
      }
    }
    // Source whitespace is one space; line breaks come from the markup.
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    raw.push_back(c);
    ++i;
  }
  // Trim each line, collapse runs of spaces and of blank lines.
  std::string out;
  std::size_t blank_run = 0;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t nl = raw.find('\n', pos);
    if (nl == std::string::npos) nl = raw.size();
    std::string line;
    for (char ch : Trim(std::string_view(raw).substr(pos, nl - pos))) {
      if (ch == ' ' && !line.empty() && line.back() == ' ') continue;
      line.push_back(ch);
    }
    if (line.empty()) {
      ++blank_run;
    } else {
      if (!out.empty()) out += blank_run > 0 ? "\n\n" : "\n";
      out += line;
      blank_run = 0;
    }
    pos = nl + 1;
  }
  return out;
}

std::size_t FoldPoint(std::string_view text) {
  std::vector<std::pair<std::size_t, std::string_view>> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.emplace_back(pos, line);
    pos = nl + 1;
  }
  auto folds_here = [&](std::size_t i) {
    std::string_view line = lines[i].second;
    std::string lower = Lower(Trim(line));
    if (line == "-- " || line == "--") return true;
    if (lower.starts_with("-----original message-----")) return true;
    if ((lower.starts_with("on ") && lower.ends_with("wrote:")) ||
        (lower.starts_with("el ") && lower.ends_with("escribió:"))) {
      return true;
    }
    if (lower.starts_with("from:") && i + 1 < lines.size() &&
        Lower(lines[i + 1].second).starts_with("sent:")) {
      return true;
    }
    // A block of quoted lines that runs to the end (blank lines and a signature allowed).
    if (line.starts_with(">")) {
      for (std::size_t j = i; j < lines.size(); ++j) {
        std::string_view l = Trim(lines[j].second);
        if (l.empty() || l.starts_with(">")) continue;
        return lines[j].second == "-- " || lines[j].second == "--";
      }
      return true;
    }
    return false;
  };
  // Only after something the writer wrote themselves: a message that is all quotation is shown.
  bool seen_own_text = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (seen_own_text && folds_here(i)) return lines[i].first;
    std::string_view line = Trim(lines[i].second);
    if (!line.empty() && !line.starts_with(">")) seen_own_text = true;
  }
  return text.size();
}

Result<InboundMail> ParseMail(std::string_view raw) {
  InitGmime();
  if (raw.find(':') == std::string_view::npos) return Invalid("not a mail message", "message");
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) return Invalid("not a mail message", "message");
  GMimeObject* object = GMIME_OBJECT(message.get());
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  if (!headers || g_mime_header_list_get_count(headers) == 0) {
    return Invalid("the message has no headers", "message");
  }
  InboundMail mail;
  if (InternetAddressList* from = g_mime_message_get_from(message.get());
      from && internet_address_list_length(from) > 0) {
    InternetAddress* address = internet_address_list_get_address(from, 0);
    if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
      mail.from_address = addr ? Lower(ToUtf8(addr)) : "";
    }
    const char* name = internet_address_get_name(address);
    mail.from_name = name ? ToUtf8(name) : "";
  }
  if (const char* subject = g_mime_message_get_subject(message.get())) {
    mail.subject = ToUtf8(subject);
  }
  if (const char* id = g_mime_message_get_message_id(message.get())) {
    std::string bracketed = "<" + std::string(id) + ">";
    if (!MessageIdsIn(bracketed).empty()) mail.message_id = bracketed;
  }
  for (const std::string& id : MessageIdsIn(HeaderOf(object, "References"))) {
    if (std::find(mail.references.begin(), mail.references.end(), id) == mail.references.end()) {
      mail.references.push_back(id);
    }
  }
  auto in_reply_to = MessageIdsIn(HeaderOf(object, "In-Reply-To"));
  if (!in_reply_to.empty() && std::find(mail.references.begin(), mail.references.end(),
                                        in_reply_to.front()) == mail.references.end()) {
    mail.references.push_back(in_reply_to.front());
  }
  mail.kind = KindOf(message.get(), mail);

  Walk walk;
  g_mime_message_foreach(message.get(), &VisitPart, &walk);
  mail.text = walk.have_plain && !Trim(walk.plain).empty() ? walk.plain : HtmlToText(walk.html);
  // Line ends as the console shows them; no trailing blank space.
  std::string text;
  text.reserve(mail.text.size());
  for (char c : mail.text) {
    if (c != '\r') text.push_back(c);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  mail.text = TruncateUtf8(std::move(text), kMaxText);
  if (Trim(mail.text).empty()) {
    std::size_t n = walk.attachments.size();
    mail.text = n ? "(" + std::to_string(n) + " attachment" + (n > 1 ? "s" : "") + ", no text)"
                  : "(no text)";
  }
  mail.folded_at = FoldPoint(mail.text);
  mail.attachments = std::move(walk.attachments);
  if (mail.kind != InboundMail::Kind::kBounce) {
    for (MailAttachment& a : walk.forwarded) mail.attachments.push_back(std::move(a));
  }
  mail.bounced_message_id = std::move(walk.bounced_message_id);
  return mail;
}

}  // namespace caredesk::channels
