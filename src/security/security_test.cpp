#include <gtest/gtest.h>

#include "security/password.hpp"
#include "security/token.hpp"

namespace caredesk::security {
namespace {

TEST(Password, HashesWithArgon2idAndVerifies) {
  ASSERT_TRUE(Init());
  auto hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=65536,t=3,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword("correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery stapl", *hash));
  EXPECT_NE(*hash, *HashPassword("correct horse battery staple")) << "salted";
}

TEST(Password, PolicyBoundsLength) {
  EXPECT_EQ(CheckPasswordPolicy("short").error().field, "password");
  std::string long_ok;
  for (int i = 0; i < 16; ++i) long_ok += "wxyz";
  EXPECT_TRUE(CheckPasswordPolicy(long_ok)) << "64 characters must be allowed";
  EXPECT_FALSE(CheckPasswordPolicy(long_ok + long_ok + "a"));
}

TEST(Password, PolicyRefusesWhatAttackersTryFirst) {
  for (const char* weak :
       {"password", "Password123!", "P@ssw0rd2026", "qwertyuiop", "letmein!!", "12345678",
        "20261128", "aaaaaaaa", "abababab", "abcdefgh", "87654321", "Caredesk1", "Clinic2026!"}) {
    auto r = CheckPasswordPolicy(weak);
    EXPECT_FALSE(r) << weak;
    if (!r) {
      EXPECT_EQ(r.error().field, "password");
    }
  }
  EXPECT_FALSE(CheckPasswordPolicy("dana.admin-rules", "Dana.Admin@demo.example"));
  for (const char* fine : {"correct horse battery", "a long enough password", "Tr0ub4dor&3x",
                           "blue-kettle-morning-42"}) {
    EXPECT_TRUE(CheckPasswordPolicy(fine)) << fine;
  }
  EXPECT_TRUE(CheckPasswordPolicy("bobcat-river-stone", "bo@demo.example"))
      << "an email name under 3 letters is not looked for";
}

TEST(Token, SecretsAreRandomPrefixedAndHashed) {
  ASSERT_TRUE(Init());
  std::string a = NewSecret("cdk_"), b = NewSecret("cdk_");
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("cdk_"));
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_EQ(HashSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals("same", "same"));
  EXPECT_FALSE(ConstantTimeEquals("same", "sama"));
  EXPECT_FALSE(ConstantTimeEquals("same", "same!"));
}

}  // namespace
}  // namespace caredesk::security
