// Real-time hub: publish → receive latency in-process and over Redis (against a raw hiredis
// PUBLISH/SUBSCRIBE baseline in the same run), fan-out of one message to 1,000 subscribers, and the
// presence of 1,000 users in one call.
//
// Redis cases run when DAIRA_BENCH_REDIS or DAIRA_TEST_REDIS holds a redis:// URL (keys under a
// unique prefix, deleted afterwards). Counters: p50_us / p99_us (publish→receive, per message),
// raw_p50_us / raw_p99_us and p99_ratio_vs_raw (the raw hiredis PUBLISH baseline, the same number of
// messages, right after daira's loop), raw_script_p50_us / raw_script_p99_us and p99_ratio_vs_raw_script
// (the same raw loop publishing through the hub's own Lua script: the server-side work daira does for
// recovery, without daira's client), deliveries_per_s for fan-out.
//
//   ./build/release/bench/realtime_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
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

// Raw baseline: one hiredis connection publishes, another subscribed one reads; µs per message. With
// `script`, each message is published the way daira's hub does it on the server — EVALSHA of the hub's
// own publish script (sequence, history stream entry, PUBLISH) — so the difference to daira is what
// daira adds on the client (argument building, the pool, handing the message to the consumer, decoding).
std::vector<double> RawPublishReceive(const std::string& url, int64_t n, const std::string& payload,
                                      bool script) {
  std::string host;
  int port = 0;
  std::vector<double> out;
  if (!HostPort(url, host, port)) return out;
  redisContext* pub = redisConnect(host.c_str(), port);
  redisContext* sub = redisConnect(host.c_str(), port);
  if (pub == nullptr || sub == nullptr || pub->err || sub->err) return out;
  const std::string channel = Prefix() + (script ? "raw-script" : "raw");
  const char* sargv[] = {"SUBSCRIBE", channel.c_str()};
  freeReplyObject(redisCommandArgv(sub, 2, sargv, nullptr));
  std::string sha;
  if (script) {
    const std::string_view lua = daira::backends::redis::RedisHubPublishScript();
    const char* largv[] = {"SCRIPT", "LOAD", lua.data()};
    const size_t llens[] = {6, 4, lua.size()};
    auto* r = static_cast<redisReply*>(redisCommandArgv(pub, 3, largv, llens));
    if (r == nullptr || r->type != REDIS_REPLY_STRING) return out;
    sha.assign(r->str, r->len);
    freeReplyObject(r);
  }
  const std::string meta = channel + ":meta", stream = channel + ":history";
  for (int64_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (script) {  // KEYS meta, stream; ARGV channel, payload, history, candidate epoch, ttl ms, time
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      const std::string now = std::to_string(us / 1000000) + ":" + std::to_string(us % 1000000);
      const char* argv[] = {
          "EVALSHA",      sha.c_str(), "2", meta.c_str(), stream.c_str(), channel.c_str(),
          payload.data(), "1000",      "1", "86400000",   now.c_str()};  // the hub's defaults
      const size_t lens[] = {7, sha.size(), 1, meta.size(), stream.size(), channel.size(), payload.size(),
                             4, 1,          8, now.size()};
      freeReplyObject(redisCommandArgv(pub, 11, argv, lens));
    } else {
      const char* argv[] = {"PUBLISH", channel.c_str(), payload.data()};
      const size_t lens[] = {7, channel.size(), payload.size()};
      freeReplyObject(redisCommandArgv(pub, 3, argv, lens));
    }
    void* reply = nullptr;
    if (redisGetReply(sub, &reply) != REDIS_OK) break;
    freeReplyObject(reply);
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  redisFree(pub);
  redisFree(sub);
  return out;
}

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
  const std::string payload(64, 'x');
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (!(*hub)->Publish("topic:bench", payload).ok()) {
      state.SkipWithError("publish failed");
      break;
    }
    auto m = (*sub)->Next(5000ms);
    if (!m.ok()) {
      state.SkipWithError("no message");
      break;
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  state.counters["p50_us"] = Percentile(us, 0.50);
  state.counters["p99_us"] = Percentile(us, 0.99);
  if (backend == "redis") {
    std::vector<double> raw = RawPublishReceive(RedisUrl(), static_cast<int64_t>(us.size()), payload, false);
    const double raw_p99 = Percentile(raw, 0.99);
    state.counters["raw_p50_us"] = Percentile(raw, 0.50);
    state.counters["raw_p99_us"] = raw_p99;
    if (raw_p99 > 0) state.counters["p99_ratio_vs_raw"] = state.counters["p99_us"] / raw_p99;
    std::vector<double> raw_script =
        RawPublishReceive(RedisUrl(), static_cast<int64_t>(us.size()), payload, true);
    const double raw_script_p99 = Percentile(raw_script, 0.99);
    state.counters["raw_script_p50_us"] = Percentile(raw_script, 0.50);
    state.counters["raw_script_p99_us"] = raw_script_p99;
    if (raw_script_p99 > 0) state.counters["p99_ratio_vs_raw_script"] = state.counters["p99_us"] / raw_script_p99;
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

BENCHMARK_CAPTURE(BM_PublishReceive, memory, std::string("memory"))->UseRealTime();
BENCHMARK_CAPTURE(BM_PublishReceive, redis, std::string("redis"))->UseRealTime();
BENCHMARK_CAPTURE(BM_FanOut, memory, std::string("memory"))->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_FanOut, redis, std::string("redis"))->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_PresenceGetMany, memory, std::string("memory"))->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_PresenceGetMany, redis, std::string("redis"))->Arg(1000)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  DeletePrefixKeys();
  return 0;
}
