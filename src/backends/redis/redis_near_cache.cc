#include "backends/redis/redis_near_cache.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/redis/redis_connection.h"
#include "backends/redis/redis_reply.h"
#include "daira/cache/policy.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::redis {

namespace {

// "daira-near:<prefix>:<pid>.<n>": unique per near cache (several instances share a prefix), so one
// can be found in CLIENT LIST. CLIENT SETNAME refuses spaces and newlines: other bytes become '_'.
std::string ConnectionName(std::string_view prefix) {
  static std::atomic<uint64_t> counter{0};
  std::string name = "daira-near:";
  for (char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
                    c == '-' || c == '_' || c == '.';
    name.push_back(ok ? c : '_');
  }
  absl::StrAppend(&name, name.back() == ':' ? "" : ":", ::getpid(), ".", counter.fetch_add(1));
  return name;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NearCache>> NearCache::Start(const RedisUrl& url, Options options) {
  if (options.max_bytes <= 0) {
    return InvalidField("redis cache: near cache", "near_max_bytes",
                        absl::StrCat("must be positive (got ", options.max_bytes, ")"));
  }
  if (options.ttl.count() <= 0) {
    return InvalidField("redis cache: near cache", "near_ttl_ms",
                        absl::StrCat("must be at least 1 ms (got ", options.ttl.count(), ")"));
  }
  std::unique_ptr<NearCache> near(new NearCache(url, std::move(options)));
  near->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (near->wake_fd_ < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("redis cache: near cache: eventfd: ", std::strerror(errno)));
  }
  near->thread_ = std::thread([n = near.get()] { n->Run(); });
  near->WaitUsable(true, url.connect_timeout + url.command_timeout);
  return near;
}

NearCache::NearCache(const RedisUrl& url, Options options)
    : url_(url),
      options_(std::move(options)),
      channel_(ChannelFor(url)),
      connection_name_(ConnectionName(url.prefix)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::System()),
      shard_budget_(std::max<int64_t>(1, options_.max_bytes / static_cast<int64_t>(kShards))) {}

NearCache::~NearCache() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool NearCache::Covers(std::string_view key) const {
  const std::string_view ns = cache::Policy::NamespaceOf(key);
  for (const std::string& n : options_.namespaces) {
    if (n == ns) return true;
  }
  return false;
}

NearCache::Shard& NearCache::ShardOf(std::string_view key) const {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

void NearCache::EraseLocked(Shard& shard, std::list<Entry>::iterator it) {
  shard.bytes -= it->bytes;
  shard.index.erase(std::string_view(it->key));
  shard.lru.erase(it);
}

std::optional<std::string> NearCache::Get(std::string_view key) {
  if (!usable()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  Shard& shard = ShardOf(key);
  const auto now = clock_->SteadyNow();
  std::lock_guard<std::mutex> lock(shard.mu);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  auto it = found->second;
  if (it->expires <= now) {
    EraseLocked(shard, it);
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->value;
}

NearCache::Ticket NearCache::Take(std::string_view key) const {
  Ticket t;
  // The epoch first: a loss of the subscription after this read moves it, and Fill refuses.
  t.epoch = epoch_.load(std::memory_order_acquire);
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  t.shard_generation = shard.generation;
  return t;
}

void NearCache::Fill(std::string_view key, std::string_view value, const Ticket& ticket) {
  const int64_t bytes = static_cast<int64_t>(key.size() + value.size()) + kEntryOverhead;
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  // Under the shard's lock, which Drop and Disable's emptying also take: a message handled before
  // this point moved the generation (refused); one handled after erases what is kept here.
  if (!usable() || epoch_.load(std::memory_order_acquire) != ticket.epoch ||
      shard.generation != ticket.shard_generation) {
    return;
  }
  if (bytes > shard_budget_) {
    evictions_.fetch_add(1, std::memory_order_relaxed);  // larger than a shard: never kept
    return;
  }
  if (auto found = shard.index.find(key); found != shard.index.end()) EraseLocked(shard, found->second);
  while (shard.bytes + bytes > shard_budget_ && !shard.lru.empty()) {
    EraseLocked(shard, std::prev(shard.lru.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  shard.lru.push_front(Entry{.key = std::string(key),
                             .value = std::string(value),
                             .expires = clock_->SteadyNow() + options_.ttl,
                             .bytes = bytes});
  shard.index.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
  shard.bytes += bytes;
  fills_.fetch_add(1, std::memory_order_relaxed);
}

void NearCache::Drop(std::span<const std::string> keys) {
  for (const std::string& key : keys) {
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    ++shard.generation;
    if (auto found = shard.index.find(key); found != shard.index.end()) EraseLocked(shard, found->second);
  }
}

void NearCache::Disable() {
  const bool was = usable_.exchange(false, std::memory_order_acq_rel);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.lru.clear();
    shard.index.clear();
    shard.bytes = 0;
  }
  if (was) clears_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(state_mu_);
  state_cv_.notify_all();
}

void NearCache::Enable() {
  // Nothing can have been filled while unusable; the epoch moves so that a read that took its ticket
  // before the new subscription (and may have missed a message) fills nothing.
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  usable_.store(true, std::memory_order_release);
  resubscribes_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(state_mu_);
  state_cv_.notify_all();
}

bool NearCache::WaitUsable(bool want, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_mu_);
  state_cv_.wait_for(lock, timeout, [&] { return usable() == want || stop_; });
  return usable() == want;
}

cache::NearCacheStats NearCache::Stats() const {
  cache::NearCacheStats s;
  s.usable = usable();
  s.max_bytes = options_.max_bytes;
  s.ttl_ms = options_.ttl.count();
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    s.bytes += shard.bytes;
    s.entries += static_cast<int64_t>(shard.lru.size());
  }
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.fills = fills_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  s.invalidations = invalidations_.load(std::memory_order_relaxed);
  s.clears = clears_.load(std::memory_order_relaxed);
  s.resubscribes = resubscribes_.load(std::memory_order_relaxed);
  return s;
}

void NearCache::Run() {
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (stop_) return;
    }
    const int64_t subscribed_before = resubscribes_.load(std::memory_order_relaxed);
    Serve();
    Disable();
    std::unique_lock<std::mutex> lock(state_mu_);
    if (stop_) return;
    if (resubscribes_.load(std::memory_order_relaxed) != subscribed_before) {
      // It was serving: say so once per loss (not once per failed reconnect), and start the backoff over.
      Log(LogLevel::kWarning, "cache",
          absl::StrCat("redis cache ", url_.Redacted(),
                       ": near cache lost its invalidation subscription; near entries dropped and not "
                       "served until it resubscribes"));
      backoff = std::chrono::milliseconds(100);
    }
    state_cv_.wait_for(lock, backoff, [&] { return stop_; });
    if (stop_) return;
    backoff = std::min<std::chrono::milliseconds>(
        backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(url_.reconnect_backoff_max));
  }
}

void NearCache::Serve() {
  absl::StatusOr<std::unique_ptr<RedisConnection>> connected = RedisConnection::Connect(url_);
  if (!connected.ok()) return;
  RedisConnection& conn = **connected;
  if (!conn.Command({"CLIENT", "SETNAME", connection_name_}).ok()) return;
  const std::string_view subscribe[] = {"SUBSCRIBE", channel_};
  if (!conn.Send(subscribe).ok()) return;
  bool ping_outstanding = false;
  auto last_traffic = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (stop_) return;
    }
    // Every reply already buffered or readable now.
    while (true) {
      absl::StatusOr<RedisReply> reply = conn.ReadReply(std::chrono::milliseconds(0));
      if (!reply.ok()) {
        if (reply.status().code() == absl::StatusCode::kDeadlineExceeded) break;
        return;  // the connection failed
      }
      last_traffic = std::chrono::steady_clock::now();
      ping_outstanding = false;
      if (reply->type != RedisReply::Type::kArray || reply->elements.empty()) continue;
      const std::string& kind = reply->elements[0].str;
      if (kind == "message" && reply->elements.size() >= 3) {
        if (reply->elements[1].str != channel_) continue;
        const std::string key = std::move(reply->elements[2].str);
        Drop(std::span<const std::string>(&key, 1));
        invalidations_.fetch_add(1, std::memory_order_acq_rel);
      } else if (kind == "subscribe" && reply->elements.size() >= 2 && reply->elements[1].str == channel_) {
        Enable();
      }
    }
    pollfd fds[2] = {{conn.fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const auto quiet = std::chrono::steady_clock::now() - last_traffic;
    const auto wait = std::max<std::chrono::milliseconds>(
        std::chrono::milliseconds(1),
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.ping_interval - quiet));
    const int ready = ::poll(fds, 2, static_cast<int>(wait.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof(v));
    }
    if (ready == 0 || std::chrono::steady_clock::now() - last_traffic >= options_.ping_interval) {
      // Quiet for an interval: a half-open connection (no FIN) looks just like this, so ask; no answer
      // for another interval means it is gone (and the near entries with it).
      if (ping_outstanding) return;
      const std::string_view ping[] = {"PING"};
      if (!conn.Send(ping).ok()) return;
      ping_outstanding = true;
      last_traffic = std::chrono::steady_clock::now();
    }
  }
}

void NearCache::Stop() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (stop_) return;
    stop_ = true;
    state_cv_.notify_all();
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    while (::write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace daira::inline v0::backends::redis
