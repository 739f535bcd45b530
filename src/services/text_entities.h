// Extraction of #hashtags and @mentions from post and comment text (private to daira_services).
//
//   services::internal::TextEntities e = services::internal::ExtractEntities(
//       "Sunset at #Alexandria with @mona 🌅 #sunset #Sunset — see https://x.io/p#top or mail a@b.com");
//   // e.hashtags == {"alexandria", "sunset"}   (case-folded, deduplicated, in order of first use)
//   // e.mentions == {"mona"}                   (lower-cased usernames; the e-mail and URL are ignored)
//
// The rules (docs/services/content.md has the same table):
//  - A hashtag is '#' followed by 1–100 tag characters: Unicode letters and digits (glibc's C.UTF-8
//    classification), '_', and combining marks of the common scripts (so "#हिन्दी" stays whole). It must
//    contain at least one character that is not a digit ("#2024" is not a tag). Longer runs are not
//    tags at all (never truncated into a different tag). Stored case-folded (towlower, per code point).
//  - A mention is '@' followed by 1–64 of [A-Za-z0-9_], lower-cased (usernames are stored lower-case).
//  - '#' or '@' directly after a letter, digit, '_', '#', '@', '&', '/' or '.' does not start an entity:
//    "a@b.com" is an e-mail, "c#" and "x/#y" are not tags, "&#39;" is an HTML entity.
//  - Whitespace-delimited words starting with "http://", "https://" or "www." are URLs and contribute
//    nothing, so "https://site/page#section" yields no tag.
//  - Results are deduplicated and keep the order of first appearance. Invalid UTF-8 bytes end a run.
//
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daira::inline v0::services::internal {

inline constexpr size_t kMaxHashtagLength = 100;  // characters (code points), as the hashtags.tag CHECK
inline constexpr size_t kMaxMentionLength = 64;   // users.username CHECK

struct TextEntities {
  std::vector<std::string> hashtags;  // case-folded, distinct, first-appearance order
  std::vector<std::string> mentions;  // lower-case usernames, distinct, first-appearance order
};

TextEntities ExtractEntities(std::string_view text);

// Normalizes a hashtag given by a caller ("#Cats", "cats") the way extraction stores it: strips one
// leading '#', case-folds. Returns "" when the rest is not a valid tag.
std::string NormalizeHashtag(std::string_view tag);

}  // namespace daira::inline v0::services::internal
