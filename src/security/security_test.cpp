#include <gtest/gtest.h>

#include <cctype>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "security/crypto.hpp"
#include "security/password.hpp"
#include "security/token.hpp"
#include "security/totp.hpp"

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

// RFC 6238 Appendix B, SHA-1 rows: the key is the ASCII "12345678901234567890".
TEST(Totp, MatchesTheRfc6238TestVectors) {
  std::string secret = Base32Encode("12345678901234567890");
  EXPECT_EQ(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  struct Row {
    std::int64_t unix_time;
    const char* code;
  };
  for (Row row :
       {Row{59, "94287082"}, Row{1111111109, "07081804"}, Row{1111111111, "14050471"},
        Row{1234567890, "89005924"}, Row{2000000000, "69279037"}, Row{20000000000, "65353130"}}) {
    std::int64_t step = TotpStep(Timestamp{std::chrono::seconds(row.unix_time)});
    EXPECT_EQ(TotpCode(secret, step, 8), row.code) << row.unix_time;
    EXPECT_EQ(TotpCode(secret, step), std::string(row.code).substr(2)) << "6 digits";
  }
}

TEST(Totp, AcceptsOneStepOfDriftAndNoMore) {
  ASSERT_TRUE(Init());
  std::string secret = NewTotpSecret();
  EXPECT_EQ(secret.size(), 32u);
  Timestamp now{std::chrono::seconds(1'800'000'000)};
  std::int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(secret, *TotpCode(secret, step), now), step);
  EXPECT_EQ(MatchTotp(secret, *TotpCode(secret, step - 1), now), step - 1);
  EXPECT_EQ(MatchTotp(secret, *TotpCode(secret, step + 1), now), step + 1);
  std::string code = *TotpCode(secret, step);
  EXPECT_EQ(MatchTotp(secret, code.substr(0, 3) + " " + code.substr(3), now), step)
      << "a space as the apps show it";
  EXPECT_FALSE(MatchTotp(secret, *TotpCode(secret, step - 2), now));
  EXPECT_FALSE(MatchTotp(secret, *TotpCode(secret, step + 2), now));
  EXPECT_FALSE(MatchTotp(secret, "", now));
  EXPECT_FALSE(MatchTotp(secret, "12345", now));
  EXPECT_FALSE(MatchTotp("not base32!", "123456", now));
}

TEST(Totp, Base32RoundTripsAndRefusesJunk) {
  for (const std::string& bytes : {std::string(""), std::string("f"), std::string("fo"),
                                   std::string("foobar"), std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base32Decode(Base32Encode(bytes)), bytes);
  }
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");  // RFC 4648 section 10, unpadded
  EXPECT_EQ(Base32Decode("mzxw 6ytb oi"), "foobar");
  EXPECT_FALSE(Base32Decode("MZXW1"));
}

TEST(Totp, UriNamesIssuerAndAccountForAuthenticatorApps) {
  EXPECT_EQ(OtpauthUri("CareDesk Lakeside", "ana@clinic.example", "ABC"),
            "otpauth://totp/CareDesk%20Lakeside:ana%40clinic.example?secret=ABC&issuer=CareDesk%"
            "20Lakeside&algorithm=SHA1&digits=6&period=30");
}

TEST(RecoveryCode, IsReadableSingleFormAndHashedLoosely) {
  ASSERT_TRUE(Init());
  std::string code = NewRecoveryCode();
  ASSERT_EQ(code.size(), 11u);
  EXPECT_EQ(code[5], '-');
  EXPECT_NE(code, NewRecoveryCode());
  std::string upper;
  for (char c : code) {
    if (c != '-') upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  EXPECT_EQ(HashRecoveryCode(code), HashRecoveryCode(upper));
  EXPECT_NE(HashRecoveryCode(code), HashRecoveryCode(NewRecoveryCode()));
}

TEST(Crypto, SealedValuesOpenOnlyWithTheirKeyAndContext) {
  ASSERT_TRUE(Init());
  SecretKey key = SecretKey::Random();
  std::string sealed = Seal(key, "Zebulon Quartz", "t1:patients.name");
  EXPECT_EQ(sealed.size(), 24u + 14u + 16u) << "nonce, text, tag";
  EXPECT_EQ(sealed.find("Zebulon"), std::string::npos);
  EXPECT_EQ(Unseal(key, sealed, "t1:patients.name"), "Zebulon Quartz");
  EXPECT_NE(Seal(key, "Zebulon Quartz", "t1:patients.name"), sealed) << "random nonces";
  EXPECT_FALSE(Unseal(key, sealed, "t2:patients.name")) << "another tenant";
  EXPECT_FALSE(Unseal(key, sealed, "t1:patients.email")) << "another column";
  EXPECT_FALSE(Unseal(SecretKey::Random(), sealed, "t1:patients.name")) << "another key";
  std::string altered = sealed;
  altered[30] ^= 1;
  EXPECT_FALSE(Unseal(key, altered, "t1:patients.name"));
  EXPECT_FALSE(Unseal(key, sealed.substr(0, 20), "t1:patients.name"));
  EXPECT_EQ(Unseal(key, Seal(key, "", "x"), "x"), "");
}

TEST(Crypto, BlindIndexesAreStableKeyedAndShort) {
  ASSERT_TRUE(Init());
  SecretKey a = SecretKey::Random(), b = SecretKey::Random();
  EXPECT_EQ(BlindIndex(a, "phone:+13125550188"), BlindIndex(a, "phone:+13125550188"));
  EXPECT_NE(BlindIndex(a, "phone:+13125550188"), BlindIndex(a, "phone:+13125550189"));
  EXPECT_NE(BlindIndex(a, "phone:+13125550188"), BlindIndex(b, "phone:+13125550188"));
  EXPECT_EQ(BlindIndex(a, "x").size(), 16u);
  BlindIndexer indexer(a);
  EXPECT_EQ(indexer("phone:+13125550188"), BlindIndex(a, "phone:+13125550188"));
  EXPECT_EQ(indexer("phone:+13125550188"), indexer("phone:+13125550188")) << "state reused";
  EXPECT_EQ(indexer(""), BlindIndex(a, ""));
  // RFC 4231 test case 2 (key "Jefe"), first 12 bytes; the key is padded to 32 bytes with zeros,
  // which HMAC treats the same as the 4-byte key.
  std::string jefe("Jefe");
  jefe.resize(32, '\0');
  EXPECT_EQ(*FromBase64Url(BlindIndex(*SecretKey::FromBytes(jefe), "what do ya want for nothing?")),
            std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26", 12));
}

TEST(Crypto, KeyFilesAreOwnerOnlyAndRoundTrip) {
  ASSERT_TRUE(Init());
  auto dir =
      std::filesystem::temp_directory_path() / ("caredesk-key-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "master.key").string();
  SecretKey key = SecretKey::Random();
  ASSERT_TRUE(WriteKeyFile(path, key));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = ReadKeyFile(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->view(), key.view());
  EXPECT_FALSE(WriteKeyFile(path, key)) << "never overwrites a key";
  ::chmod(path.c_str(), 0644);
  auto exposed = ReadKeyFile(path);
  ASSERT_FALSE(exposed);
  EXPECT_EQ(exposed.error().field, "master_key_file");
  std::string junk = (dir / "junk.key").string();
  std::ofstream(junk) << "not a key\n";
  ::chmod(junk.c_str(), 0600);
  EXPECT_FALSE(ReadKeyFile(junk));
  EXPECT_FALSE(ReadKeyFile((dir / "absent.key").string()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace caredesk::security
