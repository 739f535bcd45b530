#include "backends/memory/memory_queue.h"

#include <algorithm>

#include "daira/core/status.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::backends {

namespace {

int64_t Us(Clock::TimePoint t) { return ToUnixMicros(t); }

}  // namespace

absl::StatusOr<std::unique_ptr<bus::Queue>> MemoryQueue::Open(bus::BusOptions options) {
  for (const auto& q : options.queues) DAIRA_RETURN_IF_ERROR(bus::ValidateQueueSettings(q));
  return std::unique_ptr<bus::Queue>(new MemoryQueue(std::move(options)));
}

void MemoryQueue::Notify() {
  ++wakes_;
  cv_.notify_all();
}

void MemoryQueue::InsertLocked(PerQueue& q, std::unique_ptr<bus::Job> job, Clock::TimePoint now) {
  const int64_t id = job->id;
  bus::Job& j = *job;
  auto [it, inserted] = jobs_.try_emplace(id, std::move(job));
  if (!inserted) return;
  if (!j.idempotency_key.empty()) q.keys[j.idempotency_key] = id;
  IndexWaitingLocked(q, j, now);
}

void MemoryQueue::IndexWaitingLocked(PerQueue& q, const bus::Job& job, Clock::TimePoint now) {
  // A job due already goes straight to `ready` (where ClaimLocked would promote it from `delayed`
  // anyway, under the same key): one index insert instead of two plus an erase.
  const int64_t at = Us(job.run_at);
  if (at <= Us(now)) {
    q.ready.emplace(-job.priority, at, job.id);
  } else {
    q.delayed.emplace(at, job.id);
  }
}

void MemoryQueue::MakeWaitingLocked(bus::Job& job, Clock::TimePoint run_at, Clock::TimePoint now) {
  job.state = bus::JobState::kWaiting;
  job.run_at = run_at;
  job.lease_owner.clear();
  job.lease_token = 0;
  job.lease_expires_at = {};
  IndexWaitingLocked(Q(job.queue), job, now);
}

void MemoryQueue::RemoveFromIndexesLocked(const bus::Job& job) {
  PerQueue& q = Q(job.queue);
  if (job.state == bus::JobState::kWaiting) {
    q.delayed.erase({Us(job.run_at), job.id});
    q.ready.erase({-job.priority, Us(job.run_at), job.id});
  } else if (job.state == bus::JobState::kActive) {
    q.active.erase({Us(job.lease_expires_at), job.id});
  }
}

absl::StatusOr<std::vector<bus::EnqueueResult>> MemoryQueue::DoEnqueue(const RequestContext& ctx,
                                                                       const std::vector<NewJob>& jobs) {
  const Clock::TimePoint now = clock().Now();
  // In a bound transaction the jobs appear only once it commits (dropped on rollback); without one
  // they are stored here, under the same lock that assigned their ids.
  const bool deferred = ctx.open_transaction() != nullptr;
  std::vector<bus::EnqueueResult> out;
  out.reserve(jobs.size());
  std::vector<std::unique_ptr<bus::Job>> fresh;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::pair<std::string, std::string>, int64_t> batch_keys;
    bool inserted = false;
    if (!deferred) jobs_.reserve(jobs_.size() + jobs.size());
    PerQueue* last_q = nullptr;  // the previous job's queue state (a batch is nearly always one queue)
    const std::string* last_name = nullptr;
    for (const NewJob& nj : jobs) {
      const bus::EnqueueRequest& r = *nj.request;
      if (last_name == nullptr || *last_name != r.queue) {
        last_q = &Q(r.queue);
        last_name = &r.queue;
      }
      PerQueue& q = *last_q;
      if (!r.idempotency_key.empty()) {
        auto b = batch_keys.find({r.queue, r.idempotency_key});
        if (b != batch_keys.end()) {
          out.push_back({.id = b->second, .deduplicated = true});
          continue;
        }
        auto k = q.keys.find(r.idempotency_key);
        if (k != q.keys.end()) {
          const bus::Job* j = FindLocked(k->second);
          if (j != nullptr && j->created_at > now - Settings(r.queue)->dedup_window) {
            out.push_back({.id = j->id, .deduplicated = true});
            continue;
          }
        }
      }
      auto job = std::make_unique<bus::Job>();
      job->id = next_id_++;
      job->queue = r.queue;
      job->name = r.name;
      job->payload = r.payload;
      job->priority = r.priority;
      job->run_at = nj.run_at;
      job->max_attempts = nj.max_attempts;
      job->idempotency_key = r.idempotency_key;
      job->group_key = r.group_key;
      job->correlation_id = nj.correlation_id;
      job->created_at = job->updated_at = now;
      if (!r.idempotency_key.empty()) batch_keys[{r.queue, r.idempotency_key}] = job->id;
      out.push_back({.id = job->id, .deduplicated = false});
      if (deferred) {
        fresh.push_back(std::move(job));
      } else {
        InsertLocked(q, std::move(job), now);
        inserted = true;
      }
    }
    if (inserted) Notify();
  }
  if (fresh.empty()) return out;
  auto held = std::make_shared<std::vector<std::unique_ptr<bus::Job>>>(std::move(fresh));
  store::AfterCommit(ctx, [this, held] {
    const Clock::TimePoint at = clock().Now();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& j : *held) {
      PerQueue& q = Q(j->queue);
      InsertLocked(q, std::move(j), at);
    }
    Notify();
  });
  return out;
}

absl::StatusOr<std::optional<bus::Job>> MemoryQueue::DoClaim(const RequestContext&, const bus::QueueSettings& s,
                                                            std::string_view worker_id, int64_t token) {
  const Clock::TimePoint now = clock().Now();
  std::lock_guard<std::mutex> lock(mu_);
  const bus::Job* j = ClaimLocked(Q(s.name), s, worker_id, token, now);
  if (j == nullptr) return std::optional<bus::Job>();
  return std::optional<bus::Job>(*j);
}

absl::StatusOr<std::vector<bus::Job>> MemoryQueue::DoClaimMany(const RequestContext&,
                                                               const bus::QueueSettings& s,
                                                               std::string_view worker_id, int64_t token,
                                                               int max_jobs) {
  const Clock::TimePoint now = clock().Now();
  std::vector<bus::Job> out;
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s.name);
  out.reserve(std::min<size_t>(max_jobs, q.ready.size() + q.delayed.size()));
  while (static_cast<int>(out.size()) < max_jobs) {
    const bus::Job* j = ClaimLocked(q, s, worker_id, token, now);
    if (j == nullptr) break;
    out.push_back(*j);
  }
  return out;
}

bus::Job* MemoryQueue::ClaimLocked(PerQueue& q, const bus::QueueSettings& s, std::string_view worker_id,
                                   int64_t token, Clock::TimePoint now) {
  if (q.paused) return nullptr;
  while (!q.delayed.empty() && q.delayed.begin()->first <= Us(now)) {
    const auto [at, id] = *q.delayed.begin();
    q.delayed.erase(q.delayed.begin());
    q.ready.emplace(-FindLocked(id)->priority, at, id);
  }
  if (q.ready.empty()) return nullptr;
  if (s.rate_limit > 0) {
    const int64_t window = Us(now) / (s.rate_window.count() * 1000);
    if (q.rate_window != window) {
      q.rate_window = window;
      q.rate_started = 0;
    }
    if (q.rate_started >= s.rate_limit) return nullptr;
  }
  auto pick = q.ready.begin();
  if (s.round_robin_groups) {
    // Among the top priority's due jobs: the group served longest ago, skipping groups at their limit.
    std::map<std::string, int> active;
    if (s.group_concurrency > 0) {
      for (const auto& [at, aid] : q.active) ++active[FindLocked(aid)->group_key];
    }
    pick = q.ready.end();
    int64_t best_seq = 0;
    for (auto it = q.ready.begin(); it != q.ready.end(); ++it) {
      if (pick != q.ready.end() && std::get<0>(*it) != std::get<0>(*pick)) break;
      const std::string& group = FindLocked(std::get<2>(*it))->group_key;
      if (s.group_concurrency > 0 && active[group] >= s.group_concurrency) continue;
      auto served = q.served.find(group);
      const int64_t seq = served == q.served.end() ? 0 : served->second;
      if (pick == q.ready.end() || seq < best_seq) {
        pick = it;
        best_seq = seq;
      }
    }
    if (pick == q.ready.end()) return nullptr;
    q.served[FindLocked(std::get<2>(*pick))->group_key] = ++q.serve_seq;
  }
  const int64_t id = std::get<2>(*pick);
  q.ready.erase(pick);
  if (s.rate_limit > 0) ++q.rate_started;
  bus::Job& j = *FindLocked(id);
  j.state = bus::JobState::kActive;
  j.attempt += 1;
  j.lease_owner.assign(worker_id.data(), worker_id.size());
  j.lease_token = token;
  j.lease_expires_at = now + s.timeout;
  j.updated_at = now;
  j.started_at = now;
  q.active.emplace(Us(j.lease_expires_at), id);
  return &j;
}

void MemoryQueue::WaitForWork(std::string_view, uint64_t seen, std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until, [&] { return wakes_ != seen || closed(); });
}

uint64_t MemoryQueue::WakeCounter() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wakes_;
}

void MemoryQueue::WakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  Notify();
}

absl::StatusOr<std::optional<Clock::TimePoint>> MemoryQueue::DoNextDue(const RequestContext&,
                                                                       const bus::QueueSettings& s) {
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s.name);
  std::optional<int64_t> best;
  if (!q.delayed.empty()) best = q.delayed.begin()->first;
  if (!q.active.empty()) best = std::min(best.value_or(INT64_MAX), q.active.begin()->first);
  if (!best.has_value()) return std::optional<Clock::TimePoint>();
  return std::optional<Clock::TimePoint>(FromUnixMicros(*best));
}

absl::Status MemoryQueue::DoTransition(const RequestContext&, const bus::Job& claimed, const Transition& t) {
  std::lock_guard<std::mutex> lock(mu_);
  bool changed = false;
  absl::Status st = TransitionLocked(claimed, t, changed);
  if (changed) Notify();
  return st;
}

absl::StatusOr<std::vector<absl::Status>> MemoryQueue::DoTransitionMany(
    const RequestContext&, const std::vector<const bus::Job*>& jobs,
    const std::vector<Transition>& transitions) {
  std::vector<absl::Status> out;
  out.reserve(jobs.size());
  std::lock_guard<std::mutex> lock(mu_);
  bool changed = false;
  for (size_t i = 0; i < jobs.size(); ++i) out.push_back(TransitionLocked(*jobs[i], transitions[i], changed));
  if (changed) Notify();  // once for the batch
  return out;
}

absl::Status MemoryQueue::TransitionLocked(const bus::Job& claimed, const Transition& t, bool& changed) {
  bus::Job* found = FindLocked(claimed.id);
  if (found == nullptr) return LeaseLost(t.outcome, claimed.id);
  bus::Job& j = *found;
  if (j.state != bus::JobState::kActive || j.lease_token != claimed.lease_token || j.lease_expires_at <= t.now) {
    return LeaseLost(t.outcome, claimed.id);
  }
  PerQueue& q = Q(j.queue);
  j.updated_at = t.now;
  switch (t.outcome) {
    case Outcome::kProgress:
      j.progress = t.text;
      return absl::OkStatus();
    case Outcome::kExtend:
      q.active.erase({Us(j.lease_expires_at), j.id});
      j.lease_expires_at = t.when;
      q.active.emplace(Us(j.lease_expires_at), j.id);
      return j.cancel_requested ? CancelRequestedError(j.id) : absl::OkStatus();
    case Outcome::kCheck:
      return j.cancel_requested ? CancelRequestedError(j.id) : absl::OkStatus();
    default:
      break;
  }
  q.active.erase({Us(j.lease_expires_at), j.id});
  if (t.outcome == Outcome::kComplete || t.outcome == Outcome::kRetry || t.outcome == Outcome::kDead) {
    RecordFinishLocked(q, j, t.now, t.outcome != Outcome::kComplete);
  }
  if (j.cancel_requested && t.outcome != Outcome::kComplete) {
    // The worker stopped after a cancel request: CANCELLED, not retried.
    if (t.outcome != Outcome::kRelease) {
      j.errors.push_back({.attempt = j.attempt, .at = t.now, .worker = t.worker, .message = t.text});
    }
    j.state = bus::JobState::kCancelled;
    j.finished_at = t.now;
    j.lease_token = 0;
    j.lease_expires_at = {};
    if (FinishFreesSlotLocked(q, j.queue)) changed = true;
    return absl::OkStatus();
  }
  switch (t.outcome) {
    case Outcome::kComplete:
      j.state = bus::JobState::kCompleted;
      j.result = t.text;
      j.finished_at = t.now;
      j.lease_token = 0;
      j.lease_expires_at = {};
      break;
    case Outcome::kRetry:
      j.errors.push_back({.attempt = j.attempt, .at = t.now, .worker = t.worker, .message = t.text});
      MakeWaitingLocked(j, t.when, t.now);
      break;
    case Outcome::kDead:
      j.errors.push_back({.attempt = j.attempt, .at = t.now, .worker = t.worker, .message = t.text});
      j.state = bus::JobState::kDead;
      j.finished_at = t.now;
      j.lease_token = 0;
      j.lease_expires_at = {};
      break;
    case Outcome::kRelease:
      j.attempt = std::max(0, j.attempt - 1);
      MakeWaitingLocked(j, t.now, t.now);
      break;
    default:
      break;
  }
  // A retried or released job waits again (a waiter may claim it, or must recompute when it is due);
  // a completed or dead one frees a place only under a per-group limit.
  if (j.state == bus::JobState::kWaiting || FinishFreesSlotLocked(q, j.queue)) changed = true;
  return absl::OkStatus();
}

bool MemoryQueue::FinishFreesSlotLocked(PerQueue& q, const std::string& name) {
  if (q.group_limited < 0) {
    const bus::QueueSettings* s = Settings(name);
    q.group_limited = s != nullptr && s->round_robin_groups && s->group_concurrency > 0 ? 1 : 0;
  }
  return q.group_limited == 1;
}

void MemoryQueue::RecordFinishLocked(PerQueue& q, const bus::Job& j, Clock::TimePoint now, bool failed) {
  const int64_t minute = backends::MetricsMinute(now);
  // Nearly always the newest minute: checked before the lookup.
  auto it = !q.metrics.empty() && q.metrics.rbegin()->first == minute ? std::prev(q.metrics.end())
                                                                      : q.metrics.find(minute);
  if (it == q.metrics.end()) {
    it = q.metrics.emplace(minute, PerQueue::MinuteMetrics{}).first;
    q.metrics.erase(q.metrics.begin(), q.metrics.lower_bound(minute - backends::kMetricsKeepMinutes));
  }
  auto& series = failed ? it->second.failed : it->second.completed;
  if (j.started_at == Clock::TimePoint{}) {
    ++series[0];
    return;
  }
  ++it->second.wait[backends::LatencyBucket(Us(j.started_at) - Us(j.run_at))];
  ++series[backends::LatencyBucket(Us(now) - Us(j.started_at))];
}

absl::StatusOr<bus::MetricHistograms> MemoryQueue::DoMetrics(const RequestContext&,
                                                             const bus::QueueSettings& s,
                                                             int64_t first_minute, int64_t last_minute) {
  bus::MetricHistograms h = backends::EmptyHistograms();
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s.name);
  for (auto it = q.metrics.lower_bound(first_minute); it != q.metrics.end() && it->first <= last_minute;
       ++it) {
    for (int b = 0; b < backends::kLatencyBuckets; ++b) {
      h.wait[b] += it->second.wait[b];
      h.completed[b] += it->second.completed[b];
      h.failed[b] += it->second.failed[b];
    }
  }
  return h;
}

absl::StatusOr<bus::Job> MemoryQueue::DoGet(const RequestContext&, int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  const bus::Job* j = FindLocked(id);
  if (j == nullptr) return absl::NotFoundError("bus: get: job " + std::to_string(id) + " not found");
  return *j;
}

absl::Status MemoryQueue::DoCancel(const RequestContext&, int64_t id, Clock::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  bus::Job* found = FindLocked(id);
  if (found == nullptr) return absl::NotFoundError("bus: cancel: job " + std::to_string(id) + " not found");
  bus::Job& j = *found;
  if (j.state == bus::JobState::kActive) {
    j.cancel_requested = true;  // the cooperative signal: its worker stops and fails or releases it
    j.updated_at = now;
    return absl::OkStatus();
  }
  if (j.state != bus::JobState::kWaiting) {
    return absl::FailedPreconditionError("bus: cancel: job " + std::to_string(id) + " is " +
                                         std::string(bus::JobStateName(j.state)) + ", not WAITING or ACTIVE");
  }
  RemoveFromIndexesLocked(j);
  j.state = bus::JobState::kCancelled;
  j.finished_at = j.updated_at = now;
  return absl::OkStatus();
}

absl::Status MemoryQueue::DoSetPaused(const RequestContext&, const bus::QueueSettings& s, bool paused) {
  std::lock_guard<std::mutex> lock(mu_);
  Q(s.name).paused = paused;
  return absl::OkStatus();
}

absl::StatusOr<bus::QueueCounts> MemoryQueue::DoCounts(const RequestContext&, const bus::QueueSettings& s) {
  const int64_t now = Us(clock().Now());
  std::lock_guard<std::mutex> lock(mu_);
  bus::QueueCounts c;
  c.queue = s.name;
  c.paused = Q(s.name).paused;
  for (const auto& [id, job] : jobs_) {
    const bus::Job& j = *job;
    if (j.queue != s.name) continue;
    switch (j.state) {
      case bus::JobState::kWaiting: (Us(j.run_at) <= now ? c.waiting : c.delayed)++; break;
      case bus::JobState::kActive: c.active++; break;
      case bus::JobState::kCompleted: c.completed++; break;
      case bus::JobState::kDead: c.dead++; break;
      case bus::JobState::kCancelled: c.cancelled++; break;
    }
  }
  return c;
}

absl::StatusOr<std::vector<bus::Job>> MemoryQueue::DoList(const RequestContext&, const bus::QueueSettings& s,
                                                         bus::JobState state, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  // Oldest (lowest id) first: the map is unordered, so the matches are sorted.
  std::vector<const bus::Job*> matches;
  for (const auto& [id, j] : jobs_) {
    if (j->queue == s.name && j->state == state) matches.push_back(j.get());
  }
  const size_t n = std::min(matches.size(), static_cast<size_t>(limit));
  std::partial_sort(matches.begin(), matches.begin() + n, matches.end(),
                    [](const bus::Job* a, const bus::Job* b) { return a->id < b->id; });
  std::vector<bus::Job> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(*matches[i]);
  return out;
}

absl::StatusOr<int64_t> MemoryQueue::DoReplay(const RequestContext&, const bus::QueueSettings& s,
                                             const std::vector<int64_t>& ids) {
  const Clock::TimePoint now = clock().Now();
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  auto replay = [&](bus::Job& j) {
    if (j.queue != s.name || j.state != bus::JobState::kDead) return;
    j.attempt = 0;
    j.finished_at = {};
    j.updated_at = now;
    MakeWaitingLocked(j, now, now);
    ++n;
  };
  if (ids.empty()) {
    for (auto& [id, j] : jobs_) replay(*j);
  } else {
    for (int64_t id : ids) {
      if (bus::Job* j = FindLocked(id)) replay(*j);
    }
  }
  if (n > 0) Notify();
  return n;
}

absl::StatusOr<int64_t> MemoryQueue::DoRecoverStalled(const RequestContext&, const bus::QueueSettings& s) {
  const Clock::TimePoint now = clock().Now();
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s.name);
  int64_t n = 0;
  while (!q.active.empty() && q.active.begin()->first <= Us(now)) {
    const int64_t id = q.active.begin()->second;
    q.active.erase(q.active.begin());
    bus::Job& j = *FindLocked(id);
    j.errors.push_back({.attempt = j.attempt, .at = now, .worker = j.lease_owner, .message = "lease expired"});
    j.updated_at = now;
    if (j.cancel_requested || j.attempt >= j.max_attempts) {
      j.state = j.cancel_requested ? bus::JobState::kCancelled : bus::JobState::kDead;
      j.finished_at = now;
      j.lease_token = 0;
      j.lease_expires_at = {};
    } else {
      MakeWaitingLocked(j, now, now);
    }
    ++n;
  }
  return n;
}

absl::StatusOr<int64_t> MemoryQueue::DoClean(const RequestContext&, const bus::QueueSettings& s) {
  const Clock::TimePoint now = clock().Now();
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const bus::Job& j = *it->second;
    const bool done = j.state == bus::JobState::kCompleted || j.state == bus::JobState::kCancelled;
    if (j.queue == s.name && ((done && j.finished_at <= now - s.retain_completed) ||
                              (j.state == bus::JobState::kDead && j.finished_at <= now - s.retain_dead))) {
      PerQueue& q = Q(j.queue);
      auto k = q.keys.find(j.idempotency_key);
      if (k != q.keys.end() && k->second == j.id) q.keys.erase(k);
      jobs_.erase(it++);  // erasing leaves the other iterators valid
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

absl::StatusOr<bus::Repeatable> MemoryQueue::DoAddRepeatable(const RequestContext&, const bus::Repeatable& def,
                                                             const std::string& schedule) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = repeatables_.try_emplace({def.queue, def.key}, def, schedule);
  if (!inserted) {
    auto& [stored, stored_schedule] = it->second;
    bus::Repeatable updated = def;
    updated.created_at = stored.created_at;
    updated.last_run_at = stored.last_run_at;
    if (stored_schedule == schedule) updated.next_run_at = stored.next_run_at;  // keep the pending occurrence
    it->second = {updated, schedule};
  }
  return it->second.first;
}

absl::StatusOr<std::vector<bus::Repeatable>> MemoryQueue::DoListRepeatables(const RequestContext&,
                                                                          const bus::QueueSettings& s) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<bus::Repeatable> out;
  for (auto it = repeatables_.lower_bound({s.name, ""}); it != repeatables_.end() && it->first.first == s.name;
       ++it) {
    out.push_back(it->second.first);
  }
  return out;
}

absl::StatusOr<bool> MemoryQueue::DoRemoveRepeatable(const RequestContext&, const bus::QueueSettings& s,
                                                     std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  return repeatables_.erase({s.name, std::string(key)}) > 0;
}

absl::StatusOr<bool> MemoryQueue::DoFireRepeatable(const RequestContext& ctx, const bus::QueueSettings& s,
                                                   std::string_view key, Clock::TimePoint expected,
                                                   Clock::TimePoint occurrence, Clock::TimePoint next,
                                                   const NewJob& job) {
  {
    // The claim of this occurrence, under the mutex: one caller moves next_run_at on.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repeatables_.find({s.name, std::string(key)});
    if (it == repeatables_.end() || it->second.first.next_run_at != expected) return false;
    it->second.first.next_run_at = next;
    it->second.first.last_run_at = occurrence;
    it->second.first.updated_at = clock().Now();
  }
  DAIRA_RETURN_IF_ERROR(DoEnqueue(ctx, {job}).status());
  return true;
}

}  // namespace daira::inline v0::backends
