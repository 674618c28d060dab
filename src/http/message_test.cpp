#include "http/message.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace caredesk::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(PercentDecode("a%20b%2fc%2F", false), "a b/c/");
  EXPECT_EQ(PercentDecode("Jos%C3%A9", false), "Jos\xC3\xA9");
}

TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("%2B", true), "+");
}

TEST(PercentDecode, KeepsMalformedEscapesLiterally) {
  EXPECT_EQ(PercentDecode("%", false), "%");
  EXPECT_EQ(PercentDecode("%4", false), "%4");
  EXPECT_EQ(PercentDecode("a%4", false), "a%4");
  EXPECT_EQ(PercentDecode("%zz%4g", false), "%zz%4g");
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%%41", false), "%A");
}

TEST(PercentDecode, DecodesNulAndHighBytes) {
  EXPECT_EQ(PercentDecode("a%00b", false), std::string("a\0b", 3));
  EXPECT_EQ(PercentDecode("%FF", false), "\xFF");
  EXPECT_EQ(PercentDecode("", false), "");
}

TEST(ParseQuery, SplitsAndDecodesPairsInOrder) {
  EXPECT_THAT(ParseQuery("a=1&b=x%20y&c=p+q"),
              ElementsAre(Pair("a", "1"), Pair("b", "x y"), Pair("c", "p q")));
}

TEST(ParseQuery, HandlesMissingValuesEmptyPartsAndDuplicates) {
  EXPECT_THAT(ParseQuery("&&flag&=v&a=1&a=2&"),
              ElementsAre(Pair("flag", ""), Pair("", "v"), Pair("a", "1"), Pair("a", "2")));
  EXPECT_THAT(ParseQuery(""), ElementsAre());
}

TEST(ParseQuery, EscapedSeparatorsStayInsideTheValue) {
  EXPECT_THAT(ParseQuery("q=a%26b%3Dc&k%3D=1=2"),
              ElementsAre(Pair("q", "a&b=c"), Pair("k=", "1=2")));
}

TEST(Request, QueryReturnsTheFirstMatch) {
  Request request;
  request.query = ParseQuery("a=1&b=2&a=3");
  EXPECT_EQ(request.Query("a"), "1");
  EXPECT_EQ(request.Query("b"), "2");
  EXPECT_EQ(request.Query("A"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(request.Query("c"), std::nullopt);
}

TEST(Headers, NamesAreCaseInsensitiveAndStoredLowercase) {
  Headers headers;
  headers.Add("Content-Type", "text/plain");
  EXPECT_EQ(headers.Get("content-type"), "text/plain");
  EXPECT_EQ(headers.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(headers.Get("content-length"), std::nullopt);
  EXPECT_THAT(headers.all(), ElementsAre(Pair("content-type", "text/plain")));
}

TEST(Headers, AddKeepsDuplicatesAndGetReturnsTheFirst) {
  Headers headers;
  headers.Add("Set-Cookie", "a=1");
  headers.Add("X-Other", "o");
  headers.Add("set-cookie", "b=2");
  EXPECT_EQ(headers.Get("Set-Cookie"), "a=1");
  EXPECT_THAT(headers.all(), ElementsAre(Pair("set-cookie", "a=1"), Pair("x-other", "o"),
                                         Pair("set-cookie", "b=2")));
}

TEST(Headers, SetReplacesEveryFieldOfTheNameInPlace) {
  Headers headers;
  headers.Add("Cache-Control", "a");
  headers.Add("X-Other", "o");
  headers.Add("cache-control", "b");
  headers.Set("CACHE-CONTROL", "no-store");
  headers.Set("X-New", "v");
  EXPECT_THAT(headers.all(), ElementsAre(Pair("cache-control", "no-store"), Pair("x-other", "o"),
                                         Pair("x-new", "v")));
}

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  Request r;
  EXPECT_FALSE(CookieValue(r, "caredesk_session")) << "no Cookie header";
  r.headers.Set("cookie", "theme=dark; caredesk_session=abc; caredesk_oidc=xyz;");
  EXPECT_EQ(CookieValue(r, "caredesk_session"), "abc");
  EXPECT_EQ(CookieValue(r, "caredesk_oidc"), "xyz");
  EXPECT_FALSE(CookieValue(r, "caredesk"));
  r.headers.Set("cookie", "caredesk_session=first;caredesk_session=second; =; ;;x");
  EXPECT_EQ(CookieValue(r, "caredesk_session"), "first");
  r.headers.Set("cookie", "xcaredesk_session=nope; caredesk_session=");
  EXPECT_EQ(CookieValue(r, "caredesk_session"), "") << "present and empty";
}

}  // namespace
}  // namespace caredesk::http
