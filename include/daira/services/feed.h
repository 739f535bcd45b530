// Feed: the database path of the home feed, a user's timeline and a hashtag feed.
//
//   services::Feed feed(services::ServiceDeps{.db = db.get()});
//   DAIRA_ASSIGN_OR_RETURN(auto page, feed.Home(ctx, bob, {.limit = 20}));
//   for (const model::Post& p : page.items) std::cout << p.author->username << ": " << p.content << "\n";
//   if (page.has_more) page = *feed.Home(ctx, bob, {.limit = 20, .cursor = page.next_cursor});
//   DAIRA_ASSIGN_OR_RETURN(auto tl, feed.Timeline(ctx, bob, alice, {.limit = 20}));
//   DAIRA_ASSIGN_OR_RETURN(auto tag, feed.HashtagFeed(ctx, bob, "#Cairo", {.limit = 20}));
//
// Every page holds ACTIVE posts newest first (ids are time-ordered, so the order is by id), with
// their authors hydrated by ONE batched statement: a page costs 2 statements on one read connection.
// Cursors are keyset positions (daira/query/cursor.h, process-default CursorCodec) scoped to the list
// ("home:<viewer>", "timeline:<author>", "hashtag:<tag>"); next_cursor walks older, prev_cursor newer.
// A viewer never sees posts of users blocked either way, nor of users they muted (MUTE or
// HIDE_POSTS, unexpired), nor posts they may not see (FOLLOWERS posts need an ACTIVE follow, PRIVATE
// posts only their author). UserId{} (0) is an anonymous viewer: PUBLIC posts only.
//
// The home feed is a pull-model query (see docs/services/feed.md for its shape): for each followee it
// walks posts(author_id, id DESC) for at most limit+1 rows and merges, so its cost grows with the
// number of followees, not with their post counts. With a cache (ServiceDeps::cache) Home reads through
// a per-reader list of candidate ids kept by fan-out on write, and returns exactly what the database
// path returns (docs/cache.md, "Feed cache"; options in daira/services/feed_options.h).
//
// Thread-safety: a Feed object is stateless beyond its ServiceDeps; safe from any number of threads.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/post.h"
#include "daira/query/keyset.h"
#include "daira/services/listing_requests.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

class Feed {
 public:
  explicit Feed(ServiceDeps deps) : deps_(deps) {}

  // Posts by the accounts `viewer` follows (ACTIVE follows) and by `viewer` themself, minus blocked and
  // muted authors. InvalidArgument naming "viewer", "limit" or "cursor".
  absl::StatusOr<query::Page<model::Post>> Home(const RequestContext& ctx, UserId viewer, const PageRequest& page);
  // One author's posts as `viewer` may see them.
  absl::StatusOr<query::Page<model::Post>> Timeline(const RequestContext& ctx, UserId viewer, UserId author,
                                                    const PageRequest& page);
  // Posts carrying `tag` ("#Cairo" or "cairo"; case-folded like extraction), as `viewer` may see them.
  // InvalidArgument naming "tag" when it is not a valid hashtag. An unknown tag gives an empty page.
  absl::StatusOr<query::Page<model::Post>> HashtagFeed(const RequestContext& ctx, UserId viewer, std::string_view tag,
                                                       const PageRequest& page);

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
