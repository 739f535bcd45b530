#include <string>

#include "absl/strings/str_split.h"
#include "backends/memory/memory_queue.h"
#include "backends/redis/redis_queue.h"
#include "bus/sql_queue.h"
#include "daira/bus/queue.h"
#include "daira/core/status.h"
#include "daira/store/database.h"

namespace daira::inline v0::bus {

absl::StatusOr<std::unique_ptr<Queue>> OpenQueue(std::string_view url, store::Database* db,
                                                 std::string_view database_url, BusOptions options) {
  constexpr std::string_view kOp = "bus: open";
  const size_t colon = url.find(':');
  if (colon == std::string_view::npos) return InvalidField(kOp, "bus", "has no scheme (got '" + std::string(url) + "')");
  const std::string scheme(url.substr(0, colon));
  const size_t q = url.find('?');
  if (q != std::string_view::npos) {
    for (absl::string_view part : absl::StrSplit(ToAbsl(url.substr(q + 1)), '&', absl::SkipEmpty())) {
      const size_t eq = part.find('=');
      const std::string key(part.substr(0, eq));
      const std::string value(eq == absl::string_view::npos ? "" : part.substr(eq + 1));
      if (key == "idle_recheck_ms") {
        char* end = nullptr;
        const long long ms = std::strtoll(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || ms < 1 || ms > 3600000) {
          return InvalidField(kOp, "idle_recheck_ms", "must be an integer in [1, 3600000] (got '" + value + "')");
        }
        options.idle_recheck = std::chrono::milliseconds(ms);
        continue;
      }
      // On redis:// a key without a dot is the Redis endpoint's own (prefix, timeout_ms, ...).
      if ((scheme == "redis" || scheme == "rediss") && key.find('.') == std::string::npos) continue;
      DAIRA_RETURN_IF_ERROR(ApplyQueueOverride(options.queues, key, value));
    }
  }
  if (scheme == "redis" || scheme == "rediss") {
    // The queue overrides (<queue>.<field>) and idle_recheck_ms were applied above; the rest of the
    // URL is the Redis endpoint with its own parameters (redis_url.h, allow_eviction).
    std::string redis_url(url.substr(0, q));
    char sep = '?';
    if (q != std::string_view::npos) {
      for (absl::string_view part : absl::StrSplit(ToAbsl(url.substr(q + 1)), '&', absl::SkipEmpty())) {
        const absl::string_view key = part.substr(0, part.find('='));
        if (key == "idle_recheck_ms" || key.find('.') != absl::string_view::npos) continue;
        redis_url.push_back(sep);
        redis_url.append(part.data(), part.size());
        sep = '&';
      }
    }
    return backends::redis::RedisQueue::Open(redis_url, std::move(options), db);
  }
  const std::string_view rest =
      url.substr(colon + 1, q == std::string_view::npos ? std::string_view::npos : q - colon - 1);
  if (!rest.empty()) {
    return InvalidField(kOp, "bus",
                        "'" + scheme +
                            ":' takes no location: it is the process (memory:) or the platform's own "
                            "database (got '" +
                            std::string(url) + "')");
  }
  if (scheme == "memory") return backends::MemoryQueue::Open(std::move(options));
  if (scheme == "sqlite" || scheme == "postgres" || scheme == "postgresql") {
    const bool want_pg = scheme != "sqlite";
    if (db == nullptr) return InvalidField(kOp, "bus", "'" + scheme + ":' needs the database");
    if ((db->backend() == store::Backend::kPostgres) != want_pg) {
      return InvalidField(kOp, "bus",
                          "'" + scheme + ":' keeps jobs in the database, which is " +
                              std::string(db->dialect().name()) + " (use bus=" + std::string(db->dialect().name()) +
                              ": or bus=memory:)");
    }
    return internal::SqlQueue::Open(*db, std::string(database_url), std::move(options));
  }
  return InvalidField(kOp, "bus", "has an unknown scheme '" + scheme + ":' (memory, sqlite, postgres)");
}

}  // namespace daira::inline v0::bus
