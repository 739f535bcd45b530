// Real-time hub: publish → receive latency in-process and over Redis (against a raw hiredis
// PUBLISH/SUBSCRIBE baseline in the same run), fan-out of one message to 1,000 subscribers, and the
// presence of 1,000 users in one call.
//
// Redis cases run when DAIRA_BENCH_REDIS or DAIRA_TEST_REDIS holds a redis:// URL (keys under a
// unique prefix, deleted afterwards). Counters: p50_us / p99_us (publish→receive, per message),
// raw_p50_us / raw_p99_us and p99_ratio_vs_raw (the raw hiredis PUBLISH baseline, the same number of
// messages, right after daira's loop), raw_script_p50_us / raw_script_p99_us and p99_ratio_vs_raw_script
// (the same raw loop publishing through the hub's own Lua script: the server-side work daira does for
// recovery, without daira's client), deliveries_per_s for fan-out. DAIRA_BENCH_RAW_VARIANTS=1 adds
// raw_function_* (the script as a Redis 7 Function) and raw_stream_* (XADD + XREAD BLOCK, no Lua).
//
//   ./build/release/bench/realtime_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/redis/redis_hub.h"
#include "daira/realtime/hub.h"
#include "daira/realtime/presence.h"

namespace {

using namespace std::chrono_literals;
namespace realtime = daira::realtime;
using Clock = std::chrono::steady_clock;

std::string RedisUrl() {
  for (const char* name : {"DAIRA_BENCH_REDIS", "DAIRA_TEST_REDIS"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
  }
  return "";
}

std::string Prefix() {
  static const std::string prefix =
      "daira-bench:" + std::to_string(::getpid()) + ":" + std::to_string(std::random_device{}()) + ":";
  return prefix;
}

std::string HubUrl(const std::string& backend) {
  if (backend == "memory") return "memory:";
  std::string url = RedisUrl();
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "prefix=" + Prefix();
}

// host/port of a redis://host:port/db URL (the raw baseline connects with hiredis directly).
bool HostPort(const std::string& url, std::string& host, int& port) {
  std::string rest = url.substr(url.find("://") + 3);
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  rest = rest.substr(0, rest.find_first_of("/?"));
  const auto colon = rest.find(':');
  host = rest.substr(0, colon);
  port = colon == std::string::npos ? 6379 : std::atoi(rest.substr(colon + 1).c_str());
  return !host.empty();
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Raw baseline: one hiredis connection publishes, another subscribed one reads. With `script`, each
// message is published the way daira's hub does it on the server — EVALSHA of the hub's own publish
// script (history stream entry, sequence, PUBLISH; RedisHubPublishScriptArgs) — so the difference to
// daira is what daira adds on the client (argument building, the pool, handing the message to the
// consumer, decoding).
//
// With DAIRA_BENCH_RAW_VARIANTS=1 two more (issue 13's go/no-go, docs/realtime.md "Publish cost"):
// kFunction runs the same script as a Redis 7 Function (FUNCTION LOAD + FCALL; the library is deleted
// afterwards), kStream delivers through the stream itself — a plain XADD `<epoch>-*` (no Lua, no
// PUBLISH) and a subscriber blocked in XREAD BLOCK 0, re-issued after each reply.
class RawClient {
 public:
  enum class Mode { kPublish, kScript, kFunction, kStream };
  static constexpr char kFunctionLibrary[] = "daira_bench_rt";

  RawClient(const std::string& url, Mode mode) : mode_(mode) {
    const bool script = mode == Mode::kScript || mode == Mode::kFunction;
    std::string host;
    int port = 0;
    if (!HostPort(url, host, port)) return;
    pub_ = redisConnect(host.c_str(), port);
    sub_ = redisConnect(host.c_str(), port);
    if (pub_ == nullptr || sub_ == nullptr || pub_->err || sub_->err) return;
    // The script publishes on the hub's pub/sub channel for topic "raw-script" ("raw-function").
    topic_ = mode == Mode::kFunction ? "raw-function" : "raw-script";
    channel_ = Prefix() + (script ? "rt:" + topic_ : "raw");
    const timeval five_s{5, 0};
    redisSetTimeout(sub_, five_s);
    redisSetTimeout(pub_, five_s);
    if (mode == Mode::kStream) {
      stream_ = Prefix() + "rt:{raw-stream}:s";
      if (!Ok(Command(pub_, {"XADD", stream_, "MAXLEN", "~", "1000", "1-1", "m", "start"}))) return;
      last_id_ = "1-1";
      ok_ = SendXread();
      return;
    }
    if (!Ok(Command(sub_, {"SUBSCRIBE", channel_}))) return;
    const std::string lua = daira::backends::redis::RedisHubPublishScript(1000, 86400000);  // the defaults
    if (mode == Mode::kScript) {
      redisReply* r = Command(pub_, {"SCRIPT", "LOAD", lua});
      if (r == nullptr || r->type != REDIS_REPLY_STRING) return;
      sha_.assign(r->str, r->len);
      freeReplyObject(r);
    } else if (mode == Mode::kFunction) {
      sha_ = std::string(kFunctionLibrary) + "_publish";
      if (!Ok(Command(pub_, {"FUNCTION", "LOAD", "REPLACE",
                             "#!lua name=" + std::string(kFunctionLibrary) + "\nredis.register_function('" +
                                 sha_ + "', function(KEYS, ARGV)\n" + lua + "\nend)\n"})))
        return;
    }
    ok_ = true;
  }
  ~RawClient() {
    if (mode_ == Mode::kFunction && pub_ != nullptr)
      Ok(Command(pub_, {"FUNCTION", "DELETE", kFunctionLibrary}));
    if (pub_ != nullptr) redisFree(pub_);
    if (sub_ != nullptr) redisFree(sub_);
  }
  bool ok() const { return ok_; }

  // One message published and received; µs, or -1 on error.
  double Sample(const std::string& payload) {
    const auto t0 = Clock::now();
    redisReply* r = nullptr;
    if (mode_ == Mode::kStream) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      const std::string m = std::to_string(us / 1000000) + ":" + std::to_string(us % 1000000) + ":" + payload;
      if (!Ok(Command(pub_, {"XADD", stream_, "NOMKSTREAM", "MAXLEN", "~", "1000", "1-*", "m", m})))
        return -1;
      void* reply = nullptr;
      if (redisGetReply(sub_, &reply) != REDIS_OK) return -1;
      // [[key, [[id, [field, value]], ...]]]: the last id read, and the next XREAD from it.
      auto* x = static_cast<redisReply*>(reply);
      if (x->type == REDIS_REPLY_ARRAY && x->elements == 1 && x->element[0]->elements == 2) {
        const redisReply* entries = x->element[0]->element[1];
        const redisReply* id =
            entries->elements > 0 ? entries->element[entries->elements - 1]->element[0] : nullptr;
        if (id != nullptr) last_id_.assign(id->str, id->len);
      }
      freeReplyObject(reply);
      if (!SendXread()) return -1;
      return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    }
    if (mode_ == Mode::kScript || mode_ == Mode::kFunction) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      const std::vector<std::string> args = daira::backends::redis::RedisHubPublishScriptArgs(
          Prefix(), topic_, epoch_id_, "1", std::to_string(us / 1000000) + ":" + std::to_string(us % 1000000),
          payload, false);
      const char* verb = mode_ == Mode::kScript ? "EVALSHA" : "FCALL";
      std::vector<const char*> argv = {verb, sha_.c_str()};
      std::vector<size_t> lens = {std::strlen(verb), sha_.size()};
      for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      r = static_cast<redisReply*>(
          redisCommandArgv(pub_, static_cast<int>(argv.size()), argv.data(), lens.data()));
      if (r != nullptr && r->type == REDIS_REPLY_STRING) {  // "<epoch>-<seq>"
        epoch_id_.assign(r->str, r->len);
        epoch_id_.replace(epoch_id_.find('-') + 1, std::string::npos, "*");
      }
    } else {
      const char* argv[] = {"PUBLISH", channel_.c_str(), payload.data()};
      const size_t lens[] = {7, channel_.size(), payload.size()};
      r = static_cast<redisReply*>(redisCommandArgv(pub_, 3, argv, lens));
    }
    if (r == nullptr) return -1;
    freeReplyObject(r);
    void* reply = nullptr;
    if (redisGetReply(sub_, &reply) != REDIS_OK) return -1;
    freeReplyObject(reply);
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }

 private:
  static redisReply* Command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  }
  // Frees `r`; whether it was a reply other than an error.
  static bool Ok(redisReply* r) {
    const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (r != nullptr) freeReplyObject(r);
    return ok;
  }
  // The subscriber's next XREAD BLOCK 0, sent without waiting for its reply.
  bool SendXread() {
    const char* argv[] = {"XREAD", "BLOCK", "0", "STREAMS", stream_.c_str(), last_id_.c_str()};
    const size_t lens[] = {5, 5, 1, 7, stream_.size(), last_id_.size()};
    if (redisAppendCommandArgv(sub_, 6, argv, lens) != REDIS_OK) return false;
    int done = 0;
    while (!done) {
      if (redisBufferWrite(sub_, &done) != REDIS_OK) return false;
    }
    return true;
  }

  Mode mode_;
  bool ok_ = false;
  redisContext* pub_ = nullptr;
  redisContext* sub_ = nullptr;
  std::string topic_, channel_, sha_, epoch_id_, stream_, last_id_;
};

void DeletePrefixKeys() {
  const std::string url = RedisUrl();
  std::string host;
  int port = 0;
  if (url.empty() || !HostPort(url, host, port)) return;
  redisContext* c = redisConnect(host.c_str(), port);
  if (c == nullptr || c->err) return;
  std::string cursor = "0";
  const std::string match = Prefix() + "*";
  do {
    const char* argv[] = {"SCAN", cursor.c_str(), "MATCH", match.c_str(), "COUNT", "1000"};
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, 6, argv, nullptr));
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) break;
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      const char* dargv[] = {"DEL", r->element[1]->element[i]->str};
      const size_t dlens[] = {3, r->element[1]->element[i]->len};
      freeReplyObject(redisCommandArgv(c, 2, dargv, dlens));
    }
    freeReplyObject(r);
  } while (cursor != "0");
  redisFree(c);
}

// One daira publish → receive; µs, or -1 on error. Not inlined, so that callgrind can count it alone
// (--toggle-collect='*DairaSample*').
[[gnu::noinline]] double DairaSample(realtime::Hub& hub, realtime::Subscription& sub,
                                     const std::string& payload) {
  const auto t0 = Clock::now();
  if (!hub.Publish("topic:bench", payload).ok()) return -1;
  if (!sub.Next(5000ms).ok()) return -1;
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

void SetPercentiles(benchmark::State& state, const std::string& name, std::vector<double>& us) {
  state.counters[name + "p50_us"] = Percentile(us, 0.50);
  state.counters[name + "p99_us"] = Percentile(us, 0.99);
  state.counters[name + "p999_us"] = Percentile(us, 0.999);
}

// Over Redis the raw baselines run interleaved with daira's samples (daira, raw PUBLISH, raw script — and
// with DAIRA_BENCH_RAW_VARIANTS=1 raw function and raw stream — in an order rotating per iteration), so a
// load change on the machine hits all alike. DAIRA_BENCH_RAW=0 leaves the baselines out (instruction
// counts of daira alone).
void BM_PublishReceive(benchmark::State& state, std::string backend) {
  if (backend == "redis" && RedisUrl().empty()) {
    state.SkipWithError("DAIRA_BENCH_REDIS / DAIRA_TEST_REDIS unset");
    return;
  }
  auto hub = realtime::OpenHub(HubUrl(backend));
  if (!hub.ok()) {
    state.SkipWithError(std::string(hub.status().message()).c_str());
    return;
  }
  auto sub = (*hub)->Subscribe("topic:bench");
  if (!sub.ok()) {
    state.SkipWithError(std::string(sub.status().message()).c_str());
    return;
  }
  const char* raw_env = std::getenv("DAIRA_BENCH_RAW");
  const char* variants_env = std::getenv("DAIRA_BENCH_RAW_VARIANTS");
  const bool with_raw = backend == "redis" && (raw_env == nullptr || std::string(raw_env) != "0");
  const bool with_variants = with_raw && variants_env != nullptr && std::string(variants_env) == "1";
  // The raw baselines, by counter prefix.
  std::vector<std::pair<std::string, std::unique_ptr<RawClient>>> raws;
  if (with_raw) {
    raws.emplace_back("raw_", std::make_unique<RawClient>(RedisUrl(), RawClient::Mode::kPublish));
    raws.emplace_back("raw_script_", std::make_unique<RawClient>(RedisUrl(), RawClient::Mode::kScript));
    if (with_variants) {
      raws.emplace_back("raw_function_", std::make_unique<RawClient>(RedisUrl(), RawClient::Mode::kFunction));
      raws.emplace_back("raw_stream_", std::make_unique<RawClient>(RedisUrl(), RawClient::Mode::kStream));
    }
    for (const auto& [name, raw] : raws) {
      if (!raw->ok()) {
        state.SkipWithError(("raw baseline " + name + ": cannot connect or set up").c_str());
        return;
      }
    }
  }
  const std::string payload(64, 'x');
  const size_t n = 1 + raws.size();
  std::vector<std::vector<double>> us(n);  // daira, then each raw baseline
  int64_t i = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < n; ++k) {
      const size_t which = (static_cast<size_t>(i) + k) % n;
      const double t =
          which == 0 ? DairaSample(**hub, **sub, payload) : raws[which - 1].second->Sample(payload);
      if (t < 0) {
        state.SkipWithError(which == 0 ? "daira: publish or receive failed" : "raw baseline failed");
        return;
      }
      us[which].push_back(t);
    }
    ++i;
  }
  SetPercentiles(state, "", us[0]);
  for (size_t r = 0; r < raws.size(); ++r) {
    const std::string& name = raws[r].first;
    SetPercentiles(state, name, us[r + 1]);
    const std::string ratio =
        name == "raw_" ? "_ratio_vs_raw" : "_ratio_vs_" + name.substr(0, name.size() - 1);
    for (const char* p : {"p50", "p99", "p999"}) {
      const std::string k = std::string(p) + "_us";
      if (state.counters[name + k] > 0)
        state.counters[std::string(p) + ratio] = state.counters[k] / state.counters[name + k];
    }
  }
}

void BM_FanOut(benchmark::State& state, std::string backend) {
  if (backend == "redis" && RedisUrl().empty()) {
    state.SkipWithError("DAIRA_BENCH_REDIS / DAIRA_TEST_REDIS unset");
    return;
  }
  const int n = static_cast<int>(state.range(0));
  auto hub = realtime::OpenHub(HubUrl(backend));
  if (!hub.ok()) {
    state.SkipWithError(std::string(hub.status().message()).c_str());
    return;
  }
  std::vector<std::unique_ptr<realtime::Subscription>> subs;
  for (int i = 0; i < n; ++i) {
    auto sub = (*hub)->Subscribe("topic:fanout");
    if (!sub.ok()) {
      state.SkipWithError(std::string(sub.status().message()).c_str());
      return;
    }
    subs.push_back(*std::move(sub));
  }
  int64_t deliveries = 0;
  for (auto _ : state) {
    if (!(*hub)->Publish("topic:fanout", "x").ok()) {
      state.SkipWithError("publish failed");
      break;
    }
    for (auto& s : subs) {
      if (!s->Next(5000ms).ok()) {
        state.SkipWithError("no message");
        return;
      }
      ++deliveries;
    }
  }
  state.counters["deliveries_per_s"] =
      benchmark::Counter(static_cast<double>(deliveries), benchmark::Counter::kIsRate);
}

void BM_PresenceGetMany(benchmark::State& state, std::string backend) {
  if (backend == "redis" && RedisUrl().empty()) {
    state.SkipWithError("DAIRA_BENCH_REDIS / DAIRA_TEST_REDIS unset");
    return;
  }
  auto hub = realtime::OpenHub(HubUrl(backend));
  if (!hub.ok()) {
    state.SkipWithError(std::string(hub.status().message()).c_str());
    return;
  }
  auto presence = realtime::Presence::Open(HubUrl(backend), **hub);
  if (!presence.ok()) {
    state.SkipWithError(std::string(presence.status().message()).c_str());
    return;
  }
  std::vector<daira::UserId> users;
  for (int i = 1; i <= state.range(0); ++i) {
    users.emplace_back(i);
    if (i % 2 == 0 && !(*presence)->Heartbeat(daira::UserId(i), "phone").ok()) {
      state.SkipWithError("heartbeat failed");
      return;
    }
  }
  for (auto _ : state) {
    auto rows = (*presence)->GetMany(users);
    if (!rows.ok()) {
      state.SkipWithError("get many failed");
      break;
    }
    benchmark::DoNotOptimize(rows->data());
  }
}

// DAIRA_BENCH_ITERATIONS=N fixes every case's iteration count (for instruction counts under callgrind,
// where the time-based default would run a handful of iterations).
void Fixed(benchmark::internal::Benchmark* b) {
  const char* v = std::getenv("DAIRA_BENCH_ITERATIONS");
  const int64_t n = v == nullptr ? 0 : std::strtoll(v, nullptr, 10);
  if (n > 0) b->Iterations(n);
}

BENCHMARK_CAPTURE(BM_PublishReceive, memory, std::string("memory"))->Apply(Fixed)->UseRealTime();
BENCHMARK_CAPTURE(BM_PublishReceive, redis, std::string("redis"))->Apply(Fixed)->UseRealTime();
BENCHMARK_CAPTURE(BM_FanOut, memory, std::string("memory"))->Arg(1000)->Apply(Fixed)->UseRealTime();
BENCHMARK_CAPTURE(BM_FanOut, redis, std::string("redis"))->Arg(1000)->Apply(Fixed)->UseRealTime();
BENCHMARK_CAPTURE(BM_PresenceGetMany, memory, std::string("memory"))->Arg(1000)->Apply(Fixed)->UseRealTime();
BENCHMARK_CAPTURE(BM_PresenceGetMany, redis, std::string("redis"))->Arg(1000)->Apply(Fixed)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  DeletePrefixKeys();
  return 0;
}
