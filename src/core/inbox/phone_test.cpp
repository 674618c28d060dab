#include "core/inbox/phone.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

struct Case {
  const char* input;
  const char* e164;
};

TEST(NormalizePhone, AcceptsRealWorldForms) {
  const Case cases[] = {
      {"(312) 555-0142", "+13125550142"},    {"312-555-0142", "+13125550142"},
      {"312.555.0142", "+13125550142"},      {"3125550142", "+13125550142"},
      {"1 312 555 0142", "+13125550142"},    {"1-312-555-0142", "+13125550142"},
      {"+1 (312) 555-0142", "+13125550142"}, {"+13125550142", "+13125550142"},
      {" 312 555 0142 ", "+13125550142"},    {"011 44 20 7946 0018", "+442079460018"},
      {"+44 20 7946 0018", "+442079460018"}, {"0044 20 7946 0018", "+442079460018"},
      {"+52 55 1234 5678", "+525512345678"}, {"+1 787 555 0100", "+17875550100"},
  };
  for (const Case& c : cases) {
    auto r = NormalizePhone(c.input);
    ASSERT_TRUE(r) << c.input << ": " << r.error().message;
    EXPECT_EQ(*r, c.e164) << c.input;
  }
}

TEST(NormalizePhone, RejectsWhatItCannotKnow) {
  const char* bad[] = {"",
                       "555-0142",
                       "(012) 555-0142",
                       "312 155 0142",
                       "911",
                       "411-555-0142",
                       "+1 012 555 0142",
                       "+0 123 456 789",
                       "+123",
                       "+1234567890123456",
                       "312-555-0142 ext 5",
                       "call me",
                       "312-555-O142",
                       "44 20 7946 0018"};
  for (const char* input : bad) {
    auto r = NormalizePhone(input);
    ASSERT_FALSE(r) << input << " gave " << *r;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid) << input;
    EXPECT_EQ(r.error().field, "phone") << input;
  }
}

TEST(NormalizePhone, NationalFormsNeedNanpDefault) {
  auto r = NormalizePhone("020 7946 0018", "44");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
}

TEST(LooksLikePhone, DistinguishesAddresses) {
  EXPECT_TRUE(LooksLikePhone("+1 (312) 555-0142"));
  EXPECT_FALSE(LooksLikePhone("pat@example.com"));
  EXPECT_FALSE(LooksLikePhone("visitor-8f2a"));
  EXPECT_FALSE(LooksLikePhone("12345"));
}

}  // namespace
}  // namespace caredesk::core
