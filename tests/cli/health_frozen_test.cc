// `daira health --timeout-ms 3000` against a frozen PostgreSQL (a private server stopped with SIGSTOP by
// PID; never the shared one) answers UNHEALTHY within about its budget instead of hanging.
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "private_postgres.h"
#include "status_matchers.h"
#include "test_backends.h"
#include "test_paths.h"  // generated: DAIRA_SOURCE_DIR, DAIRA_*_WORKER, DAIRA_CLI_BINARY

#ifndef DAIRA_CLI_BINARY
#error "DAIRA_CLI_BINARY must name the daira executable"
#endif

namespace daira {
namespace {

using ::testing::HasSubstr;

TEST(HealthFrozenTest, HealthHonoursTimeoutAgainstFrozenServer) {
  if (!testing::PrivatePostgresAvailable()) {
    if (testing::InCi()) FAIL() << "CI=true but no PostgreSQL server binaries for a private server";
    GTEST_SKIP() << "no PostgreSQL server binaries: frozen-server health NOT covered";
  }
  ASSERT_OK_AND_ASSIGN(auto pg, testing::PrivatePostgres::Start());
  const auto out = std::filesystem::temp_directory_path() / ("daira-health-frozen-" + std::to_string(::getpid()));
  const std::string run = std::string("'") + DAIRA_CLI_BINARY + "' --database '" + pg->url() +
                          "' health --timeout-ms 3000 >'" + out.string() + "' 2>&1";
  // Healthy first (the server answers).
  int status = std::system(run.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_OK(pg->Freeze());
  const auto start = std::chrono::steady_clock::now();
  status = std::system(run.c_str());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_OK(pg->Thaw());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(out);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << text.str();
  EXPECT_THAT(text.str(), HasSubstr("FAIL"));
  EXPECT_LT(took, std::chrono::milliseconds(4500)) << "health --timeout-ms 3000 took "
                                                   << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                                   << " ms: " << text.str();
}

}  // namespace
}  // namespace daira
