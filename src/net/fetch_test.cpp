#include "net/fetch.hpp"

#include <gtest/gtest.h>

namespace caredesk::net {
namespace {

TEST(SafeServiceUrl, HttpsAnywhereHttpOnlyOnLoopbackNeverCredentials) {
  for (const char* ok : {"https://login.example.org/realms/clinic", "https://api.twilio.com",
                         "http://127.0.0.1:8080/x", "http://localhost/", "http://[::1]:9"}) {
    EXPECT_TRUE(IsSafeServiceUrl(ok)) << ok;
  }
  for (const char* bad :
       {"http://login.example.org", "http://localhost:80@evil.example/",
        "http://127.0.0.1:x@169.254.169.254/", "https://user:pw@login.example.org/",
        "http://127.0.0.1.evil.example/", "ftp://127.0.0.1/", "file:///etc/passwd", "", "https://",
        "localhost", "http://localhost:80\\@evil.example/"}) {
    EXPECT_FALSE(IsSafeServiceUrl(bad)) << bad;
  }
}

TEST(FormEncode, EncodesPairsInOrder) {
  EXPECT_EQ(FormEncode({{"To", "+13125550188"}, {"Body", "a b&c"}}),
            "To=%2B13125550188&Body=a%20b%26c");
}

}  // namespace
}  // namespace caredesk::net
