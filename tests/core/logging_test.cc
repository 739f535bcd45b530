#include "daira/core/logging.h"

#include <atomic>
#include <stdexcept>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace daira {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LoggingTest : public ::testing::Test {
 protected:
  void TearDown() override { SetLogSink(nullptr); }  // restore the default for other tests
};

struct Captured {
  std::mutex mu;
  std::vector<LogRecord> records;
  LogSink Sink() {
    return [this](const LogRecord& r) {
      std::lock_guard<std::mutex> lock(mu);
      records.push_back(r);
    };
  }
};

TEST_F(LoggingTest, SinkReceivesRecordsWithCorrelationId) {
  Captured cap;
  SetLogSink(cap.Sink(), LogLevel::kDebug);
  RequestContext ctx({.correlation_id = "req-42"});
  Log(LogLevel::kWarning, ctx, "store", "slow statement: SELECT 1");
  Log(LogLevel::kDebug, "pool", "lease");
  ASSERT_EQ(cap.records.size(), 2u);
  EXPECT_EQ(cap.records[0].level, LogLevel::kWarning);
  EXPECT_EQ(cap.records[0].correlation_id, "req-42");
  EXPECT_EQ(cap.records[0].component, "store");
  EXPECT_EQ(cap.records[0].message, "slow statement: SELECT 1");
  EXPECT_EQ(cap.records[1].level, LogLevel::kDebug);
  EXPECT_EQ(cap.records[1].correlation_id, "");
  EXPECT_EQ(cap.records[1].component, "pool");
}

TEST_F(LoggingTest, MinLevelDropsLowerLines) {
  Captured cap;
  SetLogSink(cap.Sink(), LogLevel::kWarning);
  Log(LogLevel::kDebug, "x", "debug");
  Log(LogLevel::kInfo, "x", "info");
  Log(LogLevel::kWarning, "x", "warning");
  Log(LogLevel::kError, "x", "error");
  ASSERT_EQ(cap.records.size(), 2u);
  EXPECT_EQ(cap.records[0].message, "warning");
  EXPECT_EQ(cap.records[1].message, "error");
  // The default min level is info.
  Captured cap2;
  SetLogSink(cap2.Sink());
  Log(LogLevel::kDebug, "x", "debug");
  Log(LogLevel::kInfo, "x", "info");
  ASSERT_EQ(cap2.records.size(), 1u);
  EXPECT_EQ(cap2.records[0].message, "info");
  EXPECT_TRUE(cap.records.size() == 2u);  // the replaced sink gets nothing more
}

TEST_F(LoggingTest, DefaultSinkWritesWarningsToStderr) {
  SetLogSink(nullptr);
  RequestContext ctx({.correlation_id = "corr-7"});
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kInfo, ctx, "store", "info line");
  Log(LogLevel::kWarning, ctx, "store", "warning line");
  Log(LogLevel::kError, "migrate", "error line");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, Not(HasSubstr("info line")));
  EXPECT_THAT(err, HasSubstr("WARNING [corr-7] store: warning line\n"));
  EXPECT_THAT(err, HasSubstr("ERROR migrate: error line\n"));
}

TEST_F(LoggingTest, ThrowingSinkDoesNotEscape) {
  SetLogSink([](const LogRecord&) { throw std::runtime_error("sink failed"); });
  Log(LogLevel::kError, "x", "boom");  // must not throw
  std::atomic<int> calls{0};
  SetLogSink([&](const LogRecord&) { calls.fetch_add(1); });
  Log(LogLevel::kError, "x", "after");
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LoggingTest, ConcurrentLogAndSetSink) {
  std::atomic<int> a{0}, b{0};
  SetLogSink([&](const LogRecord&) { a.fetch_add(1); });
  std::atomic<bool> stop{false};
  std::vector<std::thread> loggers;
  std::atomic<int> logged{0};
  for (int t = 0; t < 4; ++t) {
    loggers.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        Log(LogLevel::kInfo, "x", "line");
        logged.fetch_add(1);
      }
    });
  }
  std::thread swapper([&] {
    for (int i = 0; i < 200 && !stop.load(); ++i) {
      std::atomic<int>* target = i % 2 ? &a : &b;
      SetLogSink([target](const LogRecord&) { target->fetch_add(1); });
    }
  });
  for (auto& th : loggers) th.join();
  stop = true;
  swapper.join();
  // Every line reached exactly one of the sinks.
  EXPECT_EQ(a.load() + b.load(), logged.load());
  EXPECT_EQ(logged.load(), 20000);
}

}  // namespace
}  // namespace daira
