#include "channels/email/parse.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "base/text.hpp"

namespace caredesk::channels {
namespace {

std::string Corpus(const std::string& name) {
  std::ifstream in(std::string(CAREDESK_MAIL_CORPUS) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

InboundMail Parsed(const std::string& name) {
  auto mail = ParseMail(Corpus(name));
  EXPECT_TRUE(mail) << name << ": " << (mail ? "" : mail.error().message);
  return mail ? *mail : InboundMail{};
}

TEST(ParseMail, APlainReplyThreadsAndFoldsItsQuotedHistory) {
  InboundMail m = Parsed("plain-quoted.eml");
  EXPECT_EQ(m.kind, InboundMail::Kind::kMessage);
  EXPECT_EQ(m.from_address, "zeb.quartz@example.com");
  EXPECT_EQ(m.from_name, "Zebulon Quartz");
  EXPECT_EQ(m.subject, "Re: Refill question");
  EXPECT_EQ(m.message_id, "<reply-2@mail.example.com>");
  EXPECT_EQ(m.references,
            (std::vector<std::string>{"<first@mail.example.com>",
                                      "<caredesk.1.7.1700000000000@clinic.example>"}));
  EXPECT_EQ(m.text.substr(0, m.folded_at), "Thanks! I'll pick it up Friday.\n\n");
  EXPECT_NE(m.text.find("> Pick it up any time."), std::string::npos) << "kept, only folded";
}

TEST(ParseMail, PrefersPlainTextAndDecodesHeadersAndCharsets) {
  InboundMail alt = Parsed("alternative.eml");
  EXPECT_EQ(alt.subject, "Cita con la Dra. Núñez");
  EXPECT_EQ(alt.from_name, "Núñez, Ana");
  EXPECT_EQ(alt.text, "¿Puedo cambiar mi cita al viernes?");
  EXPECT_EQ(alt.folded_at, alt.text.size());
  EXPECT_TRUE(alt.attachments.empty());
  EXPECT_EQ(Parsed("latin1-qp.eml").text, "Señor, ¿mañana?");
  InboundMail odd = Parsed("unknown-charset.eml");
  EXPECT_TRUE(IsValidUtf8(odd.text));
  EXPECT_EQ(odd.text, "Café au lait") << "an unknown charset is read as Latin-1";
}

TEST(ParseMail, TurnsHtmlOnlyMailIntoReadableText) {
  InboundMail m = Parsed("html-only.eml");
  EXPECT_EQ(m.text, "Hello & good morning,\n\nIs the clinic open\non Saturday?\n\nTom <son>\n😀");
  EXPECT_EQ(m.text.find("alert"), std::string::npos);
  EXPECT_EQ(m.text.find("color"), std::string::npos);
}

TEST(ParseMail, KeepsAttachmentsAndInlineImages) {
  InboundMail m = Parsed("attachments.eml");
  EXPECT_EQ(m.text, "Front and back attached.");
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_EQ(m.attachments[0].content_type, "image/png");
  EXPECT_TRUE(m.attachments[0].inline_part);
  EXPECT_EQ(m.attachments[0].content_id, "logo@x");
  EXPECT_EQ(m.attachments[0].bytes, std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(m.attachments[1].filename, "card.pdf");
  EXPECT_EQ(m.attachments[1].content_type, "application/pdf");
  EXPECT_FALSE(m.attachments[1].inline_part);
  EXPECT_EQ(m.attachments[1].bytes.substr(0, 8), "%PDF-1.4");
}

TEST(ParseMail, RecognizesAutoRepliesAndBounces) {
  InboundMail ooo = Parsed("out-of-office.eml");
  EXPECT_EQ(ooo.kind, InboundMail::Kind::kAutoReply);
  EXPECT_EQ(ooo.references,
            std::vector<std::string>{"<caredesk.1.7.1700000000000@clinic.example>"});
  InboundMail bounce = Parsed("bounce.eml");
  EXPECT_EQ(bounce.kind, InboundMail::Kind::kBounce);
  EXPECT_EQ(bounce.bounced_message_id, "<caredesk.1.9.1700000000000@clinic.example>");
  EXPECT_EQ(Parsed("plain-quoted.eml").kind, InboundMail::Kind::kMessage);
  // Hints that a person may well have written are not enough to drop a patient's mail.
  for (const char* raw :
       {"From: a@example.com\r\nSubject: Out of office note for my employer\r\n\r\nhi\r\n",
        "From: a@example.com\r\nSubject: Vacation - need my refill early\r\n"
        "Precedence: bulk\r\n\r\nhi\r\n",
        "From: a@example.com\r\nSubject: hi\r\nList-Id: <family.example.com>\r\n\r\nhi\r\n"}) {
    auto mail = ParseMail(raw);
    ASSERT_TRUE(mail);
    EXPECT_EQ(mail->kind, InboundMail::Kind::kMessage) << raw;
  }
  auto vacation =
      ParseMail("From: a@example.com\r\nSubject: Away\r\nX-Autoreply: yes\r\n\r\naway\r\n");
  ASSERT_TRUE(vacation);
  EXPECT_EQ(vacation->kind, InboundMail::Kind::kAutoReply);
}

TEST(ParseMail, KeepsAForwardedMessageAsAFile) {
  auto mail = ParseMail(
      "From: daughter@example.com\r\nSubject: Fwd: results\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"f\"\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\n"
      "See below.\r\n--f\r\nContent-Type: message/rfc822\r\n\r\nFrom: lab@example.org\r\n"
      "Subject: Your results\r\nMessage-ID: <lab-1@example.org>\r\n\r\nAll normal.\r\n--f--\r\n");
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->kind, InboundMail::Kind::kMessage);
  EXPECT_EQ(mail->text, "See below.");
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].content_type, "message/rfc822");
  EXPECT_NE(mail->attachments[0].bytes.find("All normal."), std::string::npos);
  EXPECT_TRUE(Parsed("bounce.eml").attachments.empty()) << "a bounce's returned copy is not";
}

TEST(HtmlToText, SkipsManyHiddenElementsAndKeepsTheRest) {
  std::string html;
  for (int i = 0; i < 2000; ++i) html += "<TITLE>t</title>";
  html += "<p>Visible</p><STYLE>p{}</STYLE>after";
  EXPECT_EQ(HtmlToText(html), "Visible\n\nafter");
}

TEST(ParseMail, KeepsWhatArrivedOfATruncatedMessageAndRefusesNonMail) {
  InboundMail cut = Parsed("truncated.eml");
  EXPECT_EQ(cut.text, "The first part arrived whole.");
  auto nothing = ParseMail("hello there");
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().kind, ErrorKind::kInvalid);
  EXPECT_FALSE(ParseMail(""));
  // Text beyond what a message holds is cut at a character boundary, and says so.
  std::string big = "From: a@example.com\r\nSubject: big\r\n\r\n" + std::string(70000, 'x') + "é";
  auto long_mail = ParseMail(big);
  ASSERT_TRUE(long_mail);
  EXPECT_LT(long_mail->text.size(), 65536u);
  EXPECT_TRUE(IsValidUtf8(long_mail->text));
  EXPECT_NE(long_mail->text.find("too long"), std::string::npos);
}

TEST(FoldPoint, FindsSignaturesAndOutlookHistory) {
  EXPECT_EQ(FoldPoint("See you.\n-- \nDr. Who\n555"), 9u);
  std::string outlook = "Fine.\n\nFrom: Front Desk\nSent: Monday\nTo: me\n\nold text";
  EXPECT_EQ(FoldPoint(outlook), 7u);
  EXPECT_EQ(FoldPoint("> all quoted\n> nothing new"), 26u) << "nothing to fold before";
  EXPECT_EQ(FoldPoint("I think\n> you said\nbut no"), 25u) << "inline quoting is not history";
}

}  // namespace
}  // namespace caredesk::channels
