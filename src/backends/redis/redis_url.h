// A Redis endpoint as configured by a `redis://` URL (internal to the Redis backends).
//
//   auto url = RedisUrl::Parse("redis://:s3cret@127.0.0.1:6380/2?prefix=app1&pool_size=16");
//   url->port == 6380;  url->db == 2;  url->prefix == "app1";  url->Redacted() hides "s3cret"
//   auto cache_url = RedisUrl::Parse(text, std::array<std::string_view, 1>{"near_cache"});  // a layer's own param
//
// Form: redis://[user[:password]@]host[:port][/db][?param=value&...]. Userinfo is percent-decoded; the
// password is never shown (Redacted(), every error message). TLS (rediss://) is not supported.
// A plain value type: thread-compatible.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace daira::inline v0::backends::redis {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;                // the path: /N
  std::string username;      // Redis 6 ACL user ("" = the default user)
  std::string password;      // "" = no AUTH
  // ?prefix=: a key prefix for this deployment, so several apps share one Redis. The layers prepend it.
  std::string prefix;
  // ?connect_timeout_ms=: how long a TCP connect (plus AUTH/SELECT) may take. Default 2 s.
  std::chrono::milliseconds connect_timeout{2000};
  // ?timeout_ms=: how long one command (or one pipeline) may wait for its reply. Default 2 s.
  std::chrono::milliseconds command_timeout{2000};
  // ?pool_size=: the most connections a pool opens. Default 8.
  int pool_size = 8;
  // ?reconnect_backoff_max_ms=: while the server is unreachable, the pool retries a connect at most once
  // per backoff interval, doubling from 100 ms up to this. Default 5 s.
  std::chrono::milliseconds reconnect_backoff_max{5000};
  // The layer's own parameters (those named in Parse's `extra_params`), decoded.
  std::map<std::string, std::string, std::less<>> params;

  // The URL for logs and errors, with the password (and any secret parameter) as ***.
  const std::string& Redacted() const { return redacted_; }

  // Parses `text`. InvalidArgument naming the redacted URL and the part at fault: not redis://, rediss://
  // (TLS unsupported), no host, a bad port or db, a bad number, or a parameter that is neither common (above)
  // nor in `extra_params`.
  static absl::StatusOr<RedisUrl> Parse(std::string_view text, std::span<const std::string_view> extra_params = {});

 private:
  std::string redacted_;
};

}  // namespace daira::inline v0::backends::redis
