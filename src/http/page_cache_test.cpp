#include "http/page_cache.hpp"

#include <gtest/gtest.h>

namespace caredesk::http {
namespace {

Timestamp At(std::int64_t ms) { return Timestamp{Millis{ms}}; }

std::shared_ptr<PageText> Page(std::size_t filler) {
  auto p = std::make_shared<PageText>();
  p->text = std::string(filler, 'x');
  return p;
}

TEST(PageText, FillWritesTimeLeftAtEachMarkForTheGivenNow) {
  PageText p;
  p.text = R"([{"t":)";
  p.AppendTimeLeft(At(10'000));
  p.text += R"(},{"t":)";
  p.AppendTimeLeft(At(500));
  p.text += "}]";
  EXPECT_EQ(p.Fill(At(1'000)), R"([{"t":9000},{"t":-500}])");
  EXPECT_EQ(p.Fill(At(0)), R"([{"t":10000},{"t":500}])");
  PageText plain;
  plain.text = "{}";
  EXPECT_EQ(plain.Fill(At(5)), "{}");
}

TEST(PageCache, ServesAPageOnlyAtTheGenerationItWasRenderedAt) {
  PageCache cache(1 << 20);
  cache.Put("k", 7, Page(10));
  ASSERT_NE(cache.Find("k", 7), nullptr);
  EXPECT_EQ(cache.Find("k", 7)->text.size(), 10u);
  EXPECT_EQ(cache.Find("other", 7), nullptr);
  EXPECT_EQ(cache.Find("k", 8), nullptr);  // the tenant changed: dropped
  EXPECT_EQ(cache.pages(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(PageCache, AnOlderRenderingNeverReplacesANewerOne) {
  PageCache cache(1 << 20);
  cache.Put("k", 9, Page(3));
  cache.Put("k", 8, Page(4));  // a reader that began before the last write finished late
  ASSERT_NE(cache.Find("k", 9), nullptr);
  EXPECT_EQ(cache.Find("k", 9)->text.size(), 3u);
  cache.Put("k", 10, Page(5));
  EXPECT_EQ(cache.Find("k", 10)->text.size(), 5u);
  EXPECT_EQ(cache.pages(), 1u);
}

TEST(PageCache, EvictsTheLeastRecentlyUsedToStayWithinItsBudget) {
  PageCache cache(4000);
  cache.Put("a", 1, Page(900));
  cache.Put("b", 1, Page(900));
  cache.Put("c", 1, Page(900));
  ASSERT_NE(cache.Find("a", 1), nullptr);  // a is now the most recent; b the least
  cache.Put("d", 1, Page(900));
  cache.Put("e", 1, Page(900));
  EXPECT_LE(cache.bytes(), 4000u);
  EXPECT_EQ(cache.Find("b", 1), nullptr);
  EXPECT_NE(cache.Find("a", 1), nullptr);
  EXPECT_NE(cache.Find("e", 1), nullptr);
}

TEST(PageCache, KeepsNothingWhenOffOrForAPageOverAQuarterOfTheBudget) {
  PageCache off(0);
  EXPECT_FALSE(off.enabled());
  off.Put("k", 1, Page(1));
  EXPECT_EQ(off.Find("k", 1), nullptr);
  PageCache small(4000);
  small.Put("big", 1, Page(1001));
  EXPECT_EQ(small.Find("big", 1), nullptr);
  EXPECT_EQ(small.bytes(), 0u);
}

}  // namespace
}  // namespace caredesk::http
