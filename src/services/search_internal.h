// Private to the search service and its tests: the search statements (exposed for EXPLAIN) and the
// prefix-range helper.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daira/model/ids.h"
#include "daira/query/keyset.h"
#include "daira/store/dialect.h"

namespace daira::inline v0::services::internal {

// The smallest string greater than every string that starts with `prefix`, in code point order (=
// UTF-8 byte order, PostgreSQL's "C" collation): `prefix` with its last code point incremented
// (U+10FFFF dropped and the one before incremented; surrogates skipped). nullopt when there is none
// (empty, or only U+10FFFF). Precondition: `prefix` is valid UTF-8.
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

// The keyset query for a user search of `q` (already trimmed, '@' dropped, ASCII lower-cased).
query::KeysetQuery UserSearchQuery(store::Backend backend, const std::string& q);

// How many matching posts, newest first, a post search ranks (see search.h).
inline constexpr int64_t kPostSearchCandidates = 1000;

// The keyset query for a full-text post search of `query` (raw; reduced to words here) as `viewer`
// at `now` (micros, for mute expiry), ranking the newest `candidates` matches. Precondition: the
// query has at least one word.
query::KeysetQuery PostSearchQuery(store::Backend backend, std::string_view query, UserId viewer, int64_t now,
                                   int64_t candidates = kPostSearchCandidates);

// The keyset query for a full-text video search of `query` over title and description (see search.h),
// as PostSearchQuery. Precondition: the query has at least one word.
query::KeysetQuery VideoSearchQuery(store::Backend backend, std::string_view query, UserId viewer, int64_t now,
                                    int64_t candidates = kPostSearchCandidates);

// The keyset query for the posts carrying hashtag `tag` (normalized) as `viewer` at `now`.
query::KeysetQuery PostHashtagQuery(store::Backend backend, const std::string& tag, UserId viewer, int64_t now);

// The keyset query for hashtags starting with `prefix` (normalized, non-empty).
query::KeysetQuery HashtagSearchQuery(store::Backend backend, const std::string& prefix);

}  // namespace daira::inline v0::services::internal
