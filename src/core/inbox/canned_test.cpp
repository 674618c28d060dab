#include "core/inbox/canned.hpp"

#include <gtest/gtest.h>

namespace caredesk::core {
namespace {

std::string FieldOf(const Result<void>& r) { return r ? "" : r.error().field; }

TEST(CannedResponsesTest, AcceptsKnownVariablesAndUniqueShortcuts) {
  std::vector<CannedResponse> ok{
      {"Greeting", "hi", "Hello {{first_name}}, this is {{ agent_name }} at {{practice_name}}."},
      {"Hours", "hours", "We are open {{location_hours}}."},
      {"Thanks", "", "Thank you!"},
      {"Thanks again", "", "Thank you! ¡Gracias!"},
  };
  EXPECT_TRUE(ValidateCannedResponses(ok));
  EXPECT_TRUE(ValidateCannedResponses({}));
}

TEST(CannedResponsesTest, NamesTheFirstBadField) {
  std::vector<CannedResponse> v{{"Greeting", "hi", "Hello {{first_name}}"}, {"Other", "hi", "Hi"}};
  auto r = ValidateCannedResponses(v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(r.error().field, "items[1].shortcut");

  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A", "", "Your {{diagnosis}}"}})), "items[0].text");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A", "", "Hello {{first_name"}})), "items[0].text");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"  ", "", "x"}})), "items[0].title");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{std::string(81, 'a'), "", "x"}})), "items[0].title");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A", "", ""}})), "items[0].text");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A", "", std::string(2001, 'x')}})), "items[0].text");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A", "Hi There", "x"}})), "items[0].shortcut");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A", "x\xff", "x"}})), "items[0].shortcut");
  EXPECT_EQ(FieldOf(ValidateCannedResponses({{"A\xc3", "", "x"}})), "items[0].title");
  // 2000 characters of two-byte text is within the limit: characters, not bytes, count.
  std::string spanish;
  for (int i = 0; i < 2000; ++i) spanish += "ñ";
  EXPECT_TRUE(ValidateCannedResponses({{"Largo", "", spanish}}));
  std::vector<CannedResponse> many(kMaxCannedResponses + 1, CannedResponse{"A", "", "x"});
  EXPECT_EQ(FieldOf(ValidateCannedResponses(many)), "items");
}

}  // namespace
}  // namespace caredesk::core
