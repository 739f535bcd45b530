// Cache hot paths through daira versus a raw baseline on the same data, in the same process.
//
// Cases:
//   memory/get, memory/set, memory/mget100   MemoryCache (`memory:`) against a raw baseline: one
//                                            std::unordered_map under one std::mutex
//   redis/get, redis/set, redis/mget100      RedisCache (`redis://…`, on the shared RedisPool) against
//                                            plain hiredis (redisCommandArgv on one redisContext), when
//                                            DAIRA_BENCH_REDIS or DAIRA_TEST_REDIS names a server
// Every daira case runs the raw baseline for the same number of iterations right after its own loop and
// reports raw_ns (raw wall ns/op) and ratio_vs_raw (daira ns/op ÷ raw ns/op) as counters. Keys live
// under a per-run prefix ("daira-bench:<pid>:"), deleted at exit (never FLUSHDB).
//
//   ./build/release/bench/cache_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/memory/memory_cache.h"
#include "backends/redis/redis_cache.h"
#include "cache/open_cache.h"
#include "daira/cache/cache.h"
#include "daira/core/url.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kKeys = 10000;
constexpr int kBatch = 100;
const std::string kValue(200, 'v');  // a small serialized record

std::string Key(int i) { return absl::StrCat("custom:bench:", i); }

// ------------------------------------------------------------------------------------------ baselines

struct RawMap {
  std::mutex mu;
  std::unordered_map<std::string, std::string> map;
  std::optional<std::string> Get(const std::string& k) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = map.find(k);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  void Set(const std::string& k, const std::string& v) {
    std::lock_guard<std::mutex> lock(mu);
    map[k] = v;
  }
};

struct RawRedis {
  redisContext* ctx = nullptr;
  std::string prefix;
  ~RawRedis() {
    if (ctx != nullptr) redisFree(ctx);
  }
  void Command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (reply == nullptr) std::abort();
    benchmark::DoNotOptimize(reply->type);
    freeReplyObject(reply);
  }
};

// ------------------------------------------------------------------------------------------ fixtures

struct Fixtures {
  std::unique_ptr<daira::cache::Cache> memory;
  RawMap raw_map;
  std::unique_ptr<daira::cache::Cache> redis;  // null without a server
  std::unique_ptr<RawRedis> raw_redis;
  std::vector<std::string> batch;      // kBatch keys (daira names)
  std::vector<std::string> raw_batch;  // the same keys, prefixed, for raw MGET
};

Fixtures& F() {
  static Fixtures* f = [] {
    auto* fx = new Fixtures();
    fx->memory = *daira::cache::OpenCache("memory:");
    for (int i = 0; i < kKeys; ++i) {
      (void)fx->memory->Set(Key(i), kValue, daira::cache::kNoExpiry);
      fx->raw_map.Set(Key(i), kValue);
    }
    for (int i = 0; i < kBatch; ++i) fx->batch.push_back(Key(i * 7));
    const char* env = std::getenv("DAIRA_BENCH_REDIS");
    if (env == nullptr || *env == '\0') env = std::getenv("DAIRA_TEST_REDIS");
    if (env != nullptr && *env != '\0') {
      const std::string prefix = absl::StrCat("daira-bench:", ::getpid(), ":");
      const std::string base(env);
      auto c = daira::cache::OpenCache(base + (base.find('?') == std::string::npos ? "?" : "&") +
                                       "prefix=" + prefix);
      auto url = daira::ParseUrl(base);
      if (c.ok() && url.ok()) {
        fx->redis = *std::move(c);
        fx->raw_redis = std::make_unique<RawRedis>();
        fx->raw_redis->prefix = prefix;
        fx->raw_redis->ctx = redisConnect(url->host.c_str(), url->port == 0 ? 6379 : url->port);
        if (fx->raw_redis->ctx == nullptr || fx->raw_redis->ctx->err) std::abort();
        if (url->has_password) fx->raw_redis->Command({"AUTH", url->password});
        if (!url->path.empty()) fx->raw_redis->Command({"SELECT", url->path});
        std::vector<daira::cache::CacheEntry> entries;
        for (int i = 0; i < kKeys; ++i) entries.push_back({Key(i), kValue, std::chrono::minutes(10)});
        (void)fx->redis->MSet(entries);
        for (const std::string& k : fx->batch) fx->raw_batch.push_back(prefix + k);
      } else {
        std::fprintf(stderr, "cache_bench: Redis not available (%s): redis cases skipped\n",
                     std::string(c.ok() ? "bad url" : c.status().message()).c_str());
      }
    }
    return fx;
  }();
  return *f;
}

// Runs `raw` for `iterations` and reports it against the daira loop's elapsed time.
template <typename Raw>
void ReportAgainstRaw(benchmark::State& state, Clock::duration daira_elapsed, Raw&& raw) {
  const auto n = static_cast<double>(state.iterations());
  const auto t0 = Clock::now();
  for (benchmark::IterationCount i = 0; i < state.iterations(); ++i) raw(static_cast<int>(i));
  const double raw_ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
  const double daira_ns = std::chrono::duration<double, std::nano>(daira_elapsed).count() / n;
  state.counters["raw_ns"] = raw_ns;
  state.counters["ratio_vs_raw"] = raw_ns > 0 ? daira_ns / raw_ns : 0;
}

template <typename Body>
Clock::duration Timed(benchmark::State& state, Body&& body) {
  int i = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) body(i++);
  return Clock::now() - t0;
}

// ------------------------------------------------------------------------------------------ memory

void BM_MemoryGet(benchmark::State& state) {
  Fixtures& f = F();
  auto elapsed = Timed(state, [&](int i) { benchmark::DoNotOptimize(f.memory->Get(Key(i % kKeys))); });
  ReportAgainstRaw(state, elapsed, [&](int i) { benchmark::DoNotOptimize(f.raw_map.Get(Key(i % kKeys))); });
}
BENCHMARK(BM_MemoryGet)->Name("memory/get");

void BM_MemorySet(benchmark::State& state) {
  Fixtures& f = F();
  auto elapsed =
      Timed(state, [&](int i) { (void)f.memory->Set(Key(i % kKeys), kValue, daira::cache::kNoExpiry); });
  ReportAgainstRaw(state, elapsed, [&](int i) { f.raw_map.Set(Key(i % kKeys), kValue); });
}
BENCHMARK(BM_MemorySet)->Name("memory/set");

void BM_MemoryMGet(benchmark::State& state) {
  Fixtures& f = F();
  auto elapsed = Timed(state, [&](int) { benchmark::DoNotOptimize(f.memory->MGet(f.batch)); });
  ReportAgainstRaw(state, elapsed, [&](int) {
    std::vector<std::optional<std::string>> out;
    out.reserve(f.batch.size());
    for (const std::string& k : f.batch) out.push_back(f.raw_map.Get(k));
    benchmark::DoNotOptimize(out);
  });
}
BENCHMARK(BM_MemoryMGet)->Name("memory/mget100");

// ------------------------------------------------------------------------------------------ redis

bool RequireRedis(benchmark::State& state) {
  if (F().redis != nullptr) return true;
  state.SkipWithError("no Redis: set DAIRA_BENCH_REDIS or DAIRA_TEST_REDIS");
  return false;
}

void BM_RedisGet(benchmark::State& state) {
  if (!RequireRedis(state)) return;
  Fixtures& f = F();
  auto elapsed = Timed(state, [&](int i) { benchmark::DoNotOptimize(f.redis->Get(Key(i % kKeys))); });
  ReportAgainstRaw(state, elapsed, [&](int i) {
    f.raw_redis->Command({"GET", f.raw_redis->prefix + Key(i % kKeys)});
  });
}
BENCHMARK(BM_RedisGet)->Name("redis/get")->UseRealTime();

void BM_RedisSet(benchmark::State& state) {
  if (!RequireRedis(state)) return;
  Fixtures& f = F();
  auto elapsed =
      Timed(state, [&](int i) { (void)f.redis->Set(Key(i % kKeys), kValue, std::chrono::minutes(10)); });
  ReportAgainstRaw(state, elapsed, [&](int i) {
    f.raw_redis->Command({"SET", f.raw_redis->prefix + Key(i % kKeys), kValue, "PX", "600000"});
  });
}
BENCHMARK(BM_RedisSet)->Name("redis/set")->UseRealTime();

void BM_RedisMGet(benchmark::State& state) {
  if (!RequireRedis(state)) return;
  Fixtures& f = F();
  auto elapsed = Timed(state, [&](int) { benchmark::DoNotOptimize(f.redis->MGet(f.batch)); });
  std::vector<std::string> mget = {"MGET"};
  mget.insert(mget.end(), f.raw_batch.begin(), f.raw_batch.end());
  ReportAgainstRaw(state, elapsed, [&](int) { f.raw_redis->Command(mget); });
}
BENCHMARK(BM_RedisMGet)->Name("redis/mget100")->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (auto* rc = dynamic_cast<daira::backends::redis::RedisCache*>(F().redis.get())) {
    (void)rc->DeleteEverythingUnderPrefix();
  }
  return 0;
}
