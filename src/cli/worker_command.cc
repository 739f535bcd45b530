// `daira worker QUEUE... --exec CMD`: runs the named queues' jobs as a process (docs/cli.md, docs/bus.md).
// Each job runs `/bin/sh -c CMD` with the payload on stdin and DAIRA_JOB_ID, DAIRA_JOB_QUEUE,
// DAIRA_JOB_NAME, DAIRA_JOB_ATTEMPT, DAIRA_CORRELATION_ID in its environment. Exit 0 completes the job
// (stdout becomes its result when it is JSON); anything else fails the attempt with the exit status and
// the end of stderr (retry with backoff, then the dead letters).
//   --drain                 relay the outbox (redis:// bus), then run jobs until none is due on any
//                           named queue, then exit (one at a time)
//   otherwise               bus::WorkerPool with each queue's concurrency (or --concurrency) until
//                           SIGINT/SIGTERM, then a graceful shutdown within --shutdown-timeout-ms
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/bus/queue.h"
#include "daira/bus/worker_pool.h"
#include "daira/core/json.h"
#include "fmt/format.h"

extern char** environ;

namespace daira::inline v0::cli {
namespace {

struct WorkerArgs {
  std::vector<std::string> queues;
  std::string exec;
  std::string bus;
  int concurrency = 0;
  int64_t shutdown_timeout_ms = 10000;
  bool drain = false;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the command for `job`; returns the result JSON ("" for none) or the failure.
absl::StatusOr<std::string> RunCommand(const std::string& command, const bus::Job& job) {
  const std::string base = (std::filesystem::temp_directory_path() /
                            fmt::format("daira-worker-{}-{}-{}", ::getpid(), job.id, job.lease_token))
                               .string();
  const std::string in_path = base + ".in", out_path = base + ".out", err_path = base + ".err";
  {
    std::ofstream in(in_path, std::ios::binary);
    in << job.payload;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.push_back(fmt::format("DAIRA_JOB_ID={}", job.id));
  env.push_back("DAIRA_JOB_QUEUE=" + job.queue.str());
  env.push_back("DAIRA_JOB_NAME=" + job.name.str());
  env.push_back(fmt::format("DAIRA_JOB_ATTEMPT={}", job.attempt));
  env.push_back("DAIRA_CORRELATION_ID=" + job.correlation_id.str());
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  const bool ran = rc == 0 && waitpid(pid, &status, 0) == pid;
  std::string out = ReadAll(out_path), err = ReadAll(err_path);
  for (const std::string& p : {in_path, out_path, err_path}) std::remove(p.c_str());
  if (!ran) return absl::InternalError("cannot run /bin/sh");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out.empty() || !ParseJson(out).ok() ? std::string() : out;
  }
  if (err.size() > 1000) err = "…" + err.substr(err.size() - 1000);
  while (!err.empty() && err.back() == '\n') err.pop_back();
  const std::string how = WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status))
                                            : fmt::format("signal {}", WTERMSIG(status));
  return absl::UnknownError(err.empty() ? how : how + ": " + err);
}

int Run(const GlobalOptions& globals, const WorkerArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  const std::string url = args.bus.empty() ? std::string((*db)->dialect().name()) + ":" : args.bus;
  auto queue = bus::OpenQueue(url, db->get(), globals.database);
  if (!queue.ok()) return FailStatus("--bus", queue.status());
  bus::Queue& q = **queue;
  for (const std::string& name : args.queues) {
    if (q.Settings(name) == nullptr)
      return Fail(kExitUsage, fmt::format("queue: '{}' is not a configured queue", name));
  }
  auto handler = [&args](const RequestContext&, const bus::Job& job) { return RunCommand(args.exec, job); };

  if (args.drain) {
    int64_t done = 0, failed = 0;
    RequestContext ctx(
        {.correlation_id = "", .caller = "cli:worker", .timeout = std::chrono::milliseconds(0)});
    // A redis:// bus on the database: move the committed outbox rows to Redis first (docs/bus.md).
    while (true) {
      auto relayed = q.RelayOutbox(ctx);
      if (!relayed.ok()) return FailStatus("worker", relayed.status());
      if (*relayed < 500) break;
    }
    bool any = true;
    while (any) {
      any = false;
      for (const std::string& name : args.queues) {
        bus::Worker worker(q, name, bus::DefaultWorkerId("cli"));
        auto job = worker.Next(ctx, std::chrono::milliseconds(0));
        if (!job.ok()) return FailStatus("worker", job.status());
        if (!job->has_value()) continue;
        any = true;
        auto result = handler(ctx, **job);
        absl::Status s = result.ok() ? worker.Complete(ctx, **job, *result)
                                     : worker.Fail(ctx, **job, std::string(result.status().message()));
        if (!s.ok()) return FailStatus("worker", s);
        ++(result.ok() ? done : failed);
      }
    }
    fmt::print("completed {}  failed {}\n", done, failed);
    return kExitOk;
  }

  // Block SIGINT/SIGTERM in every thread (the pool's inherit this mask) and wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  bus::WorkerPool pool(q, {.worker_id_prefix = bus::DefaultWorkerId("cli")});
  for (const std::string& name : args.queues) {
    absl::Status s = pool.Handle(name, handler, args.concurrency);
    if (!s.ok()) return FailStatus("worker", s);
  }
  absl::Status started = pool.Start();
  if (!started.ok()) return FailStatus("worker", started);
  fmt::print(stderr, "daira worker: running {} (SIGINT/SIGTERM to stop)\n", fmt::join(args.queues, ", "));
  int sig = 0;
  sigwait(&stop, &sig);
  pool.Shutdown(std::chrono::milliseconds(args.shutdown_timeout_ms));
  fmt::print("completed {}  failed {}  released {}\n", pool.processed(), pool.failed(), pool.released());
  return kExitOk;
}

}  // namespace

Command AddWorkerCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* app =
      root.add_subcommand("worker", "run event bus jobs of the named queues with a shell command");
  app->add_option("queues", args->queues, "queue names (docs/bus.md)")->required();
  app->add_option("--exec", args->exec, "command run per job by /bin/sh -c (payload on stdin)")->required();
  app->add_option("--bus", args->bus, "bus URL (default: the database's own, sqlite: or postgres:)");
  app->add_option("--concurrency", args->concurrency, "threads per queue (default: the queue's setting)")
      ->check(CLI::Range(0, 1024));
  app->add_option("--shutdown-timeout-ms", args->shutdown_timeout_ms,
                  "on SIGINT/SIGTERM, how long running jobs may finish before they are released")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}))
      ->capture_default_str();
  app->add_flag("--drain", args->drain, "run jobs until none is due on any named queue, then exit");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
