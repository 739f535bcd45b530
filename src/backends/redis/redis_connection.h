// One connection to a Redis server over hiredis (internal to the Redis backends; hiredis.h stays in the .cc).
//
//   DAIRA_ASSIGN_OR_RETURN(auto conn, RedisConnection::Connect(url));
//   DAIRA_RETURN_IF_ERROR(conn->Command({"SET", key, value, "PX", "60000"}).status());
//   DAIRA_ASSIGN_OR_RETURN(auto replies, conn->Pipeline({{"GET", a}, {"GET", b}}));   // one round trip
//   DAIRA_ASSIGN_OR_RETURN(RedisReply r, conn->Eval(kScript, keys, args));              // EVALSHA
//
// Every command is an argument vector sent binary-safe (never a formatted string). An I/O error or a
// timeout marks the connection broken() (the pool then drops it) and is Unavailable; an error reply is a
// Status from ErrorReplyStatus and leaves the connection usable.
//
// Thread-compatible, not thread-safe: one thread at a time (the pool hands a connection to one caller).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/redis/redis_reply.h"
#include "backends/redis/redis_script.h"
#include "backends/redis/redis_url.h"

struct redisContext;

namespace daira::inline v0::backends::redis {

class RedisConnection {
 public:
  // Connects (TCP within url.connect_timeout), sends AUTH when the URL has a password, SELECT when db != 0,
  // and sets url.command_timeout on the socket. Unavailable when the server cannot be reached,
  // Unauthenticated / PermissionDenied on a wrong password or user; every message names url.Redacted().
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(const RedisUrl& url);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command and its reply. Unavailable (and broken()) on an I/O error or timeout; an error reply is
  // ErrorReplyStatus (named by the command's first word).
  absl::StatusOr<RedisReply> Command(std::span<const std::string_view> args);
  absl::StatusOr<RedisReply> Command(std::initializer_list<std::string_view> args) {
    return Command(std::span<const std::string_view>(args.begin(), args.size()));
  }
  absl::StatusOr<RedisReply> Command(std::span<const std::string> args);

  // Every command written at once, then every reply read: one round trip. Error replies come back as
  // kError elements, in order (the caller decides); only an I/O failure or timeout is a Status.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  // Runs `script` with EVALSHA; loads it (SCRIPT LOAD) the first time and again after NOSCRIPT. An error
  // raised by the script is ErrorReplyStatus("EVALSHA").
  absl::StatusOr<RedisReply> Eval(const RedisScript& script, std::span<const std::string> keys,
                                  std::span<const std::string> args);
  // The same over views (a caller that keeps its arguments in one buffer).
  absl::StatusOr<RedisReply> EvalViews(const RedisScript& script, std::span<const std::string_view> keys,
                                       std::span<const std::string_view> args);

  // ---- Low level, for a dedicated subscriber connection ----
  // Writes one command without waiting for its reply.
  absl::Status Send(std::span<const std::string_view> args);
  // The next reply, waiting at most `timeout` for it: DeadlineExceeded when none came (the connection
  // stays usable), Unavailable (and broken()) when the connection failed.
  absl::StatusOr<RedisReply> ReadReply(std::chrono::milliseconds timeout);

  // The socket timeout of Command / Pipeline / Eval from now on (a deadline shorter than the URL's).
  absl::Status SetTimeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds timeout() const { return timeout_; }

  bool broken() const { return broken_; }
  int fd() const;
  // Round trips made on this connection (a pipeline counts one), for tests and stats.
  uint64_t round_trips() const { return round_trips_; }
  const RedisUrl& url() const { return url_; }

 private:
  explicit RedisConnection(RedisUrl url) : url_(std::move(url)) {}
  // Eval over std::string or std::string_view arguments.
  template <typename T>
  absl::StatusOr<RedisReply> EvalSpans(const RedisScript& script, std::span<const T> keys,
                                       std::span<const T> args);
  // Writes the buffered commands and reads `n` replies.
  absl::StatusOr<std::vector<RedisReply>> Exchange(size_t n, std::string_view what);
  absl::Status IoError(std::string_view what);

  RedisUrl url_;
  redisContext* ctx_ = nullptr;
  bool broken_ = false;
  uint64_t round_trips_ = 0;
  std::chrono::milliseconds timeout_{0};
};

}  // namespace daira::inline v0::backends::redis
