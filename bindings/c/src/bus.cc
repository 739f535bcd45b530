// The event bus (docs/bus.md) behind JSON calls: enqueue (one or many; inside a transaction handle's
// transaction when given one), next (claim with a lease), complete / fail / progress (fenced by the
// lease token), counts, pause / resume, dead letters and replay. Pull only: no callbacks.
#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/bus/queue.h"
#include "internal.h"
#include "service_call.h"

using daira::JsonWriter;

namespace {
namespace bus = daira::bus;
using daira::cabi::Request;

// The longest wait daira_bus_next accepts: the call holds the platform, so shutdown waits for it.
constexpr int64_t kMaxTimeoutMs = 60'000;

// {queue*, name, payload (object), priority, delay_ms, max_attempts, idempotency_key, group_key,
// correlation_id} as an EnqueueRequest (the queue validates the values).
bus::EnqueueRequest EnqueueOf(Request& r) {
  bus::EnqueueRequest req;
  req.queue = r.String("queue");
  req.name = r.String("name");
  req.payload = r.OptObjectText("payload").value_or("{}");
  const int64_t priority = r.Int("priority", 0);
  req.priority = static_cast<int>(std::clamp<int64_t>(priority, -(int64_t{1} << 30), int64_t{1} << 30));
  if (priority != req.priority)
    r.Fail("priority", absl::StrCat("must be within +-2^30 (got ", priority, ")"));
  req.delay = std::chrono::milliseconds(r.Int("delay_ms", 0));
  const int64_t attempts = r.Int("max_attempts", 0);
  req.max_attempts = static_cast<int>(std::clamp<int64_t>(attempts, -1, 1 << 20));
  req.idempotency_key = r.String("idempotency_key");
  req.group_key = r.String("group_key");
  req.correlation_id = r.String("correlation_id");
  return req;
}

void WriteResult(JsonWriter& w, const bus::EnqueueResult& result) {
  w.BeginObject();
  w.Key("id");
  daira::cabi::WriteId(w, result.id);
  w.Key("deduplicated").Bool(result.deduplicated).EndObject();
}

void OptTime(JsonWriter& w, std::string_view key, daira::Clock::TimePoint t) {
  w.Key(key);
  if (t == daira::Clock::TimePoint{}) {
    w.Null();
  } else {
    daira::cabi::WriteTime(w, t);
  }
}

// JSON text as a compact value (Postgres' jsonb spaces it out), or null when empty.
void RawOrNull(JsonWriter& w, std::string_view key, std::string_view json) {
  w.Key(key);
  if (json.empty()) {
    w.Null();
    return;
  }
  absl::StatusOr<daira::JsonValue> value = daira::ParseJson(json);
  w.Raw(value.ok() ? value->Serialize() : json);
}

void WriteJob(JsonWriter& w, const bus::Job& job) {
  w.BeginObject();
  w.Key("id");
  daira::cabi::WriteId(w, job.id);
  w.Key("queue").String(job.queue).Key("name").String(job.name);
  RawOrNull(w, "payload", job.payload);
  w.Key("priority").Int(job.priority).Key("state").String(bus::JobStateName(job.state));
  OptTime(w, "run_at", job.run_at);
  w.Key("attempt").Int(job.attempt).Key("max_attempts").Int(job.max_attempts);
  w.Key("idempotency_key").String(job.idempotency_key).Key("group_key").String(job.group_key);
  w.Key("correlation_id").String(job.correlation_id).Key("lease_owner").String(job.lease_owner);
  OptTime(w, "lease_expires_at", job.lease_expires_at);
  // A string like every other 64-bit number hosts must hand back exactly.
  w.Key("lease_token").String(absl::StrCat(job.lease_token));
  RawOrNull(w, "progress", job.progress);
  RawOrNull(w, "result", job.result);
  w.Key("errors").BeginArray();
  for (const bus::JobError& e : job.errors) {
    w.BeginObject().Key("attempt").Int(e.attempt);
    OptTime(w, "at", e.at);
    w.Key("worker").String(e.worker).Key("message").String(e.message).EndObject();
  }
  w.EndArray();
  OptTime(w, "created_at", job.created_at);
  OptTime(w, "updated_at", job.updated_at);
  OptTime(w, "finished_at", job.finished_at);
  OptTime(w, "started_at", job.started_at);
  w.Key("cancel_requested").Bool(job.cancel_requested);
  w.EndObject();
}

// The job {id*, lease_token*} names, as the queue has it, carrying the caller's lease token: the queue
// then fences the call (a token that is not the current claim's is FAILED_PRECONDITION).
absl::StatusOr<bus::Job> LeasedJob(daira::Platform& p, const daira::RequestContext& ctx, int64_t id,
                                   int64_t token) {
  DAIRA_ASSIGN_OR_RETURN(bus::Job job, p.bus().Get(ctx, id));
  job.lease_token = token;
  return job;
}

// {id*, lease_token*} of a claimed job, both required.
bool ReadLease(Request& r, int64_t& id, int64_t& token) {
  id = r.Id("id");
  token = r.Id("lease_token");
  if (id <= 0) r.Fail("id", "is required (the job's id from daira_bus_next)");
  if (token <= 0) r.Fail("lease_token", "is required (the lease_token from daira_bus_next)");
  return id > 0 && token > 0;
}

std::string RequiredQueue(Request& r) { return daira::cabi::fields::NonEmptyStr{"queue"}(r); }

// An item's own error "<op>: <field> <problem>" as the same problem about "<list>[i].<field>".
absl::Status ItemError(const Request& r, const char* list, size_t i, const absl::Status& valid) {
  const std::string field = daira::StatusField(valid);
  std::string problem(valid.message().data(), valid.message().size());
  const std::string prefix = std::string(r.op()) + ": " + field + " ";
  if (problem.rfind(prefix, 0) == 0) problem.erase(0, prefix.size());
  return daira::InvalidField(r.op(), absl::StrCat(list, "[", i, "].", field), problem);
}

// {queue*, worker*, max_jobs (1..1000, default 10), timeout_ms (0..kMaxTimeoutMs)}: a batch claim's
// arguments (daira_bus_next_batch, daira_bus_finish_many_and_next_batch). Bad fields are recorded in `r`.
struct BatchClaim {
  std::string queue;
  std::string worker;
  int max_jobs = 0;
  std::chrono::milliseconds timeout{0};
};

BatchClaim ReadBatchClaim(Request& r) {
  BatchClaim c;
  c.queue = RequiredQueue(r);
  c.worker = r.String("worker");
  const int64_t max_jobs = r.Int("max_jobs", 10);
  const int64_t timeout = r.Int("timeout_ms", 0);
  if (timeout < 0 || timeout > kMaxTimeoutMs) {
    r.Fail("timeout_ms", absl::StrCat("must be between 0 and ", kMaxTimeoutMs, " (got ", timeout, ")"));
  }
  if (max_jobs < 1 || max_jobs > 1000)
    r.Fail("max_jobs", absl::StrCat("must be in [1, 1000] (got ", max_jobs, ")"));
  if (c.worker.empty()) r.Fail("worker", "is required (a stable id of this worker)");
  c.max_jobs = static_cast<int>(std::clamp<int64_t>(max_jobs, 1, 1000));
  c.timeout = std::chrono::milliseconds(std::clamp<int64_t>(timeout, 0, kMaxTimeoutMs));
  return c;
}

void WriteJobs(JsonWriter& w, const std::vector<bus::Job>& jobs) {
  w.Key("jobs").BeginArray();
  for (const bus::Job& job : jobs) WriteJob(w, job);
  w.EndArray();
}

// {outcomes*: [{id*, lease_token*, result} | {id*, lease_token*, failed: true, message},…]} as the
// queue's JobOutcomes (daira_bus_finish_many, daira_bus_finish_many_and_next_batch). A bad field is
// INVALID_ARGUMENT naming "outcomes[i].<field>"; an entry whose job cannot be read (a failure of a job
// not found) gets its own status in `early` and is not in `outcomes`.
struct ParsedOutcomes {
  std::vector<bus::Job> jobs;  // what each outcome points at (one per entry)
  std::vector<int64_t> ids;
  std::vector<absl::Status> early;
  std::vector<bus::Queue::JobOutcome> outcomes;
  std::vector<size_t> batch_index;  // the entry of each outcome
};

absl::Status ParseOutcomes(daira::Platform& p, Request& r, const daira::RequestContext& ctx,
                           ParsedOutcomes& out) {
  std::optional<std::vector<std::string>> texts = r.OptObjectListTexts("outcomes");
  if (r.Finish().ok() && !texts) r.Fail("outcomes", "is required (an array of {id, lease_token, ...})");
  DAIRA_CABI_CHECK(r);
  const size_t n = texts->size();
  out.jobs.assign(n, bus::Job());
  out.ids.assign(n, 0);
  out.early.assign(n, absl::OkStatus());
  for (size_t i = 0; i < n; ++i) {
    DAIRA_ASSIGN_OR_RETURN(Request item, Request::Parse(r.op(), (*texts)[i]));
    int64_t id = 0, token = 0;
    ReadLease(item, id, token);
    out.ids[i] = id;
    const bool failed = item.OptBool("failed").value_or(false);
    std::string text = failed ? item.String("message") : item.OptObjectText("result").value_or("");
    if (absl::Status valid = item.Finish(); !valid.ok()) return ItemError(r, "outcomes", i, valid);
    if (failed) {
      // A failure records the attempt in the job's error history: the job as the queue has it.
      absl::StatusOr<bus::Job> leased = LeasedJob(p, ctx, id, token);
      if (!leased.ok()) {
        out.early[i] = leased.status();
        continue;
      }
      out.jobs[i] = *std::move(leased);
    } else {
      // A completion is fenced by id and token alone (an unknown id is "lease lost").
      out.jobs[i].id = id;
      out.jobs[i].lease_token = token;
    }
    out.outcomes.push_back({.job = &out.jobs[i], .failed = failed, .text = std::move(text)});
    out.batch_index.push_back(i);
  }
  return absl::OkStatus();
}

// "results": [{id, ok, code, message},…] in entry order: the batch's statuses put back in place.
void WriteOutcomeResults(JsonWriter& w, ParsedOutcomes& parsed, std::vector<absl::Status> done) {
  std::vector<absl::Status> results = std::move(parsed.early);
  for (size_t k = 0; k < done.size(); ++k) results[parsed.batch_index[k]] = std::move(done[k]);
  w.Key("results").BeginArray();
  for (size_t i = 0; i < results.size(); ++i) {
    w.BeginObject().Key("id").String(std::to_string(parsed.ids[i]));
    w.Key("ok").Bool(results[i].ok());
    w.Key("code").Int(static_cast<int64_t>(results[i].code()));
    w.Key("message").String(std::string(results[i].message()));
    w.EndObject();
  }
  w.EndArray();
}

namespace f = daira::cabi::fields;
constexpr auto kBus = &daira::Platform::bus;
const f::Record<bus::Job> kJobJson{WriteJob};
bus::JobState Dead() { return bus::JobState::kDead; }

}  // namespace

DAIRA_CABI_CALL(daira_bus_enqueue, "bus.enqueue") {
  bus::EnqueueRequest req = EnqueueOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::EnqueueResult result, p.bus().Enqueue(ctx, req));
  JsonWriter w;
  WriteResult(w, result);
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_enqueue_many, "bus.enqueue_many") {
  std::optional<std::vector<std::string>> texts = r.OptObjectListTexts("jobs");
  if (r.Finish().ok() && !texts) r.Fail("jobs", "is required (an array of enqueue requests)");
  DAIRA_CABI_CHECK(r);
  std::vector<bus::EnqueueRequest> requests;
  requests.reserve(texts->size());
  for (size_t i = 0; i < texts->size(); ++i) {
    DAIRA_ASSIGN_OR_RETURN(Request item, Request::Parse(r.op(), (*texts)[i]));
    requests.push_back(EnqueueOf(item));
    if (absl::Status valid = item.Finish(); !valid.ok()) return ItemError(r, "jobs", i, valid);
  }
  absl::StatusOr<std::vector<bus::EnqueueResult>> enqueued = p.bus().EnqueueMany(ctx, requests);
  if (!enqueued.ok()) {
    // The queue names a bad request "requests[i].<field>"; here the array is "jobs".
    const std::string field = daira::StatusField(enqueued.status());
    if (absl::IsInvalidArgument(enqueued.status()) && field.rfind("requests[", 0) == 0) {
      std::string message(enqueued.status().message().data(), enqueued.status().message().size());
      for (size_t at = message.find("requests["); at != std::string::npos;
           at = message.find("requests[", at)) {
        message.replace(at, 8, "jobs");
      }
      return daira::InvalidField(r.op(), "jobs" + field.substr(8), message);
    }
    return enqueued.status();
  }
  const std::vector<bus::EnqueueResult>& results = *enqueued;
  JsonWriter w;
  w.BeginObject().Key("results").BeginArray();
  for (const bus::EnqueueResult& result : results) WriteResult(w, result);
  w.EndArray().EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_next, "bus.next") {
  const std::string queue = RequiredQueue(r);
  const std::string worker = r.String("worker");
  const int64_t timeout = r.Int("timeout_ms", 0);
  if (timeout < 0 || timeout > kMaxTimeoutMs) {
    r.Fail("timeout_ms", absl::StrCat("must be between 0 and ", kMaxTimeoutMs, " (got ", timeout, ")"));
  }
  if (worker.empty()) r.Fail("worker", "is required (a stable id of this worker)");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(std::optional<bus::Job> job,
                         p.bus().Next(ctx, queue, worker, std::chrono::milliseconds(timeout)));
  JsonWriter w;
  w.BeginObject().Key("job");
  if (job) {
    WriteJob(w, *job);
  } else {
    w.Null();
  }
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_next_batch, "bus.next_batch") {
  const BatchClaim c = ReadBatchClaim(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(std::vector<bus::Job> jobs, p.bus().NextBatch(ctx, c.queue, c.worker, c.max_jobs, c.timeout));
  JsonWriter w;
  w.BeginObject();
  WriteJobs(w, jobs);
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_finish_many, "bus.finish_many") {
  ParsedOutcomes parsed;
  DAIRA_RETURN_IF_ERROR(ParseOutcomes(p, r, ctx, parsed));
  std::vector<absl::Status> done;
  if (!parsed.outcomes.empty()) {
    DAIRA_ASSIGN_OR_RETURN(done, p.bus().FinishMany(ctx, parsed.outcomes));
  }
  JsonWriter w;
  w.BeginObject();
  WriteOutcomeResults(w, parsed, std::move(done));
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_finish_many_and_next_batch, "bus.finish_many_and_next_batch") {
  const BatchClaim c = ReadBatchClaim(r);
  ParsedOutcomes parsed;
  DAIRA_RETURN_IF_ERROR(ParseOutcomes(p, r, ctx, parsed));
  DAIRA_ASSIGN_OR_RETURN(
      bus::Queue::FinishedAndClaimed fc,
      p.bus().FinishManyAndNextBatch(ctx, parsed.outcomes, c.queue, c.worker, c.max_jobs, c.timeout));
  JsonWriter w;
  w.BeginObject();
  WriteOutcomeResults(w, parsed, std::move(fc.finished));
  WriteJobs(w, fc.claimed);
  w.Key("claim_error");
  if (fc.claim_status.ok()) {
    w.Null();
  } else {
    w.BeginObject().Key("code").Int(static_cast<int64_t>(fc.claim_status.code()));
    w.Key("message").String(std::string(fc.claim_status.message())).EndObject();
  }
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_complete, "bus.complete") {
  int64_t id = 0, token = 0;
  ReadLease(r, id, token);
  const std::string result = r.OptObjectText("result").value_or("");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::Job job, LeasedJob(p, ctx, id, token));
  DAIRA_RETURN_IF_ERROR(p.bus().Complete(ctx, job, result));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_bus_fail, "bus.fail") {
  int64_t id = 0, token = 0;
  ReadLease(r, id, token);
  const std::string message = r.String("message");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::Job job, LeasedJob(p, ctx, id, token));
  DAIRA_RETURN_IF_ERROR(p.bus().Fail(ctx, job, message));
  // The job as it is now: waiting again (a retry, with run_at) or dead.
  DAIRA_ASSIGN_OR_RETURN(bus::Job after, p.bus().Get(ctx, id));
  JsonWriter w;
  WriteJob(w, after);
  return w.Take();
}

DAIRA_CABI_CALL(daira_bus_progress, "bus.progress") {
  int64_t id = 0, token = 0;
  ReadLease(r, id, token);
  std::optional<std::string> progress = r.OptObjectText("progress");
  if (!progress) r.Fail("progress", "is required (a JSON object)");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::Job job, LeasedJob(p, ctx, id, token));
  DAIRA_RETURN_IF_ERROR(p.bus().Progress(ctx, job, *progress));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_SERVICE_CALL(daira_bus_get, "bus.get", kBus, &bus::Queue::Get, kJobJson, f::Id{"id"})

DAIRA_CABI_CALL(daira_bus_counts, "bus.counts") {
  const std::string queue = RequiredQueue(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::QueueCounts c, p.bus().Counts(ctx, queue));
  DAIRA_ASSIGN_OR_RETURN(bus::QueueMetrics one, p.bus().Metrics(ctx, queue, std::chrono::minutes(1)));
  DAIRA_ASSIGN_OR_RETURN(bus::QueueMetrics five, p.bus().Metrics(ctx, queue, std::chrono::minutes(5)));
  JsonWriter w;
  w.BeginObject().Key("queue").String(c.queue).Key("waiting").Int(c.waiting).Key("delayed").Int(c.delayed);
  w.Key("active").Int(c.active).Key("completed").Int(c.completed).Key("dead").Int(c.dead);
  w.Key("cancelled").Int(c.cancelled).Key("paused").Bool(c.paused);
  // The bus's run-time metrics (bus::Queue::Metrics) over the last 1 and 5 minutes.
  for (const bus::QueueMetrics* m : {&one, &five}) {
    w.Key(m == &one ? "last_1m" : "last_5m").BeginObject().Key("span_s").Int(m->span.count());
    w.Key("completed").Int(m->completed).Key("failed").Int(m->failed).Key("throughput").Double(m->throughput);
    for (const auto& [name, l] : {std::pair{"wait", &m->wait}, std::pair{"run", &m->run}}) {
      w.Key(name).BeginObject().Key("samples").Int(l->samples).Key("p50_us").Int(l->p50.count());
      w.Key("p99_us").Int(l->p99.count()).EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_SERVICE_CALL(daira_bus_pause, "bus.pause", kBus, &bus::Queue::Pause, f::Empty{},
                        f::NonEmptyStr{"queue"})
DAIRA_CABI_SERVICE_CALL(daira_bus_resume, "bus.resume", kBus, &bus::Queue::Resume, f::Empty{},
                        f::NonEmptyStr{"queue"})
DAIRA_CABI_SERVICE_CALL(daira_bus_dead_letters, "bus.dead_letters", kBus, &bus::Queue::List,
                        f::Items<bus::Job>{WriteJob}, f::NonEmptyStr{"queue"}, f::Fixed<&Dead>{},
                        f::Limit{"limit", 100})
DAIRA_CABI_SERVICE_CALL(daira_bus_replay, "bus.replay", kBus, &bus::Queue::Replay, f::Count{"replayed"},
                        f::NonEmptyStr{"queue"}, f::IdList{"ids"})

namespace {

void WriteRepeatable(JsonWriter& w, const bus::Repeatable& d) {
  w.BeginObject().Key("queue").String(d.queue).Key("key").String(d.key).Key("name").String(d.name);
  RawOrNull(w, "payload", d.payload);
  w.Key("every_ms").Int(d.every.count()).Key("cron").String(d.cron);
  w.Key("priority").Int(d.priority).Key("max_attempts").Int(d.max_attempts);
  OptTime(w, "next_run_at", d.next_run_at);
  OptTime(w, "last_run_at", d.last_run_at);
  OptTime(w, "created_at", d.created_at);
  OptTime(w, "updated_at", d.updated_at);
  w.EndObject();
}

}  // namespace

DAIRA_CABI_CALL(daira_bus_repeatable_add, "bus.repeatable_add") {
  bus::RepeatableRequest req;
  req.queue = RequiredQueue(r);
  req.key = r.String("key");
  req.name = r.String("name");
  req.payload = r.OptObjectText("payload").value_or("{}");
  req.every = std::chrono::milliseconds(r.Int("every_ms", 0));
  req.cron = r.String("cron");
  const int64_t priority = r.Int("priority", 0);
  req.priority = static_cast<int>(std::clamp<int64_t>(priority, -(int64_t{1} << 30), int64_t{1} << 30));
  if (priority != req.priority)
    r.Fail("priority", absl::StrCat("must be within +-2^30 (got ", priority, ")"));
  req.max_attempts = static_cast<int>(std::clamp<int64_t>(r.Int("max_attempts", 0), -1, 1 << 20));
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::Repeatable stored, p.bus().AddRepeatable(ctx, req));
  JsonWriter w;
  WriteRepeatable(w, stored);
  return w.Take();
}

DAIRA_CABI_SERVICE_CALL(daira_bus_repeatable_list, "bus.repeatable_list", kBus, &bus::Queue::ListRepeatables,
                        f::Items<bus::Repeatable>{WriteRepeatable}, f::Str{"queue"})
DAIRA_CABI_SERVICE_CALL(daira_bus_repeatable_remove, "bus.repeatable_remove", kBus,
                        &bus::Queue::RemoveRepeatable, f::Empty{}, f::NonEmptyStr{"queue"},
                        f::NonEmptyStr{"key"})
DAIRA_CABI_SERVICE_CALL(daira_bus_cancel, "bus.cancel", kBus, &bus::Queue::Cancel, f::Empty{},
                        f::RequiredId{"id"})

DAIRA_CABI_CALL(daira_bus_cancel_requested, "bus.cancel_requested") {
  int64_t id = 0, token = 0;
  ReadLease(r, id, token);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bus::Job job, LeasedJob(p, ctx, id, token));
  DAIRA_ASSIGN_OR_RETURN(bool requested, p.bus().CancelRequested(ctx, job));
  JsonWriter w;
  w.BeginObject().Key("cancel_requested").Bool(requested).EndObject();
  return w.Take();
}
