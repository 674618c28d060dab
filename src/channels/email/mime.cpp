#include "channels/email/mime.hpp"

#include <ctime>

#include "base/text.hpp"
#include "security/crypto.hpp"

namespace caredesk::channels {

namespace {

// "=_" never occurs in quoted-printable or base64 text, so no part can end early.
constexpr std::string_view kBoundary = "=_caredesk_alternative";
constexpr std::string_view kMixedBoundary = "=_caredesk_mixed";

// Base64 (RFC 2045 6.8) in lines of 76 characters.
std::string Base64Lines(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(bytes.size() * 4 / 3 + bytes.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
    line += 4;
    if (line == 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (line > 0) out += "\r\n";
  return out;
}

// A file's name in Content-Disposition: quoted when plain ASCII, else RFC 2231's
// filename*=utf-8''percent-encoded form.
std::string DispositionName(std::string_view name) {
  bool plain = !name.empty();
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') plain = false;
  }
  if (plain) return "filename=\"" + std::string(name) + "\"";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "filename*=utf-8''";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '.' ||
        c == '-' || c == '_') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// One line of a header value: CR, LF and other controls become spaces.
std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  return out;
}

bool PlainAscii(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

std::string RfcDate(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(ToEpochMillis(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// A display name as a quoted string (or encoded words when it is not ASCII).
std::string DisplayName(std::string_view name) {
  std::string clean = OneLine(name);
  if (!PlainAscii(clean)) return EncodeHeaderText(clean);
  std::string out = "\"";
  for (char c : clean) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Html(std::string_view text) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n<p>";
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') continue;
    if (c == '\n') {
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        out += "</p>\n<p>";
        while (i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == '\r')) ++i;
      } else {
        out += "<br>\n";
      }
      continue;
    }
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  out += "</p>\n</body></html>\n";
  return out;
}

}  // namespace

std::string EncodeHeaderText(std::string_view text) {
  std::string clean = OneLine(text);
  if (PlainAscii(clean)) return clean;
  // Encoded words of at most 45 bytes each (60 base64 characters, 72 with the wrapper),
  // never splitting a UTF-8 sequence; folded onto continuation lines.
  std::string out;
  std::size_t i = 0;
  while (i < clean.size()) {
    std::size_t end = i;
    while (end < clean.size()) {
      std::size_t n = Utf8SequenceLength(clean, end);
      if (n == 0) n = 1;
      if (end + n - i > 45) break;
      end += n;
    }
    if (end == i) end = i + 1;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + security::ToBase64(std::string_view(clean).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t line = 0;
  auto put = [&](std::string_view piece) {
    if (line + piece.size() > 75) {  // leave room for the soft break's '='
      out += "=\r\n";
      line = 0;
    }
    out += piece;
    line += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n') {
      out += "\r\n";
      line = 0;
      continue;
    }
    const bool line_ends = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool literal =
        (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_ends);
    if (literal) {
      char one[1] = {static_cast<char>(c)};
      put(std::string_view(one, 1));
    } else {
      char enc[3] = {'=', kHex[c >> 4], kHex[c & 15]};
      put(std::string_view(enc, 3));
    }
  }
  return out;
}

std::string ReplySubject(std::string_view subject) {
  std::string clean = OneLine(Trim(subject));
  std::string lower = AsciiLower(clean.substr(0, 4));
  if (lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("sv:") ||
      lower.starts_with("re :")) {
    return clean;
  }
  return "Re: " + clean;
}

std::string WithThreadToken(std::string_view subject, std::int64_t conversation) {
  const std::string token = "[#C" + std::to_string(conversation) + "]";
  std::string out = OneLine(subject);
  if (out.find(token) != std::string::npos) return out;
  if (!out.empty()) out += ' ';
  return out + token;
}

std::optional<std::int64_t> ThreadTokenIn(std::string_view subject) {
  // The last token wins: a forwarded thread keeps older ones before it.
  auto at = subject.rfind("[#C");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view digits = subject.substr(at + 3);
  auto close = digits.find(']');
  if (close == std::string_view::npos || close == 0 || close > 18) return std::nullopt;
  std::int64_t id = 0;
  for (char c : digits.substr(0, close)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  if (id <= 0) return std::nullopt;
  return id;
}

std::vector<std::string> MessageIdsIn(std::string_view header) {
  std::vector<std::string> out;
  while (true) {
    auto open = header.find('<');
    if (open == std::string_view::npos) break;
    auto close = header.find('>', open);
    if (close == std::string_view::npos) break;
    std::string_view id = header.substr(open, close - open + 1);
    bool sane = id.size() > 2 && id.size() <= 250 && id.find('@') != std::string_view::npos &&
                PlainAscii(id) && id.find(' ') == std::string_view::npos;
    if (sane) out.emplace_back(id);
    header.remove_prefix(close + 1);
  }
  return out;
}

std::string BuildMail(const OutgoingMail& m) {
  std::string out;
  auto header = [&](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  header("From", m.from_name.empty()
                     ? "<" + OneLine(m.from_address) + ">"
                     : DisplayName(m.from_name) + " <" + OneLine(m.from_address) + ">");
  header("To", "<" + OneLine(m.to) + ">");
  header("Subject", EncodeHeaderText(m.subject));
  header("Date", RfcDate(m.date));
  header("Message-ID", OneLine(m.message_id));
  if (!m.in_reply_to.empty()) header("In-Reply-To", OneLine(m.in_reply_to));
  if (!m.references.empty()) {
    std::string refs;
    for (const std::string& id : m.references) {
      if (!refs.empty()) refs += "\r\n ";
      refs += OneLine(id);
    }
    header("References", refs);
  }
  if (m.automatic) {
    header("Auto-Submitted", "auto-generated");
    header("X-Auto-Response-Suppress", "All");  // Exchange's out-of-office replies
  }
  header("MIME-Version", "1.0");
  const std::string alternative =
      "multipart/alternative; boundary=\"" + std::string(kBoundary) + "\"";
  if (m.files.empty()) {
    header("Content-Type", alternative);
    out += "\r\n";
  } else {
    // The words first (as text and HTML), then each file.
    header("Content-Type", "multipart/mixed; boundary=\"" + std::string(kMixedBoundary) + "\"");
    out += "\r\n--" + std::string(kMixedBoundary) + "\r\n";
    out += "Content-Type: " + alternative + "\r\n\r\n";
  }
  out += "--" + std::string(kBoundary) + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += QuotedPrintable(m.text) + "\r\n";
  out += "--" + std::string(kBoundary) + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += QuotedPrintable(Html(m.text)) + "\r\n";
  out += "--" + std::string(kBoundary) + "--\r\n";
  if (m.files.empty()) return out;
  for (const MailFile& f : m.files) {
    out += "\r\n--" + std::string(kMixedBoundary) + "\r\n";
    out += "Content-Type: " + OneLine(f.content_type) + "\r\n";
    out += "Content-Transfer-Encoding: base64\r\n";
    out +=
        "Content-Disposition: attachment;\r\n " + DispositionName(OneLine(f.filename)) + "\r\n\r\n";
    out += Base64Lines(f.bytes);
  }
  out += "--" + std::string(kMixedBoundary) + "--\r\n";
  return out;
}

}  // namespace caredesk::channels
