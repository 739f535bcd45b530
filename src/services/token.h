// Private: session tokens — random secrets, their stored hashes, constant-time comparison.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace daira::inline v0::services::internal {

// 32 random bytes (256 bits) from libsodium, base64url without padding (43 characters).
absl::StatusOr<std::string> NewTokenSecret();
// What is stored for a token: BLAKE2b-256 (crypto_generichash) of the whole token, 64 lower-case hex.
std::string HashToken(std::string_view token);
// Constant-time equality for equal-length strings (false when the lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Seals `plaintext` under a key derived from `token` (keyed BLAKE2b, domain-separated from HashToken):
// hex of a random nonce followed by XSalsa20-Poly1305 ciphertext. Only the token's holder can open it.
absl::StatusOr<std::string> SealWithToken(std::string_view token, std::string_view plaintext);
// The plaintext of SealWithToken(token, …); nullopt-like NotFound when `sealed` is malformed or was
// sealed under another token.
absl::StatusOr<std::string> OpenWithToken(std::string_view token, std::string_view sealed);

}  // namespace daira::inline v0::services::internal
