// Search: users by username / display name, ranked and keyset-paged.
//
//   services::Search search(services::ServiceDeps{.db = db.get()});
//   DAIRA_ASSIGN_OR_RETURN(auto page, search.Users(ctx, {.query = "ali", .limit = 20}));
//   for (const services::UserHit& u : page.items) std::cout << u.username << " " << u.display_name << "\n";
//   if (page.has_more) {
//     page = *search.Users(ctx, {.query = "ali", .limit = 20, .cursor = page.next_cursor});
//   }
//   // Posts by hashtag: Feed::HashtagFeed (daira/services/feed.h).
//
// Ranking: bucket 0 = username equals the query (case-folded, a leading '@' dropped), bucket 1 =
// username starts with it, bucket 2 = a full-text prefix match of every query word on username or
// display name (SQLite: the users_fts FTS5 table; PostgreSQL: to_tsvector('simple', ...) @@
// to_tsquery over the users_search_idx / user_profiles_search_idx GIN expressions). Only ACTIVE users.
// Pages are keyset pages over (bucket, id) ascending — within a bucket the order is by id, which is
// stable while a client pages (a relevance score is not keyset-friendly). Cursor scope
// "search:users:<query>". User input never reaches SQL text: it is bound as parameters, and full-text
// terms are reduced to words (letters/digits) and quoted for FTS5 / tsquery.
//
// Thread-safety: a Search object is stateless beyond its ServiceDeps; safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
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
};

class Search {
 public:
  explicit Search(ServiceDeps deps) : deps_(deps) {}

  // ACTIVE users matching `request.query` (scope must be "ALL" or "USERS"), best bucket first, then
  // by id. InvalidArgument naming "query", "scope", "limit" or "cursor".
  absl::StatusOr<query::Page<UserHit>> Users(const RequestContext& ctx, const SearchRequest& request);

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
