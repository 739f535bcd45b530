#include "daira/core/id.h"

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0 {
namespace {

constexpr int64_t kSequenceMask = (int64_t{1} << kIdSequenceBits) - 1;
constexpr int64_t kNodeMask = (int64_t{1} << kIdNodeBits) - 1;
constexpr int kTimeBits = 63 - kIdNodeBits - kIdSequenceBits;  // 41
constexpr int64_t kTimeMask = (int64_t{1} << kTimeBits) - 1;

constexpr int64_t kUnbound = std::numeric_limits<int64_t>::max();

// Bumped in every fork()ed child (pthread_atfork), so a generator can tell it now runs in a child of
// the process its node id belongs to. Reading it is one relaxed atomic load on the hot path.
std::atomic<uint64_t> g_fork_generation{0};

uint64_t ForkGeneration() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  return g_fork_generation.load(std::memory_order_relaxed);
}

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
      last_(-1),
      valid_until_us_(kUnbound),
      fork_generation_(ForkGeneration()),
      derived_(!(options.node_id >= 0 && options.node_id <= kNodeMask)) {
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

int64_t IdGenerator::Compose(int64_t now_ms, int node) {
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
  return ((ms & kTimeMask) << (kIdNodeBits + kIdSequenceBits)) | (static_cast<int64_t>(node) << kIdSequenceBits) |
         seq;
}

absl::Status IdGenerator::ForkedChild() {
  // A derived (random) node id is only ever unique by chance: pick another one for the child, so
  // parent and child never share it. A leased or configured node id belongs to the parent.
  std::lock_guard lock(mu_);
  const uint64_t now_generation = ForkGeneration();
  if (fork_generation_.load(std::memory_order_relaxed) == now_generation) return absl::OkStatus();
  if (derived_.load(std::memory_order_relaxed)) {
    const int parent = node_.load(std::memory_order_relaxed);
    int fresh = DeriveNodeId();
    if (fresh == parent) fresh = (fresh + 1) & static_cast<int>(kNodeMask);
    node_.store(fresh, std::memory_order_release);
    fork_generation_.store(now_generation, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "id generator: node_id ", node_.load(std::memory_order_relaxed),
      " belongs to the parent of this fork()ed process; open a new Platform in the child to lease its own"));
}

absl::StatusOr<int64_t> IdGenerator::TryNext() {
  if (fork_generation_.load(std::memory_order_relaxed) != g_fork_generation.load(std::memory_order_relaxed)) {
    DAIRA_RETURN_IF_ERROR(ForkedChild());
  }
  if (revoked_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (revoked_.load(std::memory_order_relaxed)) return revoked_status_;
  }
  const int node = node_.load(std::memory_order_acquire);
  const int64_t valid_until = valid_until_us_.load(std::memory_order_acquire);
  const Clock::TimePoint now = clock_->Now();
  if (valid_until != kUnbound && ToUnixMicros(now) >= valid_until) {
    if (!lapse_reported_.exchange(true, std::memory_order_acq_rel)) {
      std::function<void()> listener;
      {
        std::lock_guard lock(mu_);
        listener = lapse_listener_;
      }
      if (listener) listener();
    }
    return absl::UnavailableError(absl::StrCat(
        "id generator: the lease on node_id ", node, " was not renewed in time (its validity ended ",
        (ToUnixMicros(now) - valid_until) / 1000, " ms ago); ids resume once it is renewed or re-taken"));
  }
  const int64_t now_ms = [&] {
    int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    int64_t ms = unix_ms - kIdEpochUnixMillis;
    if (ms < 0) ms = 0;  // a clock before 2024: ids still valid, just clamped
    return ms & kTimeMask;
  }();
  return Compose(now_ms, node);
}

int64_t IdGenerator::Next() {
  absl::StatusOr<int64_t> id = TryNext();
  if (id.ok()) return *id;
  int node;
  bool first = false;
  {
    std::lock_guard lock(mu_);
    const int own = node_.load(std::memory_order_relaxed);
    if (fallback_node_ < 0 || fallback_node_ == own) {
      fallback_node_ = DeriveNodeId();
      if (fallback_node_ == own) fallback_node_ = (fallback_node_ + 1) & static_cast<int>(kNodeMask);
      first = true;
      BumpMillisecond();  // ids under the stand-in node sort after those issued under the own one
    }
    node = fallback_node_;
  }
  if (first) {
    Log(LogLevel::kError, "ids",
        absl::StrCat(id.status().message(), "; Next() issues ids under random node_id ", node,
                     " meanwhile (unique only by chance; callers that can fail should use TryNext)"));
  }
  return Compose(MillisSinceEpoch(clock_), node);
}

void IdGenerator::AssignNode(int node_id, Clock::TimePoint valid_until, Clock::TimePoint not_before) {
  std::lock_guard lock(mu_);
  node_id &= static_cast<int>(kNodeMask);
  BumpMillisecond();
  // The previous holder of this node id issued ids in milliseconds up to not_before's: start after.
  const int64_t floor_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(not_before.time_since_epoch()).count() -
      kIdEpochUnixMillis;
  if (floor_ms >= 0) {
    const int64_t floor_last = (((floor_ms & kTimeMask) + 1) << kIdSequenceBits) - 1;
    int64_t last = last_.load(std::memory_order_relaxed);
    while (last < floor_last && !last_.compare_exchange_weak(last, floor_last, std::memory_order_relaxed)) {
    }
  }
  node_.store(node_id, std::memory_order_release);
  derived_.store(false, std::memory_order_relaxed);
  fork_generation_.store(ForkGeneration(), std::memory_order_relaxed);
  valid_until_us_.store(ToUnixMicros(valid_until), std::memory_order_release);
  fallback_node_ = -1;
  revoked_status_ = absl::OkStatus();
  revoked_.store(false, std::memory_order_release);
  lapse_reported_.store(false, std::memory_order_release);
}

void IdGenerator::BumpMillisecond() {
  // Ids issued from now on must sort after every id issued before, whatever the two node ids: move
  // the logical clock to the next millisecond.
  int64_t last = last_.load(std::memory_order_relaxed);
  while (last >= 0) {
    const int64_t bumped = (((last >> kIdSequenceBits) + 1) << kIdSequenceBits) - 1;
    if (last_.compare_exchange_weak(last, bumped, std::memory_order_relaxed)) break;
  }
}

void IdGenerator::ExtendNode(Clock::TimePoint valid_until) {
  {
    std::lock_guard lock(mu_);
    if (fallback_node_ >= 0) {  // Next() used a stand-in node meanwhile: back to the own one, in order
      BumpMillisecond();
      fallback_node_ = -1;
    }
  }
  valid_until_us_.store(ToUnixMicros(valid_until), std::memory_order_release);
  lapse_reported_.store(false, std::memory_order_release);
}

void IdGenerator::RevokeNode(absl::Status why) {
  std::lock_guard lock(mu_);
  if (why.ok()) why = absl::FailedPreconditionError("id generator: node id revoked");
  revoked_status_ = std::move(why);
  revoked_.store(true, std::memory_order_release);
}

void IdGenerator::SetLapseListener(std::function<void()> listener) {
  std::lock_guard lock(mu_);
  lapse_listener_ = std::move(listener);
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
