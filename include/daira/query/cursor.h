// Keyset cursors: opaque, URL-safe, tamper-proof page tokens.
//
// A Cursor names a position in one ordered list: the sort key of a row (e.g. (created_at, id) or
// (score, id)), the direction to walk from it, and a scope tag saying which list it belongs to
// ("followers:42"). CursorCodec turns it into a token a client can hold and send back, and checks
// on the way in that the token is well-formed, was issued by us (MAC), and belongs to the list asked for.
//
//   query::CursorCodec codec = query::CursorCodec::Default();          // or Create(32-byte key)
//   query::Cursor c{.scope = "followers:42", .direction = query::Direction::kForward,
//                   .keys = {int64_t{1700000000000000}, int64_t{981}}};
//   std::string token = codec.Encode(c);                                // base64url, no padding
//   DAIRA_ASSIGN_OR_RETURN(query::Cursor back,
//       codec.Decode(token, "followers:42", {query::KeyType::kInt64, query::KeyType::kInt64}));
//
// Token layout (before base64url): version byte, direction byte, scope (varint length + bytes),
// key count, then per key a type byte and an 8-byte big-endian int64 or a varint-length string,
// followed by a 16-byte keyed BLAKE2b tag (libsodium's crypto_generichash) over everything before it.
// Cursors are authenticated, not encrypted: a client can read the sort keys but cannot forge or alter
// them. Tokens of version 1 (a 32-byte HMAC-SHA512-256 tag, issued before 2026-12) still decode.
//
// Keys: a codec signs with one key and accepts tokens signed with that key or with any of its
// "also accept" keys (the previous keys during a rotation's grace period). A daira::Platform owns one
// codec whose keys come from the database (store::CursorKeys), so every instance on that database
// accepts every instance's cursors; it re-keys the codec when the keys rotate (Rekey). Copies of a
// codec share its keys: a Rekey is seen by every copy.
//
// Thread-safety: Encode/Decode/Rekey are safe from any thread, concurrently (each Encode/Decode uses
// one consistent set of keys). Default()/SetDefaultKey() are safe from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace daira::inline v0::query {

// Which way a page walks from its cursor, relative to the list's sort order.
enum class Direction : uint8_t { kForward = 0, kBackward = 1 };

// The type of one sort-key component.
enum class KeyType : uint8_t { kInt64 = 1, kString = 2 };

// One sort-key component value.
using CursorKey = std::variant<int64_t, std::string>;

// The type of `key`.
inline KeyType KeyTypeOf(const CursorKey& key) {
  return key.index() == 0 ? KeyType::kInt64 : KeyType::kString;
}

struct Cursor {
  std::string scope;                         // which list ("followers:42"); at most kMaxScopeBytes
  Direction direction = Direction::kForward;
  std::vector<CursorKey> keys;               // the sort key of the anchor row; 1..kMaxKeys values

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

class CursorCodec {
 public:
  static constexpr size_t kKeyBytes = 32;          // MAC key size
  static constexpr uint8_t kVersion = 3;           // token format version Encode writes (Decode: 1, 2 or 3)
  static constexpr size_t kMaxKeys = 8;            // sort-key components per cursor
  static constexpr size_t kMaxScopeBytes = 256;
  static constexpr size_t kMaxStringKeyBytes = 1024;
  static constexpr size_t kMaxTokenChars = 4096;   // longer input is rejected before decoding

  // A codec authenticating with `key` (exactly kKeyBytes raw bytes; else InvalidArgument naming "key").
  static absl::StatusOr<CursorCodec> Create(std::string_view key);
  // A codec signing with `signing_key` and also accepting tokens signed with any of `also_accept`
  // (each kKeyBytes; else InvalidArgument naming "key" or "also_accept").
  static absl::StatusOr<CursorCodec> Create(std::string_view signing_key, const std::vector<std::string>& also_accept);
  // A codec with a fresh random key (libsodium randombytes).
  static CursorCodec Random();

  // The process default codec: a random key chosen on first use, unless SetDefaultKey installed one.
  // Several app instances serving the same clients must share a key: call SetDefaultKey at startup.
  static CursorCodec Default();
  // Replaces the process default key (InvalidArgument naming "key" unless kKeyBytes long). Tokens
  // issued under the old key stop decoding.
  static absl::Status SetDefaultKey(std::string_view key);

  // Replaces the keys of this codec and of every copy of it, atomically: later Encodes sign with
  // `signing_key`; later Decodes accept it and `also_accept`. Same validation as Create; on error the
  // keys are unchanged.
  absl::Status Rekey(std::string_view signing_key, const std::vector<std::string>& also_accept);
  // How many keys Decode accepts now (the signing key plus the also-accept keys, deduplicated).
  size_t accepted_key_count() const;

  // The token for `cursor`. Preconditions (checked by assertion in debug builds, clamped otherwise):
  // scope ≤ kMaxScopeBytes, 1..kMaxKeys keys, string keys ≤ kMaxStringKeyBytes.
  std::string Encode(const Cursor& cursor) const;

  // Parses and verifies `token`: base64url, version, MAC, then that its scope equals `scope` and its
  // keys have exactly the types in `types`. Every failure is InvalidArgument with field "cursor" and a
  // message "cursor: cursor <what> (got …)". Never crashes, whatever the input.
  absl::StatusOr<Cursor> Decode(std::string_view token, std::string_view scope,
                                std::span<const KeyType> types) const;
  absl::StatusOr<Cursor> Decode(std::string_view token, std::string_view scope,
                                std::initializer_list<KeyType> types) const {
    return Decode(token, scope, std::span<const KeyType>(types.begin(), types.size()));
  }

 private:
  struct Keyring;  // the current keys behind a lock; shared by copies
  explicit CursorCodec(std::shared_ptr<Keyring> ring) : ring_(std::move(ring)) {}
  std::shared_ptr<Keyring> ring_;
};

}  // namespace daira::inline v0::query
