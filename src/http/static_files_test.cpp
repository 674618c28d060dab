#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace caredesk::http {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("caredesk-static-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StaticFilesTest, TheWidgetIsServedToAnyOriginAndNothingElseIs) {
  std::ofstream(dir_ / "widget.js") << "console.log('widget')";
  std::ofstream(dir_ / "secret.txt") << "not for the web";
  StaticFiles files;
  files.Load(dir_.string());
  auto widget = files.Find("/widget.js");
  ASSERT_TRUE(widget);
  EXPECT_EQ(widget->status, 200);
  EXPECT_EQ(widget->body, "console.log('widget')");
  EXPECT_EQ(widget->headers.Get("content-type"), "text/javascript; charset=utf-8");
  // Loaded by <script> on the practice's own site: cross-origin, cacheable, no cookies needed.
  EXPECT_EQ(widget->headers.Get("cross-origin-resource-policy"), "cross-origin");
  EXPECT_EQ(widget->headers.Get("cache-control"), "public, max-age=300");
  // Only the files it knows: nothing else under the directory, and no path tricks.
  EXPECT_FALSE(files.Find("/secret.txt"));
  EXPECT_FALSE(files.Find("/../secret.txt"));
  EXPECT_FALSE(files.Find("/widget.js/../secret.txt"));
}

TEST_F(StaticFilesTest, TheConsoleIsServedAtTheRootWithItsHashedAssets) {
  std::ofstream(dir_ / "index.html") << "<!doctype html><title>CareDesk</title>";
  std::filesystem::create_directories(dir_ / "assets");
  std::ofstream(dir_ / "assets" / "index-4f2a9c1b.js") << "console.log('console')";
  std::ofstream(dir_ / "assets" / "index-77aa.css") << "body{}";
  std::ofstream(dir_ / "assets" / "notes.txt") << "not a web file";
  StaticFiles files;
  files.Load(dir_.string());
  auto page = files.Find("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers.Get("content-type"), "text/html; charset=utf-8");
  // The page is revalidated so a new version shows at once; it runs only our own code.
  EXPECT_EQ(page->headers.Get("cache-control"), "no-cache");
  auto policy = page->headers.Get("content-security-policy");
  ASSERT_TRUE(policy);
  EXPECT_NE(policy->find("script-src 'self'"), std::string::npos);
  EXPECT_NE(policy->find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_FALSE(page->headers.Get("access-control-allow-origin"));
  auto script = files.Find("/assets/index-4f2a9c1b.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->body, "console.log('console')");
  EXPECT_EQ(script->headers.Get("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script->headers.Get("cache-control"), "public, max-age=31536000, immutable");
  ASSERT_TRUE(files.Find("/assets/index-77aa.css"));
  EXPECT_EQ(files.Find("/assets/index-77aa.css")->headers.Get("content-type"),
            "text/css; charset=utf-8");
  // Only web file types, only what was there at start.
  EXPECT_FALSE(files.Find("/assets/notes.txt"));
  EXPECT_FALSE(files.Find("/assets/other.js"));
  EXPECT_FALSE(files.Find("/index.html"));
}

TEST_F(StaticFilesTest, UnbuiltFilesAreNotFound) {
  StaticFiles files;
  files.Load(dir_.string());
  auto widget = files.Find("/widget.js");
  ASSERT_TRUE(widget);
  EXPECT_EQ(widget->status, 404);
  ASSERT_TRUE(files.Find("/"));
  EXPECT_EQ(files.Find("/")->status, 404);
}

}  // namespace
}  // namespace caredesk::http
