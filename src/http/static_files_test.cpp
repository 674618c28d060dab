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

TEST_F(StaticFilesTest, UnbuiltFilesAreNotFound) {
  StaticFiles files;
  files.Load(dir_.string());
  auto widget = files.Find("/widget.js");
  ASSERT_TRUE(widget);
  EXPECT_EQ(widget->status, 404);
}

}  // namespace
}  // namespace caredesk::http
