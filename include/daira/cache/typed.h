// Typed cache helpers: store model structs as framed, versioned bytes and read them back. An entry
// written by an older (or newer) format version, or bytes that do not decode, read as a miss — never
// as garbage — so a deploy that changes a struct needs no cache flush.
//
//   DAIRA_RETURN_IF_ERROR(cache::SetTyped(cache, "profile:42", profile));          // policy TTL
//   DAIRA_ASSIGN_OR_RETURN(std::optional<model::UserProfile> p,
//                          cache::GetTyped<model::UserProfile>(cache, "profile:42"));
//
// The bytes are "<tag>:v<version>:<json>" (readable with redis-cli), e.g.
// `user_profile:v1:{"user_id":42,"bio":"hi",...}`. A type opts in by specializing cache::Codec<T>
// with kTag, kVersion, Encode and Decode; codecs for model::User, model::UserProfile and
// model::UserSession ship with daira. Bump kVersion whenever the encoding changes.
//
// Thread-safety: the helpers are as thread-safe as the Cache they are given (every Cache is).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/cache/cache.h"
#include "daira/model/user.h"
#include "daira/model/user_profile.h"
#include "daira/model/user_session.h"

namespace daira::inline v0::cache {

// Specialize for each cached type:
//   static constexpr std::string_view kTag;   // names the type in the bytes
//   static constexpr int kVersion;            // the current format version
//   static std::string Encode(const T&);
//   static absl::StatusOr<T> Decode(std::string_view body);   // any error reads as a miss
template <typename T>
struct Codec;

template <>
struct Codec<model::User> {
  static constexpr std::string_view kTag = "user";
  static constexpr int kVersion = 1;
  static std::string Encode(const model::User& user);  // never the password hash
  static absl::StatusOr<model::User> Decode(std::string_view body);
};
template <>
struct Codec<model::UserProfile> {
  static constexpr std::string_view kTag = "user_profile";
  static constexpr int kVersion = 1;
  static std::string Encode(const model::UserProfile& profile);
  static absl::StatusOr<model::UserProfile> Decode(std::string_view body);
};
template <>
struct Codec<model::UserSession> {
  static constexpr std::string_view kTag = "user_session";
  static constexpr int kVersion = 1;
  static std::string Encode(const model::UserSession& session);
  static absl::StatusOr<model::UserSession> Decode(std::string_view body);
};

// "<tag>:v<version>:<body>".
std::string Frame(std::string_view tag, int version, std::string_view body);
// The body of `bytes` when it is a frame of exactly `tag` and `version`; nullopt otherwise.
std::optional<std::string_view> Unframe(std::string_view tag, int version, std::string_view bytes);

// Encodes `value` with Codec<T> and stores it under `key`.
template <typename T>
absl::Status SetTyped(Cache& cache, std::string_view key, const T& value,
                      std::chrono::milliseconds ttl = kPolicyTtl) {
  return cache.Set(key, Frame(Codec<T>::kTag, Codec<T>::kVersion, Codec<T>::Encode(value)), ttl);
}

// The value under `key` decoded with Codec<T>; nullopt on a miss, on another format version or tag,
// and on bytes that do not decode (those count as a miss in the stats, not a hit).
template <typename T>
absl::StatusOr<std::optional<T>> GetTyped(Cache& cache, std::string_view key) {
  absl::StatusOr<std::optional<std::string>> bytes = cache.Get(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<T>();
  std::optional<std::string_view> body = Unframe(Codec<T>::kTag, Codec<T>::kVersion, **bytes);
  if (body.has_value()) {
    absl::StatusOr<T> value = Codec<T>::Decode(*body);
    if (value.ok()) return std::optional<T>(*std::move(value));
  }
  cache.stats().HitWasMiss(key);
  return std::optional<T>();
}

// GetTyped for many keys in one MGet (one round trip on Redis).
template <typename T>
absl::StatusOr<std::vector<std::optional<T>>> MGetTyped(Cache& cache, std::span<const std::string> keys) {
  absl::StatusOr<std::vector<std::optional<std::string>>> bytes = cache.MGet(keys);
  if (!bytes.ok()) return bytes.status();
  std::vector<std::optional<T>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!(*bytes)[i].has_value()) continue;
    std::optional<std::string_view> body = Unframe(Codec<T>::kTag, Codec<T>::kVersion, *(*bytes)[i]);
    if (body.has_value()) {
      absl::StatusOr<T> value = Codec<T>::Decode(*body);
      if (value.ok()) {
        out[i] = *std::move(value);
        continue;
      }
    }
    cache.stats().HitWasMiss(keys[i]);
  }
  return out;
}

}  // namespace daira::inline v0::cache
