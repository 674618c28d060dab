#include "core/identity/verification.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

TEST(Verification, NamesMatchByWordsNotByLooks) {
  EXPECT_TRUE(NamesMatch("maria lopez", "María López"));
  EXPECT_TRUE(NamesMatch("López, María", "María López"));
  EXPECT_TRUE(NamesMatch("  ZEBULON   quartz ", "Zebulon Quartz"));
  EXPECT_FALSE(NamesMatch("Zebulon", "Zebulon Quartz")) << "half a name is not the name";
  EXPECT_FALSE(NamesMatch("Zebulon Quartzz", "Zebulon Quartz"));
  EXPECT_FALSE(NamesMatch("", ""));
  EXPECT_FALSE(NamesMatch("!!", "!!"));
}

TEST(Verification, BirthDatesMatchInTheFormsPeopleSayThem) {
  EXPECT_TRUE(BirthDatesMatch("1970-01-02", "1970-01-02"));
  EXPECT_TRUE(BirthDatesMatch("01/02/1970", "1970-01-02"));
  EXPECT_TRUE(BirthDatesMatch("1/2/1970", "1970-01-02"));
  EXPECT_FALSE(BirthDatesMatch("02/01/1970", "1970-01-02")) << "US month first";
  EXPECT_FALSE(BirthDatesMatch("1970", "1970-01-02"));
  EXPECT_FALSE(BirthDatesMatch("13/02/1970", "1970-13-02"));
  EXPECT_FALSE(BirthDatesMatch("", "1970-01-02"));
}

TEST(Verification, NothingMayBeDisclosedBeforeVerificationAndOnlyTheScopeAfter) {
  Timestamp now{std::chrono::hours(1000)};
  Verification v;
  EXPECT_TRUE(MayDisclose(v, std::nullopt, now).empty());
  v.state = Verification::State::kVerified;
  v.expires_at = now + std::chrono::hours(1);
  EXPECT_EQ(MayDisclose(v, std::nullopt, now).size(), 4u);
  EXPECT_TRUE(MayDisclose(v, std::nullopt, now + std::chrono::hours(2)).empty()) << "expired";
  Representative rep;
  rep.id = 7;
  rep.scope = {Disclosure::kScheduling};
  v.representative_id = 7;
  EXPECT_EQ(MayDisclose(v, rep, now), std::vector<Disclosure>{Disclosure::kScheduling});
  rep.revoked_at = now;
  EXPECT_TRUE(MayDisclose(v, rep, now).empty());
}

TEST(Verification, RepliesAreCheckedForTheRecordsOwnDetailsAndResults) {
  Patient p;
  p.date_of_birth = "1970-01-02";
  p.phone = "+13125550188";
  p.email = "zebulon@example.com";
  EXPECT_EQ(PhiInReply("Your appointment is Friday at 9:30.", p, {}), std::vector<std::string>{});
  EXPECT_EQ(PhiInReply("We have you as born 01/02/1970, cell 312-555-0188, and your HIV test "
                       "results are in. Email: Zebulon@Example.com",
                       p, {}),
            (std::vector<std::string>{"date_of_birth", "phone", "email", "clinical"}));
  EXPECT_EQ(PhiInReply("Born 1/2/1970", p, {}), std::vector<std::string>{"date_of_birth"});
  EXPECT_EQ(PhiInReply("your lab results are normal", p, {Disclosure::kScheduling}),
            std::vector<std::string>{"clinical"})
      << "a scheduling-only representative";
  EXPECT_TRUE(PhiInReply("your lab results are normal", p,
                         {std::begin(kAllDisclosures), std::end(kAllDisclosures)})
                  .empty());
}

TEST(Verification, MasksKeepOnlyWhatHelpsTheAgentAsk) {
  EXPECT_EQ(MaskBirthDate("1970-01-02"), "****-**-**");
  EXPECT_EQ(MaskPhone("+13125550188"), "***-***-0188");
  EXPECT_EQ(MaskEmail("zebulon@example.com"), "z***@e***");
  EXPECT_EQ(MaskEmail("broken"), "***");
}

TEST(Verification, NamesRoundTrip) {
  for (Disclosure d : kAllDisclosures) EXPECT_EQ(ParseDisclosure(Name(d)), d);
  EXPECT_FALSE(ParseDisclosure("everything"));
  EXPECT_EQ(ParseVerificationState("verified"), Verification::State::kVerified);
  EXPECT_FALSE(ParseVerificationState("maybe"));
}

}  // namespace
}  // namespace caredesk::core
