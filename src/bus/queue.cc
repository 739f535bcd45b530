#include "daira/bus/queue.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/bus_metrics.h"
#include "core/json_internal.h"
#include "daira/bus/repeatable_schedule.h"
#include "daira/core/json.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::bus {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kWaiting: return "WAITING";
    case JobState::kActive: return "ACTIVE";
    case JobState::kCompleted: return "COMPLETED";
    case JobState::kDead: return "DEAD";
    case JobState::kCancelled: return "CANCELLED";
  }
  return "WAITING";
}

struct Queue::State {
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> interrupts{0};
  std::mutex mu;
  std::mt19937_64 rng{std::random_device{}()};  // guarded by mu
  int64_t NextToken() {
    std::lock_guard<std::mutex> lock(mu);
    int64_t t = 0;
    while (t == 0) t = static_cast<int64_t>(rng() >> 1);
    return t;
  }
  std::map<std::string, Clock::TimePoint, std::less<>> next_recovery;  // guarded by mu
  bool RecoveryDue(std::string_view queue, Clock::TimePoint now) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = next_recovery.find(queue);
    if (it != next_recovery.end() && now < it->second) return false;
    next_recovery[std::string(queue)] = now + std::chrono::seconds(1);
    return true;
  }
  // Repeatables: when each queue's next occurrence is due (as last seen) and when the next forced tick
  // is (once per second of the queue clock, for definitions added by other processes).
  std::map<std::string, Clock::TimePoint, std::less<>> repeat_next;  // guarded by mu
  std::map<std::string, Clock::TimePoint, std::less<>> repeat_tick;  // guarded by mu
  bool RepeatDue(std::string_view queue, Clock::TimePoint now) {
    std::lock_guard<std::mutex> lock(mu);
    auto n = repeat_next.find(queue);
    if (n != repeat_next.end() && n->second <= now) return true;
    auto t = repeat_tick.find(queue);
    return t == repeat_tick.end() || t->second <= now;
  }
  void RepeatSeen(std::string_view queue, Clock::TimePoint now, std::optional<Clock::TimePoint> next) {
    std::lock_guard<std::mutex> lock(mu);
    repeat_tick[std::string(queue)] = now + std::chrono::seconds(1);
    if (next.has_value()) {
      repeat_next[std::string(queue)] = *next;
    } else {
      repeat_next.erase(std::string(queue));
    }
  }
  void RepeatAdded(std::string_view queue, Clock::TimePoint next) {
    std::lock_guard<std::mutex> lock(mu);
    auto [it, inserted] = repeat_next.emplace(std::string(queue), next);
    if (!inserted && next < it->second) it->second = next;
  }
  std::optional<Clock::TimePoint> RepeatNext(std::string_view queue) {
    std::lock_guard<std::mutex> lock(mu);
    auto n = repeat_next.find(queue);
    if (n == repeat_next.end()) return std::nullopt;
    return n->second;
  }
  double Random01() {
    std::lock_guard<std::mutex> lock(mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
};

Queue::Queue(BusOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::System()),
      state_(std::make_unique<State>()) {}

Queue::~Queue() = default;

const QueueSettings* Queue::Settings(std::string_view queue) const {
  // The calling thread's last answer, checked by name (a producer or worker asks for one queue again
  // and again; the list is fixed once the Queue is made).
  thread_local struct {
    const Queue* owner = nullptr;
    size_t index = 0;
  } last;
  const std::vector<QueueSettings>& all = options_.queues;
  if (last.owner == this && last.index < all.size() && all[last.index].name == queue) return &all[last.index];
  const QueueSettings* s = FindQueue(all, queue);
  if (s != nullptr) last = {this, static_cast<size_t>(s - all.data())};
  return s;
}

absl::StatusOr<const QueueSettings*> Queue::Resolve(std::string_view op, std::string_view queue) const {
  const QueueSettings* s = Settings(queue);
  if (s == nullptr) {
    return InvalidField(op, "queue", "is not a configured queue (got '" + std::string(queue) + "')");
  }
  return s;
}

namespace {

// Whether `text` is JSON, building nothing (no status, no message): the plain recogniser, and the
// parser only for what it leaves.
bool IsJson(std::string_view text) {
  return (text.size() <= daira::internal::kPlainJsonMaxSize && daira::internal::PlainJsonAccepts(text)) ||
         daira::internal::ValidateJson(text).ok();
}

// A request's limits, shared by RequestOk (the fast verdict) and CheckRequest (the error naming the field).
constexpr int kMaxRequestAttempts = 1000;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxIdempotencyKeyBytes = 500;
constexpr size_t kMaxGroupKeyBytes = 200;

// CheckRequest's verdict without building an error (the fast path of every enqueue; a request it
// refuses goes through CheckRequest, which names the field).
bool RequestOk(const EnqueueRequest& r) {
  return r.delay.count() >= 0 && r.max_attempts >= 0 && r.max_attempts <= kMaxRequestAttempts &&
         r.name.size() <= kMaxNameBytes && r.idempotency_key.size() <= kMaxIdempotencyKeyBytes &&
         r.group_key.size() <= kMaxGroupKeyBytes && IsJson(r.payload);
}

// The checks of one request besides its queue: what Validate and EnqueueMany share.
absl::Status CheckRequest(const EnqueueRequest& r, std::string_view prefix) {
  if (RequestOk(r)) return absl::OkStatus();
  constexpr std::string_view kOp = "bus: enqueue";
  const std::string p(prefix);
  if (absl::Status json = daira::internal::ValidateJson(r.payload); !json.ok()) {
    return InvalidField(kOp, p + "payload", "is not JSON (" + std::string(json.message()) + ")");
  }
  if (r.delay.count() < 0) {
    return InvalidField(kOp, p + "delay", "must not be negative (got " + std::to_string(r.delay.count()) + " ms)");
  }
  if (r.max_attempts < 0 || r.max_attempts > kMaxRequestAttempts) {
    return InvalidField(kOp, p + "max_attempts",
                        absl::StrCat("must be 0 (the queue's) or in [1, ", kMaxRequestAttempts, "] (got ",
                                     r.max_attempts, ")"));
  }
  auto too_long = [&](std::string_view field, size_t size, size_t max) {
    return size > max
               ? InvalidField(kOp, p + std::string(field), absl::StrCat("is longer than ", max, " bytes"))
               : absl::OkStatus();
  };
  DAIRA_RETURN_IF_ERROR(too_long("name", r.name.size(), kMaxNameBytes));
  DAIRA_RETURN_IF_ERROR(too_long("idempotency_key", r.idempotency_key.size(), kMaxIdempotencyKeyBytes));
  DAIRA_RETURN_IF_ERROR(too_long("group_key", r.group_key.size(), kMaxGroupKeyBytes));
  return absl::OkStatus();
}

// The correlation id a request without its own takes from `ctx`: the calling thread keeps the last
// one as a SharedText, so the jobs of one context share it instead of each copying it.
SharedText ContextCorrelation(const RequestContext& ctx) {
  thread_local SharedText last;
  if (last != ctx.correlation_id()) last = SharedText(ctx.correlation_id());
  return last;
}

SharedText Correlation(const SharedText& from_ctx, const EnqueueRequest& r) {
  return r.correlation_id.empty() ? from_ctx : SharedText(r.correlation_id);
}

}  // namespace

absl::StatusOr<Queue::NewJob> Queue::Validate(const RequestContext& ctx, const EnqueueRequest& r,
                                              std::string_view prefix) const {
  const QueueSettings* s = Settings(r.queue);
  if (s == nullptr) {
    return InvalidField("bus: enqueue", std::string(prefix) + "queue",
                        "is not a configured queue (got '" + r.queue + "')");
  }
  DAIRA_RETURN_IF_ERROR(CheckRequest(r, prefix));
  NewJob job{.request = &r,
             .max_attempts = r.max_attempts > 0 ? r.max_attempts : s->max_attempts,
             .correlation_id = Correlation(ContextCorrelation(ctx), r),
             .run_at = clock_->Now() + r.delay};
  return job;
}

absl::StatusOr<EnqueueResult> Queue::Enqueue(const RequestContext& ctx, const EnqueueRequest& request) {
  DAIRA_ASSIGN_OR_RETURN(NewJob job, Validate(ctx, request, ""));
  DAIRA_ASSIGN_OR_RETURN(std::vector<EnqueueResult> out, DoEnqueue(ctx, {job}));
  return out.at(0);
}

absl::StatusOr<std::vector<EnqueueResult>> Queue::EnqueueMany(const RequestContext& ctx,
                                                              const std::vector<EnqueueRequest>& requests) {
  std::vector<NewJob> jobs;
  jobs.reserve(requests.size());
  // Validate's work, once per batch where it can be: one clock reading (the batch is enqueued at one
  // time), one settings lookup per run of requests naming the same queue.
  const Clock::TimePoint now = clock_->Now();
  const QueueSettings* s = nullptr;
  const SharedText from_ctx = ContextCorrelation(ctx);
  for (size_t i = 0; i < requests.size(); ++i) {
    const EnqueueRequest& r = requests[i];
    if (s == nullptr || s->name != r.queue) s = Settings(r.queue);
    if (s == nullptr || !RequestOk(r)) {
      // The field prefix is built only for the error (validation is deterministic: Validate fails the
      // same way, naming requests[i]).
      return Validate(ctx, r, "requests[" + std::to_string(i) + "].").status();
    }
    jobs.push_back({.request = &r,
                    .max_attempts = r.max_attempts > 0 ? r.max_attempts : s->max_attempts,
                    .correlation_id = Correlation(from_ctx, r),
                    .run_at = now + r.delay});
  }
  if (jobs.empty()) return std::vector<EnqueueResult>{};
  return DoEnqueue(ctx, jobs);
}

absl::StatusOr<std::optional<Job>> Queue::Next(const RequestContext& ctx, std::string_view queue,
                                               std::string_view worker_id, std::chrono::milliseconds timeout) {
  DAIRA_ASSIGN_OR_RETURN(std::vector<Job> jobs, ClaimWaiting("bus: next", ctx, queue, worker_id, 0, timeout));
  if (jobs.empty()) return std::optional<Job>();
  return absl::StatusOr<std::optional<Job>>(absl::in_place, std::move(jobs.front()));
}

absl::StatusOr<std::vector<Job>> Queue::NextBatch(const RequestContext& ctx, std::string_view queue,
                                                  std::string_view worker_id, int max_jobs,
                                                  std::chrono::milliseconds timeout) {
  if (max_jobs < 1 || max_jobs > 1000) {
    return InvalidField("bus: next batch", "max_jobs",
                        "must be in [1, 1000] (got " + std::to_string(max_jobs) + ")");
  }
  return ClaimWaiting("bus: next batch", ctx, queue, worker_id, max_jobs, timeout);
}

absl::Status Queue::CheckClaim(std::string_view op, const RequestContext& ctx, std::string_view queue,
                               std::chrono::milliseconds timeout, const QueueSettings** s) const {
  const std::string kOp(op);
  DAIRA_ASSIGN_OR_RETURN(*s, Resolve(kOp, queue));
  if (closed()) return absl::FailedPreconditionError(kOp + ": the queue is closed");
  if (timeout.count() < 0) return InvalidField(kOp, "timeout", "must not be negative");
  if (ctx.open_transaction() != nullptr) {
    // A claim must commit by itself: inside the caller's transaction it would be invisible to other
    // workers' fencing until then, and undone by a rollback after the work was done.
    return absl::FailedPreconditionError(kOp +
                                         ": called with a context bound to a transaction (claim outside it)");
  }
  return absl::OkStatus();
}

absl::Status Queue::Housekeep(const RequestContext& ctx, const QueueSettings& s) {
  // Stalled-job recovery: at most once per second (queue clock) per queue and Queue object.
  if (state_->RecoveryDue(s.name, clock_->Now())) DAIRA_RETURN_IF_ERROR(DoRecoverStalled(ctx, s).status());
  if (state_->RepeatDue(s.name, clock_->Now())) DAIRA_RETURN_IF_ERROR(RunRepeatables(ctx, s.name).status());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Job>> Queue::ClaimWaiting(std::string_view op, const RequestContext& ctx,
                                                     std::string_view queue, std::string_view worker_id,
                                                     int max_jobs, std::chrono::milliseconds timeout,
                                                     std::optional<uint64_t> claimed_at) {
  const std::string kOp(op);
  const QueueSettings* s = nullptr;
  DAIRA_RETURN_IF_ERROR(CheckClaim(op, ctx, queue, timeout, &s));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const uint64_t interrupts = state_->interrupts.load();
  while (true) {
    uint64_t seen = 0;
    if (claimed_at.has_value()) {
      // The caller's own claim (at wake count *claimed_at) found nothing: straight to the wait.
      seen = *claimed_at;
      claimed_at.reset();
    } else {
      seen = WakeCounter();
      DAIRA_RETURN_IF_ERROR(Housekeep(ctx, *s));
      if (max_jobs == 0) {  // Next: the single-claim path
        // (Moving a Job moves its nine strings: the single claim moves it once, into the vector; an
        // initializer list would copy it.)
        absl::StatusOr<std::optional<Job>> job = DoClaim(ctx, *s, worker_id, state_->NextToken());
        if (!job.ok()) return job.status();
        if (job->has_value()) {
          std::vector<Job> one;
          one.push_back(std::move(**job));
          return one;
        }
      } else {
        DAIRA_ASSIGN_OR_RETURN(std::vector<Job> jobs,
                               DoClaimMany(ctx, *s, worker_id, state_->NextToken(), max_jobs));
        if (!jobs.empty()) return jobs;
      }
    }
    const auto steady_now = std::chrono::steady_clock::now();
    if (closed() || steady_now >= deadline || state_->interrupts.load() != interrupts)
      return std::vector<Job>();
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline(kOp));
    // Woken since the claim looked (an enqueue in this process, a NOTIFY): look again at once, without
    // first asking for the next due time (a round trip on the wake → claim path).
    if (WakeCounter() != seen) continue;
    auto until = std::min(deadline, steady_now + options_.idle_recheck);
    DAIRA_ASSIGN_OR_RETURN(std::optional<Clock::TimePoint> due, DoNextDue(ctx, *s));
    if (s->rate_limit > 0 && due.has_value() && *due <= clock_->Now()) {
      // Due jobs but no claim: the window's budget may be spent; look again when the next one opens.
      const int64_t w = std::chrono::duration_cast<std::chrono::microseconds>(s->rate_window).count();
      due = FromUnixMicros((ToUnixMicros(clock_->Now()) / w + 1) * w);
    }
    if (std::optional<Clock::TimePoint> rep = state_->RepeatNext(s->name); rep.has_value()) {
      due = due.has_value() ? std::min(*due, *rep) : *rep;
    }
    if (due.has_value()) {
      const auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*due - clock_->Now());
      until = std::min(until, steady_now + std::max(wait, std::chrono::steady_clock::duration(0)));
    }
    if (until > steady_now) WaitForWork(queue, seen, until);
  }
}

absl::StatusOr<std::vector<Job>> Queue::DoClaimMany(const RequestContext& ctx, const QueueSettings& queue,
                                                    std::string_view worker_id, int64_t token, int max_jobs) {
  std::vector<Job> out;
  while (static_cast<int>(out.size()) < max_jobs) {
    DAIRA_ASSIGN_OR_RETURN(std::optional<Job> job, DoClaim(ctx, queue, worker_id, token));
    if (!job.has_value()) break;
    out.push_back(std::move(*job));
  }
  return out;
}

absl::StatusOr<std::vector<absl::Status>> Queue::DoTransitionMany(
    const RequestContext& ctx, const std::vector<const Job*>& jobs,
    const std::vector<Transition>& transitions) {
  std::vector<absl::Status> out;
  out.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) out.push_back(DoTransition(ctx, *jobs[i], transitions[i]));
  return out;
}

absl::StatusOr<std::optional<Queue::FinishedAndClaimed>> Queue::DoTransitionManyAndClaimMany(
    const RequestContext&, const std::vector<const Job*>&, const std::vector<Transition>&, const QueueSettings&,
    std::string_view, int64_t, int) {
  return std::optional<FinishedAndClaimed>();
}

absl::Status Queue::Fenced(std::string_view op, const RequestContext& ctx, const Job& job, Outcome outcome,
                               std::string text) {
  if (job.lease_token == 0 || job.id == 0) {
    return absl::FailedPreconditionError("bus: " + std::string(op) + ": job " + std::to_string(job.id) +
                                         " was not claimed by Next (no lease)");
  }
  // (The worker is recorded for failed attempts only: a completion does not copy it.)
  Queue::Transition t{.outcome = outcome,
                      .now = clock_->Now(),
                      .text = std::move(text),
                      .worker = outcome == Outcome::kComplete ? std::string() : std::string(job.lease_owner)};
  return DoTransition(ctx, job, t);
}

namespace {
absl::Status CheckJsonText(std::string_view op, std::string_view field, std::string_view text) {
  if (text.empty()) return absl::OkStatus();
  absl::Status json = daira::internal::ValidateJson(text);
  if (!json.ok()) return InvalidField(op, field, "is not JSON (" + std::string(json.message()) + ")");
  return absl::OkStatus();
}
}  // namespace

absl::Status Queue::Complete(const RequestContext& ctx, const Job& job, std::string_view result_json) {
  DAIRA_RETURN_IF_ERROR(CheckJsonText("bus: complete", "result", result_json));
  return Fenced("complete", ctx, job, Outcome::kComplete, std::string(result_json));
}

Queue::Transition Queue::FailureTransition(const QueueSettings& s, const Job& job, std::string_view message,
                                           Clock::TimePoint now) {
  Transition t{.outcome = Outcome::kDead,
               .now = now,
               .text = std::string(message.substr(0, 4000)),
               .worker = std::string(job.lease_owner)};
  if (job.attempt < job.max_attempts) {
    t.outcome = Outcome::kRetry;
    t.when = now + RetryDelay(s, job.attempt, state_->Random01());
  }
  return t;
}

absl::Status Queue::Fail(const RequestContext& ctx, const Job& job, std::string_view message) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: fail", job.queue));
  if (job.lease_token == 0) return Fenced("fail", ctx, job, Outcome::kDead, "");
  return DoTransition(ctx, job, FailureTransition(*s, job, message, clock_->Now()));
}

absl::Status Queue::OutcomeTransitions(std::string_view op, const std::vector<JobOutcome>& outcomes,
                                       std::vector<const Job*>& jobs, std::vector<Transition>& transitions) {
  jobs.reserve(outcomes.size());
  transitions.reserve(outcomes.size());
  const Clock::TimePoint now = clock_->Now();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const JobOutcome& o = outcomes[i];
    auto field = [i](std::string_view name) {
      return "outcomes[" + std::to_string(i) + "]." + std::string(name);
    };
    if (o.job == nullptr) return InvalidField(op, field("job"), "is null");
    if (o.job->lease_token == 0 || o.job->id == 0) {
      return InvalidField(op, field("job"),
                          "was not claimed by Next (no lease; got job " + std::to_string(o.job->id) + ")");
    }
    if (!o.failed) {
      // The field name is built only for the error (the check is deterministic).
      if (!o.text.empty() && !IsJson(o.text)) return CheckJsonText(op, field("result"), o.text);
      // No `worker`: backends record it for failed attempts only.
      Transition& t = transitions.emplace_back();
      t.outcome = Outcome::kComplete;
      t.now = now;
      if (!o.text.empty()) t.text = o.text;  // (most completions carry no result: no string copied)
    } else {
      DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve(op, o.job->queue));
      transitions.push_back(FailureTransition(*s, *o.job, o.text, now));
    }
    jobs.push_back(o.job);
  }
  return absl::OkStatus();
}

namespace {
// A calling thread's vector for the batch calls, kept between calls (no allocation per batch): emptied
// when the call ends, given back when a batch made it large. A nested use on the same thread gets a
// vector of its own.
template <typename T>
class Scratch {
 public:
  Scratch() {
    Kept& k = Mine();
    if (!k.busy) {
      k.busy = true;
      v_ = &k.v;
    }
  }
  ~Scratch() {
    if (v_ != &Mine().v) return;
    v_->clear();
    if (v_->capacity() > 4096) std::vector<T>().swap(*v_);
    Mine().busy = false;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::vector<T>& get() { return *v_; }

 private:
  struct Kept {
    std::vector<T> v;
    bool busy = false;
  };
  static Kept& Mine() {
    thread_local Kept k;
    return k;
  }
  std::vector<T> own_;
  std::vector<T>* v_ = &own_;
};
}  // namespace

absl::StatusOr<std::vector<absl::Status>> Queue::FinishMany(const RequestContext& ctx,
                                                            const std::vector<JobOutcome>& outcomes) {
  Scratch<const Job*> jobs_scratch;
  Scratch<Transition> transitions_scratch;
  std::vector<const Job*>& jobs = jobs_scratch.get();
  std::vector<Transition>& transitions = transitions_scratch.get();
  DAIRA_RETURN_IF_ERROR(OutcomeTransitions("bus: finish many", outcomes, jobs, transitions));
  if (jobs.empty()) return std::vector<absl::Status>{};
  return DoTransitionMany(ctx, jobs, transitions);
}

absl::StatusOr<Queue::FinishedAndClaimed> Queue::FinishManyAndNextBatch(const RequestContext& ctx,
                                                                        const std::vector<JobOutcome>& outcomes,
                                                                        std::string_view queue,
                                                                        std::string_view worker_id, int max_jobs,
                                                                        std::chrono::milliseconds timeout) {
  constexpr std::string_view kOp = "bus: finish many and next batch";
  if (max_jobs < 1 || max_jobs > 1000) {
    return InvalidField(kOp, "max_jobs", "must be in [1, 1000] (got " + std::to_string(max_jobs) + ")");
  }
  const QueueSettings* s = nullptr;
  DAIRA_RETURN_IF_ERROR(CheckClaim(kOp, ctx, queue, timeout, &s));
  std::vector<const Job*> jobs;
  std::vector<Transition> transitions;
  DAIRA_RETURN_IF_ERROR(OutcomeTransitions(kOp, outcomes, jobs, transitions));
  FinishedAndClaimed out;
  std::optional<uint64_t> claimed_at;  // the fused claim found nothing at this wake count
  if (!jobs.empty()) {
    // What ClaimWaiting does before its first claim, then the finish and that claim as one unit.
    const uint64_t seen = WakeCounter();
    DAIRA_RETURN_IF_ERROR(Housekeep(ctx, *s));
    absl::StatusOr<std::optional<FinishedAndClaimed>> fused =
        DoTransitionManyAndClaimMany(ctx, jobs, transitions, *s, worker_id, state_->NextToken(), max_jobs);
    if (fused.ok() && fused->has_value()) {
      out = std::move(**fused);
      if (!out.claimed.empty() || timeout.count() == 0) return out;
      claimed_at = seen;
    } else {
      // Not fused, or the fused unit failed (nothing applied): the finish alone, then the claim.
      DAIRA_ASSIGN_OR_RETURN(out.finished, DoTransitionMany(ctx, jobs, transitions));
    }
  }
  absl::StatusOr<std::vector<Job>> claimed =
      ClaimWaiting(kOp, ctx, queue, worker_id, max_jobs, timeout, claimed_at);
  if (claimed.ok()) {
    out.claimed = *std::move(claimed);
  } else {
    if (jobs.empty()) return claimed.status();  // nothing was finished
    out.claim_status = claimed.status();
  }
  return out;
}

absl::Status Queue::Progress(const RequestContext& ctx, const Job& job, std::string_view progress_json) {
  DAIRA_RETURN_IF_ERROR(CheckJsonText("bus: progress", "progress", progress_json));
  return Fenced("progress", ctx, job, Outcome::kProgress, std::string(progress_json));
}

absl::StatusOr<Clock::TimePoint> Queue::ExtendLease(const RequestContext& ctx, const Job& job,
                                                    std::chrono::milliseconds extension) {
  if (extension.count() <= 0) return InvalidField("bus: extend lease", "extension", "must be positive");
  if (job.lease_token == 0) return Fenced("extend lease", ctx, job, Outcome::kExtend, "");
  Queue::Transition t{
      .outcome = Outcome::kExtend, .now = clock_->Now(), .text = "", .worker = std::string(job.lease_owner)};
  t.when = t.now + extension;
  DAIRA_RETURN_IF_ERROR(DoTransition(ctx, job, t));
  return t.when;
}

absl::Status Queue::Release(const RequestContext& ctx, const Job& job) {
  return Fenced("release", ctx, job, Outcome::kRelease, "");
}

absl::Status Queue::LeaseLost(Outcome outcome, int64_t job_id) {
  std::string_view op = "transition";
  switch (outcome) {
    case Outcome::kComplete: op = "complete"; break;
    case Outcome::kRetry:
    case Outcome::kDead: op = "fail"; break;
    case Outcome::kRelease: op = "release"; break;
    case Outcome::kProgress: op = "progress"; break;
    case Outcome::kExtend: op = "extend lease"; break;
    case Outcome::kCheck: op = "cancel requested"; break;
  }
  return absl::FailedPreconditionError("bus: " + std::string(op) + ": job " + std::to_string(job_id) +
                                       " lease lost (expired, or taken over by another worker)");
}

absl::StatusOr<bool> Queue::CancelRequested(const RequestContext& ctx, const Job& job) {
  absl::Status s = Fenced("cancel requested", ctx, job, Outcome::kCheck, "");
  if (absl::IsCancelled(s)) return true;
  DAIRA_RETURN_IF_ERROR(s);
  return false;
}

absl::Status Queue::CancelRequestedError(int64_t job_id) {
  return absl::CancelledError("bus: job " + std::to_string(job_id) +
                              ": cancel requested (stop, then Fail or Release: the job ends CANCELLED)");
}

absl::StatusOr<Job> Queue::Get(const RequestContext& ctx, int64_t id) { return DoGet(ctx, id); }

absl::Status Queue::Cancel(const RequestContext& ctx, int64_t id) {
  absl::Status s = DoCancel(ctx, id, clock_->Now());
  if (s.ok()) WakeAll();
  return s;
}

absl::Status Queue::Pause(const RequestContext& ctx, std::string_view queue) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: pause", queue));
  return DoSetPaused(ctx, *s, true);
}

absl::Status Queue::Resume(const RequestContext& ctx, std::string_view queue) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: resume", queue));
  DAIRA_RETURN_IF_ERROR(DoSetPaused(ctx, *s, false));
  WakeAll();
  return absl::OkStatus();
}

absl::StatusOr<QueueCounts> Queue::Counts(const RequestContext& ctx, std::string_view queue) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: counts", queue));
  return DoCounts(ctx, *s);
}

absl::StatusOr<QueueMetrics> Queue::Metrics(const RequestContext& ctx, std::string_view queue,
                                            std::chrono::minutes window) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: metrics", queue));
  if (window.count() < 1 || window.count() > backends::kMetricsMaxWindow) {
    return InvalidField("bus: metrics", "window",
                        "must be 1 to " + std::to_string(backends::kMetricsMaxWindow) + " minutes (got " +
                            std::to_string(window.count()) + ")");
  }
  const Clock::TimePoint now = clock_->Now();
  const int64_t current = backends::MetricsMinute(now);
  const int64_t first = current - window.count();
  DAIRA_ASSIGN_OR_RETURN(MetricHistograms h, DoMetrics(ctx, *s, first, current));
  QueueMetrics m;
  m.queue = s->name;
  // The whole minutes before the current one, plus the current one so far (at least one second).
  const int64_t into = ToUnixMicros(now) - current * 60000000;
  m.span = std::chrono::seconds(window.count() * 60 + std::max<int64_t>(1, into / 1000000));
  for (int64_t n : h.completed) m.completed += n;
  for (int64_t n : h.failed) m.failed += n;
  m.throughput = static_cast<double>(m.completed + m.failed) / static_cast<double>(m.span.count());
  for (int64_t n : h.wait) m.wait.samples += n;
  m.wait.p50 = backends::Percentile(h.wait, 0.5);
  m.wait.p99 = backends::Percentile(h.wait, 0.99);
  std::vector<int64_t> run(backends::kLatencyBuckets, 0);
  for (size_t b = 0; b < run.size(); ++b) {
    if (b < h.completed.size()) run[b] += h.completed[b];
    if (b < h.failed.size()) run[b] += h.failed[b];
  }
  m.run.samples = m.completed + m.failed;
  m.run.p50 = backends::Percentile(run, 0.5);
  m.run.p99 = backends::Percentile(run, 0.99);
  return m;
}

absl::StatusOr<std::vector<Job>> Queue::List(const RequestContext& ctx, std::string_view queue, JobState state,
                                             int limit) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: list", queue));
  if (limit < 1 || limit > 10000) {
    return InvalidField("bus: list", "limit", "must be in [1, 10000] (got " + std::to_string(limit) + ")");
  }
  return DoList(ctx, *s, state, limit);
}

absl::StatusOr<int64_t> Queue::Replay(const RequestContext& ctx, std::string_view queue,
                                      const std::vector<int64_t>& ids) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: replay", queue));
  DAIRA_ASSIGN_OR_RETURN(int64_t n, DoReplay(ctx, *s, ids));
  if (n > 0) WakeAll();
  return n;
}

absl::StatusOr<int64_t> Queue::RecoverStalled(const RequestContext& ctx, std::string_view queue) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: recover stalled", queue));
  return DoRecoverStalled(ctx, *s);
}

absl::StatusOr<int64_t> Queue::Clean(const RequestContext& ctx, std::string_view queue) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: clean", queue));
  return DoClean(ctx, *s);
}

absl::StatusOr<Repeatable> Queue::AddRepeatable(const RequestContext& ctx, const RepeatableRequest& r) {
  constexpr std::string_view kOp = "bus: add repeatable";
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve(kOp, r.queue));
  if (r.key.empty() || r.key.size() > 200) {
    return InvalidField(kOp, "key", "must be 1 to 200 bytes (got " + std::to_string(r.key.size()) + ")");
  }
  if (r.name.size() > 200) return InvalidField(kOp, "name", "is longer than 200 bytes");
  auto parsed = ParseJson(r.payload);
  if (!parsed.ok()) {
    return InvalidField(kOp, "payload", "is not JSON (" + std::string(parsed.status().message()) + ")");
  }
  if (r.max_attempts < 0 || r.max_attempts > 1000) {
    return InvalidField(kOp, "max_attempts",
                        "must be 0 (the queue's) or in [1, 1000] (got " + std::to_string(r.max_attempts) + ")");
  }
  if ((r.every.count() != 0) == !r.cron.empty()) {
    return InvalidField(kOp, r.cron.empty() ? "every" : "cron", "exactly one of every and cron must be set");
  }
  if (r.cron.empty() && r.every < std::chrono::seconds(1)) {
    return InvalidField(kOp, "every",
                        "must be at least 1000 ms (got " + std::to_string(r.every.count()) + " ms)");
  }
  const Clock::TimePoint now = clock_->Now();
  if (!r.cron.empty()) {
    auto cron = CronSchedule::Parse(r.cron);
    if (!cron.ok()) return Annotate(cron.status(), kOp);
    if (cron->Next(now) == Clock::TimePoint::max()) {
      return InvalidField(kOp, "cron", "never matches a date (got '" + r.cron + "')");
    }
  }
  const std::string schedule = internal::ScheduleText(r);
  DAIRA_ASSIGN_OR_RETURN(Clock::TimePoint first, internal::FirstAfter(schedule, now));
  Repeatable def{.queue = s->name,
                 .key = r.key,
                 .name = r.name,
                 .payload = r.payload,
                 .every = r.cron.empty() ? r.every : std::chrono::milliseconds(0),
                 .cron = r.cron,
                 .priority = r.priority,
                 .max_attempts = r.max_attempts,
                 .next_run_at = first,
                 .last_run_at = {},
                 .created_at = now,
                 .updated_at = now};
  DAIRA_ASSIGN_OR_RETURN(Repeatable stored, DoAddRepeatable(ctx, def, schedule));
  state_->RepeatAdded(s->name, stored.next_run_at);
  WakeAll();  // a blocked Next recomputes how long to sleep
  return stored;
}

absl::StatusOr<std::vector<Repeatable>> Queue::ListRepeatables(const RequestContext& ctx, std::string_view queue) {
  std::vector<Repeatable> out;
  if (!queue.empty()) {
    DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: list repeatables", queue));
    return DoListRepeatables(ctx, *s);
  }
  std::vector<const QueueSettings*> queues;
  for (const QueueSettings& s : options_.queues) queues.push_back(&s);
  std::sort(queues.begin(), queues.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const QueueSettings* s : queues) {
    DAIRA_ASSIGN_OR_RETURN(std::vector<Repeatable> some, DoListRepeatables(ctx, *s));
    for (Repeatable& r : some) out.push_back(std::move(r));
  }
  return out;
}

absl::Status Queue::RemoveRepeatable(const RequestContext& ctx, std::string_view queue, std::string_view key) {
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve("bus: remove repeatable", queue));
  DAIRA_ASSIGN_OR_RETURN(bool removed, DoRemoveRepeatable(ctx, *s, key));
  if (!removed) {
    return absl::NotFoundError("bus: remove repeatable: key '" + std::string(key) + "' is not a repeatable of " +
                               s->name);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Queue::RunRepeatables(const RequestContext& ctx, std::string_view queue) {
  constexpr std::string_view kOp = "bus: run repeatables";
  DAIRA_ASSIGN_OR_RETURN(const QueueSettings* s, Resolve(kOp, queue));
  if (ctx.open_transaction() != nullptr) {
    return absl::FailedPreconditionError(
        "bus: run repeatables: called with a context bound to a transaction (each occurrence commits by itself)");
  }
  const Clock::TimePoint now = clock_->Now();
  DAIRA_ASSIGN_OR_RETURN(std::vector<Repeatable> defs, DoListRepeatables(ctx, *s));
  int64_t fired = 0;
  std::optional<Clock::TimePoint> earliest;
  for (const Repeatable& def : defs) {
    Clock::TimePoint next = def.next_run_at;
    if (def.next_run_at <= now) {
      auto due = internal::DueOccurrence(internal::ScheduleText(def.every, def.cron), def.next_run_at, now);
      if (!due.ok()) {
        Log(LogLevel::kError, "bus",
            "repeatable " + s->name + "/" + def.key + " has a bad schedule: " + std::string(due.status().message()));
        continue;
      }
      EnqueueRequest request;
      request.queue = s->name;
      request.name = def.name;
      request.payload = def.payload;
      request.priority = def.priority;
      request.max_attempts = def.max_attempts;
      request.idempotency_key = RepeatJobKey(def.key, due->occurrence);
      DAIRA_ASSIGN_OR_RETURN(NewJob job, Validate(ctx, request, ""));
      DAIRA_ASSIGN_OR_RETURN(bool did,
                             DoFireRepeatable(ctx, *s, def.key, def.next_run_at, due->occurrence, due->next, job));
      if (did) ++fired;
      next = due->next;  // (or later, if another scheduler moved it: the next tick sees it)
    }
    if (!earliest.has_value() || next < *earliest) earliest = next;
  }
  state_->RepeatSeen(s->name, now, earliest);
  return fired;
}

absl::StatusOr<int64_t> Queue::RelayOutbox(const RequestContext& ctx, int limit) {
  if (limit < 1 || limit > 10000) {
    return InvalidField("bus: relay outbox", "limit",
                        "must be in [1, 10000] (got " + std::to_string(limit) + ")");
  }
  return DoRelayOutbox(ctx, limit);
}

absl::StatusOr<int64_t> Queue::DoRelayOutbox(const RequestContext&, int) { return int64_t{0}; }

void Queue::InterruptWaiters() {
  state_->interrupts.fetch_add(1);
  WakeAll();
}

void Queue::Close() {
  if (state_->closed.exchange(true)) return;
  WakeAll();
  OnClose();
}

bool Queue::closed() const { return state_->closed.load(); }

Worker::Worker(Queue& queue, std::string queue_name, std::string worker_id)
    : queue_(&queue),
      queue_name_(std::move(queue_name)),
      worker_id_(worker_id.empty() ? DefaultWorkerId("w") : std::move(worker_id)) {}

std::string DefaultWorkerId(std::string_view suffix) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::string(suffix);
}

}  // namespace daira::inline v0::bus
