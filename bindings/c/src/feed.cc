// feed (home, timeline, hashtag), search (users, posts, hashtags) and trending (videos, hashtags): each call
// described by its service method, its fields and its result's encoder (service_call.h).
#include "internal.h"
#include "service_call.h"

using daira::JsonWriter;

namespace {
using daira::UserId;
namespace services = daira::services;
using namespace daira::cabi::fields;  // NOLINT(build/namespaces): the readers and encoders of the tables

// {query*, scope, limit, cursor}: the fields every search call reads.
services::SearchRequest SearchOf(daira::cabi::Request& r) {
  services::SearchRequest req;
  req.query = r.String("query");
  req.scope = r.String("scope", "ALL");
  req.limit = r.Int("limit", services::kDefaultPageLimit);
  req.cursor = r.String("cursor");
  return req;
}

services::TrendingRequest TrendingOf(daira::cabi::Request& r) {
  services::TrendingRequest req;
  req.window = std::chrono::seconds(r.Int("window_s", services::kDefaultTrendingWindow.count()));
  req.limit = r.Int("limit", 20);
  return req;
}

// trending.videos also pages.
services::TrendingRequest TrendingPageOf(daira::cabi::Request& r) {
  services::TrendingRequest req = TrendingOf(r);
  req.cursor = r.String("cursor");
  return req;
}

// "viewer_id" of a search: absent is anonymous (PUBLIC posts and videos only).
UserId ViewerOf(daira::cabi::Request& r) { return UserId(r.OptId("viewer_id").value_or(0)); }

void WritePostHit(JsonWriter& w, const services::PostHit& hit) {
  w.BeginObject().Key("post");
  daira::cabi::WritePost(w, hit.post);
  w.Key("relevance").Int(hit.relevance).EndObject();
}

void WriteVideoHit(JsonWriter& w, const services::VideoHit& hit) {
  w.BeginObject().Key("video");
  daira::cabi::WriteVideo(w, hit.video);
  w.Key("relevance").Int(hit.relevance).EndObject();
}

void WriteHashtagHit(JsonWriter& w, const services::HashtagHit& h) {
  w.BeginObject().Key("id");
  daira::cabi::WriteId(w, h.id);
  w.Key("tag").String(h.tag).Key("posts_count").Int(h.posts_count).Key("videos_count").Int(h.videos_count);
  w.EndObject();
}

void WriteTrendingVideo(JsonWriter& w, const services::TrendingVideo& v) {
  w.BeginObject().Key("video");
  daira::cabi::WriteVideo(w, v.video);
  w.Key("score").Double(v.score).EndObject();
}

// {"items": [{id, tag, uses, score}, …]} (no cursor: one ranked list).
std::string TrendingHashtagsJson(const std::vector<services::TrendingHashtag>& result) {
  JsonWriter w;
  w.BeginObject().Key("items").BeginArray();
  for (const services::TrendingHashtag& h : result) {
    w.BeginObject().Key("id");
    daira::cabi::WriteId(w, h.id);
    w.Key("tag").String(h.tag).Key("uses").Int(h.uses).Key("score").Double(h.score).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

constexpr auto kFeed = &daira::Platform::feed;
constexpr auto kSearch = &daira::Platform::search;
constexpr auto kTrending = &daira::Platform::trending;
const PageOf<daira::model::Post> kPostsJson{daira::cabi::WritePost};

}  // namespace

DAIRA_CABI_SERVICE_CALL(daira_feed_home, "feed.home", kFeed, &services::Feed::Home, kPostsJson,
                        IdAs<UserId>{"viewer_id"}, PageOfAnyLimit{})
DAIRA_CABI_SERVICE_CALL(daira_feed_timeline, "feed.timeline", kFeed, &services::Feed::Timeline, kPostsJson,
                        IdAs<UserId>{"viewer_id"}, IdAs<UserId>{"author_id"}, PageOfAnyLimit{})
DAIRA_CABI_SERVICE_CALL(daira_feed_hashtag, "feed.hashtag", kFeed, &services::Feed::HashtagFeed, kPostsJson,
                        IdAs<UserId>{"viewer_id"}, Str{"tag"}, PageOfAnyLimit{})

DAIRA_CABI_SERVICE_CALL(daira_search_users, "search.users", kSearch, &services::Search::Users,
                        PageOf<services::UserHit>{daira::cabi::WriteUserHit}, SearchOf)
DAIRA_CABI_SERVICE_CALL(daira_search_posts, "search.posts", kSearch, &services::Search::Posts,
                        PageOf<services::PostHit>{WritePostHit}, ViewerOf, SearchOf)
DAIRA_CABI_SERVICE_CALL(daira_search_videos, "search.videos", kSearch, &services::Search::Videos,
                        PageOf<services::VideoHit>{WriteVideoHit}, ViewerOf, SearchOf)
DAIRA_CABI_SERVICE_CALL(daira_search_hashtags, "search.hashtags", kSearch, &services::Search::Hashtags,
                        PageOf<services::HashtagHit>{WriteHashtagHit}, SearchOf)

DAIRA_CABI_SERVICE_CALL(daira_trending_videos, "trending.videos", kTrending, &services::Trending::Videos,
                        PageOf<services::TrendingVideo>{WriteTrendingVideo}, TrendingPageOf)
DAIRA_CABI_SERVICE_CALL(daira_trending_hashtags, "trending.hashtags", kTrending,
                        &services::Trending::Hashtags, TrendingHashtagsJson, TrendingOf)
