#include "channels/sms/text.hpp"

#include <array>
#include <vector>

#include "base/text.hpp"

namespace caredesk::channels {

namespace {

constexpr std::array<std::string_view, 6> kStopWords = {"STOP",   "STOPALL", "UNSUBSCRIBE",
                                                        "CANCEL", "END",     "QUIT"};
constexpr std::array<std::string_view, 2> kStartWords = {"START", "UNSTOP"};
constexpr std::array<std::string_view, 2> kHelpWords = {"HELP", "INFO"};
// Spanish: what carriers' Spanish opt-out lists and patients use.
constexpr std::array<std::string_view, 6> kStopWordsEs = {"ALTO",     "PARA", "PARAR",
                                                          "CANCELAR", "BAJA", "DETENER"};
constexpr std::array<std::string_view, 2> kStartWordsEs = {"COMENZAR", "INICIAR"};
constexpr std::array<std::string_view, 1> kHelpWordsEs = {"AYUDA"};

template <std::size_t N>
bool OneOf(const std::array<std::string_view, N>& words, std::string_view w) {
  for (std::string_view candidate : words) {
    if (candidate == w) return true;
  }
  return false;
}

// Decodes valid UTF-8 into code points.
std::vector<char32_t> CodePoints(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

// The GSM 03.38 default alphabet (one septet each) and its extension table (two septets: the
// escape and the character).
constexpr std::u32string_view kGsmBasic =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
constexpr std::u32string_view kGsmExtension = U"\f^{}\\[~]|€";

}  // namespace

SmsKeyword ClassifySmsKeyword(std::string_view text) {
  std::string_view t = Trim(text);
  while (!t.empty() && (t.back() == '.' || t.back() == '!' || t.back() == '?')) {
    t.remove_suffix(1);
  }
  t = Trim(t);
  SmsKeyword k;
  if (t.empty() || t.size() > 16) return k;
  std::string upper;
  for (char c : t) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') return k;  // one word of letters only
    upper.push_back(c);
  }
  using Kind = SmsKeyword::Kind;
  if (OneOf(kStopWords, upper)) k.kind = Kind::kStop;
  if (OneOf(kStartWords, upper)) k.kind = Kind::kStart;
  if (OneOf(kHelpWords, upper)) k.kind = Kind::kHelp;
  if (OneOf(kStopWordsEs, upper)) k = {Kind::kStop, "", true};
  if (OneOf(kStartWordsEs, upper)) k = {Kind::kStart, "", true};
  if (OneOf(kHelpWordsEs, upper)) k = {Kind::kHelp, "", true};
  if (k.kind != Kind::kNone) k.word = std::move(upper);
  return k;
}

std::string KeywordReply(const SmsKeyword& keyword, std::string_view practice,
                         std::string_view help_contact) {
  std::string out(practice);
  out += ": ";
  using Kind = SmsKeyword::Kind;
  switch (keyword.kind) {
    case Kind::kStop:
      out += keyword.spanish
                 ? "ya no recibirá mensajes de texto nuestros. Responda START para volver a "
                   "recibirlos."
                 : "you will no longer receive text messages from us. Reply START to receive "
                   "them again.";
      break;
    case Kind::kStart:
      out += keyword.spanish
                 ? "volverá a recibir mensajes de texto nuestros. Responda ALTO para dejar de "
                   "recibirlos, AYUDA para ayuda."
                 : "you will receive text messages from us again. Reply STOP to opt out, HELP "
                   "for help.";
      break;
    case Kind::kHelp:
      if (keyword.spanish) {
        out += "para ayuda";
        out +=
            help_contact.empty() ? ", responda a este mensaje" : ": " + std::string(help_contact);
        out += ". Responda ALTO para dejar de recibir mensajes.";
      } else {
        out += "for help";
        out += help_contact.empty() ? ", reply to this message" : ", " + std::string(help_contact);
        out += ". Reply STOP to opt out.";
      }
      break;
    case Kind::kNone:
      return {};
  }
  return out;
}

SmsSegments CountSmsSegments(std::string_view text) {
  std::vector<char32_t> points = CodePoints(text);
  SmsSegments out;
  bool gsm = true;
  for (char32_t cp : points) {
    if (kGsmBasic.find(cp) == std::u32string_view::npos &&
        kGsmExtension.find(cp) == std::u32string_view::npos) {
      gsm = false;
      break;
    }
  }
  out.encoding = gsm ? SmsSegments::Encoding::kGsm7 : SmsSegments::Encoding::kUcs2;
  std::vector<int> widths;
  widths.reserve(points.size());
  for (char32_t cp : points) {
    if (gsm) {
      widths.push_back(kGsmExtension.find(cp) == std::u32string_view::npos ? 1 : 2);
    } else {
      widths.push_back(cp > 0xFFFF ? 2 : 1);
    }
  }
  for (int w : widths) out.units += w;
  if (out.units == 0) return out;
  const int single = gsm ? 160 : 70;
  const int part = gsm ? 153 : 67;  // the rest carries the concatenation header
  if (out.units <= single) {
    out.segments = 1;
    return out;
  }
  int used = 0;
  out.segments = 1;
  for (int w : widths) {
    if (used + w > part) {
      ++out.segments;
      used = 0;
    }
    used += w;
  }
  return out;
}

std::string_view Name(SmsSegments::Encoding encoding) {
  return encoding == SmsSegments::Encoding::kGsm7 ? "gsm7" : "ucs2";
}

}  // namespace caredesk::channels
