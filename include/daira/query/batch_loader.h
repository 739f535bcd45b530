// Batch loading without N+1: many ids in one statement, and a DataLoader-style coalescer.
//
// LoadMany turns "load these ids" into one `... WHERE id IN <array>` statement (Dialect::InArray:
// `id = ANY(?)` on Postgres, `id IN (SELECT value FROM json_each(?))` on SQLite, one bound array
// either way), however many ids — up to LoadManyOptions::max_ids_per_statement per statement, so
// 25,000 ids at the default 10,000 are ceil(25000/10000) = 3 statements. Ids are deduplicated; the
// items come back in the caller's order, and the ids with no row are listed in `missing`.
//
//   auto to_user = [](const store::Row& r) { return User{r.Int64("id"), r.Text("username")}; };
//   DAIRA_ASSIGN_OR_RETURN(auto users, query::LoadMany(db, ctx,
//       "SELECT id, username FROM users WHERE", author_ids, to_user));
//   // users.items: one User per distinct found id, in author_ids order; users.missing: the rest.
//
// Batcher<K, V> coalesces loads issued separately (e.g. by independent resolvers of one request)
// into one call of a batch function; see its comment.
//
// Thread-safety: LoadMany is reentrant (the Connection overload needs the usual one-thread-per-
// connection). Batcher is safe to use from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/row_mapper.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/value.h"

namespace daira::inline v0::query {

struct LoadManyOptions {
  // Column matched against the ids (in the appended InArray predicate) and read back from each row
  // (by its name after the last '.', so "u.id" reads column "id"). Default "id".
  std::string id_column = "id";
  // Most ids bound in one statement; more ids run as ceil(n / max) statements on one connection.
  // Default 10,000 (well inside SQLite's JSON and Postgres's array limits). Values < 1 act as 1.
  size_t max_ids_per_statement = 10000;
  // Values for `?` placeholders inside the SQL prefix, bound before the id array.
  std::vector<store::Value> params{};
};

template <typename T>
struct Loaded {
  std::vector<T> items;          // one per distinct id found, in the order ids were first given
  std::vector<int64_t> ids;      // items[i] is the row of ids[i]
  std::vector<int64_t> missing;  // distinct ids with no row, in the order given
};

// The raw rows of LoadMany: every chunk's result set, and for each distinct id (in caller order)
// where its row is, or nullopt when missing.
struct LoadedRows {
  std::vector<store::ResultSet> chunks;
  std::vector<int64_t> ids;  // distinct, caller order
  std::vector<std::optional<std::pair<size_t, size_t>>> where;  // (chunk, row) per ids[i]
};

// Runs `sql_prefix + " " + InArray(id_column)` over the distinct `ids`, chunked. `sql_prefix` must end
// where a predicate may follow ("SELECT ... FROM users WHERE" or "... WHERE deleted_at IS NULL AND").
// InvalidArgument naming "id_column" when the result has no such column; statement errors pass
// through. No ids: no statement at all.
absl::StatusOr<LoadedRows> LoadRows(store::Connection& conn, std::string_view sql_prefix,
                                    std::span<const int64_t> ids, const LoadManyOptions& options = {});

// LoadRows, then `map` (`T(const Row&)` or `StatusOr<T>(const Row&)`) on each found row.
template <typename F>
absl::StatusOr<Loaded<MappedType<F>>> LoadMany(store::Connection& conn, std::string_view sql_prefix,
                                               std::span<const int64_t> ids, F&& map,
                                               const LoadManyOptions& options = {}) {
  DAIRA_ASSIGN_OR_RETURN(LoadedRows rows, LoadRows(conn, sql_prefix, ids, options));
  Loaded<MappedType<F>> out;
  out.items.reserve(rows.ids.size());
  out.ids.reserve(rows.ids.size());
  for (size_t i = 0; i < rows.ids.size(); ++i) {
    if (!rows.where[i].has_value()) {
      out.missing.push_back(rows.ids[i]);
      continue;
    }
    const auto [chunk, row] = *rows.where[i];
    DAIRA_ASSIGN_OR_RETURN(auto item, ApplyMapper(map, rows.chunks[chunk].row(row)));
    out.items.push_back(std::move(item));
    out.ids.push_back(rows.ids[i]);
  }
  return out;
}

// The same for `ctx`: inside its open transaction when it has one (seeing its uncommitted writes), else
// on a read connection leased from `db` (every chunk on that one connection).
template <typename F>
absl::StatusOr<Loaded<MappedType<F>>> LoadMany(store::Database& db, const RequestContext& ctx,
                                               std::string_view sql_prefix, std::span<const int64_t> ids, F&& map,
                                               const LoadManyOptions& options = {}) {
  if (ids.empty()) return Loaded<MappedType<F>>{};
  return store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c) {
    return LoadMany(c, sql_prefix, ids, std::forward<F>(map), options);
  });
}

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

// Coalesces individual key loads into calls of one batch function.
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
// of that batch. The same key enqueued twice before a dispatch is loaded once.
//
// Thread-safety: every method is safe from any thread. The Batcher must outlive its Handles.
template <typename K, typename V>
class Batcher {
 public:
  using BatchFn = std::function<absl::StatusOr<std::vector<std::optional<V>>>(std::span<const K>)>;

 private:
  struct Slot {
    bool done = false;  // guarded by Batcher::mu_
    absl::StatusOr<V> result = absl::UnknownError("batcher: not loaded");
    uint64_t generation = 0;  // the batch this slot belongs to
  };

 public:
  // A pending or completed load of one key.
  class Handle {
   public:
    // The value, waiting for (and if still pending, triggering) the batch that loads it.
    absl::StatusOr<V> Get() const { return owner_->Wait(slot_); }
    // True once the result is available.
    bool ready() const {
      absl::MutexLock lock(&owner_->mu_);
      return slot_->done;
    }

   private:
    friend class Batcher;
    Handle(Batcher* owner, std::shared_ptr<Slot> slot) : owner_(owner), slot_(std::move(slot)) {}
    Batcher* owner_;
    std::shared_ptr<Slot> slot_;
  };

  explicit Batcher(BatchFn fn, BatcherOptions options = {}) : fn_(std::move(fn)), options_(options) {
    if (options_.max_batch < 1) options_.max_batch = 1;
  }
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Adds `key` to the pending batch (or joins its pending/cached load) and returns a handle. Never
  // blocks on the batch function, except that the Enqueue filling a batch to max_batch dispatches it.
  Handle Enqueue(const K& key) {
    std::shared_ptr<Slot> slot;
    bool full = false;
    {
      absl::MutexLock lock(&mu_);
      slot = EnqueueLocked(key);
      full = pending_keys_.size() >= options_.max_batch;
    }
    if (full) Dispatch();
    return Handle(this, std::move(slot));
  }

  // Loads all pending keys with one call of the batch function (nothing if none are pending).
  void Dispatch() {
    std::vector<K> keys;
    std::vector<std::shared_ptr<Slot>> slots;
    {
      absl::MutexLock lock(&mu_);
      if (pending_keys_.empty()) return;
      keys.swap(pending_keys_);
      slots.swap(pending_slots_);
      ++generation_;
      ++batches_;
    }
    absl::StatusOr<std::vector<std::optional<V>>> results = fn_(std::span<const K>(keys));
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      Slot& s = *slots[i];
      if (!results.ok()) {
        s.result = results.status();
      } else if (results->size() != keys.size()) {
        s.result = absl::InternalError(absl::StrCat("batcher: batch function returned ", results->size(),
                                                    " results for ", keys.size(), " keys"));
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

  // Window mode: dispatches the pending batch now instead of when its window ends (the test hook
  // that replaces sleeping; also useful at the end of a request).
  void Flush() { Dispatch(); }

  // Enqueue + wait. Window mode: a caller starting a new batch waits up to `window` for others to
  // join (ending early on max_batch or Flush) and then dispatches; per-request mode dispatches at once.
  absl::StatusOr<V> Load(const K& key) {
    if (options_.window.count() <= 0) return Enqueue(key).Get();
    std::shared_ptr<Slot> slot;
    bool dispatch = false;
    {
      absl::MutexLock lock(&mu_);
      const bool starts_batch = pending_keys_.empty();
      slot = EnqueueLocked(key);
      if (slot->done) return slot->result;  // cached
      if (pending_keys_.size() >= options_.max_batch) {
        dispatch = true;  // this call filled the batch
      } else if (starts_batch && slot->generation == generation_) {
        // The first caller of a batch waits until the batch is taken by someone else (Flush,
        // max_batch) or the window ends, then dispatches whatever is still pending.
        const uint64_t generation = generation_;
        auto taken = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return generation_ != generation || pending_keys_.size() >= options_.max_batch;
        };
        mu_.AwaitWithTimeout(absl::Condition(&taken), absl::FromChrono(options_.window));
        dispatch = true;
      }
    }
    if (dispatch) return Wait(slot);  // dispatches if the batch is still pending
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&slot->done));
    return slot->result;
  }

  // Number of keys waiting for the next dispatch.
  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return pending_keys_.size();
  }
  // Number of batch-function calls so far.
  int64_t batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  // Forgets cached results (pending loads are unaffected).
  void ClearCache() {
    absl::MutexLock lock(&mu_);
    for (auto it = slots_.begin(); it != slots_.end();) {
      auto cur = it++;
      if (cur->second->done) slots_.erase(cur);
    }
  }

 private:
  static absl::Status NotFound(const K& key) {
    if constexpr (std::is_integral_v<K>) {
      return absl::NotFoundError(absl::StrCat("batcher: key ", key, " not found"));
    } else if constexpr (std::is_convertible_v<const K&, std::string_view>) {
      return absl::NotFoundError(absl::StrCat("batcher: key \"", ToAbsl(std::string_view(key)), "\" not found"));
    } else {
      return absl::NotFoundError("batcher: key not found");
    }
  }

  std::shared_ptr<Slot> EnqueueLocked(const K& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = slots_.find(key);
    if (it != slots_.end()) return it->second;  // pending, in flight, or cached
    auto slot = std::make_shared<Slot>();
    slot->generation = generation_;
    slots_.emplace(key, slot);
    pending_keys_.push_back(key);
    pending_slots_.push_back(slot);
    return slot;
  }

  // Waits for `slot`, dispatching its batch first if it is still pending.
  absl::StatusOr<V> Wait(const std::shared_ptr<Slot>& slot) {
    bool dispatch = false;
    {
      absl::MutexLock lock(&mu_);
      if (slot->done) return slot->result;
      dispatch = slot->generation == generation_;  // still in the pending batch
    }
    if (dispatch) Dispatch();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&slot->done));
    return slot->result;
  }

  const BatchFn fn_;
  BatcherOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<K, std::shared_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);  // pending, in flight, cached
  std::vector<K> pending_keys_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Slot>> pending_slots_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // increments when a batch is taken
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace daira::inline v0::query
