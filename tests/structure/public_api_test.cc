// The public API as a user sees it: everything through the umbrella header, and nothing of the
// drivers behind it. If one of these macros becomes visible, a public header started including a
// driver header (directly or through another header) — move that include into src/.
#include "daira/daira.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

#ifdef SQLITE_OK
#error "daira/daira.h exposes sqlite3.h (SQLITE_OK is defined)"
#endif
#ifdef SQLITE_VERSION
#error "daira/daira.h exposes sqlite3.h (SQLITE_VERSION is defined)"
#endif
#ifdef PG_DIAG_SQLSTATE
#error "daira/daira.h exposes libpq-fe.h / postgres_ext.h (PG_DIAG_SQLSTATE is defined)"
#endif
#ifdef LIBPQ_FE_H
#error "daira/daira.h exposes libpq-fe.h"
#endif
#ifdef REDIS_OK
#error "daira/daira.h exposes hiredis.h (REDIS_OK is defined)"
#endif
#ifdef SIMDJSON_VERSION
#error "daira/daira.h exposes simdjson.h (SIMDJSON_VERSION is defined)"
#endif
#ifdef LIBCURL_VERSION
#error "daira/daira.h exposes curl/curl.h (LIBCURL_VERSION is defined)"
#endif
#ifdef FMT_VERSION
#error "daira/daira.h exposes fmt (FMT_VERSION is defined)"
#endif

#ifndef DAIRA_EXPORT
#error "daira/daira.h must provide DAIRA_EXPORT (daira/export.h)"
#endif

static_assert(DAIRA_VERSION_MAJOR >= 0 && DAIRA_VERSION_MINOR >= 0 && DAIRA_VERSION_PATCH >= 0);
static_assert(DAIRA_VERSION_NUMBER ==
              DAIRA_VERSION_MAJOR * 10000 + DAIRA_VERSION_MINOR * 100 + DAIRA_VERSION_PATCH);

namespace daira {
namespace {

TEST(PublicApiTest, VersionMatchesTheMacros) {
  const std::string expected = std::to_string(DAIRA_VERSION_MAJOR) + "." + std::to_string(DAIRA_VERSION_MINOR) +
                               "." + std::to_string(DAIRA_VERSION_PATCH);
  ASSERT_NE(Version(), nullptr);
  EXPECT_EQ(std::string(Version()), expected);
  EXPECT_STREQ(Version(), DAIRA_VERSION_STRING);
}

#ifdef DAIRA_PROJECT_VERSION
TEST(PublicApiTest, VersionMatchesTheCMakeProject) { EXPECT_STREQ(Version(), DAIRA_PROJECT_VERSION); }
#endif

TEST(PublicApiTest, UmbrellaHeaderIsEnoughToOpenADatabase) {
  auto db = store::Database::Open("sqlite::memory:");
  ASSERT_TRUE(db.ok()) << db.status();
  RequestContext ctx;
  auto rs = (*db)->Execute(ctx, "SELECT 40 + 2 AS answer");
  ASSERT_TRUE(rs.ok()) << rs.status();
  ASSERT_EQ(rs->size(), 1u);
  EXPECT_EQ(rs->front().Int64("answer"), 42);
}

TEST(PublicApiTest, BadUrlIsAnErrorNotACrash) {
  auto db = store::Database::Open("nosuchscheme://x");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument) << db.status();
}

}  // namespace
}  // namespace daira
