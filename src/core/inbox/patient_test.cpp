#include "core/inbox/patient.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

const Timestamp kNow = *ParseRfc3339("2026-11-23T12:00:00Z");

TEST(NormalizeEmail, TrimsAndLowercases) {
  EXPECT_EQ(NormalizeEmail("  Pat.Smith@Example.COM ").value(), "pat.smith@example.com");
}

TEST(NormalizeEmail, RejectsMalformedWithField) {
  for (const char* bad : {"", "pat", "@example.com", "pat@", "pat@example", "pat@@example.com",
                          "pat smith@example.com", "pat@example..com", "a@b.c>"}) {
    auto r = NormalizeEmail(bad, "from");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(r.error().field, "from");
  }
}

TEST(DateOfBirth, AcceptsRealPastDates) {
  EXPECT_TRUE(ValidateDateOfBirth("1984-02-29", kNow));
  EXPECT_TRUE(ValidateDateOfBirth("2026-11-23", kNow));
}

TEST(DateOfBirth, RejectsImpossibleOrFutureDates) {
  for (const char* bad : {"1985-02-29", "2026-11-24", "1899-12-31", "84-02-29", "1984/02/29",
                          "1984-13-01", "abcd-ef-gh"}) {
    auto r = ValidateDateOfBirth(bad, kNow);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "date_of_birth");
  }
}

TEST(Language, AcceptsTagsRejectsJunk) {
  EXPECT_TRUE(ValidateLanguage("en"));
  EXPECT_TRUE(ValidateLanguage("es"));
  EXPECT_TRUE(ValidateLanguage("pt-BR"));
  EXPECT_FALSE(ValidateLanguage("EN"));
  EXPECT_FALSE(ValidateLanguage("english"));
  EXPECT_FALSE(ValidateLanguage("en-"));
  EXPECT_FALSE(ValidateLanguage(""));
}

TEST(ValidatePatient, ChecksEveryField) {
  Patient p;
  p.name = std::string(201, 'a');
  EXPECT_EQ(ValidatePatient(p, kNow).error().field, "name");
  p.name = "Ana";
  p.date_of_birth = "2030-01-01";
  EXPECT_EQ(ValidatePatient(p, kNow).error().field, "date_of_birth");
  p.date_of_birth = "1990-05-01";
  p.language = "xx-";
  EXPECT_EQ(ValidatePatient(p, kNow).error().field, "language");
  p.language = "es";
  EXPECT_TRUE(ValidatePatient(p, kNow));
}

}  // namespace
}  // namespace caredesk::core
