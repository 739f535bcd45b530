#include "services/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <thread>

#include "absl/strings/str_cat.h"
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

PasswordHasher::PasswordHasher(uint64_t opslimit, size_t memlimit, int max_concurrent,
                               std::chrono::milliseconds wait)
    : opslimit_(opslimit), memlimit_(memlimit) {
  state_->max = max_concurrent > 0 ? max_concurrent
                                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  state_->wait = std::max(std::chrono::milliseconds(0), wait);
}

PasswordHasher::Slot::~Slot() {
  if (owner_ != nullptr) owner_->Release();
}

absl::StatusOr<PasswordHasher::Slot> PasswordHasher::AcquireSlot() const {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (!s.cv.wait_for(lock, s.wait, [&s] { return s.in_use < s.max; })) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "password hash: all ", s.max, " slots busy for ", s.wait.count(),
        " ms (AccountsOptions::max_concurrent_password_hashes bounds argon2id memory; retry later)"));
  }
  ++s.in_use;
  return Slot(this);
}

void PasswordHasher::Release() const {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    --state_->in_use;
  }
  state_->cv.notify_one();
}

absl::StatusOr<std::string> PasswordHasher::Hash(std::string_view password) const {
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  DAIRA_ASSIGN_OR_RETURN(Slot slot, AcquireSlot());
  state_->computations.fetch_add(1, std::memory_order_relaxed);
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), opslimit_, memlimit_) != 0) {
    return absl::InternalError("password hash: argon2id failed (out of memory or cost out of range)");
  }
  return std::string(out.data());
}

bool PasswordHasher::VerifyRaw(std::string_view encoded, std::string_view password) const {
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  encoded.copy(buf.data(), encoded.size());
  state_->computations.fetch_add(1, std::memory_order_relaxed);
  return crypto_pwhash_str_verify(buf.data(), password.data(), password.size()) == 0;
}

absl::StatusOr<bool> PasswordHasher::Verify(std::string_view encoded, std::string_view password) const {
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  DAIRA_ASSIGN_OR_RETURN(Slot slot, AcquireSlot());
  return VerifyRaw(encoded, password);
}

absl::StatusOr<bool> PasswordHasher::VerifyAtFullCost(std::string_view encoded, std::string_view password) const {
  if (NeedsRehash(encoded)) {
    // Cheaper (or unreadable) than ours: pay our cost too, before the real check so that both
    // answers take the same path.
    DAIRA_RETURN_IF_ERROR(VerifyDummy(password));
  }
  return Verify(encoded, password);
}

absl::Status PasswordHasher::VerifyDummy(std::string_view password) const {
  DAIRA_ASSIGN_OR_RETURN(std::string dummy, DummyHash());
  DAIRA_ASSIGN_OR_RETURN(bool ignored, Verify(dummy, password));
  (void)ignored;
  return absl::OkStatus();
}

bool PasswordHasher::NeedsRehash(std::string_view encoded) const {
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return true;
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  encoded.copy(buf.data(), encoded.size());
  return crypto_pwhash_str_needs_rehash(buf.data(), opslimit_, memlimit_) != 0;
}

absl::StatusOr<std::string> PasswordHasher::DummyHash() const {
  std::lock_guard<std::mutex> lock(state_->dummy_mu);
  if (!state_->dummy.empty()) return state_->dummy;
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  std::array<unsigned char, 32> random{};
  randombytes_buf(random.data(), random.size());
  absl::StatusOr<std::string> h = Hash(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  if (!h.ok()) return Annotate(h.status(), "login: dummy hash");
  state_->dummy = *h;
  return state_->dummy;
}

}  // namespace daira::inline v0::services::internal
