// Private: argon2id password hashing (libsodium crypto_pwhash_str) with a configurable cost.
#pragma once

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
  PasswordHasher(uint64_t opslimit, size_t memlimit);
  // The encoded argon2id string ("$argon2id$v=19$m=...") with a fresh salt. Internal if libsodium
  // fails (out of memory, cost out of range). The password never appears in a message.
  absl::StatusOr<std::string> Hash(std::string_view password) const;
  // True when `password` matches `encoded` (constant time in the password). False for malformed hashes.
  bool Verify(std::string_view encoded, std::string_view password) const;
  // True when `encoded` was made with other parameters than this hasher's.
  bool NeedsRehash(std::string_view encoded) const;
  // A valid hash of a random password with this hasher's cost, computed once: login verifies against
  // it when the user does not exist, so both paths cost the same.
  const std::string& DummyHash() const;

 private:
  uint64_t opslimit_;
  size_t memlimit_;
  std::shared_ptr<std::once_flag> dummy_once_ = std::make_shared<std::once_flag>();
  std::shared_ptr<std::string> dummy_ = std::make_shared<std::string>();
};

// libsodium initialization (idempotent, thread-safe). Internal on failure.
absl::Status EnsureSodium();

}  // namespace daira::inline v0::services::internal
