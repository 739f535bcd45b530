// Base fixture of the repository suites: per backend (the test parameter, "sqlite" or "postgres") a
// fresh database with the embedded schema applied, ServiceDeps over it and a manual clock; and Must(),
// which unwraps a StatusOr in setup code (failing the test, not crashing, on an error).
//
//   class WalletRepositoryTest : public MigratedServicesTest {
//    protected:
//     void SetUp() override {
//       MigratedServicesTest::SetUp();
//       if (HasFatalFailure()) return;
//       wallets_ = std::make_unique<WalletRepository>(deps_);
//     }
//   };
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"
#include "daira/core/request_context.h"
#include "daira/services/service_deps.h"
#include "daira/store/migrator.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::services {

template <typename T>
T Must(absl::StatusOr<T> s) {
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : T{};
}

class MigratedServicesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, ::daira::testing::TestDatabase::Create(GetParam()));
    ASSERT_OK_AND_ASSIGN(auto migrator, store::Migrator::Create(tdb_->db()));
    ASSERT_OK(migrator->Migrate(ctx_));
    deps_ = ServiceDeps{.db = &tdb_->db(), .clock = &clock_};
  }

  RequestContext ctx_;
  ManualClock clock_{Clock::TimePoint{std::chrono::seconds(1700000000)}};
  std::unique_ptr<::daira::testing::TestDatabase> tdb_;
  ServiceDeps deps_;
};

}  // namespace daira::services
