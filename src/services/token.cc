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

namespace {

constexpr std::string_view kSealContext = "daira.refresh-grace.v1.key";  // >= 16 bytes: a BLAKE2b key

std::array<unsigned char, crypto_secretbox_KEYBYTES> SealKey(std::string_view token) {
  std::array<unsigned char, crypto_secretbox_KEYBYTES> key{};
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     reinterpret_cast<const unsigned char*>(kSealContext.data()), kSealContext.size());
  return key;
}

}  // namespace

absl::StatusOr<std::string> SealWithToken(std::string_view token, std::string_view plaintext) {
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  auto key = SealKey(token);
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), out, key.data());
  sodium_memzero(key.data(), key.size());
  std::string hex(box.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), out, box.size());
  hex.pop_back();
  return hex;
}

absl::StatusOr<std::string> OpenWithToken(std::string_view token, std::string_view sealed) {
  DAIRA_RETURN_IF_ERROR(EnsureSodium());
  std::string box(sealed.size() / 2, '\0');
  size_t len = 0;
  if (sealed.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(box.data()), box.size(), sealed.data(), sealed.size(), nullptr,
                     &len, nullptr) != 0 ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return absl::NotFoundError("sealed value is malformed");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(box.data());
  std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  auto key = SealKey(token);
  const int rc = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                            in + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES, in,
                                            key.data());
  sodium_memzero(key.data(), key.size());
  if (rc != 0) return absl::NotFoundError("sealed value does not open with this token");
  return plain;
}

}  // namespace daira::inline v0::services::internal
