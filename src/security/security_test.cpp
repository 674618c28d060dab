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
  EXPECT_TRUE(CheckPasswordPolicy(std::string(64, 'x')));
  EXPECT_FALSE(CheckPasswordPolicy(std::string(129, 'x')));
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
