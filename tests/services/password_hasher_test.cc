// internal::PasswordHasher (issue 9): the concurrency cap, a dummy hash that cannot be made, and
// verification at equal cost for hashes made with older settings. Deterministic: no timing.
#include "services/password_hasher.h"

#include <chrono>
#include <string>

#include "daira/services/accounts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::services::internal {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kNoWait = std::chrono::milliseconds(0);

TEST(PasswordHasherTest, FullCapIsResourceExhausted) {
  PasswordHasher hasher(kPasswordOpsLimitMin, kPasswordMemLimitMin, /*max_concurrent=*/2, kNoWait);
  EXPECT_EQ(hasher.max_concurrent(), 2);
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher.Hash("pw"));
  {
    ASSERT_OK_AND_ASSIGN(PasswordHasher::Slot a, hasher.AcquireSlot());
    ASSERT_OK_AND_ASSIGN(PasswordHasher::Slot b, hasher.AcquireSlot());
    const int64_t before = hasher.computations();
    EXPECT_THAT(hasher.Hash("pw"), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("slots busy")));
    EXPECT_THAT(hasher.Verify(hash, "pw"), StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_THAT(hasher.VerifyDummy("pw"), StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_EQ(hasher.computations(), before);  // nothing ran: no 64 MiB allocated past the cap
  }
  // Slots come back when their holders go.
  ASSERT_OK_AND_ASSIGN(bool right, hasher.Verify(hash, "pw"));
  EXPECT_TRUE(right);
}

TEST(PasswordHasherTest, DefaultCapIsTheNumberOfHardwareThreads) {
  PasswordHasher hasher(kPasswordOpsLimitMin, kPasswordMemLimitMin);
  EXPECT_GE(hasher.max_concurrent(), 1);
}

TEST(PasswordHasherTest, MissingDummyHashFailsInsteadOfAnsweringAtOnce) {
  // A memory limit libsodium refuses: the dummy hash cannot be made, so an unknown-user login must
  // fail (not return "invalid credentials" instantly, which would reveal that the user is unknown).
  PasswordHasher broken(kPasswordOpsLimitMin, ~size_t{0}, 1, kNoWait);
  EXPECT_THAT(broken.DummyHash(), StatusIs(absl::StatusCode::kInternal, HasSubstr("dummy hash")));
  EXPECT_THAT(broken.VerifyDummy("pw"), StatusIs(absl::StatusCode::kInternal));
}

TEST(PasswordHasherTest, OlderSettingsAreVerifiedAtTheCurrentCost) {
  PasswordHasher old_settings(kPasswordOpsLimitMin, kPasswordMemLimitMin, 4, kNoWait);
  PasswordHasher current(2, kPasswordMemLimitMin * 2, 4, kNoWait);
  ASSERT_OK_AND_ASSIGN(std::string old_hash, old_settings.Hash("pw"));
  ASSERT_OK_AND_ASSIGN(std::string new_hash, current.Hash("pw"));
  ASSERT_TRUE(current.NeedsRehash(old_hash));
  ASSERT_OK(current.DummyHash().status());

  // Unknown user: one computation at the current cost.
  int64_t before = current.computations();
  ASSERT_OK(current.VerifyDummy("wrong"));
  EXPECT_EQ(current.computations() - before, 1);
  // Current hash, wrong password: one computation at the current cost.
  before = current.computations();
  ASSERT_OK_AND_ASSIGN(bool right, current.VerifyAtFullCost(new_hash, "wrong"));
  EXPECT_FALSE(right);
  EXPECT_EQ(current.computations() - before, 1);
  // Older (cheaper) hash, wrong password: the dummy at the current cost too, so it costs no less.
  before = current.computations();
  ASSERT_OK_AND_ASSIGN(right, current.VerifyAtFullCost(old_hash, "wrong"));
  EXPECT_FALSE(right);
  EXPECT_EQ(current.computations() - before, 2);
  // A malformed stored hash likewise.
  before = current.computations();
  ASSERT_OK_AND_ASSIGN(right, current.VerifyAtFullCost("$argon2id$garbage", "pw"));
  EXPECT_FALSE(right);
  EXPECT_EQ(current.computations() - before, 2);  // the dummy at full cost, then the (failing) attempt
  // And the right password still verifies.
  ASSERT_OK_AND_ASSIGN(right, current.VerifyAtFullCost(old_hash, "pw"));
  EXPECT_TRUE(right);
}

}  // namespace
}  // namespace daira::services::internal
