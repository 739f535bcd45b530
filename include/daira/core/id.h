// 64-bit time-ordered ids, unique across threads and processes.
//
//   daira::IdGenerator ids;                 // node id from the process (pid + random), system clock
//   int64_t a = ids.Next(), b = ids.Next(); // a < b, always
//   daira::IdParts p = daira::DecodeId(a);  // p.unix_millis, p.node, p.sequence
//
// Layout (most significant first): 1 zero sign bit | 41 bits milliseconds since 2024-01-01 UTC |
// 10 bits node id | 12 bits sequence. Sorting ids sorts by creation time, so "newest first" and keyset
// cursors need no extra column. When the wall clock steps back, the generator keeps using its last
// timestamp (borrowing sequence space) so ids stay monotonic; 4096 ids per millisecond per node.
//
// Thread-safety: Next() is safe from any thread (lock-free).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "daira/core/clock.h"

namespace daira::inline v0 {

inline constexpr int64_t kIdEpochUnixMillis = 1704067200000;  // 2024-01-01T00:00:00Z
inline constexpr int kIdNodeBits = 10;
inline constexpr int kIdSequenceBits = 12;

struct IdGeneratorOptions {
  // Node id in [0, 1023]. -1 (default) derives one from the process id and random bits, so two
  // processes on one machine differ. Deployments with many hosts should assign node ids explicitly.
  int node_id = -1;
  // Time source; null means Clock::System(). Not owned; must outlive the generator.
  const Clock* clock = nullptr;
};

struct IdParts {
  int64_t unix_millis;
  int node;
  int sequence;
};

class IdGenerator {
 public:
  // An out-of-range node_id (not -1 and not in [0, 1023]) is ignored here and a derived one is used
  // instead; use Create() to have it rejected.
  explicit IdGenerator(const IdGeneratorOptions& options = {});
  // Validates `options`: InvalidArgument when node_id is neither -1 nor in [0, 1023].
  static absl::StatusOr<std::unique_ptr<IdGenerator>> Create(const IdGeneratorOptions& options);
  // The next id: strictly greater than every id this generator returned before.
  int64_t Next();
  int node_id() const { return node_; }
  // A process-wide generator (never null).
  static IdGenerator* Default();

 private:
  const Clock* clock_;
  int node_;
  std::atomic<int64_t> last_;  // last (millis << 12 | sequence) handed out
};

IdParts DecodeId(int64_t id);

}  // namespace daira::inline v0
