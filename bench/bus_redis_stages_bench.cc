// The Redis bus's work per stage, for counting the Redis server's instructions and commands per job
// (docs/bus.md "Per-job cost, session 12"): no timing, one stage per run, so that a callgrind-run
// redis-server can be zeroed before and dumped after each stage from the shell.
//
//   valgrind --tool=callgrind redis-server --port 56391 --save '' --appendonly no &   # a private server
//   export DAIRA_BENCH_REDIS=redis://127.0.0.1:56391/0
//   redis-cli -p 56391 FLUSHALL; callgrind_control -z <pid>
//   ./build/release/bench/bus_redis_stages_bench enqueue 5000; callgrind_control -d <pid>
//   (claim / claimfinish: FLUSHALL, `enqueue 5000` first, then zero, run the stage, dump;
//    finish = claimfinish - claim; commands per job: CONFIG RESETSTAT, then INFO commandstats)
//
// Stages: enqueue N (EnqueueMany of 1,000), claim N (NextBatch of 64 until N are claimed), claimfinish N
// (NextBatch of 64 + FinishMany each). Keys under the prefix "stg:" (the caller's private server).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daira/bus/queue.h"
#include "daira/core/request_context.h"

namespace bus = daira::bus;

int main(int argc, char** argv) {
  const char* url = std::getenv("DAIRA_BENCH_REDIS");
  if (argc != 3 || url == nullptr) {
    std::fprintf(stderr, "usage: DAIRA_BENCH_REDIS=redis://... %s enqueue|claim|claimfinish N\n", argv[0]);
    return 2;
  }
  const std::string stage = argv[1];
  const int n = std::atoi(argv[2]);
  auto q = bus::OpenQueue(std::string(url) + "?prefix=stg:&timeout_ms=60000", nullptr, "");
  if (!q.ok()) {
    std::fprintf(stderr, "open: %s\n", std::string(q.status().message()).c_str());
    return 1;
  }
  daira::RequestContext ctx;
  const char* kQueue = "analytics.ingest";
  if (stage == "enqueue") {
    bus::EnqueueRequest r;
    r.queue = kQueue;
    r.name = "event";
    r.payload = R"({"user":42,"kind":"view"})";
    const std::vector<bus::EnqueueRequest> batch(1000, r);
    for (int i = 0; i < n / 1000; ++i) {
      if (auto s = (*q)->EnqueueMany(ctx, batch); !s.ok()) {
        std::fprintf(stderr, "enqueue: %s\n", std::string(s.status().message()).c_str());
        return 1;
      }
    }
    return 0;
  }
  if (stage != "claim" && stage != "claimfinish") {
    std::fprintf(stderr, "unknown stage '%s'\n", stage.c_str());
    return 2;
  }
  bus::Worker worker(**q, kQueue, "stages");
  int done = 0;
  while (done < n) {
    auto jobs = worker.NextBatch(ctx, 64, std::chrono::milliseconds(0));
    if (!jobs.ok() || jobs->empty()) {
      std::fprintf(stderr, "claim: no job after %d\n", done);
      return 1;
    }
    if (stage == "claimfinish") {
      std::vector<bus::Queue::JobOutcome> outcomes;
      for (const bus::Job& j : *jobs) outcomes.push_back({.job = &j});
      if (!worker.FinishMany(ctx, outcomes).ok()) {
        std::fprintf(stderr, "finish failed\n");
        return 1;
      }
    }
    done += static_cast<int>(jobs->size());
  }
  return 0;
}
