#include "channels/sms/twilio.hpp"

#include <gtest/gtest.h>

namespace caredesk::channels {
namespace {

TEST(TwilioAccount, SettingsAreCheckedFieldByField) {
  auto ok = ParseTwilioAccount(R"({"account_sid":"AC0123","from":"+13125550100"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->base_url, "https://api.twilio.com") << "Twilio unless another is named";
  EXPECT_TRUE(ok->idempotency_header.empty());
  auto again = ParseTwilioAccount(TwilioAccountJson(*ok));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->account_sid, "AC0123");
  EXPECT_EQ(again->from, "+13125550100");
  auto service = ParseTwilioAccount(
      R"({"account_sid":"AC1","messaging_service_sid":"MG1","base_url":"http://127.0.0.1:9/",)"
      R"("idempotency_header":"Idempotency-Key"})");
  ASSERT_TRUE(service);
  EXPECT_EQ(service->base_url, "http://127.0.0.1:9");
  struct Bad {
    const char* json;
    const char* field;
  };
  for (const Bad& b : std::initializer_list<Bad>{
           {R"({"from":"+13125550100"})", "account_sid"},
           {R"({"account_sid":"AC 1","from":"+13125550100"})", "account_sid"},
           {R"({"account_sid":"AC1"})", "from"},
           {R"({"account_sid":"AC1","from":"+13125550100","messaging_service_sid":"MG1"})", "from"},
           {R"({"account_sid":"AC1","from":"312-555-0100"})", "from"},
           {R"({"account_sid":"AC1","from":"+13125550100","base_url":"http://sms.example"})",
            "base_url"},
           {R"({"account_sid":"AC1","from":"+13125550100","idempotency_header":"a b"})",
            "idempotency_header"},
           {R"({"account_sid":1,"from":"+13125550100"})", "account_sid"},
       }) {
    auto refused = ParseTwilioAccount(b.json);
    ASSERT_FALSE(refused) << b.json;
    EXPECT_EQ(refused.error().field, b.field) << b.json;
  }
  EXPECT_FALSE(ParseTwilioAccount("[]"));
  EXPECT_FALSE(ParseTwilioAccount("{"));
}

// Twilio's own example (docs, "Webhooks security"): this URL, these parameters and auth token
// 12345 sign as 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
TEST(TwilioSignature, MatchesTheProvidersPublishedExample) {
  std::vector<std::pair<std::string, std::string>> params = {{"To", "+18005551212"},
                                                             {"CallSid", "CA1234567890ABCDE"},
                                                             {"From", "+12349013030"},
                                                             {"Digits", "1234"},
                                                             {"Caller", "+12349013030"}};
  EXPECT_EQ(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  EXPECT_NE(TwilioSignature("12346", "https://mycompany.com/myapp.php?foo=1&bar=2", params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  EXPECT_NE(TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

TEST(TwilioStatus, LaterStatusesRankHigher) {
  EXPECT_LT(DeliveryStatusRank("queued"), DeliveryStatusRank("sent"));
  EXPECT_LT(DeliveryStatusRank("sent"), DeliveryStatusRank("delivered"));
  EXPECT_LT(DeliveryStatusRank("delivered"), DeliveryStatusRank("undelivered"));
  EXPECT_EQ(DeliveryStatusRank("teleported"), -1);
}

TEST(TwilioAccount, QuietHoursBecomeTheHoursTextsMayStart) {
  EXPECT_EQ(*AllowedHoursOf("21:00-08:00"), "sun-sat 08:00-21:00");
  EXPECT_EQ(*AllowedHoursOf("00:00-07:30"), "sun-sat 07:30-24:00");
  EXPECT_EQ(*AllowedHoursOf("12:00-13:00"), "sun-sat 00:00-12:00,13:00-24:00");
  for (const char* bad : {"", "9pm-8am", "21:00-21:00", "24:00-08:00", "21:00 08:00", "21:60-08:00",
                          "21:00-08:00;"}) {
    auto r = AllowedHoursOf(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "quiet_hours") << bad;
  }
  auto with = ParseTwilioAccount(
      R"({"account_sid":"AC1","from":"+13125550100","quiet_hours":"21:00-08:00",)"
      R"("help_contact":"call 312-555-0100"})");
  ASSERT_TRUE(with);
  EXPECT_EQ(with->quiet_hours, "21:00-08:00");
  EXPECT_EQ(ParseTwilioAccount(TwilioAccountJson(*with))->help_contact, "call 312-555-0100");
  auto two_lines = ParseTwilioAccount(
      R"({"account_sid":"AC1","from":"+13125550100","help_contact":"call\nus"})");
  ASSERT_FALSE(two_lines);
  EXPECT_EQ(two_lines.error().field, "help_contact");
}

TEST(TwilioGateway, HoldsStartedTextsUntilQuietHoursEndInThePracticesZone) {
  TwilioGateway gateway;
  store::ChannelSettings s{
      "sms", R"({"account_sid":"AC1","from":"+13125550100","quiet_hours":"21:00-08:00"})", "t"};
  // Chicago is UTC-6 in November.
  Timestamp late = *ParseRfc3339("2026-11-24T04:00:00Z");  // 22:00 Chicago
  EXPECT_EQ(gateway.EarliestSend(s, "America/Chicago", late),
            *ParseRfc3339("2026-11-24T14:00:00Z"));
  Timestamp day = *ParseRfc3339("2026-11-24T18:00:00Z");  // noon
  EXPECT_EQ(gateway.EarliestSend(s, "America/Chicago", day), day);
  store::ChannelSettings none{"sms", R"({"account_sid":"AC1","from":"+13125550100"})", "t"};
  EXPECT_EQ(gateway.EarliestSend(none, "America/Chicago", late), late);
}

}  // namespace
}  // namespace caredesk::channels
