#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace caredesk::app {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"CAREDESK_DATA", "CAREDESK_LISTEN", "CAREDESK_DATABASE",
                          "CAREDESK_MASTER_KEY_FILE", "CAREDESK_PUBLIC_URL"})
      ::unsetenv(v);
    path_ = std::filesystem::temp_directory_path() /
            ("caredesk-config-" + std::to_string(::getpid()) + ".json");
  }
  void TearDown() override {
    for (const char* v : {"CAREDESK_DATA", "CAREDESK_LISTEN", "CAREDESK_DATABASE",
                          "CAREDESK_MASTER_KEY_FILE", "CAREDESK_PUBLIC_URL"})
      ::unsetenv(v);
    std::filesystem::remove(path_);
  }
  void WriteFile(const std::string& text) { std::ofstream(path_) << text; }
  std::filesystem::path path_;
};

TEST_F(ConfigTest, DefaultsPutSqliteInTheDataDir) {
  auto c = LoadConfig({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->DatabaseUrl(), "sqlite:caredesk-data/caredesk.db");
  EXPECT_EQ(c->MasterKeyPath(), "caredesk-data/master.key") << "beside the data by default";
  EXPECT_TRUE(c->trusted_proxies.empty()) << "no X-Forwarded-For is believed by default";
}

TEST_F(ConfigTest, MasterKeyFileAndTrustedProxies) {
  WriteFile(R"({"master_key_file":"/etc/caredesk/a.key","trusted_proxies":["127.0.0.1","::1"]})");
  Overrides o;
  o.config_file = path_.string();
  auto c = LoadConfig(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->MasterKeyPath(), "/etc/caredesk/a.key");
  EXPECT_EQ(c->trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  ::setenv("CAREDESK_MASTER_KEY_FILE", "/run/keys/b.key", 1);
  EXPECT_EQ(LoadConfig(o)->MasterKeyPath(), "/run/keys/b.key");
  o.master_key_file = "/run/keys/c.key";
  EXPECT_EQ(LoadConfig(o)->MasterKeyPath(), "/run/keys/c.key");
  for (const char* bad : {R"({"trusted_proxies":"127.0.0.1"})", R"({"trusted_proxies":["proxy"]})",
                          R"({"trusted_proxies":[1]})"}) {
    WriteFile(bad);
    auto refused = LoadConfig(o);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().field, "trusted_proxies");
  }
}

TEST_F(ConfigTest, PublicUrlIsAnHttpUrlWithoutTrailingSlash) {
  Overrides o;
  o.config_file = path_.string();
  WriteFile(R"({"public_url":"https://desk.example-clinic.org/"})");
  auto c = LoadConfig(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->public_url, "https://desk.example-clinic.org");
  WriteFile(R"({"public_url":"desk.example-clinic.org"})");
  auto refused = LoadConfig(o);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "public_url");
  WriteFile("{}");
  ::setenv("CAREDESK_PUBLIC_URL", "http://127.0.0.1:8080", 1);
  auto from_env = LoadConfig(o);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->public_url, "http://127.0.0.1:8080");
}

TEST_F(ConfigTest, FileThenEnvironmentThenFlags) {
  WriteFile(R"({"listen":"127.0.0.1:9000","data":"/srv/a","session_idle_minutes":10,)"
            R"("max_upload_bytes":4194304})");
  Overrides o;
  o.config_file = path_.string();
  auto from_file = LoadConfig(o);
  ASSERT_TRUE(from_file);
  EXPECT_EQ(from_file->listen, "127.0.0.1:9000");
  EXPECT_EQ(from_file->session_idle_minutes, 10);
  EXPECT_EQ(from_file->max_upload_bytes, 4u << 20);
  ::setenv("CAREDESK_DATA", "/srv/b", 1);
  ::setenv("CAREDESK_DATABASE", "postgresql://db/caredesk", 1);
  auto from_env = LoadConfig(o);
  EXPECT_EQ(from_env->data_dir, "/srv/b");
  EXPECT_EQ(from_env->DatabaseUrl(), "postgresql://db/caredesk");
  o.data_dir = "/srv/c";
  o.listen = "0.0.0.0:8443";
  auto from_flags = LoadConfig(o);
  EXPECT_EQ(from_flags->data_dir, "/srv/c");
  EXPECT_EQ(from_flags->listen, "0.0.0.0:8443");
}

TEST_F(ConfigTest, UnknownKeysAndWrongTypesAreRejectedByName) {
  Overrides o;
  o.config_file = path_.string();
  WriteFile(R"({"listen":"127.0.0.1:1","lisen":"x"})");
  auto unknown = LoadConfig(o);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "lisen");
  WriteFile(R"({"io_threads":"two"})");
  EXPECT_EQ(LoadConfig(o).error().field, "io_threads");
  WriteFile(R"({"session_idle_minutes":0})");
  EXPECT_EQ(LoadConfig(o).error().field, "session_idle_minutes");
  WriteFile("not json");
  EXPECT_EQ(LoadConfig(o).error().kind, ErrorKind::kInvalid);
  o.config_file = "/nonexistent/caredesk.json";
  EXPECT_EQ(LoadConfig(o).error().kind, ErrorKind::kNotFound);
}

TEST(ParseListen, AcceptsHostPortAndRejectsJunk) {
  EXPECT_EQ(ParseListen("127.0.0.1:8080").value(),
            (std::pair<std::string, unsigned short>{"127.0.0.1", 8080}));
  EXPECT_EQ(ParseListen("[::1]:0").value().first, "::1");
  for (const char* bad : {"8080", ":8080", "host:", "host:99999", "host:80a"}) {
    auto r = ParseListen(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "listen");
  }
}

}  // namespace
}  // namespace caredesk::app
