#include "daira/core/id.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0 {
namespace {

constexpr int64_t kSequenceMask = (int64_t{1} << kIdSequenceBits) - 1;
constexpr int64_t kNodeMask = (int64_t{1} << kIdNodeBits) - 1;
constexpr int kTimeBits = 63 - kIdNodeBits - kIdSequenceBits;  // 41
constexpr int64_t kTimeMask = (int64_t{1} << kTimeBits) - 1;

// A node id that differs between processes on one machine: pid mixed with random bits.
int DeriveNodeId() {
  uint64_t r = 0;
  try {
    std::random_device rd;
    r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  } catch (...) {
    // No entropy source: fall back to the address of a stack variable and the time.
    r = reinterpret_cast<uintptr_t>(&r) ^
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  uint64_t x = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^ r;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return static_cast<int>(x & kNodeMask);
}

int64_t MillisSinceEpoch(const Clock* clock) {
  int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        clock->Now().time_since_epoch())
                        .count();
  int64_t ms = unix_ms - kIdEpochUnixMillis;
  if (ms < 0) ms = 0;  // a clock before 2024: ids still valid, just clamped
  return ms & kTimeMask;
}

}  // namespace

IdGenerator::IdGenerator(const IdGeneratorOptions& options)
    : clock_(options.clock != nullptr ? options.clock : Clock::System()),
      node_(options.node_id >= 0 && options.node_id <= kNodeMask ? options.node_id : DeriveNodeId()),
      last_(-1) {
  // An out-of-range explicit node id falls back to a derived one rather than to a value that could
  // collide with another node; Create() reports it instead.
}

absl::StatusOr<std::unique_ptr<IdGenerator>> IdGenerator::Create(const IdGeneratorOptions& options) {
  if (options.node_id < -1 || options.node_id > kNodeMask) {
    return InvalidField("id_generator", "node_id",
                        absl::StrCat("must be -1 or in [0, ", kNodeMask, "] (got ", options.node_id, ")"));
  }
  return std::make_unique<IdGenerator>(options);
}

int64_t IdGenerator::Next() {
  const int64_t now_ms = MillisSinceEpoch(clock_);
  int64_t last = last_.load(std::memory_order_relaxed);
  int64_t next;
  do {
    const int64_t candidate = now_ms << kIdSequenceBits;  // sequence 0 in the current millisecond
    if (candidate > last) {
      next = candidate;
    } else {
      // Same millisecond, or the wall clock stepped back: keep the last timestamp and take the next
      // sequence. On sequence overflow the increment carries into the millisecond field, i.e. the
      // logical clock runs ahead of the wall clock until the wall clock catches up.
      next = last + 1;
    }
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_relaxed,
                                        std::memory_order_relaxed));
  const int64_t ms = next >> kIdSequenceBits;
  const int64_t seq = next & kSequenceMask;
  return ((ms & kTimeMask) << (kIdNodeBits + kIdSequenceBits)) |
         (static_cast<int64_t>(node_) << kIdSequenceBits) | seq;
}

IdGenerator* IdGenerator::Default() {
  static IdGenerator* const generator = new IdGenerator();
  return generator;
}

IdParts DecodeId(int64_t id) {
  IdParts p;
  p.unix_millis = ((id >> (kIdNodeBits + kIdSequenceBits)) & kTimeMask) + kIdEpochUnixMillis;
  p.node = static_cast<int>((id >> kIdSequenceBits) & kNodeMask);
  p.sequence = static_cast<int>(id & kSequenceMask);
  return p;
}

}  // namespace daira::inline v0
