#include "backends/memory/memory_queue.h"

#include <algorithm>
#include <cstdint>

#include "daira/core/status.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::backends {

namespace {

int64_t Us(Clock::TimePoint t) { return ToUnixMicros(t); }

// The latency buckets' bounds (bucket b holds [bound[b], bound[b + 1])), the last one open.
struct BucketBounds {
  std::array<int64_t, backends::kLatencyBuckets + 1> low{};
  BucketBounds() {
    for (int b = 0; b < backends::kLatencyBuckets; ++b) low[b] = backends::LatencyBucketLow(b);
    low[backends::kLatencyBuckets] = INT64_MAX;
  }
};

// LatencyBucket(micros), answered without the search when `micros` falls in `hint`'s bucket (the
// jobs of a batch wait and run alike); `hint` is updated to the answer.
int Bucket(int64_t micros, int& hint) {
  static const BucketBounds kBounds;
  if (micros < 0) micros = 0;
  if (kBounds.low[hint] <= micros && micros < kBounds.low[hint + 1]) return hint;
  hint = backends::LatencyBucket(micros);
  return hint;
}

}  // namespace

absl::StatusOr<std::unique_ptr<bus::Queue>> MemoryQueue::Open(bus::BusOptions options) {
  for (const auto& q : options.queues) DAIRA_RETURN_IF_ERROR(bus::ValidateQueueSettings(q));
  return std::unique_ptr<bus::Queue>(new MemoryQueue(std::move(options)));
}

MemoryQueue::MemoryQueue(bus::BusOptions options)
    : bus::Queue(std::move(options)), queues_(this->options().queues.size()) {
  for (size_t i = 0; i < queues_.size(); ++i) {
    const bus::QueueSettings& s = this->options().queues[i];
    queues_[i].group_limited = s.round_robin_groups && s.group_concurrency > 0;
  }
}

void MemoryQueue::Notify() {
  ++wakes_;
  if (waiters_ > 0) cv_.notify_all();
}

uint32_t MemoryQueue::QueueIndex(const bus::QueueSettings& s) const {
  const std::vector<bus::QueueSettings>& all = options().queues;
  std::less<const bus::QueueSettings*> before;
  if (!before(&s, all.data()) && before(&s, all.data() + all.size())) {
    return static_cast<uint32_t>(&s - all.data());
  }
  // A copy of a configured queue's settings: found by name (the queue exists: Queue validated it).
  return static_cast<uint32_t>(bus::FindQueue(all, s.name) - all.data());
}

const SharedText& MemoryQueue::OwnerLocked(std::string_view worker_id) {
  if (last_owner_ != worker_id) last_owner_ = SharedText(worker_id);
  return last_owner_;
}

MemoryQueue::Slot* MemoryQueue::FindLocked(int64_t id) {
  if (id <= 0) return nullptr;
  const int64_t no = (id - 1) / kChunkSlots;
  if (no != last_chunk_no_) {
    auto it = chunks_.find(no);
    if (it == chunks_.end()) return nullptr;
    last_chunk_no_ = no;
    last_chunk_ = it->second.get();
  }
  Slot* s = last_chunk_->Find(static_cast<int>((id - 1) % kChunkSlots));
  return s != nullptr && s->id == id ? s : nullptr;
}

MemoryQueue::Slot& MemoryQueue::NewSlotLocked(int64_t id) {
  const int64_t no = (id - 1) / kChunkSlots;
  if (no != last_chunk_no_) {
    std::unique_ptr<Chunk>& c = chunks_[no];
    // Default-initialized (not make_unique's value-initialization: no zeroing pass over ~87 KB); its
    // slots are made as they are used.
    if (c == nullptr) c = std::unique_ptr<Chunk>(new Chunk);
    last_chunk_no_ = no;
    last_chunk_ = c.get();
  }
  ++last_chunk_->stored;
  Slot& s = last_chunk_->Make(static_cast<int>((id - 1) % kChunkSlots));
  s.id = id;
  return s;
}

void MemoryQueue::RemoveLocked(Slot& j) {
  PerQueue& q = Q(j);
  if (!j.idempotency_key.empty()) {
    auto k = q.keys.find(j.idempotency_key.view());
    if (k != q.keys.end() && k->second == j.id) q.keys.erase(k);
  }
  const int64_t no = (j.id - 1) / kChunkSlots;
  j = Slot{};
  auto it = chunks_.find(no);
  if (--it->second->stored == 0 && (no + 1) * kChunkSlots < next_id_) {
    if (last_chunk_no_ == no) {
      last_chunk_no_ = -1;
      last_chunk_ = nullptr;
    }
    chunks_.erase(it);
  }
}

template <typename Fn>
void MemoryQueue::ForEachJobLocked(Fn fn) {
  for (auto& [no, chunk] : chunks_) {
    for (int k = 0; k < kChunkSlots; ++k) {
      if (Slot* s = chunk->Find(k); s != nullptr && s->id != 0) fn(*s);
    }
  }
}

void MemoryQueue::FillJob(const Slot& s, bus::Job& j) const {
  // References to the slot's texts (no bytes copied); `j` is fresh, so empty texts are not assigned.
  auto share = [](const SharedText& from, SharedText& to) {
    if (!from.empty()) to = from;
  };
  j.id = s.id;
  share(s.queue_name, j.queue);
  share(s.name, j.name);
  share(s.payload, j.payload);
  j.priority = s.priority;
  j.state = s.state;
  j.run_at = s.run_at;
  j.attempt = s.attempt;
  j.max_attempts = s.max_attempts;
  share(s.idempotency_key, j.idempotency_key);
  share(s.group_key, j.group_key);
  share(s.correlation_id, j.correlation_id);
  share(s.lease_owner, j.lease_owner);
  j.lease_expires_at = s.lease_expires_at;
  j.lease_token = s.lease_token;
  share(s.progress, j.progress);
  share(s.result, j.result);
  if (!s.errors.empty()) j.errors = s.errors;
  j.cancel_requested = s.cancel_requested;
  j.created_at = s.created_at;
  j.updated_at = s.updated_at;
  j.finished_at = s.finished_at;
  j.started_at = s.started_at;
}

void MemoryQueue::IndexWaitingLocked(PerQueue& q, Slot& j, Clock::TimePoint now) {
  // A job due already goes straight to its lane (where a claim would promote it from `delayed` anyway,
  // under the same key).
  ++j.generation;
  const int64_t at = Us(j.run_at);
  if (at <= Us(now)) {
    PushReadyLocked(q, j, at);
  } else {
    q.delayed.emplace(at, j.id);
  }
}

void MemoryQueue::PushReadyLocked(PerQueue& q, const Slot& j, int64_t at) {
  if (q.last_lane == nullptr || q.last_lane_key != -j.priority) {
    q.last_lane_key = -j.priority;
    q.last_lane = &q.lanes[-j.priority];
  }
  Lane& lane = *q.last_lane;
  // Jobs nearly always arrive in key order (enqueued now, retried later): appended to the FIFO.
  if (lane.fifo.empty() || Key{lane.fifo.back().at, lane.fifo.back().id} < Key{at, j.id}) {
    lane.fifo.push_back({at, j.id, j.generation});
  } else {
    lane.late.emplace(at, j.id);
  }
  ++q.ready;
}

MemoryQueue::Slot* MemoryQueue::ReadySlot(const ReadyEntry& e) {
  Slot* s = FindLocked(e.id);
  return s != nullptr && s->state == bus::JobState::kWaiting && s->generation == e.generation ? s : nullptr;
}

void MemoryQueue::UnindexWaitingLocked(PerQueue& q, const Slot& j) {
  const int64_t at = Us(j.run_at);
  if (q.delayed.erase({at, j.id}) > 0) return;
  --q.ready;
  auto lane = q.lanes.find(-j.priority);
  if (lane != q.lanes.end()) lane->second.late.erase({at, j.id});  // a FIFO entry goes stale with the state
}

MemoryQueue::Lane* MemoryQueue::TopLaneLocked(PerQueue& q, Slot** front) {
  while (!q.lanes.empty()) {
    Lane& lane = q.lanes.begin()->second;
    *front = nullptr;
    while (!lane.fifo.empty() && (*front = ReadySlot(lane.fifo.front())) == nullptr) lane.fifo.pop_front();
    if (!lane.fifo.empty() || !lane.late.empty()) return &lane;
    if (q.last_lane == &lane) q.last_lane = nullptr;
    q.lanes.erase(q.lanes.begin());
  }
  return nullptr;
}

void MemoryQueue::MakeWaitingLocked(Slot& j, Clock::TimePoint run_at, Clock::TimePoint now) {
  j.state = bus::JobState::kWaiting;
  j.run_at = run_at;
  j.lease_owner = SharedText();
  j.lease_token = 0;
  j.lease_expires_at = {};
  IndexWaitingLocked(Q(j), j, now);
}

void MemoryQueue::PushLeaseLocked(PerQueue& q, Slot& j) {
  const int64_t at = Us(j.lease_expires_at);
  if (q.lease_fifo.empty() || q.lease_fifo.back().at <= at) {
    j.lease_seq = q.lease_front + q.lease_fifo.size();
    q.lease_fifo.push_back({at, j.id, j.lease_token});
  } else {
    q.lease_late.emplace(at, j.id, j.lease_token);
  }
  ++q.active;
  if (q.group_limited) ++q.group_active[absl::string_view(j.group_key.data(), j.group_key.size())];
  // Finished jobs leave stale entries behind a long-running one: compacted once they outnumber the
  // live leases (amortized O(1) per claim).
  if (q.lease_fifo.size() > static_cast<size_t>(2 * q.active + 1024)) {
    q.lease_fifo.Filter([this](const LeaseEntry& e) { return LeaseLive(e); });
    q.lease_stale = 0;
    for (size_t i = 0; i < q.lease_fifo.size(); ++i) FindLocked(q.lease_fifo[i].id)->lease_seq = q.lease_front + i;
  }
}

void MemoryQueue::DropLeaseLocked(PerQueue& q, const Slot& j) {
  // An active job's one live entry is in `lease_late` or in the FIFO.
  const bool late = !q.lease_late.empty() && q.lease_late.erase({Us(j.lease_expires_at), j.id, j.lease_token}) > 0;
  --q.active;
  // Jobs mostly finish in the order they were claimed: the FIFO's front is then this job's entry,
  // dropped here with the stale ones behind it, if any (compaction is for the other orders); else the
  // job's entry goes stale where it is.
  if (!late) {
    if (!q.lease_fifo.empty() && q.lease_fifo.front().id == j.id && q.lease_fifo.front().token == j.lease_token) {
      q.lease_fifo.pop_front();
      ++q.lease_front;
      if (q.lease_stale > 0) PopMarkedLeasesLocked(q);
    } else {
      // Out of claim order: mark the entry stale where it is (found by its sequence number).
      const uint64_t i = j.lease_seq - q.lease_front;
      if (i < q.lease_fifo.size() && q.lease_fifo[i].id == j.id && q.lease_fifo[i].token == j.lease_token) {
        q.lease_fifo[i].token = 0;
      }
      ++q.lease_stale;
    }
  }
  if (q.group_limited) {
    auto g = q.group_active.find(absl::string_view(j.group_key.data(), j.group_key.size()));
    if (g != q.group_active.end() && --g->second <= 0) q.group_active.erase(g);
  }
}

bool MemoryQueue::LeaseLive(const LeaseEntry& e) {
  const Slot* s = FindLocked(e.id);
  return s != nullptr && s->state == bus::JobState::kActive && s->lease_token == e.token &&
         Us(s->lease_expires_at) == e.at;
}

void MemoryQueue::PopStaleLeasesLocked(PerQueue& q) {
  while (!q.lease_fifo.empty() && (q.lease_fifo.front().token == 0 || !LeaseLive(q.lease_fifo.front()))) {
    q.lease_fifo.pop_front();
    ++q.lease_front;
    if (q.lease_stale > 0) --q.lease_stale;
  }
}

void MemoryQueue::PopMarkedLeasesLocked(PerQueue& q) {
  while (!q.lease_fifo.empty() && q.lease_fifo.front().token == 0) {
    q.lease_fifo.pop_front();
    ++q.lease_front;
    if (q.lease_stale > 0) --q.lease_stale;
  }
}

bool MemoryQueue::EarliestLeaseLocked(PerQueue& q, Key* out) {
  PopStaleLeasesLocked(q);
  bool found = false;
  if (!q.lease_fifo.empty()) {
    *out = {q.lease_fifo.front().at, q.lease_fifo.front().id};
    found = true;
  }
  if (!q.lease_late.empty()) {
    const auto& [at, id, token] = *q.lease_late.begin();
    if (!found || Key{at, id} < *out) *out = {at, id};
    found = true;
  }
  return found;
}

absl::StatusOr<std::vector<bus::EnqueueResult>> MemoryQueue::DoEnqueue(const RequestContext& ctx,
                                                                       const std::vector<NewJob>& jobs) {
  const Clock::TimePoint now = clock().Now();
  // In a bound transaction the jobs appear only once it commits (dropped on rollback); without one
  // they are stored here, under the same lock that assigned their ids.
  const bool deferred = ctx.open_transaction() != nullptr;
  std::vector<bus::EnqueueResult> out;
  out.reserve(jobs.size());
  std::vector<Slot> fresh;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::pair<std::string, std::string>, int64_t> batch_keys;
    bool inserted = false;
    // The previous job's queue (a batch is nearly always one queue): looked up once per run of them.
    const std::string* last_name = nullptr;
    const bus::QueueSettings* s = nullptr;
    PerQueue* q = nullptr;
    uint32_t index = 0;
    for (const NewJob& nj : jobs) {
      const bus::EnqueueRequest& r = *nj.request;
      if (last_name == nullptr || *last_name != r.queue) {
        s = Settings(r.queue);
        index = QueueIndex(*s);
        q = &queues_[index];
        last_name = &r.queue;
      }
      if (!r.idempotency_key.empty()) {
        auto b = batch_keys.find({r.queue, r.idempotency_key});
        if (b != batch_keys.end()) {
          out.push_back({.id = b->second, .deduplicated = true});
          continue;
        }
        auto k = q->keys.find(r.idempotency_key);
        if (k != q->keys.end()) {
          const Slot* j = FindLocked(k->second);
          if (j != nullptr && j->created_at > now - s->dedup_window) {
            out.push_back({.id = j->id, .deduplicated = true});
            continue;
          }
        }
      }
      const int64_t id = next_id_++;
      Slot& j = deferred ? fresh.emplace_back() : NewSlotLocked(id);
      j.id = id;
      j.queue = index;
      // The job's immutable texts in one block (one allocation), handed out by reference on claims.
      SharedText::Pack({{s->name, &j.queue_name},
                        {r.name, &j.name},
                        {r.payload, &j.payload},
                        {r.idempotency_key, &j.idempotency_key},
                        {r.group_key, &j.group_key},
                        {nj.correlation_id, &j.correlation_id}});
      j.priority = r.priority;
      j.run_at = nj.run_at;
      j.max_attempts = nj.max_attempts;
      j.created_at = j.updated_at = now;
      if (!r.idempotency_key.empty()) batch_keys[{r.queue, r.idempotency_key}] = id;
      out.push_back({.id = id, .deduplicated = false});
      if (!deferred) {
        if (!r.idempotency_key.empty()) q->keys[r.idempotency_key] = id;
        IndexWaitingLocked(*q, j, now);
        inserted = true;
      }
    }
    if (inserted) Notify();
  }
  if (fresh.empty()) return out;
  auto held = std::make_shared<std::vector<Slot>>(std::move(fresh));
  store::AfterCommit(ctx, [this, held] {
    const Clock::TimePoint at = clock().Now();
    std::lock_guard<std::mutex> lock(mu_);
    for (Slot& job : *held) {
      Slot& j = NewSlotLocked(job.id);
      j = std::move(job);
      PerQueue& q = Q(j);
      if (!j.idempotency_key.empty()) q.keys[j.idempotency_key.str()] = j.id;
      IndexWaitingLocked(q, j, at);
    }
    Notify();
  });
  return out;
}

absl::StatusOr<std::optional<bus::Job>> MemoryQueue::DoClaim(const RequestContext&, const bus::QueueSettings& s,
                                                            std::string_view worker_id, int64_t token) {
  const Clock::TimePoint now = clock().Now();
  absl::StatusOr<std::optional<bus::Job>> out(absl::in_place);  // filled in place (no move of the job)
  std::lock_guard<std::mutex> lock(mu_);
  const Slot* j = ClaimLocked(Q(s), s, OwnerLocked(worker_id), token, now);
  if (j != nullptr) FillJob(*j, out->emplace());
  return out;
}

absl::StatusOr<std::vector<bus::Job>> MemoryQueue::DoClaimMany(const RequestContext&,
                                                               const bus::QueueSettings& s,
                                                               std::string_view worker_id, int64_t token,
                                                               int max_jobs) {
  const Clock::TimePoint now = clock().Now();
  std::vector<bus::Job> out;
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s);
  const SharedText owner = OwnerLocked(worker_id);
  out.reserve(std::min<size_t>(max_jobs, q.ready + q.delayed.size()));
  while (static_cast<int>(out.size()) < max_jobs) {
    const Slot* j = ClaimLocked(q, s, owner, token, now);
    if (j == nullptr) break;
    FillJob(*j, out.emplace_back());
  }
  return out;
}

MemoryQueue::Slot* MemoryQueue::ClaimLocked(PerQueue& q, const bus::QueueSettings& s, const SharedText& owner,
                                            int64_t token, Clock::TimePoint now) {
  if (q.paused) return nullptr;
  const int64_t now_us = Us(now);
  while (!q.delayed.empty() && q.delayed.begin()->first <= now_us) {
    const auto [at, id] = *q.delayed.begin();
    q.delayed.erase(q.delayed.begin());
    PushReadyLocked(q, *FindLocked(id), at);
  }
  if (q.ready == 0) return nullptr;
  if (s.rate_limit > 0) {
    const int64_t window = now_us / (s.rate_window.count() * 1000);
    if (q.rate_window != window) {
      q.rate_window = window;
      q.rate_started = 0;
    }
    if (q.rate_started >= s.rate_limit) return nullptr;
  }
  Slot* front_slot = nullptr;
  Lane* lane = TopLaneLocked(q, &front_slot);
  if (lane == nullptr) return nullptr;
  int64_t id = 0;
  Slot* picked = nullptr;  // the slot of `id`, when already found
  if (!s.round_robin_groups) {
    const ReadyEntry* front = lane->fifo.empty() ? nullptr : &lane->fifo.front();
    if (front != nullptr && (lane->late.empty() || Key{front->at, front->id} < *lane->late.begin())) {
      id = front->id;
      picked = front_slot;
      lane->fifo.pop_front();
    } else {
      id = lane->late.begin()->second;
      lane->late.erase(lane->late.begin());
    }
  } else {
    // Among the top priority's due jobs (in claim order): the group served longest ago, skipping groups
    // at their limit; the first of the never-served ends the walk.
    size_t f = 0;
    auto l = lane->late.begin();
    bool found = false, pick_fifo = false;
    size_t pick_f = 0;
    auto pick_l = lane->late.end();
    int64_t best_seq = 0;
    std::string_view best_group;
    while (true) {
      while (f < lane->fifo.size() && ReadySlot(lane->fifo[f]) == nullptr) ++f;
      const bool have_f = f < lane->fifo.size(), have_l = l != lane->late.end();
      if (!have_f && !have_l) break;
      const bool take_f = have_f && (!have_l || Key{lane->fifo[f].at, lane->fifo[f].id} < *l);
      const std::string_view group = FindLocked(take_f ? lane->fifo[f].id : l->second)->group_key;
      bool eligible = true;
      if (q.group_limited) {
        auto a = q.group_active.find(absl::string_view(group.data(), group.size()));
        eligible = a == q.group_active.end() || a->second < s.group_concurrency;
      }
      if (eligible) {
        auto served = q.served.find(group);
        const int64_t seq = served == q.served.end() ? 0 : served->second;
        if (!found || seq < best_seq) {
          found = true;
          best_seq = seq;
          best_group = group;
          pick_fifo = take_f;
          pick_f = f;
          pick_l = l;
        }
        if (seq == 0) break;
      }
      if (take_f) {
        ++f;
      } else {
        ++l;
      }
    }
    if (!found) return nullptr;
    auto served = q.served.find(best_group);
    if (served == q.served.end()) served = q.served.emplace(std::string(best_group), 0).first;
    served->second = ++q.serve_seq;
    if (pick_fifo) {
      id = lane->fifo[pick_f].id;
      if (pick_f == 0) lane->fifo.pop_front();  // else it goes stale as the job turns ACTIVE
    } else {
      id = pick_l->second;
      lane->late.erase(pick_l);
    }
  }
  --q.ready;
  if (s.rate_limit > 0) ++q.rate_started;
  Slot& j = picked != nullptr ? *picked : *FindLocked(id);
  j.state = bus::JobState::kActive;
  j.attempt += 1;
  j.lease_owner = owner;
  j.lease_token = token;
  j.lease_expires_at = now + s.timeout;
  j.updated_at = now;
  j.started_at = now;
  PushLeaseLocked(q, j);
  return &j;
}

void MemoryQueue::WaitForWork(std::string_view, uint64_t seen, std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  ++waiters_;
  cv_.wait_until(lock, until, [&] { return wakes_ != seen || closed(); });
  --waiters_;
}

uint64_t MemoryQueue::WakeCounter() const {
  // No lock: a wake-up after this read changes the counter under mu_, where WaitForWork compares it.
  return wakes_.load();
}

void MemoryQueue::WakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  ++wakes_;
  cv_.notify_all();  // unconditionally: Close() and interrupts must reach a waiter about to wait
}

absl::StatusOr<std::optional<Clock::TimePoint>> MemoryQueue::DoNextDue(const RequestContext&,
                                                                       const bus::QueueSettings& s) {
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s);
  std::optional<int64_t> best;
  if (!q.delayed.empty()) best = q.delayed.begin()->first;
  if (Key lease; EarliestLeaseLocked(q, &lease)) best = std::min(best.value_or(INT64_MAX), lease.first);
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
  Slot* found = FindLocked(claimed.id);
  if (found == nullptr) return LeaseLost(t.outcome, claimed.id);
  Slot& j = *found;
  if (j.state != bus::JobState::kActive || j.lease_token != claimed.lease_token || j.lease_expires_at <= t.now) {
    return LeaseLost(t.outcome, claimed.id);
  }
  PerQueue& q = Q(j);
  j.updated_at = t.now;
  switch (t.outcome) {
    case Outcome::kProgress:
      j.progress = t.text;
      return absl::OkStatus();
    case Outcome::kExtend:
      if (Us(t.when) != Us(j.lease_expires_at)) {
        DropLeaseLocked(q, j);
        j.lease_expires_at = t.when;
        PushLeaseLocked(q, j);
      } else {
        j.lease_expires_at = t.when;  // the same µs: its index entry still matches
      }
      return j.cancel_requested ? CancelRequestedError(j.id) : absl::OkStatus();
    case Outcome::kCheck:
      return j.cancel_requested ? CancelRequestedError(j.id) : absl::OkStatus();
    default:
      break;
  }
  DropLeaseLocked(q, j);
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
    if (q.group_limited) changed = true;
    return absl::OkStatus();
  }
  switch (t.outcome) {
    case Outcome::kComplete:
      j.state = bus::JobState::kCompleted;
      if (!t.text.empty() || !j.result.empty()) j.result = t.text;
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
  if (j.state == bus::JobState::kWaiting || q.group_limited) changed = true;
  return absl::OkStatus();
}

void MemoryQueue::RecordFinishLocked(PerQueue& q, const Slot& j, Clock::TimePoint now, bool failed) {
  const int64_t minute = backends::MetricsMinute(now);
  // Nearly always the last finish's minute (no lookup), else found or made.
  if (minute != q.metrics_minute) {
    auto it = q.metrics.find(minute);
    if (it == q.metrics.end()) {
      it = q.metrics.emplace(minute, PerQueue::MinuteMetrics{}).first;
      q.metrics.erase(q.metrics.begin(), q.metrics.lower_bound(minute - backends::kMetricsKeepMinutes));
    }
    q.metrics_minute = minute;
    q.metrics_at = &it->second;
  }
  PerQueue::MinuteMetrics& m = *q.metrics_at;
  auto& series = failed ? m.failed : m.completed;
  if (j.started_at == Clock::TimePoint{}) {
    ++series[0];
    return;
  }
  ++m.wait[Bucket(Us(j.started_at) - Us(j.run_at), q.wait_bucket)];
  ++series[Bucket(Us(now) - Us(j.started_at), q.run_bucket)];
}

absl::StatusOr<bus::MetricHistograms> MemoryQueue::DoMetrics(const RequestContext&,
                                                             const bus::QueueSettings& s,
                                                             int64_t first_minute, int64_t last_minute) {
  bus::MetricHistograms h = backends::EmptyHistograms();
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s);
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
  const Slot* j = FindLocked(id);
  if (j == nullptr) return absl::NotFoundError("bus: get: job " + std::to_string(id) + " not found");
  bus::Job out;
  FillJob(*j, out);
  return out;
}

absl::Status MemoryQueue::DoCancel(const RequestContext&, int64_t id, Clock::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot* found = FindLocked(id);
  if (found == nullptr) return absl::NotFoundError("bus: cancel: job " + std::to_string(id) + " not found");
  Slot& j = *found;
  if (j.state == bus::JobState::kActive) {
    j.cancel_requested = true;  // the cooperative signal: its worker stops and fails or releases it
    j.updated_at = now;
    return absl::OkStatus();
  }
  if (j.state != bus::JobState::kWaiting) {
    return absl::FailedPreconditionError("bus: cancel: job " + std::to_string(id) + " is " +
                                         std::string(bus::JobStateName(j.state)) + ", not WAITING or ACTIVE");
  }
  UnindexWaitingLocked(Q(j), j);
  j.state = bus::JobState::kCancelled;
  j.finished_at = j.updated_at = now;
  return absl::OkStatus();
}

absl::Status MemoryQueue::DoSetPaused(const RequestContext&, const bus::QueueSettings& s, bool paused) {
  std::lock_guard<std::mutex> lock(mu_);
  Q(s).paused = paused;
  return absl::OkStatus();
}

absl::StatusOr<bus::QueueCounts> MemoryQueue::DoCounts(const RequestContext&, const bus::QueueSettings& s) {
  const int64_t now = Us(clock().Now());
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t index = QueueIndex(s);
  bus::QueueCounts c;
  c.queue = s.name;
  c.paused = queues_[index].paused;
  // The counts by JobState, kWaiting aside (split by run_at).
  static_assert(static_cast<int>(bus::JobState::kActive) == 1 &&
                static_cast<int>(bus::JobState::kCancelled) == 4);
  int64_t* const by_state[] = {nullptr, &c.active, &c.completed, &c.dead, &c.cancelled};
  ForEachJobLocked([&](const Slot& j) {
    if (j.queue != index) return;
    if (j.state == bus::JobState::kWaiting) {
      ++(Us(j.run_at) <= now ? c.waiting : c.delayed);
    } else {
      ++*by_state[static_cast<int>(j.state)];
    }
  });
  return c;
}

absl::StatusOr<std::vector<bus::Job>> MemoryQueue::DoList(const RequestContext&, const bus::QueueSettings& s,
                                                         bus::JobState state, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t index = QueueIndex(s);
  // Oldest (lowest id) first: the chunks are unordered, so the matches are sorted.
  std::vector<const Slot*> matches;
  ForEachJobLocked([&](const Slot& j) {
    if (j.queue == index && j.state == state) matches.push_back(&j);
  });
  const size_t n = std::min(matches.size(), static_cast<size_t>(limit));
  std::partial_sort(matches.begin(), matches.begin() + n, matches.end(),
                    [](const Slot* a, const Slot* b) { return a->id < b->id; });
  std::vector<bus::Job> out(n);
  for (size_t i = 0; i < n; ++i) FillJob(*matches[i], out[i]);
  return out;
}

absl::StatusOr<int64_t> MemoryQueue::DoReplay(const RequestContext&, const bus::QueueSettings& s,
                                             const std::vector<int64_t>& ids) {
  const Clock::TimePoint now = clock().Now();
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t index = QueueIndex(s);
  int64_t n = 0;
  auto replay = [&](Slot& j) {
    if (j.queue != index || j.state != bus::JobState::kDead) return;
    j.attempt = 0;
    j.finished_at = {};
    j.updated_at = now;
    MakeWaitingLocked(j, now, now);
    ++n;
  };
  if (ids.empty()) {
    ForEachJobLocked(replay);
  } else {
    for (int64_t id : ids) {
      if (Slot* j = FindLocked(id)) replay(*j);
    }
  }
  if (n > 0) Notify();
  return n;
}

absl::StatusOr<int64_t> MemoryQueue::DoRecoverStalled(const RequestContext&, const bus::QueueSettings& s) {
  const Clock::TimePoint now = clock().Now();
  std::lock_guard<std::mutex> lock(mu_);
  PerQueue& q = Q(s);
  int64_t n = 0;
  Key lease;
  while (EarliestLeaseLocked(q, &lease) && lease.first <= Us(now)) {
    Slot& j = *FindLocked(lease.second);
    DropLeaseLocked(q, j);
    j.errors.push_back(
        {.attempt = j.attempt, .at = now, .worker = j.lease_owner.str(), .message = "lease expired"});
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
  const uint32_t index = QueueIndex(s);
  std::vector<Slot*> gone;  // removed after the walk (a removal may free a chunk)
  ForEachJobLocked([&](Slot& j) {
    const bool done = j.state == bus::JobState::kCompleted || j.state == bus::JobState::kCancelled;
    if (j.queue == index && ((done && j.finished_at <= now - s.retain_completed) ||
                             (j.state == bus::JobState::kDead && j.finished_at <= now - s.retain_dead))) {
      gone.push_back(&j);
    }
  });
  for (Slot* j : gone) RemoveLocked(*j);
  return static_cast<int64_t>(gone.size());
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
