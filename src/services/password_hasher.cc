#include "services/password_hasher.h"

#include <sodium.h>

#include <array>

#include "daira/services/accounts.h"

namespace daira::inline v0::services::internal {

static_assert(kPasswordOpsLimitInteractive == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(kPasswordMemLimitInteractive == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(kPasswordOpsLimitMin == crypto_pwhash_OPSLIMIT_MIN);
static_assert(kPasswordMemLimitMin == crypto_pwhash_MEMLIMIT_MIN);

absl::Status EnsureSodium() {
  static const int rc = sodium_init();  // 0 first time, 1 if already initialized
  if (rc < 0) return absl::InternalError("libsodium: initialization failed");
  return absl::OkStatus();
}

PasswordHasher::PasswordHasher(uint64_t opslimit, size_t memlimit) : opslimit_(opslimit), memlimit_(memlimit) {}

absl::StatusOr<std::string> PasswordHasher::Hash(std::string_view password) const {
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), opslimit_, memlimit_) != 0) {
    return absl::InternalError("password hash: argon2id failed (out of memory or cost out of range)");
  }
  return std::string(out.data());
}

bool PasswordHasher::Verify(std::string_view encoded, std::string_view password) const {
  if (!EnsureSodium().ok()) return false;
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  encoded.copy(buf.data(), encoded.size());
  return crypto_pwhash_str_verify(buf.data(), password.data(), password.size()) == 0;
}

bool PasswordHasher::NeedsRehash(std::string_view encoded) const {
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return true;
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  encoded.copy(buf.data(), encoded.size());
  return crypto_pwhash_str_needs_rehash(buf.data(), opslimit_, memlimit_) != 0;
}

const std::string& PasswordHasher::DummyHash() const {
  std::call_once(*dummy_once_, [this] {
    if (!EnsureSodium().ok()) return;
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    auto h = Hash(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
    if (h.ok()) *dummy_ = *std::move(h);
  });
  return *dummy_;
}

}  // namespace daira::inline v0::services::internal
