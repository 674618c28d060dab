#include "channels/email/mime.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "channels/email/email.hpp"
#include "channels/email/parse.hpp"
#include "net/imap.hpp"

namespace caredesk::channels {
namespace {

OutgoingMail Sample() {
  OutgoingMail m;
  m.from_address = "frontdesk@lakeside.example";
  m.from_name = "Lakeside Family Medicine";
  m.to = "pat@example.com";
  m.subject = "Re: Friday appointment";
  m.text = "Yes, Friday at 9:30 works.\n\nSee you then.";
  m.message_id = "<caredesk.1.7.1700000000000@lakeside.example>";
  m.in_reply_to = "<CAF=abc123@mail.example.com>";
  m.references = {"<first@mail.example.com>", "<CAF=abc123@mail.example.com>"};
  m.date = *ParseRfc3339("2026-11-24T15:04:05Z");
  return m;
}

std::string HeadersOf(const std::string& mail) { return mail.substr(0, mail.find("\r\n\r\n")); }

TEST(BuildMail, ThreadsUnderThePatientsMessageWithTextAndHtml) {
  std::string mail = BuildMail(Sample());
  std::string headers = HeadersOf(mail);
  EXPECT_NE(headers.find("From: \"Lakeside Family Medicine\" <frontdesk@lakeside.example>\r\n"),
            std::string::npos);
  EXPECT_NE(headers.find("To: <pat@example.com>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Subject: Re: Friday appointment\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Date: Tue, 24 Nov 2026 15:04:05 +0000\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Message-ID: <caredesk.1.7.1700000000000@lakeside.example>\r\n"),
            std::string::npos);
  EXPECT_NE(headers.find("In-Reply-To: <CAF=abc123@mail.example.com>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("References: <first@mail.example.com>\r\n <CAF=abc123@mail.example.com>"),
            std::string::npos);
  EXPECT_EQ(headers.find("Auto-Submitted"), std::string::npos) << "a person wrote it";
  EXPECT_NE(mail.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(mail.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(mail.find("<p>Yes, Friday at 9:30 works.</p>"), std::string::npos);
  EXPECT_NE(mail.find("--=_caredesk_alternative--\r\n"), std::string::npos);
  // Every line ends in CRLF and fits 78 characters.
  std::istringstream lines(mail);
  std::string line;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty() && !lines.eof()) << "a bare LF";
    if (!lines.eof()) {
      EXPECT_EQ(line.back(), '\r') << line;
    }
    EXPECT_LE(line.size(), 79u) << line;
  }
}

TEST(BuildMail, AutomaticMailSaysSoAndHeadersCannotBeInjected) {
  OutgoingMail m = Sample();
  m.automatic = true;
  m.subject = "Code\r\nBcc: everyone@example.com";
  m.from_name = "Dr. \"Quinn\"";
  std::string headers = HeadersOf(BuildMail(m));
  EXPECT_NE(headers.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(headers.find("Subject: Code  Bcc: everyone@example.com\r\n"), std::string::npos);
  EXPECT_NE(headers.find("From: \"Dr. \\\"Quinn\\\"\" <"), std::string::npos);
}

TEST(BuildMail, FilesGoAsAttachmentsThatReadBackExactly) {
  OutgoingMail m = Sample();
  std::string pdf = "%PDF-1.4\n" + std::string(300, '\x01') + "binary\xff\x00end";
  pdf.push_back('\0');
  std::string png = "\x89PNG\r\n\x1A\n" + std::string(1000, '\x7f');
  m.files = {{"Referral form.pdf", "application/pdf", pdf},
             {"r\xC3\xA9sultats \"1\".png", "image/png", png}};
  std::string mail = BuildMail(m);
  EXPECT_NE(HeadersOf(mail).find("Content-Type: multipart/mixed;"), std::string::npos);
  for (const std::string& line : [&] {
         std::vector<std::string> lines;
         std::istringstream in(mail);
         for (std::string l; std::getline(in, l);) lines.push_back(l);
         return lines;
       }()) {
    EXPECT_LE(line.size(), 78u);
  }
  auto parsed = ParseMail(mail);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text, m.text) << "the words are still the first thing read";
  ASSERT_EQ(parsed->attachments.size(), 2u);
  EXPECT_EQ(parsed->attachments[0].filename, "Referral form.pdf");
  EXPECT_EQ(parsed->attachments[0].content_type, "application/pdf");
  EXPECT_EQ(parsed->attachments[0].bytes, pdf);
  EXPECT_EQ(parsed->attachments[1].filename, "r\xC3\xA9sultats \"1\".png");
  EXPECT_EQ(parsed->attachments[1].bytes, png);
  EXPECT_FALSE(parsed->attachments[1].inline_part);
}

TEST(Mime, EncodesNonAsciiHeadersAndBodies) {
  EXPECT_EQ(EncodeHeaderText("Plain subject"), "Plain subject");
  std::string encoded = EncodeHeaderText("Cita con la Dra. Núñez 👍");
  EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_EQ(encoded, "=?UTF-8?B?Q2l0YSBjb24gbGEgRHJhLiBOw7rDsWV6IPCfkY0=?=");
  std::string long_subject(60, 'a');
  long_subject += "ñ";
  std::string folded = EncodeHeaderText(long_subject);
  EXPECT_NE(folded.find("?=\r\n =?UTF-8?B?"), std::string::npos) << "split into encoded words";
  EXPECT_EQ(QuotedPrintable("café = 1"), "caf=C3=A9 =3D 1");
  EXPECT_EQ(QuotedPrintable("ends with space \nnext"), "ends with space=20\r\nnext");
  std::string qp = QuotedPrintable(std::string(100, 'x'));
  EXPECT_EQ(qp.substr(75, 3), "=\r\n") << "soft break before 76 characters";
}

TEST(Mime, SubjectsCarryTheConversationsToken) {
  EXPECT_EQ(WithThreadToken("Re: Refill", 42), "Re: Refill [#C42]");
  EXPECT_EQ(WithThreadToken("Re: Refill [#C42]", 42), "Re: Refill [#C42]") << "once";
  EXPECT_EQ(ThreadTokenIn("Re: Re: Refill [#C42]"), 42);
  EXPECT_EQ(ThreadTokenIn("Fwd: [#C7] then [#C42]"), 42) << "the last one";
  EXPECT_EQ(ThreadTokenIn("Refill [#C]"), std::nullopt);
  EXPECT_EQ(ThreadTokenIn("Refill [#Cx1]"), std::nullopt);
  EXPECT_EQ(ThreadTokenIn("Refill [#C0]"), std::nullopt);
  EXPECT_EQ(ThreadTokenIn("Refill [#C99999999999999999999]"), std::nullopt);
  EXPECT_EQ(ThreadTokenIn("Refill"), std::nullopt);
}

TEST(Mime, RepliesKeepTheSubjectAndFindMessageIds) {
  EXPECT_EQ(ReplySubject("Friday appointment"), "Re: Friday appointment");
  EXPECT_EQ(ReplySubject("RE: Friday"), "RE: Friday");
  EXPECT_EQ(ReplySubject("AW: Termin"), "AW: Termin");
  EXPECT_EQ(MessageIdsIn("<a@b.example> <c@d.example>\r\n\t<e@f.example>"),
            (std::vector<std::string>{"<a@b.example>", "<c@d.example>", "<e@f.example>"}));
  EXPECT_TRUE(MessageIdsIn("no ids <here> <bad id@x>").empty());
}

TEST(EmailEnvelope, AReplyAnswersThePatientsLatestMail) {
  std::vector<core::Message> history(3);
  history[0].kind = core::MessageKind::kInbound;
  history[0].metadata = {{"subject", "Old"}, {"message_id", "<old@mail.example>"}};
  history[1].kind = core::MessageKind::kInbound;
  history[1].metadata = {{"subject", "Refill"},
                         {"message_id", "<new@mail.example>"},
                         {"references", "<old@mail.example>"}};
  history[2].kind = core::MessageKind::kOutbound;
  EmailEnvelope e = ReplyEnvelope(history, "Ready Friday.", "Lakeside");
  EXPECT_EQ(e.subject, "Re: Refill");
  EXPECT_EQ(e.in_reply_to, "<new@mail.example>");
  EXPECT_EQ(e.references, (std::vector<std::string>{"<old@mail.example>", "<new@mail.example>"}));
  auto round = ParseEmailEnvelope(EmailEnvelopeJson(e));
  ASSERT_TRUE(round);
  EXPECT_EQ(round->references, e.references);
  EmailEnvelope fresh = ReplyEnvelope({}, "Hello", "Lakeside");
  EXPECT_EQ(fresh.subject, "Lakeside: a reply to your message");
  EXPECT_TRUE(fresh.in_reply_to.empty());
}

TEST(EmailAccount, SettingsAreChecked) {
  auto ok = ParseEmailAccount(
      R"({"address":"FrontDesk@Lakeside.example","smtp_url":"smtp://mail.lakeside.example:587",)"
      R"("smtp_username":"frontdesk"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->address, "frontdesk@lakeside.example");
  struct Bad {
    const char* json;
    const char* field;
  };
  for (const Bad& b : {
           Bad{R"({"address":"nope","smtp_url":"smtp://h"})", "address"},
           Bad{R"({"address":"a@b.example","smtp_url":"http://h"})", "smtp_url"},
           Bad{R"({"address":"a@b.example","smtp_url":"smtp://u:p@h"})", "smtp_url"},
           Bad{R"({"address":"a@b.example","smtp_url":"smtp://h","imap_url":"ftp://x"})",
               "imap_url"},
           Bad{R"({"address":"a@b.example","smtp_url":"smtp://h","display_name":"a\nb"})",
               "display_name"},
       }) {
    auto r = ParseEmailAccount(b.json);
    ASSERT_FALSE(r) << b.json;
    EXPECT_EQ(r.error().field, b.field) << b.json;
  }
}

TEST(EmailAccount, PollingStartsTheDayTheMailboxIsSetUp) {
  EXPECT_EQ(net::ImapDate("2026-11-29"), "29-Nov-2026");
  EXPECT_EQ(net::ImapDate("2026-13-01"), "");
  EXPECT_EQ(net::ImapDate("29/11/2026"), "");
  EXPECT_TRUE(net::IsImapUrl("imaps://imap.example.com/INBOX"));
  EXPECT_FALSE(net::IsImapUrl("imaps://user:pw@imap.example.com/INBOX"));
  EXPECT_FALSE(net::IsImapUrl("https://imap.example.com/"));
  const Timestamp day1 = *ParseRfc3339("2026-11-29T23:00:00Z");
  const Timestamp day2 = *ParseRfc3339("2026-12-02T08:00:00Z");
  EmailAccount a;
  a.imap_url = "imaps://imap.example.com/INBOX";
  SetImapSince(a, std::nullopt, day1);
  EXPECT_EQ(a.imap_since, "2026-11-29");
  EmailAccount again = a;
  again.imap_since.clear();
  SetImapSince(again, a, day2);
  EXPECT_EQ(again.imap_since, "2026-11-29") << "the same mailbox keeps its start";
  EmailAccount moved = a;
  moved.imap_url = "imaps://imap.example.com/Patients";
  SetImapSince(moved, a, day2);
  EXPECT_EQ(moved.imap_since, "2026-12-02") << "a new mailbox starts now";
  EmailAccount none;
  none.imap_since = "2026-11-29";
  SetImapSince(none, a, day2);
  EXPECT_EQ(none.imap_since, "");
  auto bad = ParseEmailAccount(
      R"({"address":"a@b.example","smtp_url":"smtp://h","imap_since":"yesterday"})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "imap_since");
}

}  // namespace
}  // namespace caredesk::channels
