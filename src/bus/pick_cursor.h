// The Postgres bus's per-queue pick cursor ("Per-job cost, session 17" in docs/bus.md).
//
// A claim picks the first due jobs in claim order — priority DESC, run_at, id: jobs_ready_idx's order.
// Started at the queue's head, every pick walks again the ready-index entries of the jobs claimed
// since the oldest open transaction began (an entry is only marked dead once its old row version is
// dead to every transaction): 37–86 entries per job in bus_bench's pool. The cursor remembers the
// last position this process claimed, and the next pick skips, at that position's priority, what lies
// at or before it: higher priorities are still read from their head (a delayed job there coming due
// needs no event), lower priorities after it.
//
// What the skipped range may hold: only jobs this process claimed, or rows another claimer held (SKIP
// LOCKED). Whatever can put a due job back in it resets the cursor — Reset (the next pick starts at
// the head): a claim that failed (its rows return), a pick that came back short, stalled-job
// recovery (and with it the per-second housekeeping tick: another process's rolled-back claim or
// recovery is seen within it), a replay, a resume, a notification without a position (another
// version's, or a listener that reconnected). An enqueue, a retry and a release name where their jobs
// landed (Entered: their priorities and earliest run-at): only one that can be at or before the
// cursor at its priority resets it. A later enqueue at the same priority lands after it (its run-at
// is later, or equal and conservatively treated as behind).
//
// Every Reset and Entered also starts a new epoch: a claim whose pick began before it (and so may not
// have seen what entered) moves the cursor when it ends only if it ended before every entry since
// (the same rule as Entered's, with its last job for the cursor) and no reset came between. (Until
// session 18 any entry kept it: under a long transaction a pick from the head takes up to a second,
// the bench's producer enqueues every 60 ms, so such a pick almost never moved the cursor and the
// next pick walked the dead head again.)
//
// Thread-safety: all members may be called concurrently.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace daira::inline v0::bus::internal {

// A position in claim order.
struct PickPosition {
  int64_t priority = 0;
  int64_t run_at = 0;  // µs since the epoch, as stored
  int64_t id = 0;
};

// True when `a` comes after `b` in claim order (priority DESC, run_at, id).
bool After(const PickPosition& a, const PickPosition& b);

class PickCursors {
 public:
  // Where a pick starts: after `from` (none: at the head), and the epoch it was read in.
  struct Start {
    std::optional<PickPosition> from;
    uint64_t epoch = 0;
  };
  Start Begin(std::string_view queue);
  // A pick that began at `start` claimed up to `last` (its last job in claim order).
  void Advance(std::string_view queue, const Start& start, const PickPosition& last);
  void Reset(std::string_view queue);
  void ResetAll();
  // The periodic look for what may have re-entered behind the cursor unannounced (another process's
  // rolled-back claim or recovery): the next pick alone starts at the head, the cursor stays for the
  // others. (A Reset sends every pick to the head until one ends: under a long transaction each of
  // the pool's threads then walked the dead head once per second.)
  void Probe(std::string_view queue);
  // Jobs entered the queue's ready set at priorities [min_priority, max_priority], the earliest due
  // at `run_at`: a reset when that can be at or before the cursor.
  void Entered(std::string_view queue, int64_t min_priority, int64_t max_priority, int64_t run_at);

 private:
  // What started an epoch: a reset, or jobs entering at [min_priority, max_priority] from run_at.
  struct Change {
    uint64_t epoch = 0;  // the epoch it started
    bool reset = false;
    int64_t min_priority = 0;
    int64_t max_priority = 0;
    int64_t run_at = 0;
  };
  static constexpr size_t kKeptChanges = 64;  // a pick older than these moves nothing
  struct State {
    std::optional<PickPosition> at;
    uint64_t epoch = 0;
    std::deque<Change> changes;  // the last kKeptChanges, oldest first
    bool probe = false;          // the next Begin starts at the head (Probe)
  };
  static void Note(State& st, Change c);
  std::mutex mu_;
  std::map<std::string, State, std::less<>> queues_;  // guarded by mu_
};

// The NOTIFY payload of jobs entering a queue: "queue" alone (a position unknown: a reset), or with
// its origin (the notifying SqlQueue, which skips its own) and where the jobs landed.
struct EntryNotice {
  std::string queue;
  uint64_t origin = 0;      // 0: unknown
  bool positioned = false;  // false: a reset
  int64_t min_priority = 0;
  int64_t max_priority = 0;
  int64_t run_at = 0;
};
std::string FormatEntryNotice(std::string_view queue, uint64_t origin, int64_t min_priority, int64_t max_priority,
                              int64_t run_at);
EntryNotice ParseEntryNotice(std::string_view payload);

}  // namespace daira::inline v0::bus::internal
