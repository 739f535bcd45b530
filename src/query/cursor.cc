#include "daira/query/cursor.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::query {
namespace {

static_assert(crypto_auth_KEYBYTES == CursorCodec::kKeyBytes, "cursor keys are crypto_auth keys");
static_assert(CursorCodec::kKeyBytes >= crypto_generichash_blake2b_KEYBYTES_MIN &&
                  CursorCodec::kKeyBytes <= crypto_generichash_blake2b_KEYBYTES_MAX,
              "cursor keys are BLAKE2b keys");
// Version 3 (Encode): a 16-byte SipHash-2-4 tag (crypto_shorthash_siphashx24, a PRF under a 128-bit
// key) under the 16-byte BLAKE2b-128 of kSipLabel keyed with the 32-byte cursor key. Decoded only
// (tokens issued before, possibly still in clients' hands): version 2, a 16-byte keyed BLAKE2b tag;
// version 1, a 32-byte crypto_auth tag, HMAC-SHA512-256 (libsodium's default).
constexpr uint8_t kHmacVersion = 1;
constexpr uint8_t kBlake2Version = 2;
constexpr uint8_t kTokenVersion = CursorCodec::kVersion;  // 3
constexpr size_t kTagBytes = 16;
static_assert(crypto_shorthash_siphashx24_BYTES == kTagBytes && crypto_generichash_blake2b_BYTES_MIN <= 16,
              "version 3 tags are 16-byte SipHash-2-4 outputs under a 16-byte derived key");
constexpr std::string_view kSipLabel = "daira cursor v3 siphashx24 key";
constexpr size_t kHmacTagBytes = crypto_auth_BYTES;  // 32
static_assert(crypto_auth_BYTES == crypto_auth_hmacsha512256_BYTES &&
                  crypto_auth_BYTES == crypto_verify_32_BYTES,
              "crypto_auth is HMAC-SHA512-256 (libsodium's default): the cached key states below rely on it");

void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init returns 1 if already initialized; -1 only if the platform has no entropy source,
    // in which case randombytes would abort anyway.
    if (sodium_init() < 0) {
      // Nothing to do here: libsodium's randombytes aborts loudly if it truly cannot work.
    }
  });
}

// A short, printable excerpt of untrusted input for error messages.
std::string Excerpt(std::string_view s) {
  constexpr size_t kMax = 24;
  std::string out = absl::CHexEscape(ToAbsl(s.substr(0, kMax)));
  if (s.size() > kMax) out += "…";
  return absl::StrCat("\"", out, "\"");
}

absl::Status Bad(std::string_view problem) { return InvalidField("cursor", "cursor", problem); }

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// A bounds-checked reader over the decoded bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Byte(uint8_t& b) {
    if (pos_ >= data_.size()) return false;
    b = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift <= 28; shift += 7) {  // at most 5 bytes: lengths are small
      uint8_t b;
      if (!Byte(b)) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view& out) {
    if (n > data_.size() - pos_) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

absl::string_view KeyTypeName(KeyType t) { return t == KeyType::kInt64 ? "int64" : "string"; }

// One consistent set of keys: keys[0] signs, every element verifies. Each key's MAC states after the
// key schedule are kept with it, so a tag costs the message's blocks only. SipHash (version 3): the
// derived 128-bit key, a few hundred instructions per cursor. BLAKE2b (version 2): the key block
// compressed once here, one compression per cursor (~750 instructions). HMAC (version 1): the hashed
// ipad/opad blocks (~5k per tag).
struct KeySet {
  struct SipKey {
    unsigned char k[crypto_shorthash_siphashx24_KEYBYTES];
  };
  std::vector<std::string> keys;
  std::vector<SipKey> sip_keyed;                            // sip_keyed[i] is keys[i]'s
  std::vector<crypto_generichash_blake2b_state> keyed;      // likewise, for version 2 tokens
  std::vector<crypto_auth_hmacsha512256_state> hmac_keyed;  // likewise, for version 1 tokens

  void Add(std::string key) {
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    SipKey sip;
    crypto_generichash_blake2b(sip.k, sizeof sip.k, reinterpret_cast<const unsigned char*>(kSipLabel.data()),
                               kSipLabel.size(), k, key.size());
    crypto_generichash_blake2b_state st;
    crypto_generichash_blake2b_init(&st, k, key.size(), kTagBytes);
    crypto_auth_hmacsha512256_state hmac;
    crypto_auth_hmacsha512256_init(&hmac, k, key.size());
    keys.push_back(std::move(key));
    sip_keyed.push_back(sip);
    keyed.push_back(st);
    hmac_keyed.push_back(hmac);
    sodium_memzero(&sip, sizeof sip);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(&hmac, sizeof hmac);
  }
};

// The version 3 tag of `in` for the key `keyed`.
void SipTag(const KeySet::SipKey& keyed, const unsigned char* in, size_t len, unsigned char* tag) {
  crypto_shorthash_siphashx24(tag, in, len, keyed.k);
}

// The version 2 tag of `in` for the key whose state is `keyed`.
void Tag(const crypto_generichash_blake2b_state& keyed, const unsigned char* in, size_t len,
         unsigned char* tag) {
  crypto_generichash_blake2b_state st = keyed;
  crypto_generichash_blake2b_update(&st, in, len);
  crypto_generichash_blake2b_final(&st, tag, kTagBytes);
  sodium_memzero(&st, sizeof st);
}

// crypto_auth(tag, in, len, key) (the version 1 tag) for the key whose state is `keyed`.
void HmacTag(const crypto_auth_hmacsha512256_state& keyed, const unsigned char* in, size_t len,
             unsigned char* tag) {
  crypto_auth_hmacsha512256_state st = keyed;
  crypto_auth_hmacsha512256_update(&st, in, len);
  crypto_auth_hmacsha512256_final(&st, tag);
  sodium_memzero(&st, sizeof st);
}

// Whether the `tag_len`-byte tag closing `raw` (a token of `version`) verifies under one of `keys`.
bool Verifies(const KeySet& keys, uint8_t version, std::string_view raw, size_t tag_len) {
  const auto* body = reinterpret_cast<const unsigned char*>(raw.data());
  const size_t body_len = raw.size() - tag_len;
  unsigned char expected[kHmacTagBytes];
  for (size_t i = 0; i < keys.keys.size(); ++i) {  // the signing key first: one MAC
    if (version == kTokenVersion) {
      SipTag(keys.sip_keyed[i], body, body_len, expected);
      if (crypto_verify_16(expected, body + body_len) == 0) return true;
    } else if (version == kBlake2Version) {
      Tag(keys.keyed[i], body, body_len, expected);
      if (crypto_verify_16(expected, body + body_len) == 0) return true;
    } else {
      HmacTag(keys.hmac_keyed[i], body, body_len, expected);
      if (crypto_verify_32(expected, body + body_len) == 0) return true;
    }
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const KeySet>> MakeKeySet(std::string_view signing_key,
                                                         const std::vector<std::string>& also_accept) {
  if (signing_key.size() != CursorCodec::kKeyBytes) {
    return InvalidField("cursor codec", "key",
                        absl::StrCat("must be ", CursorCodec::kKeyBytes, " bytes (got ", signing_key.size(), ")"));
  }
  auto set = std::make_shared<KeySet>();
  set->Add(std::string(signing_key));
  for (const std::string& k : also_accept) {
    if (k.size() != CursorCodec::kKeyBytes) {
      return InvalidField("cursor codec", "also_accept",
                          absl::StrCat("keys must be ", CursorCodec::kKeyBytes, " bytes (got ", k.size(), ")"));
    }
    if (std::find(set->keys.begin(), set->keys.end(), k) == set->keys.end()) set->Add(k);
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

}  // namespace

// The current key set, read without a lock on every Encode / Decode (an atomic shared_ptr: Rekey
// swaps it, readers holding the old set keep it alive).
struct CursorCodec::Keyring {
  explicit Keyring(std::shared_ptr<const KeySet> k) : keys(std::move(k)) {}
  std::shared_ptr<const KeySet> Get() const { return keys.load(std::memory_order_acquire); }
  void Set(std::shared_ptr<const KeySet> k) { keys.store(std::move(k), std::memory_order_release); }
  std::atomic<std::shared_ptr<const KeySet>> keys;  // never null
};

absl::StatusOr<CursorCodec> CursorCodec::Create(std::string_view key) { return Create(key, {}); }

absl::StatusOr<CursorCodec> CursorCodec::Create(std::string_view signing_key,
                                                const std::vector<std::string>& also_accept) {
  DAIRA_ASSIGN_OR_RETURN(std::shared_ptr<const KeySet> set, MakeKeySet(signing_key, also_accept));
  EnsureSodium();
  return CursorCodec(std::make_shared<Keyring>(std::move(set)));
}

CursorCodec CursorCodec::Random() {
  EnsureSodium();
  std::string key(kKeyBytes, '\0');
  crypto_auth_keygen(reinterpret_cast<unsigned char*>(key.data()));
  auto set = std::make_shared<KeySet>();
  set->Add(std::move(key));
  return CursorCodec(std::make_shared<Keyring>(std::move(set)));
}

CursorCodec CursorCodec::Default() {
  static const CursorCodec* const process_default = new CursorCodec(Random());
  return *process_default;
}

absl::Status CursorCodec::SetDefaultKey(std::string_view key) { return Default().Rekey(key, {}); }

absl::Status CursorCodec::Rekey(std::string_view signing_key, const std::vector<std::string>& also_accept) {
  DAIRA_ASSIGN_OR_RETURN(std::shared_ptr<const KeySet> set, MakeKeySet(signing_key, also_accept));
  ring_->Set(std::move(set));
  return absl::OkStatus();
}

size_t CursorCodec::accepted_key_count() const { return ring_->Get()->keys.size(); }

namespace {

// sodium_bin2base64(..., sodium_base64_VARIANT_URLSAFE_NO_PADDING)'s text by a table: a cursor is no
// secret (the tag protects it), so libsodium's constant-time encoder (~5k instructions for a cursor)
// buys nothing here.
std::string Base64UrlNoPadding(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.resize((in.size() * 4 + 2) / 3);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  char* o = out.data();
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (const size_t rest = in.size() - i; rest > 0) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (rest == 2 ? uint32_t{p[i + 1]} << 8 : 0);
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    if (rest == 2) *o++ = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

std::string CursorCodec::Encode(const Cursor& cursor) const {
  assert(cursor.scope.size() <= kMaxScopeBytes);
  assert(!cursor.keys.empty() && cursor.keys.size() <= kMaxKeys);
  // The unencoded token, in a buffer kept per thread (its capacity reused: no allocation per cursor).
  thread_local std::string raw;
  raw.clear();
  raw.reserve(64 + cursor.scope.size());
  raw.push_back(static_cast<char>(kTokenVersion));
  raw.push_back(static_cast<char>(cursor.direction));
  const std::string_view scope = std::string_view(cursor.scope).substr(0, kMaxScopeBytes);
  PutVarint(raw, scope.size());
  raw.append(scope);
  const size_t n = std::min(cursor.keys.size(), kMaxKeys);
  raw.push_back(static_cast<char>(n));
  for (size_t i = 0; i < n; ++i) {
    const CursorKey& k = cursor.keys[i];
    raw.push_back(static_cast<char>(KeyTypeOf(k)));
    if (const int64_t* v = std::get_if<int64_t>(&k)) {
      const uint64_t u = static_cast<uint64_t>(*v);
      for (int shift = 56; shift >= 0; shift -= 8) raw.push_back(static_cast<char>((u >> shift) & 0xff));
    } else {
      assert(std::get<std::string>(k).size() <= kMaxStringKeyBytes);
      const std::string_view s = std::string_view(std::get<std::string>(k)).substr(0, kMaxStringKeyBytes);
      PutVarint(raw, s.size());
      raw.append(s);
    }
  }
  unsigned char tag[kTagBytes];
  SipTag(ring_->Get()->sip_keyed.front(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), tag);
  raw.append(reinterpret_cast<const char*>(tag), kTagBytes);

  return Base64UrlNoPadding(raw);
}

absl::StatusOr<Cursor> CursorCodec::Decode(std::string_view token, std::string_view scope,
                                           std::span<const KeyType> types) const {
  if (token.empty()) return Bad("is empty (got \"\")");
  if (token.size() > kMaxTokenChars) {
    return Bad(absl::StrCat("is too long (got ", token.size(), " characters, max ", kMaxTokenChars, ")"));
  }
  // Base64url without padding, strictly: no other characters, no whitespace.
  std::string raw(token.size() * 3 / 4 + 3, '\0');
  size_t raw_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), token.data(), token.size(),
                        /*ignore=*/nullptr, &raw_len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != token.data() + token.size()) {
    return Bad(absl::StrCat("is not base64url (got ", Excerpt(token), ")"));
  }
  raw.resize(raw_len);
  // Smallest well-formed token: version, direction, scope length, key count, one int... but check the
  // version and the MAC first: nothing else is trusted before the MAC verifies.
  if (raw.size() < 2 + kTagBytes) return Bad(absl::StrCat("is truncated (got ", Excerpt(token), ")"));
  const uint8_t version = static_cast<uint8_t>(raw[0]);
  if (version != kTokenVersion && version != kBlake2Version && version != kHmacVersion) {
    return Bad(absl::StrCat("has unsupported version (got ", version, ", want ", kTokenVersion, ")"));
  }
  const size_t tag_len = version == kHmacVersion ? kHmacTagBytes : kTagBytes;
  if (raw.size() < 2 + tag_len) return Bad(absl::StrCat("is truncated (got ", Excerpt(token), ")"));
  const size_t body_len = raw.size() - tag_len;
  if (!Verifies(*ring_->Get(), version, raw, tag_len)) {
    return Bad(absl::StrCat("signature does not verify; it was altered or issued under another key (got ",
                            Excerpt(token), ")"));
  }

  // Authentic: parse defensively anyway (a bug in an older encoder must not crash a newer decoder).
  Reader r(std::string_view(raw).substr(0, body_len));
  Cursor c;
  uint8_t b = 0;
  (void)r.Byte(b);  // version, checked above
  if (!r.Byte(b) || b > 1) return Bad(absl::StrCat("has an invalid direction (got ", int{b}, ")"));
  c.direction = static_cast<Direction>(b);
  uint64_t len = 0;
  std::string_view bytes;
  if (!r.Varint(len) || len > kMaxScopeBytes || !r.Bytes(len, bytes)) return Bad("has a malformed scope (got bytes)");
  c.scope.assign(bytes);
  uint8_t count = 0;
  if (!r.Byte(count) || count == 0 || count > kMaxKeys) {
    return Bad(absl::StrCat("has an invalid key count (got ", int{count}, ")"));
  }
  for (uint8_t i = 0; i < count; ++i) {
    uint8_t t = 0;
    if (!r.Byte(t)) return Bad("is truncated (got a partial key)");
    if (t == static_cast<uint8_t>(KeyType::kInt64)) {
      if (!r.Bytes(8, bytes)) return Bad("is truncated (got a partial int64 key)");
      uint64_t u = 0;
      for (char ch : bytes) u = (u << 8) | static_cast<uint8_t>(ch);
      c.keys.emplace_back(static_cast<int64_t>(u));
    } else if (t == static_cast<uint8_t>(KeyType::kString)) {
      if (!r.Varint(len) || len > kMaxStringKeyBytes || !r.Bytes(len, bytes)) {
        return Bad("has a malformed string key (got bytes)");
      }
      c.keys.emplace_back(std::string(bytes));
    } else {
      return Bad(absl::StrCat("has an unknown key type (got ", int{t}, ")"));
    }
  }
  if (!r.AtEnd()) return Bad("has trailing bytes (got extra data after the keys)");

  if (c.scope != scope) {
    return Bad(absl::StrCat("belongs to another list (got scope ", Excerpt(c.scope), ", want ", Excerpt(scope), ")"));
  }
  if (c.keys.size() != types.size()) {
    return Bad(absl::StrCat("has the wrong number of keys (got ", c.keys.size(), ", want ", types.size(), ")"));
  }
  for (size_t i = 0; i < types.size(); ++i) {
    if (KeyTypeOf(c.keys[i]) != types[i]) {
      return Bad(absl::StrCat("key ", i, " has the wrong type (got ", KeyTypeName(KeyTypeOf(c.keys[i])), ", want ",
                              KeyTypeName(types[i]), ")"));
    }
  }
  return c;
}

}  // namespace daira::inline v0::query
