// Search: users by username / display name, posts by their text or one hashtag, videos by title and
// description, hashtags by prefix;
// ranked and keyset-paged, one statement per page.
//
//   services::Search search(services::ServiceDeps{.db = db.get()});
//   DAIRA_ASSIGN_OR_RETURN(auto page, search.Users(ctx, {.query = "ali", .limit = 20}));
//   for (const services::UserHit& u : page.items) std::cout << u.username << " " << u.display_name << "\n";
//   if (page.has_more) {
//     page = *search.Users(ctx, {.query = "ali", .limit = 20, .cursor = page.next_cursor});
//   }
//   DAIRA_ASSIGN_OR_RETURN(auto posts, search.Posts(ctx, viewer, {.query = "cairo nights"}));
//   DAIRA_ASSIGN_OR_RETURN(auto tagged, search.Posts(ctx, viewer, {.query = "#Cairo"}));  // hashtag path
//   DAIRA_ASSIGN_OR_RETURN(auto clips, search.Videos(ctx, viewer, {.query = "nile sunset"}));
//   DAIRA_ASSIGN_OR_RETURN(auto tags, search.Hashtags(ctx, {.query = "#cai"}));           // by use count
//
// Relevance and paging. Every list is a keyset over integer keys computed in SQL from the row and the
// query alone (never from corpus statistics such as bm25's IDF, which move whenever any row is
// written: a row whose score moved between two pages would be skipped or shown twice). So while the
// rows themselves do not change, walking the pages returns every hit exactly once, on both backends in
// the same order.
//  - Users: (bucket, tier, id) ascending. bucket 0 = username equals the query (case-folded, a leading
//    '@' dropped), 1 = username starts with it, 2 = every query word is a prefix of a word of the
//    username or display name (SQLite: users_fts FTS5; PostgreSQL: to_tsvector('simple', ...) @@
//    to_tsquery over the GIN expressions). tier: 0 in bucket 0; the username's length in bucket 1
//    (the fewer extra characters, the closer); in bucket 2 the number of query words that match only
//    as a prefix, not as a whole word (0 = every word appears whole). Only ACTIVE users.
//  - Posts (full text): the newest 1,000 matching posts (every query word must appear at least as a
//    word prefix), ordered (relevance, id) descending: relevance = how many query words appear as
//    whole words of the content, newest first within it. Older matches are not listed (the bound keeps
//    a common word's page cheap).
//    ACTIVE posts the viewer may see (the feeds' rules: visibility, blocks, mutes). A query that is
//    exactly one hashtag ("#cairo") lists the posts carrying that tag instead, newest first
//    (relevance 0), through post_hashtags.
//  - Hashtags: (exact, uses, id) descending: the tag equal to the query first, then by use count
//    (posts_count + videos_count), then newest. Tags with no uses left are not listed.
// User input never reaches SQL text: it is bound as parameters, and full-text terms are reduced to
// words (letters/digits) and quoted for FTS5 / tsquery. Cursor scopes: "search:users:<query>",
// "search:posts:<words>" or "search:posts:#<tag>", "search:tags:<prefix>" (long queries hashed).
// Costs and indexes: docs/services/search.md.
//
// Thread-safety: a Search object is stateless beyond its ServiceDeps; safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/post.h"
#include "daira/model/video.h"
#include "daira/query/keyset.h"
#include "daira/services/listing_requests.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

// One user search result.
struct UserHit {
  int64_t id = 0;
  std::string username;
  std::string display_name;           // "" when the profile has none
  std::optional<std::string> avatar_url;
  bool is_verified = false;
  int rank_bucket = 0;                // 0 exact username, 1 username prefix, 2 full text
  int64_t rank_tier = 0;              // within the bucket, lower is better (see the header comment)
};

// One post search result: the post with its author hydrated (from the same statement).
struct PostHit {
  model::Post post;
  int64_t relevance = 0;              // query words found whole in the content; 0 on the hashtag path
};

// One video search result.
struct VideoHit {
  model::Video video;
  int64_t relevance = 0;              // query words found whole in the title or description
};

// One hashtag search result.
struct HashtagHit {
  int64_t id = 0;
  std::string tag;                    // case-folded, without '#'
  int64_t posts_count = 0;
  int64_t videos_count = 0;
};

class Search {
 public:
  explicit Search(ServiceDeps deps) : deps_(deps) {}

  // ACTIVE users matching `request.query` (scope must be "ALL" or "USERS"), best bucket first, then
  // tier, then id. InvalidArgument naming "query", "scope", "limit" or "cursor".
  absl::StatusOr<query::Page<UserHit>> Users(const RequestContext& ctx, const SearchRequest& request);

  // ACTIVE posts `viewer` may see (UserId{} = anonymous: PUBLIC only) whose content holds every word
  // of `request.query` (as a word prefix), or, when the query is one hashtag ("#cairo"), that carry
  // the tag. Scope must be "ALL" or "POSTS". A query with no word at all gives an empty page.
  // InvalidArgument naming "query", "scope", "limit" or "cursor".
  absl::StatusOr<query::Page<PostHit>> Posts(const RequestContext& ctx, UserId viewer, const SearchRequest& request);

  // PUBLISHED videos `viewer` may see (UserId{} = anonymous: PUBLIC only; the feeds' rules otherwise)
  // whose title or description holds every word of `request.query` as a word prefix; like Posts, the
  // newest 1,000 matches ranked (relevance, id) descending. A '#' is a separator here ("#cairo" is
  // the word "cairo": a video's hashtags come from its text). Scope must be "ALL" or "VIDEOS". A query
  // with no word gives an empty page. InvalidArgument naming "query", "scope", "limit", "cursor" or
  // "viewer".
  absl::StatusOr<query::Page<VideoHit>> Videos(const RequestContext& ctx, UserId viewer,
                                               const SearchRequest& request);

  // Hashtags starting with `request.query` (one leading '#' dropped, case-folded like extraction).
  // Scope must be "ALL" or "HASHTAGS". A query that cannot start a hashtag (a space, punctuation)
  // gives an empty page. InvalidArgument naming "query", "scope", "limit" or "cursor".
  absl::StatusOr<query::Page<HashtagHit>> Hashtags(const RequestContext& ctx, const SearchRequest& request);

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
