// A separate worker process for the bus conformance tests (tests/conformance/bus_test.cc).
//
//   bus_test_worker hang  DB_URL BUS_URL QUEUE       claims one job, prints "claimed <id> <token>", then
//                                                    blocks forever (the test SIGKILLs it mid-job)
//   bus_test_worker hang-batch DB_URL BUS_URL QUEUE N  claims a batch of up to N jobs at once (NextBatch),
//                                                    prints "claimed <id> <id> ...", then blocks forever
//   bus_test_worker drain DB_URL BUS_URL QUEUE OUT   claims and completes jobs until none is left,
//                                                    writing "<id>" lines to OUT
// Exit codes: 0 done, 1 an error (on stderr), 2 usage.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "daira/bus/queue.h"
#include "daira/store/database.h"

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "bus worker " << ::getpid() << ": " << s << "\n";
  return 1;
}

int Run(const std::string& mode, const std::string& db_url, const std::string& bus_url, const std::string& queue,
        const std::string& out_path) {
  auto db = daira::store::Database::Open(db_url);
  if (!db.ok()) return Fail(db.status());
  auto q = daira::bus::OpenQueue(bus_url, db->get(), db_url);
  if (!q.ok()) return Fail(q.status());
  daira::bus::Worker worker(**q, queue, "child:" + std::to_string(::getpid()));
  daira::RequestContext ctx;
  if (mode == "hang") {
    auto job = worker.Next(ctx, std::chrono::seconds(60));
    if (!job.ok()) return Fail(job.status());
    if (!job->has_value()) return Fail(absl::NotFoundError("no job within 60 s"));
    std::printf("claimed %lld %lld\n", static_cast<long long>((*job)->id),
                static_cast<long long>((*job)->lease_token));
    std::fflush(stdout);
    while (true) ::pause();
  }
  if (mode == "hang-batch") {
    auto jobs = worker.NextBatch(ctx, std::stoi(out_path), std::chrono::seconds(60));
    if (!jobs.ok()) return Fail(jobs.status());
    if (jobs->empty()) return Fail(absl::NotFoundError("no job within 60 s"));
    std::printf("claimed");
    for (const auto& j : *jobs) std::printf(" %lld", static_cast<long long>(j.id));
    std::printf("\n");
    std::fflush(stdout);
    while (true) ::pause();
  }
  FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) return 1;
  while (true) {
    auto job = worker.Next(ctx, std::chrono::milliseconds(0));
    if (!job.ok()) return Fail(job.status());
    if (!job->has_value()) break;
    std::fprintf(out, "%lld\n", static_cast<long long>((*job)->id));
    std::fflush(out);
    absl::Status done = worker.Complete(ctx, **job);
    if (!done.ok()) return Fail(done);
  }
  std::fclose(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "hang" && argc == 5) return Run(mode, argv[2], argv[3], argv[4], "");
  if (mode == "hang-batch" && argc == 6) return Run(mode, argv[2], argv[3], argv[4], argv[5]);
  if (mode == "drain" && argc == 6) return Run(mode, argv[2], argv[3], argv[4], argv[5]);
  std::cerr << "usage: bus_test_worker hang DB_URL BUS_URL QUEUE | hang-batch DB_URL BUS_URL QUEUE N | drain "
               "DB_URL BUS_URL QUEUE OUT\n";
  return 2;
}
