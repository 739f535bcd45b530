// Rate-limit checks through daira versus a raw baseline on the same keys, in the same process.
//
// Cases:
//   memory/check, memory/check_gcra   MemoryRateLimiter against a raw baseline: a fixed-window counter in
//                                     one std::unordered_map under one std::mutex
//   redis/check, redis/check_gcra     RedisRateLimiter (one EVALSHA per check, on the shared RedisPool)
//                                     against a raw INCR + PEXPIRE pipeline (hiredis, one redisContext),
//                                     when DAIRA_BENCH_REDIS or DAIRA_TEST_REDIS names a server
// Every daira case runs the raw baseline for the same number of iterations right after its own loop and
// reports raw_ns and ratio_vs_raw as counters. Keys spread over kKeys users; the limit is high enough
// that checks are allowed (the common path). Redis keys live under "daira-bench:<pid>:", deleted at exit.
//
//   ./build/release/bench/ratelimit_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/memory/memory_rate_limiter.h"
#include "backends/redis/redis_cache.h"
#include "backends/redis/redis_rate_limiter.h"
#include "daira/core/url.h"
#include "daira/ratelimit/rate_limiter.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kKeys = 1000;

std::string Key(int i) { return absl::StrCat("user", i % kKeys); }

daira::ratelimit::RateLimiterOptions Options() {
  daira::ratelimit::RateLimiterOptions o;
  o.limits["sliding"] = {.count = 1'000'000'000, .window = std::chrono::minutes(1)};
  o.limits["gcra"] = {.count = 1'000'000'000,
                      .window = std::chrono::minutes(1),
                      .algorithm = daira::ratelimit::Algorithm::kGcra};
  return o;
}

struct RawCounter {
  std::mutex mu;
  std::unordered_map<std::string, long long> map;
  long long Incr(const std::string& k) {
    std::lock_guard<std::mutex> lock(mu);
    return ++map[k];
  }
};

struct RawRedis {
  redisContext* ctx = nullptr;
  std::string prefix;
  ~RawRedis() {
    if (ctx != nullptr) redisFree(ctx);
  }
  void Append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data());
  }
  void Read(int n) {
    for (int i = 0; i < n; ++i) {
      void* reply = nullptr;
      if (redisGetReply(ctx, &reply) != REDIS_OK || reply == nullptr) std::abort();
      freeReplyObject(reply);
    }
  }
  // The classic fixed-window limiter: INCR + PEXPIRE, pipelined (one round trip).
  void IncrExpire(const std::string& key) {
    const std::string k = prefix + key;
    Append({"INCR", k});
    Append({"PEXPIRE", k, "60000"});
    Read(2);
  }
};

struct Fixtures {
  std::unique_ptr<daira::backends::memory::MemoryRateLimiter> memory;
  RawCounter raw_counter;
  std::unique_ptr<daira::backends::redis::RedisRateLimiter> redis;  // null without a server
  std::unique_ptr<RawRedis> raw_redis;
  std::string redis_url;
};

Fixtures& F() {
  static Fixtures* f = [] {
    auto* fx = new Fixtures();
    fx->memory = *daira::backends::memory::MemoryRateLimiter::Open(Options());
    const char* env = std::getenv("DAIRA_BENCH_REDIS");
    if (env == nullptr || *env == '\0') env = std::getenv("DAIRA_TEST_REDIS");
    if (env != nullptr && *env != '\0') {
      const std::string prefix = absl::StrCat("daira-bench:", ::getpid(), ":");
      const std::string base(env);
      fx->redis_url = base + (base.find('?') == std::string::npos ? "?" : "&") + "prefix=" + prefix;
      auto l = daira::backends::redis::RedisRateLimiter::Open(fx->redis_url, Options());
      auto url = daira::ParseUrl(base);
      if (l.ok() && url.ok()) {
        fx->redis = *std::move(l);
        fx->raw_redis = std::make_unique<RawRedis>();
        fx->raw_redis->prefix = prefix;
        fx->raw_redis->ctx = redisConnect(url->host.c_str(), url->port == 0 ? 6379 : url->port);
        if (fx->raw_redis->ctx == nullptr || fx->raw_redis->ctx->err) std::abort();
        if (url->has_password) {
          fx->raw_redis->Append({"AUTH", url->password});
          fx->raw_redis->Read(1);
        }
        if (!url->path.empty()) {
          fx->raw_redis->Append({"SELECT", url->path});
          fx->raw_redis->Read(1);
        }
      } else {
        std::fprintf(stderr, "ratelimit_bench: Redis not available (%s): redis cases skipped\n",
                     std::string(l.ok() ? "bad url" : l.status().message()).c_str());
      }
    }
    return fx;
  }();
  return *f;
}

template <typename Body>
Clock::duration Timed(benchmark::State& state, Body&& body) {
  int i = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) body(i++);
  return Clock::now() - t0;
}

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

bool RequireRedis(benchmark::State& state) {
  if (F().redis != nullptr) return true;
  state.SkipWithError("no Redis (set DAIRA_BENCH_REDIS or DAIRA_TEST_REDIS)");
  return false;
}

void MemoryCheck(benchmark::State& state, const char* endpoint) {
  Fixtures& f = F();
  auto elapsed = Timed(state, [&](int i) { benchmark::DoNotOptimize(f.memory->Check(Key(i), endpoint)); });
  ReportAgainstRaw(state, elapsed, [&](int i) { benchmark::DoNotOptimize(f.raw_counter.Incr(Key(i))); });
}
void BM_MemoryCheck(benchmark::State& state) { MemoryCheck(state, "sliding"); }
void BM_MemoryCheckGcra(benchmark::State& state) { MemoryCheck(state, "gcra"); }
BENCHMARK(BM_MemoryCheck)->Name("memory/check");
BENCHMARK(BM_MemoryCheckGcra)->Name("memory/check_gcra");

void RedisCheck(benchmark::State& state, const char* endpoint) {
  if (!RequireRedis(state)) return;
  Fixtures& f = F();
  auto elapsed = Timed(state, [&](int i) { benchmark::DoNotOptimize(f.redis->Check(Key(i), endpoint)); });
  ReportAgainstRaw(state, elapsed, [&](int i) { f.raw_redis->IncrExpire(Key(i)); });
}
void BM_RedisCheck(benchmark::State& state) { RedisCheck(state, "sliding"); }
void BM_RedisCheckGcra(benchmark::State& state) { RedisCheck(state, "gcra"); }
BENCHMARK(BM_RedisCheck)->Name("redis/check")->UseRealTime();
BENCHMARK(BM_RedisCheckGcra)->Name("redis/check_gcra")->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!F().redis_url.empty()) {
    if (auto c = daira::backends::redis::RedisCache::Open(F().redis_url); c.ok()) {
      (void)(*c)->DeleteEverythingUnderPrefix();
    }
  }
  return 0;
}
