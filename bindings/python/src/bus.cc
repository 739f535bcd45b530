// p.bus: the event bus (docs/bus.md) from Python — enqueue (optionally inside the open transaction,
// tx=), a pull-first worker iterator yielding Job objects, counts, pause/resume, dead letters, replay.
//
//   p.bus.enqueue("video.transcode", "transcode", {"video_id": 42}, key="video:42")
//   for job in p.bus.jobs("video.transcode", worker="w1", timeout=1.0):   # ends after 1 s with no job
//       job.progress(50)
//       job.complete({"ok": True})                                         # or job.fail("message")
//
// Thin: payloads, results and progress cross as JSON text (json.dumps / json.loads on the Python side
// of the call); every daira call runs with the GIL released (Core::Call / CallIn). A blocking wait for a
// job is cut into short slices so Platform.close() never waits long for it and Ctrl-C is seen between
// slices. Nothing of daira's calls back into Python. Repeatable jobs: add_repeatable / repeatables /
// remove_repeatable.
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "daira/bus/job.h"
#include "daira/bus/queue.h"
#include "daira/core/status.h"
#include "module.h"
#include "sliced_wait.h"
#include "transaction.h"

namespace daira::python {

namespace {

std::string ToJson(const py::handle& v) {
  return py::cast<std::string>(py::module_::import("json").attr("dumps")(v));
}
py::object FromJson(std::string_view s) {
  if (s.empty()) return py::none();
  return py::module_::import("json").attr("loads")(py::str(s.data(), s.size()));
}

// A repeatable definition as a dict (every in seconds or None; cron or None).
py::dict RepeatableDict(const bus::Repeatable& d) {
  py::dict out;
  out["queue"] = d.queue;
  out["key"] = d.key;
  out["name"] = d.name;
  out["payload"] = FromJson(d.payload);
  out["every"] = d.cron.empty() ? py::object(py::float_(static_cast<double>(d.every.count()) / 1000.0))
                                : py::object(py::none());
  out["cron"] = d.cron.empty() ? py::object(py::none()) : py::object(py::str(d.cron));
  out["priority"] = d.priority;
  out["max_attempts"] = d.max_attempts;
  out["next_run_at"] = ToDatetime(d.next_run_at);
  out["last_run_at"] = d.last_run_at == Clock::TimePoint{} ? py::object(py::none()) : ToDatetime(d.last_run_at);
  return out;
}

// A claimed (or listed) job; the claim's lease token fences complete/fail/progress.
struct PyJob {
  CorePtr core;
  bus::Job job;
};

bus::EnqueueRequest MakeRequest(const std::string& queue, const std::string& name, const py::handle& payload,
                                double delay, int priority, const std::string& key, const std::string& group,
                                int max_attempts) {
  bus::EnqueueRequest r;
  r.queue = queue;
  r.name = name;
  r.payload = payload.is_none() ? "{}" : ToJson(payload);
  r.priority = priority;
  r.delay = SecondsArg("bus.enqueue", "delay", delay);
  r.max_attempts = max_attempts;
  r.idempotency_key = key;
  r.group_key = group;
  return r;
}

// Waits up to `timeout` (nullopt: forever) for the next job of `queue`, in slices; nullopt on timeout.
std::optional<PyJob> NextJob(const CorePtr& core, const std::string& queue, const std::string& worker,
                             std::optional<double> timeout) {
  SlicedWait wait("bus.jobs", timeout);
  for (;;) {
    const std::chrono::milliseconds slice = wait.Slice();
    std::optional<bus::Job> job =
        core->Call([&](Platform& p) { return p.bus().Next(Ctx(), queue, worker, slice); });
    if (job.has_value()) return PyJob{core, *std::move(job)};
    if (wait.Expired()) return std::nullopt;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
}

// NextJob for a batch: up to `max_jobs` claimed at once (bus::Queue::NextBatch); [] on timeout.
std::vector<PyJob> NextJobs(const CorePtr& core, const std::string& queue, const std::string& worker,
                            int max_jobs, std::optional<double> timeout) {
  if (max_jobs < 1 || max_jobs > 1000) {
    Throw(InvalidField("bus.next_batch", "max_jobs",
                       "must be in [1, 1000] (got " + std::to_string(max_jobs) + ")"));
  }
  SlicedWait wait("bus.next_batch", timeout);
  for (;;) {
    const std::chrono::milliseconds slice = wait.Slice();
    std::vector<bus::Job> jobs =
        core->Call([&](Platform& p) { return p.bus().NextBatch(Ctx(), queue, worker, max_jobs, slice); });
    if (!jobs.empty() || wait.Expired()) {
      std::vector<PyJob> out;
      out.reserve(jobs.size());
      for (bus::Job& j : jobs) out.push_back(PyJob{core, std::move(j)});
      return out;
    }
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
}

// finish_many's outcomes ({'job': Job, 'result': value} or {'job': Job, 'error': message}) as the
// queue's JobOutcomes; `held` keeps the jobs they point at. `op` names the call in errors.
struct HeldOutcomes {
  std::vector<PyJob> held;
  std::vector<bus::Queue::JobOutcome> outcomes;
};

void ParseOutcomes(const char* op, const py::list& items, HeldOutcomes& out) {
  out.held.reserve(items.size());
  std::vector<std::pair<bool, std::string>> parsed;
  for (size_t i = 0; i < items.size(); ++i) {
    py::dict d = py::cast<py::dict>(items[i]);
    const std::string field = "outcomes[" + std::to_string(i) + "]";
    if (!d.contains("job")) Throw(InvalidField(op, field + ".job", "is required"));
    out.held.push_back(py::cast<PyJob>(d["job"]));
    if (d.contains("error")) {
      parsed.emplace_back(true, py::cast<std::string>(d["error"]));
    } else {
      py::object result =
          d.contains("result") ? py::reinterpret_borrow<py::object>(d["result"]) : py::object(py::none());
      parsed.emplace_back(false, result.is_none() ? "" : ToJson(result));
    }
  }
  out.outcomes.reserve(out.held.size());
  for (size_t i = 0; i < out.held.size(); ++i) {
    out.outcomes.push_back({.job = &out.held[i].job, .failed = parsed[i].first, .text = std::move(parsed[i].second)});
  }
}

// One bool per outcome: false when that job's lease was lost; any other error is raised.
std::vector<bool> FinishedFlags(std::vector<absl::Status>& done) {
  std::vector<bool> out;
  out.reserve(done.size());
  for (absl::Status& st : done) {
    if (!st.ok() && !absl::IsFailedPrecondition(st)) Throw(std::move(st));
    out.push_back(st.ok());
  }
  return out;
}

struct JobIterator {
  CorePtr core;
  std::string queue;
  std::string worker;
  std::optional<double> timeout;
};

py::dict CountsDict(const bus::QueueCounts& c) {
  py::dict d;
  d["queue"] = c.queue;
  d["waiting"] = c.waiting;
  d["delayed"] = c.delayed;
  d["active"] = c.active;
  d["completed"] = c.completed;
  d["dead"] = c.dead;
  d["cancelled"] = c.cancelled;
  d["paused"] = c.paused;
  return d;
}

py::dict LatencyDict(const bus::LatencyPercentiles& l) {
  py::dict d;
  d["samples"] = l.samples;
  d["p50_us"] = l.p50.count();
  d["p99_us"] = l.p99.count();
  return d;
}

py::dict MetricsDict(const bus::QueueMetrics& m) {
  py::dict d;
  d["queue"] = m.queue;
  d["span_s"] = m.span.count();
  d["completed"] = m.completed;
  d["failed"] = m.failed;
  d["throughput"] = m.throughput;
  d["wait"] = LatencyDict(m.wait);
  d["run"] = LatencyDict(m.run);
  return d;
}

std::string StateName(bus::JobState s) {
  std::string out(bus::JobStateName(s));
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bus::JobState ParseState(const std::string& s) {
  if (s == "waiting") return bus::JobState::kWaiting;
  if (s == "active") return bus::JobState::kActive;
  if (s == "completed") return bus::JobState::kCompleted;
  if (s == "dead") return bus::JobState::kDead;
  if (s == "cancelled") return bus::JobState::kCancelled;
  Throw(InvalidField("bus.list", "state",
                     "must be waiting, active, completed, dead or cancelled (got \"" + s + "\")"));
}

std::vector<PyJob> Wrap(const CorePtr& core, std::vector<bus::Job> jobs) {
  std::vector<PyJob> out;
  out.reserve(jobs.size());
  for (bus::Job& j : jobs) out.push_back(PyJob{core, std::move(j)});
  return out;
}

}  // namespace

void RegisterBus(py::module_& m) {
  py::class_<PyJob>(m, "Job",
                    "A job on the event bus. One yielded by Bus.jobs() holds a lease: finish it with\n"
                    "complete(result) or fail(message). Once the lease expired or another worker took the\n"
                    "job over, these raise daira.FailedPrecondition ('lease lost') and change nothing.")
      .def_property_readonly("id", [](const PyJob& j) { return j.job.id; })
      .def_property_readonly("queue", [](const PyJob& j) { return j.job.queue.str(); })
      .def_property_readonly("name", [](const PyJob& j) { return j.job.name.str(); })
      .def_property_readonly(
          "payload", [](const PyJob& j) { return FromJson(j.job.payload); },
          "The payload, decoded from JSON.")
      .def_property_readonly("priority", [](const PyJob& j) { return j.job.priority; })
      .def_property_readonly(
          "state", [](const PyJob& j) { return StateName(j.job.state); },
          "'waiting', 'active', 'completed', 'dead' or 'cancelled'.")
      .def_property_readonly("attempt", [](const PyJob& j) { return j.job.attempt; })
      .def_property_readonly("max_attempts", [](const PyJob& j) { return j.job.max_attempts; })
      .def_property_readonly("key", [](const PyJob& j) { return j.job.idempotency_key.str(); })
      .def_property_readonly("group", [](const PyJob& j) { return j.job.group_key.str(); })
      .def_property_readonly("correlation_id", [](const PyJob& j) { return j.job.correlation_id.str(); })
      .def_property_readonly("worker", [](const PyJob& j) { return j.job.lease_owner.str(); })
      .def_property_readonly("run_at", [](const PyJob& j) { return ToDatetime(j.job.run_at); })
      .def_property_readonly(
          "progress_value", [](const PyJob& j) { return FromJson(j.job.progress); },
          "The last progress() value (decoded), None if never set.")
      .def_property_readonly("result", [](const PyJob& j) { return FromJson(j.job.result); })
      .def_property_readonly(
          "errors",
          [](const PyJob& j) {
            py::list out;
            for (const bus::JobError& e : j.job.errors) {
              py::dict d;
              d["attempt"] = e.attempt;
              d["at"] = ToDatetime(e.at);
              d["worker"] = e.worker;
              d["message"] = e.message;
              out.append(d);
            }
            return out;
          },
          "One dict per failed attempt (attempt, at, worker, message), oldest first.")
      .def(
          "complete",
          [](PyJob& j, py::object result) {
            std::string json = result.is_none() ? "" : ToJson(result);
            j.core->Call([&](Platform& p) { return p.bus().Complete(Ctx(), j.job, json); });
          },
          py::arg("result") = py::none(), "Completes the job; result (JSON-serializable) is stored with it.")
      .def(
          "fail",
          [](PyJob& j, const std::string& message) {
            j.core->Call([&](Platform& p) { return p.bus().Fail(Ctx(), j.job, message); });
          },
          py::arg("message"),
          "Fails this attempt: retried after the queue's backoff, or dead after max_attempts.")
      .def(
          "progress",
          [](PyJob& j, py::object value) {
            std::string json = ToJson(value);
            j.core->Call([&](Platform& p) { return p.bus().Progress(Ctx(), j.job, json); });
          },
          py::arg("value"), "Records progress (any JSON-serializable value, e.g. a percentage).")
      .def(
          "cancel_requested",
          [](PyJob& j) {
            return j.core->Call([&](Platform& p) { return p.bus().CancelRequested(Ctx(), j.job); });
          },
          "True once bus.cancel() was called on this running job: stop, then fail() (it ends cancelled).")
      .def(
          "release",
          [](PyJob& j) { j.core->Call([&](Platform& p) { return p.bus().Release(Ctx(), j.job); }); },
          "Gives the job back unrun, without spending an attempt.")
      .def("__repr__", [](const PyJob& j) {
        return "Job(id=" + std::to_string(j.job.id) + ", queue=" + Repr(py::str(j.job.queue.str())) +
               ", name=" + Repr(py::str(j.job.name.str())) +
               ", state=" + Repr(py::str(StateName(j.job.state))) +
               ", attempt=" + std::to_string(j.job.attempt) + ")";
      });

  py::class_<JobIterator>(m, "JobIterator", "Yields claimed Jobs; ends after `timeout` seconds with none.")
      .def(
          "__iter__", [](JobIterator& it) -> JobIterator& { return it; },
          py::return_value_policy::reference_internal)
      .def("__next__", [](JobIterator& it) {
        std::optional<PyJob> j = NextJob(it.core, it.queue, it.worker, it.timeout);
        if (!j.has_value()) throw py::stop_iteration();
        return *std::move(j);
      });

  py::class_<BusApi>(m, "Bus", "The event bus (docs/bus.md): named queues, workers, retries, dead letters.")
      .def_property_readonly("backend",
                             [](BusApi& a) {
                               return a.core->Call([](Platform& p) {
                                 return absl::StatusOr<std::string>(std::string(p.bus().Name()));
                               });
                             })
      .def(
          "enqueue",
          [](BusApi& a, const std::string& queue, const std::string& name, py::object payload, double delay,
             int priority, const std::string& key, const std::string& group, int max_attempts, TxState* tx) {
            bus::EnqueueRequest r =
                MakeRequest(queue, name, payload, delay, priority, key, group, max_attempts);
            bus::EnqueueResult res = CallIn(
                a.core, tx, [&](Platform& p, const RequestContext& ctx) { return p.bus().Enqueue(ctx, r); });
            return res.id;
          },
          py::arg("queue"), py::arg("name") = "", py::arg("payload") = py::none(), py::kw_only(),
          py::arg("delay") = 0.0, py::arg("priority") = 0, py::arg("key") = "", py::arg("group") = "",
          py::arg("max_attempts") = 0, py::arg("tx") = py::none(),
          "Enqueues one job → its id (the earlier job's id when `key` deduplicates it). payload: any\n"
          "JSON-serializable value. delay: seconds. max_attempts: 0 = the queue's. tx: enqueue inside that\n"
          "open transaction (the job exists iff it commits; sqlite:/postgres: buses).")
      .def(
          "enqueue_many",
          [](BusApi& a, const py::list& jobs, TxState* tx) {
            std::vector<bus::EnqueueRequest> reqs;
            for (const py::handle& h : jobs) {
              py::dict d = py::cast<py::dict>(h);
              auto get = [&](const char* k, py::object dflt) {
                return d.contains(k) ? py::reinterpret_borrow<py::object>(d[k]) : dflt;
              };
              if (!d.contains("queue"))
                Throw(InvalidField("bus.enqueue_many", "queue", "is required in every job"));
              reqs.push_back(MakeRequest(
                  py::cast<std::string>(d["queue"]), py::cast<std::string>(get("name", py::str(""))),
                  get("payload", py::none()), py::cast<double>(get("delay", py::float_(0.0))),
                  py::cast<int>(get("priority", py::int_(0))), py::cast<std::string>(get("key", py::str(""))),
                  py::cast<std::string>(get("group", py::str(""))),
                  py::cast<int>(get("max_attempts", py::int_(0)))));
            }
            std::vector<bus::EnqueueResult> res = CallIn(
                a.core, tx,
                [&](Platform& p, const RequestContext& ctx) { return p.bus().EnqueueMany(ctx, reqs); });
            std::vector<int64_t> ids;
            for (const bus::EnqueueResult& r : res) ids.push_back(r.id);
            return ids;
          },
          py::arg("jobs"), py::kw_only(), py::arg("tx") = py::none(),
          "Enqueues every job (dicts with enqueue()'s argument names) atomically → their ids.")
      .def(
          "next",
          [](BusApi& a, const std::string& queue, const std::string& worker, std::optional<double> timeout) {
            std::optional<PyJob> j = NextJob(a.core, queue, worker, timeout);
            return j.has_value() ? py::cast(*std::move(j)) : py::object(py::none());
          },
          py::arg("queue"), py::kw_only(), py::arg("worker") = "", py::arg("timeout") = 0.0,
          "Claims the next due job of `queue`, waiting up to `timeout` seconds (None: forever) → Job or "
          "None.")
      .def(
          "next_batch",
          [](BusApi& a, const std::string& queue, int max_jobs, const std::string& worker,
             std::optional<double> timeout) { return NextJobs(a.core, queue, worker, max_jobs, timeout); },
          py::arg("queue"), py::kw_only(), py::arg("max_jobs") = 10, py::arg("worker") = "",
          py::arg("timeout") = 0.0,
          "Batch consume: claims up to `max_jobs` (1..1000) due jobs of `queue` in one round trip, in\n"
          "next()'s order, each with its own lease; waits up to `timeout` seconds (None: forever) for at\n"
          "least one → list of Jobs ([] on timeout).")
      .def(
          "finish_many",
          [](BusApi& a, const py::list& items) {
            HeldOutcomes h;
            ParseOutcomes("bus.finish_many", items, h);
            std::vector<absl::Status> done =
                a.core->Call([&](Platform& p) { return p.bus().FinishMany(Ctx(), h.outcomes); });
            return FinishedFlags(done);
          },
          py::arg("outcomes"),
          "Batched completion: finishes many claimed jobs in one transaction / script. Each outcome is a\n"
          "dict {'job': Job, 'result': value} (complete) or {'job': Job, 'error': message} (fail this\n"
          "attempt) → one bool per outcome, False when that job's lease was lost (fencing is per job: the\n"
          "others still finish). A result that is not JSON-serializable finishes nothing.")
      .def(
          "finish_many_and_next_batch",
          [](BusApi& a, const py::list& items, const std::string& queue, int max_jobs, const std::string& worker,
             std::optional<double> timeout) {
            constexpr const char* kOp = "bus.finish_many_and_next_batch";
            HeldOutcomes h;
            ParseOutcomes(kOp, items, h);
            // The fused call waits one slice at most (signals are checked between slices); a longer wait
            // goes on as next_batch with what is left.
            const auto start = std::chrono::steady_clock::now();
            const std::chrono::milliseconds slice =
                timeout.has_value() ? std::min(kWaitSlice, SecondsArg(kOp, "timeout", *timeout)) : kWaitSlice;
            bus::Queue::FinishedAndClaimed fc = a.core->Call([&](Platform& p) {
              return p.bus().FinishManyAndNextBatch(Ctx(), h.outcomes, queue, worker, max_jobs, slice);
            });
            std::vector<bool> finished = FinishedFlags(fc.finished);
            if (!fc.claim_status.ok()) Throw(std::move(fc.claim_status));  // the finish was applied
            std::vector<PyJob> jobs = Wrap(a.core, std::move(fc.claimed));
            const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (jobs.empty() && (!timeout.has_value() || spent < *timeout)) {
              jobs = NextJobs(a.core, queue, worker, max_jobs,
                              timeout.has_value() ? std::optional<double>(*timeout - spent) : std::nullopt);
            }
            return py::make_tuple(finished, jobs);
          },
          py::arg("outcomes"), py::arg("queue"), py::kw_only(), py::arg("max_jobs") = 10, py::arg("worker") = "",
          py::arg("timeout") = 0.0,
          "finish_many(outcomes), then next_batch(queue, ...) in one call → (one bool per outcome, list of\n"
          "Jobs). On sqlite:/postgres: buses (no rate limit, no round-robin groups) the finish and the first\n"
          "claim are one transaction and one commit (postgres: one round trip). The finish is never held\n"
          "back by the wait. A bad argument (max_jobs, queue, an outcome) finishes nothing; a claim error\n"
          "after the finish committed is raised (the outcomes stay applied).")
      .def(
          "jobs",
          [](BusApi& a, const std::string& queue, const std::string& worker, std::optional<double> timeout) {
            return JobIterator{a.core, queue, worker, timeout};
          },
          py::arg("queue"), py::kw_only(), py::arg("worker") = "", py::arg("timeout") = py::none(),
          "Iterator of claimed Jobs of `queue` as worker `worker`; it ends once `timeout` seconds pass\n"
          "with no job (None: never). Each Job must be completed or failed by the loop body.")
      .def(
          "get",
          [](BusApi& a, int64_t id) {
            return PyJob{a.core, a.core->Call([&](Platform& p) { return p.bus().Get(Ctx(), id); })};
          },
          py::arg("id"), "The job with `id` (NotFound when there is none).")
      .def(
          "cancel",
          [](BusApi& a, int64_t id) { a.core->Call([&](Platform& p) { return p.bus().Cancel(Ctx(), id); }); },
          py::arg("id"),
          "Cancels a job: a waiting one at once; a running one gets a signal (Job.cancel_requested()),\n"
          "and ends 'cancelled' (not retried) when its worker then fails or releases it.")
      .def(
          "counts",
          [](BusApi& a, const std::string& queue) {
            return CountsDict(a.core->Call([&](Platform& p) { return p.bus().Counts(Ctx(), queue); }));
          },
          py::arg("queue"),
          "Counts of `queue`: waiting, delayed, active, completed, dead, cancelled, paused.")
      .def(
          "stats",
          [](BusApi& a) {
            py::list out;
            std::vector<bus::QueueSettings> queues = a.core->Call([](Platform& p) {
              return absl::StatusOr<std::vector<bus::QueueSettings>>(p.bus().options().queues);
            });
            for (const bus::QueueSettings& q : queues) {
              py::dict d =
                  CountsDict(a.core->Call([&](Platform& p) { return p.bus().Counts(Ctx(), q.name); }));
              for (int minutes : {1, 5}) {
                d[minutes == 1 ? "last_1m" : "last_5m"] = MetricsDict(a.core->Call([&](Platform& p) {
                  return p.bus().Metrics(Ctx(), q.name, std::chrono::minutes(minutes));
                }));
              }
              out.append(std::move(d));
            }
            return out;
          },
          "counts() of every configured queue, each with its metrics() over the last 1 and 5 minutes\n"
          "('last_1m', 'last_5m').")
      .def(
          "metrics",
          [](BusApi& a, const std::string& queue, int window_minutes) {
            return MetricsDict(a.core->Call([&](Platform& p) {
              return p.bus().Metrics(Ctx(), queue, std::chrono::minutes(window_minutes));
            }));
          },
          py::arg("queue"), py::kw_only(), py::arg("window_minutes") = 1,
          "Run-time metrics of `queue` kept by the bus (every process sees them): attempts completed and\n"
          "failed over the last `window_minutes` (1..60) plus the current minute so far ('span_s'),\n"
          "'throughput' (attempts/s), and 'wait' (due -> start) and 'run' (start -> finish) as\n"
          "{samples, p50_us, p99_us}: bucket upper bounds, at most 41% above the true value.")
      .def(
          "pause",
          [](BusApi& a, const std::string& q) {
            a.core->Call([&](Platform& p) { return p.bus().Pause(Ctx(), q); });
          },
          py::arg("queue"), "Stops claims from `queue` (enqueue still works).")
      .def(
          "resume",
          [](BusApi& a, const std::string& q) {
            a.core->Call([&](Platform& p) { return p.bus().Resume(Ctx(), q); });
          },
          py::arg("queue"))
      .def(
          "list",
          [](BusApi& a, const std::string& q, const std::string& state, int limit) {
            bus::JobState s = ParseState(state);
            return Wrap(a.core, a.core->Call([&](Platform& p) { return p.bus().List(Ctx(), q, s, limit); }));
          },
          py::arg("queue"), py::kw_only(), py::arg("state") = "waiting", py::arg("limit") = 100,
          "Jobs of `queue` in `state` (waiting | active | completed | dead | cancelled).")
      .def(
          "dead",
          [](BusApi& a, const std::string& q, int limit) {
            return Wrap(a.core, a.core->Call([&](Platform& p) {
              return p.bus().List(Ctx(), q, bus::JobState::kDead, limit);
            }));
          },
          py::arg("queue"), py::kw_only(), py::arg("limit") = 100, "The dead letters of `queue`.")
      .def(
          "replay",
          [](BusApi& a, const std::string& q, std::vector<int64_t> ids) {
            return a.core->Call([&](Platform& p) { return p.bus().Replay(Ctx(), q, ids); });
          },
          py::arg("queue"), py::arg("ids") = std::vector<int64_t>{},
          "Makes dead jobs of `queue` (all, or `ids`) waiting again with a fresh attempt budget → how many.")
      .def(
          "add_repeatable",
          [](BusApi& a, const std::string& queue, const std::string& key, std::optional<double> every,
             const std::string& cron, const std::string& name, const py::object& payload, int priority,
             int max_attempts) {
            bus::RepeatableRequest r;
            r.queue = queue;
            r.key = key;
            r.name = name;
            r.payload = payload.is_none() ? "{}" : ToJson(payload);
            if (every.has_value()) r.every = SecondsArg("bus.add_repeatable", "every", *every);
            r.cron = cron;
            r.priority = priority;
            r.max_attempts = max_attempts;
            return RepeatableDict(a.core->Call([&](Platform& p) { return p.bus().AddRepeatable(Ctx(), r); }));
          },
          py::arg("queue"), py::arg("key"), py::kw_only(), py::arg("every") = py::none(),
          py::arg("cron") = "", py::arg("name") = "", py::arg("payload") = py::none(),
          py::arg("priority") = 0, py::arg("max_attempts") = 0,
          "Stores (or replaces) the repeatable job `key` of `queue` → its definition as a dict. Exactly one\n"
          "of every (seconds, >= 1) and cron ('min hour day-of-month month day-of-week', UTC). Each\n"
          "occurrence is enqueued once across processes by any worker's next() on the queue.")
      .def(
          "repeatables",
          [](BusApi& a, const std::string& queue) {
            py::list out;
            for (const bus::Repeatable& d :
                 a.core->Call([&](Platform& p) { return p.bus().ListRepeatables(Ctx(), queue); })) {
              out.append(RepeatableDict(d));
            }
            return out;
          },
          py::arg("queue") = "", "The repeatable job definitions of `queue` ('' = every queue).")
      .def(
          "remove_repeatable",
          [](BusApi& a, const std::string& queue, const std::string& key) {
            a.core->Call([&](Platform& p) { return p.bus().RemoveRepeatable(Ctx(), queue, key); });
          },
          py::arg("queue"), py::arg("key"), "Stops the repeatable job `key` of `queue` (NotFound if none).");
}

}  // namespace daira::python
