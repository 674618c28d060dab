// For the jobs' tests: a fresh SQLite store in a temporary directory holding one practice,
// removed again when the test ends.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "security/crypto.hpp"
#include "security/password.hpp"
#include "store/open.hpp"

namespace caredesk::jobs::testing {

class PracticeTest : public ::testing::Test {
 protected:
  // The practice's time zone and hours; override before SetUp runs (in the constructor).
  std::string time_zone_ = "America/Chicago";
  std::string business_hours_ = "mon-fri 08:00-17:00";

  void SetUp() override {
    ASSERT_TRUE(security::Init());
    dir_ = std::filesystem::temp_directory_path() /
           ("caredesk-jobs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqlStoreOptions sealed;
    sealed.master_key = security::SecretKey::Random();
    auto opened = store::OpenStore("sqlite:" + (dir_ / "db").string(), sealed);
    ASSERT_TRUE(opened);
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate());
    store::Tenant t;
    t.slug = "clinic";
    t.name = "Clinic";
    t.time_zone = time_zone_;
    t.business_hours = business_hours_;
    auto created = store_->CreateTenant(t);
    ASSERT_TRUE(created);
    tenant_ = created->id;
    auto cal = store::ReadValue<core::BusinessCalendar>(
        *store_, tenant_, [](store::TenantTx& tx) { return tx.Calendar(); });
    ASSERT_TRUE(cal);
    calendar_ = *cal;
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  TenantId tenant_;
  core::BusinessCalendar calendar_ = core::BusinessCalendar::AlwaysOpen();
};

}  // namespace caredesk::jobs::testing
