// feed (home, timeline, hashtag), search (users, posts, hashtags) and trending (videos, hashtags).
#include "internal.h"

using daira::JsonWriter;

namespace {
using daira::UserId;
namespace services = daira::services;

services::PageRequest PageOf(daira::cabi::Request& r) {
  services::PageRequest page;
  page.limit = r.Int("limit", services::kDefaultPageLimit);
  page.cursor = r.String("cursor");
  return page;
}

std::string PostsJson(const daira::query::Page<daira::model::Post>& page) {
  return daira::cabi::PageJson(page, daira::cabi::WritePost);
}

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

}  // namespace

DAIRA_CABI_CALL(daira_feed_home, "feed.home") {
  const UserId viewer(r.Id("viewer_id"));
  services::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.feed().Home(ctx, viewer, page));
  return PostsJson(result);
}

DAIRA_CABI_CALL(daira_feed_timeline, "feed.timeline") {
  const UserId viewer(r.Id("viewer_id"));
  const UserId author(r.Id("author_id"));
  services::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.feed().Timeline(ctx, viewer, author, page));
  return PostsJson(result);
}

DAIRA_CABI_CALL(daira_feed_hashtag, "feed.hashtag") {
  const UserId viewer(r.Id("viewer_id"));
  const std::string tag = r.String("tag");
  services::PageRequest page = PageOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.feed().HashtagFeed(ctx, viewer, tag, page));
  return PostsJson(result);
}

DAIRA_CABI_CALL(daira_search_users, "search.users") {
  services::SearchRequest req = SearchOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.search().Users(ctx, req));
  return daira::cabi::PageJson(result, daira::cabi::WriteUserHit);
}

DAIRA_CABI_CALL(daira_search_posts, "search.posts") {
  const UserId viewer(r.OptId("viewer_id").value_or(0));  // absent: anonymous (PUBLIC posts only)
  services::SearchRequest req = SearchOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.search().Posts(ctx, viewer, req));
  return daira::cabi::PageJson(result, [](JsonWriter& w, const services::PostHit& hit) {
    w.BeginObject().Key("post");
    daira::cabi::WritePost(w, hit.post);
    w.Key("relevance").Int(hit.relevance).EndObject();
  });
}

DAIRA_CABI_CALL(daira_search_videos, "search.videos") {
  const UserId viewer(r.OptId("viewer_id").value_or(0));  // absent: anonymous (PUBLIC videos only)
  services::SearchRequest req = SearchOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.search().Videos(ctx, viewer, req));
  return daira::cabi::PageJson(result, [](JsonWriter& w, const services::VideoHit& hit) {
    w.BeginObject().Key("video");
    daira::cabi::WriteVideo(w, hit.video);
    w.Key("relevance").Int(hit.relevance).EndObject();
  });
}

DAIRA_CABI_CALL(daira_search_hashtags, "search.hashtags") {
  services::SearchRequest req = SearchOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.search().Hashtags(ctx, req));
  return daira::cabi::PageJson(result, [](JsonWriter& w, const services::HashtagHit& h) {
    w.BeginObject().Key("id");
    daira::cabi::WriteId(w, h.id);
    w.Key("tag").String(h.tag).Key("posts_count").Int(h.posts_count).Key("videos_count").Int(h.videos_count);
    w.EndObject();
  });
}

DAIRA_CABI_CALL(daira_trending_videos, "trending.videos") {
  services::TrendingRequest req = TrendingOf(r);
  req.cursor = r.String("cursor");
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.trending().Videos(ctx, req));
  return daira::cabi::PageJson(result, [](JsonWriter& w, const services::TrendingVideo& v) {
    w.BeginObject().Key("video");
    daira::cabi::WriteVideo(w, v.video);
    w.Key("score").Double(v.score).EndObject();
  });
}

DAIRA_CABI_CALL(daira_trending_hashtags, "trending.hashtags") {
  services::TrendingRequest req = TrendingOf(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(auto result, p.trending().Hashtags(ctx, req));
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
