#include "services/token.h"

#include <sodium.h>

#include <array>

#include "daira/core/status.h"
#include "services/password_hasher.h"

namespace daira::inline v0::services::internal {

absl::StatusOr<std::string> NewTokenSecret() {
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kVariant);
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

std::string HashToken(std::string_view token) {
  (void)EnsureSodium();
  std::array<unsigned char, crypto_generichash_BYTES> digest{};
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace daira::inline v0::services::internal
