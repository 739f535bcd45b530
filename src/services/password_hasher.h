// Private: argon2id password hashing (libsodium crypto_pwhash_str) with a configurable cost and a cap
// on how many hashes run at once (each holds `memlimit` bytes: 64 MiB at the default cost).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/status.h"

namespace daira::inline v0::services::internal {

class PasswordHasher {
 public:
  // `max_concurrent` argon2 computations at once (<= 0: the number of hardware threads); a caller
  // waits at most `wait` for a free slot, then gets ResourceExhausted.
  PasswordHasher(uint64_t opslimit, size_t memlimit, int max_concurrent = 0,
                 std::chrono::milliseconds wait = std::chrono::milliseconds(1000));

  // The encoded argon2id string ("$argon2id$v=19$m=...") with a fresh salt. ResourceExhausted when
  // every slot stays busy for `wait`; Internal if libsodium fails (out of memory, cost out of range).
  // The password never appears in a message.
  absl::StatusOr<std::string> Hash(std::string_view password) const;
  // True when `password` matches `encoded` (constant time in the password). False for malformed hashes.
  // ResourceExhausted as Hash.
  absl::StatusOr<bool> Verify(std::string_view encoded, std::string_view password) const;
  // Verify, at no less than this hasher's cost: when `encoded` was made with other (older, cheaper)
  // settings or is malformed, the dummy hash is verified too, so a wrong password for such an account
  // costs what it costs for an unknown one (no timing oracle). Errors as Verify and DummyHash.
  absl::StatusOr<bool> VerifyAtFullCost(std::string_view encoded, std::string_view password) const;
  // What login does for an unknown user: verifies `password` against the dummy hash (the same work as
  // a real check) and discards the answer. An error (the dummy hash could not be made, no free slot)
  // must fail the login rather than let it answer instantly.
  absl::Status VerifyDummy(std::string_view password) const;
  // True when `encoded` was made with other parameters than this hasher's.
  bool NeedsRehash(std::string_view encoded) const;
  // A valid hash of a random password with this hasher's cost, computed on first use (retried on the
  // next call if it failed). Errors as Hash.
  absl::StatusOr<std::string> DummyHash() const;

  // Holds one of the concurrency slots for its lifetime (tests use it to fill the cap deterministically).
  class Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    friend class PasswordHasher;
    explicit Slot(const PasswordHasher* owner) : owner_(owner) {}
    const PasswordHasher* owner_;
  };
  // A slot, waiting at most `wait`; ResourceExhausted naming the cap when none frees up in time.
  absl::StatusOr<Slot> AcquireSlot() const;

  int max_concurrent() const { return state_->max; }
  // argon2 computations run so far (hashes and verifications, including the dummy's).
  int64_t computations() const { return state_->computations.load(std::memory_order_relaxed); }

 private:
  struct State {
    int max = 1;
    std::chrono::milliseconds wait{0};
    std::mutex mu;
    std::condition_variable cv;
    int in_use = 0;
    std::atomic<int64_t> computations{0};
    std::mutex dummy_mu;
    std::string dummy;  // "" until made
  };
  void Release() const;
  bool VerifyRaw(std::string_view encoded, std::string_view password) const;

  uint64_t opslimit_;
  size_t memlimit_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// libsodium initialization (idempotent, thread-safe). Internal on failure.
absl::Status EnsureSodium();

}  // namespace daira::inline v0::services::internal
