#include "app/demo.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>

#include "store/open.hpp"

namespace caredesk::app {
namespace {

// A fresh data directory with a migrated SQLite store, removed afterwards.
class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("caredesk-demo-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = store::OpenStore("sqlite:" + (dir_ / "caredesk.db").string());
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate());
    config_.data_dir = dir_.string();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  Config config_;
};

TEST_F(DemoTest, CreatesTheWholePracticeOnceWithAnEventLogFromTheFirstMessage) {
  store::Store& st = *store_;
  const Config& config = config_;
  Timestamp now = *ParseRfc3339("2026-11-27T18:00:00Z");  // a Friday afternoon in Chicago

  auto created = EnsureDemo(st, config, now);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->admin_email, "admin@demo.example");
  auto tenant = st.FindTenantBySlug("demo");
  ASSERT_TRUE(tenant && tenant->has_value());
  TenantId id = (*tenant)->id;

  std::size_t conversations = 0;
  std::map<std::string, int> first_event;
  std::map<core::Channel, int> channels;
  ASSERT_TRUE(st.Read(id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto locations, tx.Locations());
    EXPECT_EQ(locations.size(), 2u);
    CD_TRY_ASSIGN(auto admin, tx.FindUserByEmail("admin@demo.example"));
    EXPECT_TRUE(admin && admin->role == core::Role::kAdmin);
    CD_TRY_ASSIGN(auto patients,
                  tx.SearchPatients("", std::nullopt, std::nullopt, PatientId{}, 1000));
    EXPECT_EQ(patients.size(), 300u);
    store::InboxFilter all;
    all.limit = 200;
    for (;;) {
      CD_TRY_ASSIGN(auto page, tx.ListConversations(all));
      for (const auto& item : page.items) {
        ++conversations;
        ++channels[item.conversation.channel];
        CD_TRY_ASSIGN(auto events, tx.ListEvents(item.conversation.id));
        ++first_event[events.empty() ? "" : events.front().type];
      }
      if (!page.next_cursor) break;
      all.cursor = page.next_cursor;
    }
    return {};
  }));
  EXPECT_GT(conversations, 250u);
  EXPECT_GE(channels.size(), 4u);
  // Every conversation's log begins with its creation, as the event-derived KPIs expect.
  EXPECT_EQ(first_event["conversation_created"], static_cast<int>(conversations));

  // A second start finds the demo and its saved credentials instead of creating another.
  auto again = EnsureDemo(st, config, now);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->api_token, created->api_token);
}

TEST_F(DemoTest, AFirstStartInterruptedAfterTheTenantRowIsCompletedNextTime) {
  store::Store& st = *store_;
  const Config& config = config_;
  // What a first start killed right after creating the tenant leaves behind.
  store::Tenant bare;
  bare.slug = "demo";
  bare.name = "Lakeside Family Medicine";
  bare.time_zone = "America/Chicago";
  ASSERT_TRUE(st.CreateTenant(bare));

  auto created = EnsureDemo(st, config, *ParseRfc3339("2026-11-27T18:00:00Z"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->created);
  auto tenant = st.FindTenantBySlug("demo");
  ASSERT_TRUE(tenant && tenant->has_value());
  ASSERT_TRUE(st.Read((*tenant)->id, [&](store::TenantTx& tx) -> Result<void> {
    CD_TRY_ASSIGN(auto admin, tx.FindUserByEmail("admin@demo.example"));
    EXPECT_TRUE(admin.has_value());
    CD_TRY_ASSIGN(auto patients,
                  tx.SearchPatients("", std::nullopt, std::nullopt, PatientId{}, 1000));
    EXPECT_EQ(patients.size(), 300u);
    return {};
  }));
  auto again = EnsureDemo(st, config, *ParseRfc3339("2026-11-27T18:00:00Z"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->api_token, created->api_token) << "the saved credentials match the data";
}

}  // namespace
}  // namespace caredesk::app
