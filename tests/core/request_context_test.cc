#include "daira/core/request_context.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../support/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::daira::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(RequestContextTest, RandomCorrelationIdWhenEmpty) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    RequestContext ctx;
    EXPECT_THAT(ctx.correlation_id(), MatchesRegex("[0-9a-f]{16}"));
    ids.insert(ctx.correlation_id());
  }
  EXPECT_EQ(ids.size(), 1000u);
  RequestContext empty({.correlation_id = ""});
  EXPECT_EQ(empty.correlation_id().size(), 16u);
}

TEST(RequestContextTest, ExplicitFields) {
  RequestContext ctx({.correlation_id = "req-42", .caller = "user:7"});
  EXPECT_EQ(ctx.correlation_id(), "req-42");
  EXPECT_EQ(ctx.caller(), "user:7");
  EXPECT_FALSE(ctx.deadline().has_value());
  EXPECT_OK(ctx.CheckDeadline("feed.home"));
  EXPECT_EQ(ctx.statements(), 0);
  EXPECT_EQ(ctx.last_write_position(), "");
}

TEST(RequestContextTest, DeadlineNotYetPassed) {
  RequestContext ctx({.timeout = std::chrono::hours(1)});
  ASSERT_TRUE(ctx.deadline().has_value());
  EXPECT_GT(*ctx.deadline(), std::chrono::steady_clock::now());
  EXPECT_OK(ctx.CheckDeadline("store.execute"));
}

TEST(RequestContextTest, DeadlinePassedNamesTheOperation) {
  RequestContext ctx({.correlation_id = "req-9", .timeout = std::chrono::milliseconds(1)});
  ASSERT_TRUE(ctx.deadline().has_value());
  // Wait on the condition itself (not a sleep): the steady clock passing the deadline.
  while (std::chrono::steady_clock::now() < *ctx.deadline()) {
    std::this_thread::yield();
  }
  absl::Status s = ctx.CheckDeadline("store.execute");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("store.execute: ")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("req-9"));
}

TEST(RequestContextTest, CopiesShareAccounting) {
  RequestContext ctx({.correlation_id = "shared"});
  RequestContext copy = ctx;
  ctx.CountStatements(2);
  copy.CountStatements(3);
  EXPECT_EQ(ctx.statements(), 5);
  EXPECT_EQ(copy.statements(), 5);
  copy.NoteWritePosition("0/16B3748");
  EXPECT_EQ(ctx.last_write_position(), "0/16B3748");
  EXPECT_EQ(copy.correlation_id(), "shared");
  // A separately constructed context has its own accounting.
  RequestContext other({.correlation_id = "shared"});
  EXPECT_EQ(other.statements(), 0);
  EXPECT_EQ(other.last_write_position(), "");
}

TEST(RequestContextTest, ConcurrentAccounting) {
  RequestContext ctx;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([ctx, t] {  // each thread holds its own copy
      for (int i = 0; i < 10000; ++i) {
        ctx.CountStatements(1);
        ctx.NoteWritePosition("pos-" + std::to_string(t) + "-" + std::to_string(i));
        std::string p = ctx.last_write_position();
        ASSERT_EQ(p.rfind("pos-", 0), 0u);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ctx.statements(), 40000);
  EXPECT_THAT(ctx.last_write_position(), MatchesRegex("pos-[0-3]-9999"));
}

}  // namespace
}  // namespace daira
