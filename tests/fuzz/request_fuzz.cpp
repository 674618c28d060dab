// libFuzzer target for request parsing: the first byte picks a parser, the rest is input.
// Every parser must return a value or a clean error for any bytes, never crash, hang or
// trip ASan/UBSan. Built with clang by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/text.hpp"
#include "base/time.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/parse.hpp"
#include "channels/sms/text.hpp"
#include "channels/voice/queue_log.hpp"
#include "core/analytics/kpi.hpp"
#include "core/identity/verification.hpp"
#include "core/inbox/conversation.hpp"
#include "core/inbox/files.hpp"
#include "core/inbox/patient.hpp"
#include "core/inbox/phone.hpp"
#include "core/tenancy/calendar.hpp"
#include "http/handlers/inbound.hpp"
#include "http/json_input.hpp"
#include "http/message.hpp"
#include "jobs/chat_settings.hpp"
#include "jobs/report_settings.hpp"
#include <boost/json/parse.hpp>

#include "security/crypto.hpp"
#include "security/jwt.hpp"
#include "security/totp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace caredesk;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Timestamp now = FromEpochMillis(1795000000000);
  switch (data[0] % 19) {
    case 0: {
      auto r = http::ParseInbound(in, now);
      if (r && !IsValidUtf8(r->text)) __builtin_trap();  // validated text only
      break;
    }
    case 1:
      (void)http::ParseQuery(in);
      (void)http::PercentDecode(in, true);
      break;
    case 2:
      (void)http::ParseObject(in, {"name", "date_of_birth", "phone", "email"});
      break;
    case 3: {
      auto r = core::NormalizePhone(in);
      if (r && (r->size() < 9 || r->front() != '+')) __builtin_trap();
      (void)core::NormalizeEmail(in);
      break;
    }
    case 4: {
      auto hours = core::ParseWeeklyHours(in);
      if (hours) {
        auto again = core::ParseWeeklyHours(core::FormatWeeklyHours(*hours));
        if (!again || *again != *hours) __builtin_trap();  // canonical form round-trips
      }
      break;
    }
    case 5: {
      auto tokens = SearchTokens(in);
      for (const auto& t : tokens) {
        if (t.size() < 2 || t.size() > 64) __builtin_trap();
      }
      break;
    }
    case 6:
      (void)core::DecodeSla(in);
      (void)ParseRfc3339(in);
      break;
    case 7:
      (void)core::ValidateDateOfBirth(in, now);
      (void)core::ValidateLanguage(in);
      (void)core::ValidateMessageText(in);
      break;
    case 8: {  // what an agent types during identity verification, and replies
      core::Patient p;
      p.name = "Zoë O'Neil";
      p.date_of_birth = "1970-01-02";
      p.phone = "+13125550188";
      p.email = "zoe@example.com";
      if (core::NamesMatch(in, "") || core::BirthDatesMatch(in, "")) __builtin_trap();
      (void)core::NamesMatch(in, p.name);
      (void)core::BirthDatesMatch(in, *p.date_of_birth);
      (void)core::PhiInReply(in, p, {});
      (void)core::MaskPhone(in);
      (void)core::MaskEmail(in);
      (void)core::ParseDisclosure(in);
      break;
    }
    case 9: {  // second-factor codes, key files, sealed-value prefixes
      auto bytes = security::Base32Decode(in);
      if (bytes && security::Base32Decode(security::Base32Encode(*bytes)) != *bytes) {
        __builtin_trap();  // round-trips
      }
      (void)security::MatchTotp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", in, now);
      (void)security::FromBase64Url(in);
      (void)security::HashRecoveryCode(in);
      break;
    }
    case 10: {  // an identity provider's key set, a newline, an ID token
      std::size_t nl = in.find('\n');
      boost::system::error_code ec;
      auto keys = boost::json::parse(in.substr(0, nl == in.npos ? 0 : nl), ec);
      auto jwt = security::ParseJwt(nl == in.npos ? in : in.substr(nl + 1));
      if (jwt && !ec && security::VerifyJwtSignature(*jwt, keys)) {
        __builtin_trap();  // nothing the fuzzer makes up is signed by a real key
      }
      break;
    }
    case 11: {  // a Cookie header
      http::Request r;
      r.headers.Set("cookie", std::string(in));
      auto v = http::CookieValue(r, "caredesk_session");
      if (v && v->find(';') != std::string_view::npos) __builtin_trap();  // one cookie's value
      (void)http::CookieValue(r, "caredesk_oidc");
      break;
    }
    case 12: {  // a mail as an MTA delivers it
      auto mail = channels::ParseMail(in);
      if (mail) {
        if (!IsValidUtf8(mail->text) || !IsValidUtf8(mail->subject) ||
            !IsValidUtf8(mail->from_name) || mail->folded_at > mail->text.size() ||
            mail->text.empty()) {
          __builtin_trap();  // stored text is valid, non-empty UTF-8
        }
        for (const auto& id : mail->references) {
          if (id.front() != '<' || id.back() != '>') __builtin_trap();
        }
      }
      if (IsValidUtf8(in) && !IsValidUtf8(channels::HtmlToText(in))) __builtin_trap();
      (void)channels::FoldPoint(in);
      (void)channels::MessageIdsIn(in);
      break;
    }
    case 13: {  // a text message's words, and what we put in mail headers
      (void)channels::ClassifySmsKeyword(in);
      if (IsValidUtf8(in)) {
        auto segments = channels::CountSmsSegments(in);
        if ((segments.units > 0) != (segments.segments > 0)) __builtin_trap();
      }
      std::string header = channels::EncodeHeaderText(in);
      for (char c : header) {
        if (c == '\n' && header.find("\r\n ") == std::string::npos) __builtin_trap();
      }
      std::string qp = channels::QuotedPrintable(in);
      std::size_t line = 0;
      for (char c : qp) {
        line = c == '\n' ? 0 : line + 1;
        if (line > 77) __builtin_trap();  // 76 and the CR
      }
      break;
    }
    case 14: {  // a practice's chat settings: accepted ones must survive their own round trip
      auto settings = jobs::ParseChatSettings(in);
      if (settings) {
        auto again = jobs::ParseChatSettings(jobs::ChatSettingsJson(*settings));
        if (!again || again->offer_timeout != settings->offer_timeout ||
            again->languages != settings->languages || again->queue != settings->queue) {
          __builtin_trap();
        }
      }
      break;
    }
    case 15: {  // a queue_log line: parsed or refused, never quoted back in the refusal
      auto event = channels::ParseQueueLogLine(in);
      if (!event && event.error().message.find(in) != std::string::npos && in.size() > 8) {
        __builtin_trap();
      }
      break;
    }
    case 16: {  // a file a patient sends: its name, made safe, stays safe
      auto type = core::SniffPatientFile(in);
      std::string name = core::SafeFileName(in, type.value_or("image/png"));
      if (name.empty() || name.size() > 100 || !IsValidUtf8(name) ||
          name.find_first_of("/\\\"\r\n") != std::string::npos) {
        __builtin_trap();
      }
      break;
    }
    case 17: {  // a stored KPI tally: both readers agree, and what they accept reads back
      auto decoded = core::DecodeTally(in);
      core::TallySum sum;
      bool summed = sum.Add(in).has_value();
      if (decoded.has_value() != summed) __builtin_trap();
      if (decoded && !(sum.Total() == *decoded)) __builtin_trap();
      if (decoded) {
        auto again = core::DecodeTally(core::EncodeTally(*decoded));
        if (!again || !(*again == *decoded)) __builtin_trap();
      }
      break;
    }
    case 18: {  // a practice's report settings: what is accepted reads back the same
      auto settings = jobs::ParseReportSettings(in);
      if (settings) {
        std::string text = jobs::ReportSettingsJson(*settings);
        auto again = jobs::ParseReportSettings(text);
        if (!again || jobs::ReportSettingsJson(*again) != text ||
            again->kpi.backlog_add_staff < again->kpi.backlog_healthy) {
          __builtin_trap();
        }
      }
      break;
    }
  }
  return 0;
}
