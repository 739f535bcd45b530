// A DataLoader-style coalescer: key loads issued separately (by independent resolvers of one request,
// or by concurrent threads) become one call of a batch function.
//
//   query::Batcher<int64_t, User> users(
//       [&](std::span<const int64_t> ids) -> absl::StatusOr<std::vector<std::optional<User>>> {
//         ... one LoadMany over ids, returned aligned with ids (nullopt = not found) ...
//       });
//   auto a = users.Enqueue(7);                 // nothing runs yet
//   auto b = users.Enqueue(9);
//   users.Dispatch();                          // ONE batch call with {7, 9}
//   absl::StatusOr<User> u7 = a.Get();         // Get() also dispatches if the key is still pending
//
// Per-request mode: make one Batcher per request, Enqueue from each resolver, Dispatch once.
// Window mode (options.window > 0): threads calling Load(key) concurrently are served by one batch:
// the first caller of a batch waits up to `window` (or until max_batch keys, or a Flush()) and then
// dispatches; the others wait for the result. Dispatch/Flush run the batch function on the calling
// thread, never under the Batcher's lock.
//
// Results: each waiter of a key gets its value; a key the batch function answers with nullopt gets
// NotFound; a batch-function error (or a result of the wrong length → Internal) goes to every waiter
// of that batch. The same key enqueued twice before a dispatch is loaded once. K must be hashable
// (std::hash) and comparable.
//
// Thread-safety: every method is safe from any thread. The Batcher must outlive its Handles.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace daira::inline v0::query {

struct BatcherOptions {
  // Most keys per batch-function call; reaching it dispatches at once (from the Enqueue that filled it).
  size_t max_batch = 1000;
  // Cross-thread window for Load(): the first caller of a new batch waits up to this long for others
  // to join before dispatching. Zero (default): Load() dispatches at once (per-request mode).
  std::chrono::microseconds window{0};
  // Remember results: a key loaded before is answered without another batch (per-request caching,
  // as in DataLoader). Errors are never cached. Default true.
  bool cache = true;
};

template <typename K, typename V>
class Batcher {
  struct Slot;

 public:
  using BatchFn = std::function<absl::StatusOr<std::vector<std::optional<V>>>(std::span<const K>)>;

  // A pending or completed load of one key.
  class Handle {
   public:
    // The value, waiting for (and if still pending, triggering) the batch that loads it.
    absl::StatusOr<V> Get() const { return owner_->Wait(slot_); }
    // True once the result is available.
    bool ready() const;

   private:
    friend class Batcher;
    Handle(Batcher* owner, std::shared_ptr<Slot> slot) : owner_(owner), slot_(std::move(slot)) {}
    Batcher* owner_;
    std::shared_ptr<Slot> slot_;
  };

  explicit Batcher(BatchFn fn, BatcherOptions options = {});
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Adds `key` to the pending batch (or joins its pending/cached load) and returns a handle. Never
  // blocks on the batch function, except that the Enqueue filling a batch to max_batch dispatches it.
  Handle Enqueue(const K& key);
  // Loads all pending keys with one call of the batch function (nothing if none are pending).
  void Dispatch();
  // Window mode: dispatches the pending batch now instead of when its window ends (the test hook
  // that replaces sleeping; also useful at the end of a request).
  void Flush() { Dispatch(); }
  // Enqueue + wait. Window mode: a caller starting a new batch waits up to `window` for others to
  // join (ending early on max_batch or Flush) and then dispatches; per-request mode dispatches at once.
  absl::StatusOr<V> Load(const K& key);

  // Number of keys waiting for the next dispatch.
  size_t pending() const;
  // Number of batch-function calls so far.
  int64_t batches() const;
  // Forgets cached results (pending loads are unaffected).
  void ClearCache();

  // ---------------------------------------------------------------- implementation (not the API)
 private:
  struct Slot {
    bool done = false;  // guarded by Batcher::mu_
    absl::StatusOr<V> result = absl::UnknownError("batcher: not loaded");
    uint64_t generation = 0;  // the batch this slot belongs to
  };

  static absl::Status NotFound(const K& key);
  std::shared_ptr<Slot> EnqueueLocked(const K& key);   // mu_ held
  absl::StatusOr<V> Wait(const std::shared_ptr<Slot>& slot);

  const BatchFn fn_;
  BatcherOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;                           // a batch was taken, filled or completed
  std::unordered_map<K, std::shared_ptr<Slot>> slots_;        // pending, in flight, cached
  std::vector<K> pending_keys_;
  std::vector<std::shared_ptr<Slot>> pending_slots_;
  uint64_t generation_ = 0;  // increments when a batch is taken
  int64_t batches_ = 0;
};

template <typename K, typename V>
Batcher<K, V>::Batcher(BatchFn fn, BatcherOptions options) : fn_(std::move(fn)), options_(options) {
  if (options_.max_batch < 1) options_.max_batch = 1;
}

template <typename K, typename V>
bool Batcher<K, V>::Handle::ready() const {
  std::lock_guard<std::mutex> lock(owner_->mu_);
  return slot_->done;
}

template <typename K, typename V>
typename Batcher<K, V>::Handle Batcher<K, V>::Enqueue(const K& key) {
  std::shared_ptr<Slot> slot;
  bool full = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot = EnqueueLocked(key);
    full = pending_keys_.size() >= options_.max_batch;
  }
  if (full) Dispatch();
  return Handle(this, std::move(slot));
}

template <typename K, typename V>
void Batcher<K, V>::Dispatch() {
  std::vector<K> keys;
  std::vector<std::shared_ptr<Slot>> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_keys_.empty()) return;
    keys.swap(pending_keys_);
    slots.swap(pending_slots_);
    ++generation_;
    ++batches_;
  }
  changed_.notify_all();  // a window waiter's batch was taken
  absl::StatusOr<std::vector<std::optional<V>>> results = fn_(std::span<const K>(keys));
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      Slot& s = *slots[i];
      if (!results.ok()) {
        s.result = results.status();
      } else if (results->size() != keys.size()) {
        s.result = absl::InternalError("batcher: batch function returned " + std::to_string(results->size()) +
                                       " results for " + std::to_string(keys.size()) + " keys");
      } else if (!(*results)[i].has_value()) {
        s.result = NotFound(keys[i]);
      } else {
        s.result = std::move(*(*results)[i]);
      }
      s.done = true;
      // Errors are not cached; without caching nothing is.
      if (!options_.cache || !s.result.ok()) {
        auto it = slots_.find(keys[i]);
        if (it != slots_.end() && it->second == slots[i]) slots_.erase(it);
      }
    }
  }
  changed_.notify_all();
}

template <typename K, typename V>
absl::StatusOr<V> Batcher<K, V>::Load(const K& key) {
  if (options_.window.count() <= 0) return Enqueue(key).Get();
  std::shared_ptr<Slot> slot;
  bool dispatch = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool starts_batch = pending_keys_.empty();
    slot = EnqueueLocked(key);
    if (slot->done) return slot->result;  // cached
    if (pending_keys_.size() >= options_.max_batch) {
      dispatch = true;  // this call filled the batch
    } else if (starts_batch && slot->generation == generation_) {
      // The first caller of a batch waits until the batch is taken by someone else (Flush,
      // max_batch) or the window ends, then dispatches whatever is still pending.
      const uint64_t generation = generation_;
      changed_.wait_for(lock, options_.window, [&] {
        return generation_ != generation || pending_keys_.size() >= options_.max_batch;
      });
      dispatch = true;
    }
  }
  if (dispatch) return Wait(slot);  // dispatches if the batch is still pending
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return slot->done; });
  return slot->result;
}

template <typename K, typename V>
size_t Batcher<K, V>::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_keys_.size();
}

template <typename K, typename V>
int64_t Batcher<K, V>::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

template <typename K, typename V>
void Batcher<K, V>::ClearCache() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (it->second->done) {
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
}

template <typename K, typename V>
absl::Status Batcher<K, V>::NotFound(const K& key) {
  if constexpr (std::is_integral_v<K>) {
    return absl::NotFoundError("batcher: key " + std::to_string(key) + " not found");
  } else if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    return absl::NotFoundError("batcher: key \"" + std::string(std::string_view(key)) + "\" not found");
  } else {
    return absl::NotFoundError("batcher: key not found");
  }
}

template <typename K, typename V>
std::shared_ptr<typename Batcher<K, V>::Slot> Batcher<K, V>::EnqueueLocked(const K& key) {
  auto it = slots_.find(key);
  if (it != slots_.end()) return it->second;  // pending, in flight, or cached
  auto slot = std::make_shared<Slot>();
  slot->generation = generation_;
  slots_.emplace(key, slot);
  pending_keys_.push_back(key);
  pending_slots_.push_back(slot);
  if (pending_keys_.size() >= options_.max_batch) changed_.notify_all();  // a window waiter may go now
  return slot;
}

template <typename K, typename V>
absl::StatusOr<V> Batcher<K, V>::Wait(const std::shared_ptr<Slot>& slot) {
  bool dispatch = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (slot->done) return slot->result;
    dispatch = slot->generation == generation_;  // still in the pending batch
  }
  if (dispatch) Dispatch();
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return slot->done; });
  return slot->result;
}

}  // namespace daira::inline v0::query
