#include "channels/sms/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace caredesk::channels {
namespace {

using Kind = SmsKeyword::Kind;

TEST(SmsKeyword, RecognizesTheCarrierKeywordsAlone) {
  struct Case {
    const char* text;
    Kind kind;
    bool spanish;
  };
  const Case cases[] = {
      {"STOP", Kind::kStop, false},        {"stop", Kind::kStop, false},
      {" Stop. ", Kind::kStop, false},     {"STOPALL", Kind::kStop, false},
      {"Unsubscribe", Kind::kStop, false}, {"cancel", Kind::kStop, false},
      {"END", Kind::kStop, false},         {"quit!", Kind::kStop, false},
      {"ALTO", Kind::kStop, true},         {"parar", Kind::kStop, true},
      {"Cancelar", Kind::kStop, true},     {"START", Kind::kStart, false},
      {"unstop", Kind::kStart, false},     {"COMENZAR", Kind::kStart, true},
      {"help", Kind::kHelp, false},        {"HELP?", Kind::kHelp, false},
      {"info", Kind::kHelp, false},        {"Ayuda", Kind::kHelp, true},
  };
  for (const Case& c : cases) {
    SmsKeyword k = ClassifySmsKeyword(c.text);
    EXPECT_EQ(k.kind, c.kind) << c.text;
    EXPECT_EQ(k.spanish, c.spanish) << c.text;
  }
  EXPECT_EQ(ClassifySmsKeyword(" stop ").word, "STOP");
}

TEST(SmsKeyword, IgnoresSentencesThatContainAKeyword) {
  for (const char* text :
       {"please stop by at 3", "I want to cancel my appointment", "stop it", "STOP STOP", "", "   ",
        "st0p", "STÖP", "help me please", "the end", "stopping"}) {
    EXPECT_EQ(ClassifySmsKeyword(text).kind, Kind::kNone) << text;
  }
}

TEST(SmsKeyword, AnswersInTheKeywordsLanguage) {
  std::string stop = KeywordReply(ClassifySmsKeyword("STOP"), "Lakeside Family Medicine", "");
  EXPECT_EQ(stop.rfind("Lakeside Family Medicine: ", 0), 0u);
  EXPECT_NE(stop.find("no longer receive"), std::string::npos);
  EXPECT_NE(stop.find("START"), std::string::npos);
  std::string alto = KeywordReply(ClassifySmsKeyword("alto"), "Lakeside", "");
  EXPECT_NE(alto.find("ya no recibirá"), std::string::npos);
  std::string help = KeywordReply(ClassifySmsKeyword("HELP"), "Lakeside", "call 312-555-0100");
  EXPECT_NE(help.find("call 312-555-0100"), std::string::npos);
  EXPECT_NE(help.find("Reply STOP"), std::string::npos);
  std::string ayuda = KeywordReply(ClassifySmsKeyword("AYUDA"), "Lakeside", "");
  EXPECT_NE(ayuda.find("responda a este mensaje"), std::string::npos);
  EXPECT_EQ(KeywordReply(ClassifySmsKeyword("hello"), "Lakeside", ""), "");
}

TEST(SmsSegments, CountsGsm7) {
  EXPECT_EQ(CountSmsSegments("").segments, 0);
  SmsSegments one = CountSmsSegments("Your appointment is at 3pm @ Main St.");
  EXPECT_EQ(one.encoding, SmsSegments::Encoding::kGsm7);
  EXPECT_EQ(one.segments, 1);
  EXPECT_EQ(CountSmsSegments(std::string(160, 'a')).segments, 1);
  EXPECT_EQ(CountSmsSegments(std::string(161, 'a')).segments, 2);
  EXPECT_EQ(CountSmsSegments(std::string(306, 'a')).segments, 2);
  EXPECT_EQ(CountSmsSegments(std::string(307, 'a')).segments, 3);
  // Accented letters of the GSM alphabet stay GSM-7; others (á) do not.
  EXPECT_EQ(CountSmsSegments("Señor Müller, ¿qué tal? à").encoding, SmsSegments::Encoding::kGsm7);
  EXPECT_EQ(CountSmsSegments("¿está bien?").encoding, SmsSegments::Encoding::kUcs2);
}

TEST(SmsSegments, ExtensionCharactersTakeTwoSeptetsAndAreNotSplit) {
  SmsSegments euro = CountSmsSegments("Copay: 20€ {cash}");
  EXPECT_EQ(euro.encoding, SmsSegments::Encoding::kGsm7);
  EXPECT_EQ(euro.units, 20);  // 17 characters, 3 of them from the extension table
  EXPECT_EQ(CountSmsSegments(std::string(80, '[')).segments, 1);  // 160 septets
  EXPECT_EQ(CountSmsSegments(std::string(81, '[')).segments, 2);  // 162
  // 152 plain then an escape pair: 154 septets do not fit 153, so the pair starts segment 2.
  EXPECT_EQ(CountSmsSegments(std::string(152, 'a') + "€" + std::string(7, 'a')).segments, 2);
  EXPECT_EQ(CountSmsSegments(std::string(152, 'a') + "€" + std::string(153, 'a')).segments, 3);
}

TEST(SmsSegments, CountsUcs2ForAnythingElse) {
  SmsSegments emoji = CountSmsSegments("👍");
  EXPECT_EQ(emoji.encoding, SmsSegments::Encoding::kUcs2);
  EXPECT_EQ(emoji.units, 2);
  EXPECT_EQ(emoji.segments, 1);
  std::string seventy(70, 'a');
  seventy[0] = 'x';
  EXPECT_EQ(CountSmsSegments(seventy + "ç").segments, 2);  // ç is not GSM: 71 UCS-2 units
  std::string cjk;
  for (int i = 0; i < 70; ++i) cjk += "診";
  EXPECT_EQ(CountSmsSegments(cjk).segments, 1);
  EXPECT_EQ(CountSmsSegments(cjk + "診").segments, 2);
  // 66 units then an emoji: the pair does not fit the first 67, so it starts the second.
  std::string edge(66, 'a');
  edge[0] = 'x';
  EXPECT_EQ(CountSmsSegments(edge + "😀" + std::string(66, 'b')).segments, 3);
  EXPECT_EQ(Name(emoji.encoding), "ucs2");
}

}  // namespace
}  // namespace caredesk::channels
