// Cleaning up the shared test Redis between platform tests.
#pragma once

#include <string>

#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_url.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira {

// Deletes every key under `prefix` on `server` (SCAN + DEL; never FLUSHDB on the shared server).
inline void DeleteKeys(const std::string& server, const std::string& prefix) {
  auto url = backends::redis::RedisUrl::Parse(server);
  ASSERT_OK(url.status());
  ASSERT_OK_AND_ASSIGN(auto conn, backends::redis::RedisConnection::Connect(*url));
  std::string cursor = "0";
  do {
    ASSERT_OK_AND_ASSIGN(auto r, conn->Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"}));
    ASSERT_EQ(r.elements.size(), 2u);
    cursor = r.elements[0].str;
    for (const auto& key : r.elements[1].elements) ASSERT_OK(conn->Command({"DEL", key.str}).status());
  } while (cursor != "0");
}

}  // namespace daira
