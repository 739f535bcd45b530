// Model types as read-only Python classes with a readable repr. Ids are ints, enums are their
// upper-case names ("ACTIVE", "PUBLIC", …), times are aware UTC datetimes, absent values are None.
// Secrets never appear: User has no password_hash, Session's repr omits its tokens.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "common.h"
#include "daira/model/block.h"
#include "daira/model/comment.h"
#include "daira/model/follow.h"
#include "daira/model/mute.h"
#include "daira/model/post.h"
#include "daira/model/reaction.h"
#include "daira/model/user.h"
#include "daira/model/user_profile.h"
#include "daira/model/user_session.h"
#include "daira/model/video.h"
#include "daira/services/accounts.h"
#include "daira/services/profiles.h"
#include "daira/services/search.h"
#include "daira/services/social.h"
#include "daira/services/trending.h"
#include "daira/services/user_repository.h"
#include "module.h"
#include "repository.h"

namespace daira::python {
namespace {

// "Name(a=1, b='x')" from (name, value) pairs rendered with Python's repr().
class ReprBuilder {
 public:
  explicit ReprBuilder(std::string_view type) : out_(type) { out_ += "("; }
  template <typename T>
  ReprBuilder& Add(std::string_view name, const T& value) {
    if (!first_) out_ += ", ";
    first_ = false;
    out_ += name;
    out_ += "=";
    out_ += Repr(value);
    return *this;
  }
  std::string Done() { return out_ + ")"; }

 private:
  std::string out_;
  bool first_ = true;
};

std::optional<std::string> OptStr(std::string_view s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(std::string(s));
}
template <typename E>
std::optional<std::string> OptEnum(const std::optional<E>& e) {
  return e.has_value() ? std::optional<std::string>(std::string(model::ToString(*e))) : std::nullopt;
}

void BindUserModel(py::module_& m) {
  py::class_<model::User>(m, "User", "A user account (never its password hash).")
      .def_property_readonly("id", [](const model::User& u) { return u.id.value; })
      .def_property_readonly("username", [](const model::User& u) { return u.username; })
      .def_property_readonly("email", [](const model::User& u) { return u.email; })
      .def_property_readonly("phone", [](const model::User& u) { return u.phone; })
      .def_property_readonly("avatar_url", [](const model::User& u) { return u.avatar_url; })
      .def_property_readonly("is_verified", [](const model::User& u) { return u.is_verified; })
      .def_property_readonly("is_private", [](const model::User& u) { return u.is_private; })
      .def_property_readonly("status", [](const model::User& u) { return OptEnum(u.status); },
                             "ACTIVE | SUSPENDED | BANNED | DELETED")
      .def_property_readonly("role", [](const model::User& u) { return OptEnum(u.role); },
                             "USER | CREATOR | MODERATOR | ADMIN")
      .def_property_readonly("last_login_at", [](const model::User& u) { return ToDatetime(u.last_login_at); })
      .def_property_readonly("created_at", [](const model::User& u) { return ToDatetime(u.created_at); })
      .def_property_readonly("updated_at", [](const model::User& u) { return ToDatetime(u.updated_at); })
      .def_property_readonly("deleted_at", [](const model::User& u) { return ToDatetime(u.deleted_at); })
      .def("__repr__", [](const model::User& u) {
        return ReprBuilder("User")
            .Add("id", u.id.value)
            .Add("username", u.username)
            .Add("email", u.email)
            .Add("status", OptEnum(u.status))
            .Done();
      });

  py::class_<model::UserSession>(m, "UserSession", "A login session as stored (no token, no hash).")
      .def_property_readonly("id", [](const model::UserSession& s) { return s.id.value; })
      .def_property_readonly("user_id", [](const model::UserSession& s) { return s.user_id.value; })
      .def_property_readonly("family_id", [](const model::UserSession& s) { return s.family_id; })
      .def_property_readonly("device_type", [](const model::UserSession& s) { return s.device_type; })
      .def_property_readonly("device_name", [](const model::UserSession& s) { return s.device_name; })
      .def_property_readonly("ip_address", [](const model::UserSession& s) { return s.ip_address; })
      .def_property_readonly("user_agent", [](const model::UserSession& s) { return s.user_agent; })
      .def_property_readonly("created_at", [](const model::UserSession& s) { return ToDatetime(s.created_at); })
      .def_property_readonly("last_used_at", [](const model::UserSession& s) { return ToDatetime(s.last_used_at); })
      .def_property_readonly("expires_at", [](const model::UserSession& s) { return ToDatetime(s.expires_at); })
      .def_property_readonly("access_expires_at",
                             [](const model::UserSession& s) { return ToDatetime(s.access_expires_at); })
      .def_property_readonly("revoked_at", [](const model::UserSession& s) { return ToDatetime(s.revoked_at); })
      .def_property_readonly("replaced_by",
                             [](const model::UserSession& s) {
                               return s.replaced_by.has_value() ? std::optional<int64_t>(s.replaced_by->value)
                                                                : std::nullopt;
                             })
      .def("__repr__", [](const model::UserSession& s) {
        return ReprBuilder("UserSession")
            .Add("id", s.id.value)
            .Add("user_id", s.user_id.value)
            .Add("device_type", s.device_type)
            .Add("revoked", s.revoked_at.has_value())
            .Done();
      });

  py::class_<services::Session>(m, "Session",
                                "What login() and refresh() return. The tokens are secrets: never log them.")
      .def_readonly("access_token", &services::Session::access_token)
      .def_readonly("refresh_token", &services::Session::refresh_token)
      .def_property_readonly("access_expires_at",
                             [](const services::Session& s) { return ToDatetime(s.access_expires_at); })
      .def_property_readonly("refresh_expires_at",
                             [](const services::Session& s) { return ToDatetime(s.refresh_expires_at); })
      .def_property_readonly("session_id", [](const services::Session& s) { return s.session_id.value; })
      .def_readonly("user", &services::Session::user)
      .def("__repr__", [](const services::Session& s) {
        return ReprBuilder("Session")
            .Add("session_id", s.session_id.value)
            .Add("user", s.user)
            .Add("access_token", std::string("<hidden>"))
            .Done();
      });

  py::class_<services::Authenticated>(m, "Authenticated", "Who an access token belongs to.")
      .def_readonly("user", &services::Authenticated::user)
      .def_readonly("session", &services::Authenticated::session)
      .def("__repr__", [](const services::Authenticated& a) {
        return ReprBuilder("Authenticated").Add("user", a.user).Add("session", a.session).Done();
      });

  py::class_<services::UserBatch>(m, "UserBatch", "users.get_many(): the users found (in order) and the ids missing.")
      .def_readonly("users", &services::UserBatch::users)
      .def_readonly("items", &services::UserBatch::users, "The same list as .users (as every Batch has .items).")
      .def_property_readonly("missing", [](const services::UserBatch& b) { return IdValues(b.missing); })
      .def("__repr__", [](const services::UserBatch& b) {
        return ReprBuilder("UserBatch").Add("users", b.users).Add("missing", IdValues(b.missing)).Done();
      });

  py::class_<model::UserProfile>(m, "UserProfile", "A user's profile with its counters.")
      .def_property_readonly("user_id", [](const model::UserProfile& p) { return p.user_id.value; })
      .def_readonly("display_name", &model::UserProfile::display_name)
      .def_readonly("bio", &model::UserProfile::bio)
      .def_readonly("location", &model::UserProfile::location)
      .def_readonly("website", &model::UserProfile::website)
      .def_readonly("followers_count", &model::UserProfile::followers_count)
      .def_readonly("following_count", &model::UserProfile::following_count)
      .def_readonly("posts_count", &model::UserProfile::posts_count)
      .def_readonly("videos_count", &model::UserProfile::videos_count)
      .def_readonly("likes_received_count", &model::UserProfile::likes_received_count)
      .def_readonly("trust_score", &model::UserProfile::trust_score)
      .def_readonly("badges", &model::UserProfile::badges)
      .def_property_readonly("created_at", [](const model::UserProfile& p) { return ToDatetime(p.created_at); })
      .def_property_readonly("updated_at", [](const model::UserProfile& p) { return ToDatetime(p.updated_at); })
      .def("__repr__", [](const model::UserProfile& p) {
        return ReprBuilder("UserProfile")
            .Add("user_id", p.user_id.value)
            .Add("display_name", p.display_name)
            .Add("followers_count", p.followers_count)
            .Add("following_count", p.following_count)
            .Add("posts_count", p.posts_count)
            .Done();
      });

  py::class_<services::ProfileView>(m, "ProfileView", "A user and their profile.")
      .def_readonly("user", &services::ProfileView::user)
      .def_readonly("profile", &services::ProfileView::profile)
      .def("__repr__", [](const services::ProfileView& v) {
        return ReprBuilder("ProfileView").Add("user", v.user).Add("profile", v.profile).Done();
      });

  py::class_<model::UserStats>(m, "UserStats", "A user's counters.")
      .def_property_readonly("user_id", [](const model::UserStats& s) { return s.user_id.value; })
      .def_readonly("followers", &model::UserStats::followers)
      .def_readonly("following", &model::UserStats::following)
      .def_readonly("posts", &model::UserStats::posts)
      .def_readonly("videos", &model::UserStats::videos)
      .def_readonly("likes_received", &model::UserStats::likes_received)
      .def("__repr__", [](const model::UserStats& s) {
        return ReprBuilder("UserStats")
            .Add("user_id", s.user_id.value)
            .Add("followers", s.followers)
            .Add("following", s.following)
            .Add("posts", s.posts)
            .Add("videos", s.videos)
            .Add("likes_received", s.likes_received)
            .Done();
      });

  py::class_<services::UserHit>(m, "UserHit", "A search result: an ACTIVE user's public fields.")
      .def_readonly("id", &services::UserHit::id)
      .def_readonly("username", &services::UserHit::username)
      .def_property_readonly("display_name", [](const services::UserHit& h) { return OptStr(h.display_name); })
      .def_readonly("avatar_url", &services::UserHit::avatar_url)
      .def_readonly("is_verified", &services::UserHit::is_verified)
      .def_readonly("rank_bucket", &services::UserHit::rank_bucket,
                    "0 exact username, 1 username prefix, 2 full text")
      .def_readonly("rank_tier", &services::UserHit::rank_tier, "within the bucket, lower is better")
      .def("__repr__", [](const services::UserHit& h) {
        return ReprBuilder("UserHit")
            .Add("id", h.id)
            .Add("username", h.username)
            .Add("display_name", OptStr(h.display_name))
            .Add("rank_bucket", h.rank_bucket)
            .Done();
      });
}

void BindSocial(py::module_& m) {
  py::class_<model::Follow>(m, "Follow", "A follow edge: ACTIVE, or PENDING for a private followee.")
      .def_readonly("id", &model::Follow::id)
      .def_property_readonly("follower_id", [](const model::Follow& f) { return f.follower_id.value; })
      .def_property_readonly("followee_id", [](const model::Follow& f) { return f.followee_id.value; })
      .def_property_readonly("status", [](const model::Follow& f) { return std::string(model::ToString(f.status)); })
      .def_property_readonly("created_at", [](const model::Follow& f) { return ToDatetime(f.created_at); })
      .def_property_readonly("updated_at", [](const model::Follow& f) { return ToDatetime(f.updated_at); })
      .def("__repr__", [](const model::Follow& f) {
        return ReprBuilder("Follow")
            .Add("follower_id", f.follower_id.value)
            .Add("followee_id", f.followee_id.value)
            .Add("status", std::string(model::ToString(f.status)))
            .Done();
      });

  py::class_<services::GraphUser>(m, "GraphUser", "The public fields of a user in a follower/following list.")
      .def_property_readonly("id", [](const services::GraphUser& u) { return u.id.value; })
      .def_readonly("username", &services::GraphUser::username)
      .def_readonly("display_name", &services::GraphUser::display_name)
      .def_readonly("avatar_url", &services::GraphUser::avatar_url)
      .def_readonly("is_verified", &services::GraphUser::is_verified)
      .def_readonly("is_private", &services::GraphUser::is_private)
      .def("__repr__", [](const services::GraphUser& u) {
        return ReprBuilder("GraphUser").Add("id", u.id.value).Add("username", u.username).Done();
      });

  py::class_<services::FollowEntry>(m, "FollowEntry", "One row of a follower/following list: the edge and the user.")
      .def_readonly("edge", &services::FollowEntry::edge)
      .def_readonly("user", &services::FollowEntry::user)
      .def("__repr__", [](const services::FollowEntry& e) {
        return ReprBuilder("FollowEntry").Add("user", e.user).Add("status", std::string(model::ToString(e.edge.status))).Done();
      });

  py::class_<model::Block>(m, "Block", "A block: blocker_id blocks blocked_id.")
      .def_readonly("id", &model::Block::id)
      .def_property_readonly("blocker_id", [](const model::Block& b) { return b.blocker_id.value; })
      .def_property_readonly("blocked_id", [](const model::Block& b) { return b.blocked_id.value; })
      .def_readonly("reason", &model::Block::reason)
      .def_property_readonly("created_at", [](const model::Block& b) { return ToDatetime(b.created_at); })
      .def("__repr__", [](const model::Block& b) {
        return ReprBuilder("Block").Add("blocker_id", b.blocker_id.value).Add("blocked_id", b.blocked_id.value).Done();
      });

  py::class_<model::Mute>(m, "Mute", "A mute: MUTE | HIDE_STORIES | HIDE_POSTS, optionally until expires_at.")
      .def_readonly("id", &model::Mute::id)
      .def_property_readonly("muter_id", [](const model::Mute& x) { return x.muter_id.value; })
      .def_property_readonly("muted_id", [](const model::Mute& x) { return x.muted_id.value; })
      .def_property_readonly("mute_type", [](const model::Mute& x) { return std::string(model::ToString(x.mute_type)); })
      .def_property_readonly("created_at", [](const model::Mute& x) { return ToDatetime(x.created_at); })
      .def_property_readonly("expires_at", [](const model::Mute& x) { return ToDatetime(x.expires_at); })
      .def("__repr__", [](const model::Mute& x) {
        return ReprBuilder("Mute")
            .Add("muter_id", x.muter_id.value)
            .Add("muted_id", x.muted_id.value)
            .Add("mute_type", std::string(model::ToString(x.mute_type)))
            .Done();
      });
}

void BindContent(py::module_& m) {
  py::class_<model::AuthorSummary>(m, "Author", "The author of a post or comment, as feeds and threads show it.")
      .def_property_readonly("id", [](const model::AuthorSummary& a) { return a.id.value; })
      .def_readonly("username", &model::AuthorSummary::username)
      .def_property_readonly("display_name", [](const model::AuthorSummary& a) { return OptStr(a.display_name); })
      .def_property_readonly("avatar_url", [](const model::AuthorSummary& a) { return OptStr(a.avatar_url); })
      .def_readonly("is_verified", &model::AuthorSummary::is_verified)
      .def("__repr__", [](const model::AuthorSummary& a) {
        return ReprBuilder("Author").Add("id", a.id.value).Add("username", a.username).Done();
      });

  py::class_<model::Post>(m, "Post", "A post. `author` is filled by feeds, None otherwise.")
      .def_property_readonly("id", [](const model::Post& p) { return p.id.value; })
      .def_property_readonly("author_id", [](const model::Post& p) { return p.author_id.value; })
      .def_readonly("content", &model::Post::content)
      .def_readonly("media_urls", &model::Post::media_urls)
      .def_readonly("hashtags", &model::Post::hashtags)
      .def_property_readonly("mentions", [](const model::Post& p) { return IdValues(p.mentions); })
      .def_readonly("likes_count", &model::Post::likes_count)
      .def_readonly("comments_count", &model::Post::comments_count)
      .def_property_readonly("status", [](const model::Post& p) { return std::string(model::ToString(p.status)); })
      .def_property_readonly("visibility",
                             [](const model::Post& p) { return std::string(model::ToString(p.visibility)); })
      .def_property_readonly("created_at", [](const model::Post& p) { return ToDatetime(p.created_at); })
      .def_property_readonly("updated_at", [](const model::Post& p) { return ToDatetime(p.updated_at); })
      .def_property_readonly("deleted_at", [](const model::Post& p) { return ToDatetime(p.deleted_at); })
      .def_readonly("author", &model::Post::author)
      .def("__repr__", [](const model::Post& p) {
        return ReprBuilder("Post")
            .Add("id", p.id.value)
            .Add("author_id", p.author_id.value)
            .Add("content", p.content.size() > 60 ? p.content.substr(0, 60) + "…" : p.content)
            .Add("likes_count", p.likes_count)
            .Add("comments_count", p.comments_count)
            .Done();
      });

  py::class_<model::Video>(m, "Video", "A video: UPLOADING → PROCESSING → PUBLISHED (or FAILED).")
      .def_property_readonly("id", [](const model::Video& v) { return v.id.value; })
      .def_property_readonly("author_id", [](const model::Video& v) { return v.author_id.value; })
      .def_readonly("title", &model::Video::title)
      .def_readonly("description", &model::Video::description)
      .def_readonly("hashtags", &model::Video::hashtags)
      .def_readonly("thumbnail_url", &model::Video::thumbnail_url)
      .def_readonly("hls_url", &model::Video::hls_url)
      .def_readonly("duration_ms", &model::Video::duration_ms)
      .def_readonly("resolution", &model::Video::resolution)
      .def_readonly("views_count", &model::Video::views_count)
      .def_readonly("likes_count", &model::Video::likes_count)
      .def_readonly("comments_count", &model::Video::comments_count)
      .def_property_readonly("status", [](const model::Video& v) { return std::string(model::ToString(v.status)); })
      .def_property_readonly("visibility",
                             [](const model::Video& v) { return std::string(model::ToString(v.visibility)); })
      .def_readonly("error", &model::Video::error)
      .def_property_readonly("created_at", [](const model::Video& v) { return ToDatetime(v.created_at); })
      .def_property_readonly("updated_at", [](const model::Video& v) { return ToDatetime(v.updated_at); })
      .def_property_readonly("published_at", [](const model::Video& v) { return ToDatetime(v.published_at); })
      .def_property_readonly("hidden_at", [](const model::Video& v) { return ToDatetime(v.hidden_at); },
                             "Set while moderation hides the video (docs/moderation.md); None otherwise.")
      .def("__repr__", [](const model::Video& v) {
        return ReprBuilder("Video")
            .Add("id", v.id.value)
            .Add("author_id", v.author_id.value)
            .Add("title", v.title)
            .Add("status", std::string(model::ToString(v.status)))
            .Done();
      });

  py::class_<model::Comment>(m, "Comment", "A comment on a post or video; parent_id set for a reply.")
      .def_property_readonly("id", [](const model::Comment& c) { return c.id.value; })
      .def_property_readonly("target_type", [](const model::Comment& c) { return std::string(model::ToString(c.target.type)); },
                             "POST | VIDEO")
      .def_property_readonly("target_id", [](const model::Comment& c) { return c.target.id; })
      .def_property_readonly("parent_id",
                             [](const model::Comment& c) {
                               return c.parent_id.has_value() ? std::optional<int64_t>(c.parent_id->value)
                                                              : std::nullopt;
                             })
      .def_property_readonly("author_id", [](const model::Comment& c) { return c.author_id.value; })
      .def_readonly("content", &model::Comment::content)
      .def_property_readonly("mentions", [](const model::Comment& c) { return IdValues(c.mentions); })
      .def_readonly("likes_count", &model::Comment::likes_count)
      .def_readonly("replies_count", &model::Comment::replies_count)
      .def_property_readonly("status", [](const model::Comment& c) { return std::string(model::ToString(c.status)); })
      .def_property_readonly("created_at", [](const model::Comment& c) { return ToDatetime(c.created_at); })
      .def_property_readonly("updated_at", [](const model::Comment& c) { return ToDatetime(c.updated_at); })
      .def_property_readonly("deleted_at", [](const model::Comment& c) { return ToDatetime(c.deleted_at); })
      .def_readonly("author", &model::Comment::author)
      .def("__repr__", [](const model::Comment& c) {
        return ReprBuilder("Comment")
            .Add("id", c.id.value)
            .Add("target", std::string(model::ToString(c.target.type)) + ":" + std::to_string(c.target.id))
            .Add("author_id", c.author_id.value)
            .Add("content", c.content.size() > 60 ? c.content.substr(0, 60) + "…" : c.content)
            .Done();
      });

  py::class_<model::ReactOutcome>(m, "ReactOutcome", "What react() did.")
      .def_readonly("created", &model::ReactOutcome::created, "a new reaction (the target's likes_count +1)")
      .def_readonly("changed", &model::ReactOutcome::changed, "an existing reaction switched type")
      .def_property_readonly("reaction",
                             [](const model::ReactOutcome& o) { return std::string(model::ToString(o.reaction)); })
      .def("__repr__", [](const model::ReactOutcome& o) {
        return ReprBuilder("ReactOutcome")
            .Add("created", o.created)
            .Add("changed", o.changed)
            .Add("reaction", std::string(model::ToString(o.reaction)))
            .Done();
      });

  auto counts = [](const model::ReactionSummary& s) {
    py::dict d;
    for (size_t i = 0; i < model::kReactionCount; ++i) {
      d[py::str(std::string(model::kReactionNames[i]))] = s.counts[i];
    }
    return d;
  };
  py::class_<model::ReactionSummary>(m, "ReactionSummary", "Counts per reaction type on one target.")
      .def_property_readonly("target_type",
                             [](const model::ReactionSummary& s) { return std::string(model::ToString(s.target.type)); })
      .def_property_readonly("target_id", [](const model::ReactionSummary& s) { return s.target.id; })
      .def_property_readonly("counts", counts, "{'LIKE': n, 'LOVE': n, 'LAUGH': n, 'SAD': n, 'ANGRY': n}")
      .def_readonly("total", &model::ReactionSummary::total)
      .def("__repr__", [counts](const model::ReactionSummary& s) {
        return ReprBuilder("ReactionSummary").Add("total", s.total).Add("counts", counts(s)).Done();
      });

  py::class_<services::PostHit>(m, "PostHit", "A post search result: the post (author filled) and its relevance.")
      .def_readonly("post", &services::PostHit::post)
      .def_readonly("relevance", &services::PostHit::relevance,
                    "query words found whole in the content; 0 on the hashtag path")
      .def("__repr__", [](const services::PostHit& h) {
        return ReprBuilder("PostHit").Add("post", h.post).Add("relevance", h.relevance).Done();
      });
  py::class_<services::VideoHit>(m, "VideoHit", "A video search result: the PUBLISHED video and its relevance.")
      .def_readonly("video", &services::VideoHit::video)
      .def_readonly("relevance", &services::VideoHit::relevance,
                    "query words found whole in the title or description")
      .def("__repr__", [](const services::VideoHit& h) {
        return ReprBuilder("VideoHit").Add("video", h.video).Add("relevance", h.relevance).Done();
      });
  py::class_<services::HashtagHit>(m, "HashtagHit", "A hashtag search result (tag case-folded, without '#').")
      .def_readonly("id", &services::HashtagHit::id)
      .def_readonly("tag", &services::HashtagHit::tag)
      .def_readonly("posts_count", &services::HashtagHit::posts_count)
      .def_readonly("videos_count", &services::HashtagHit::videos_count)
      .def("__repr__", [](const services::HashtagHit& h) {
        return ReprBuilder("HashtagHit")
            .Add("tag", h.tag)
            .Add("posts_count", h.posts_count)
            .Add("videos_count", h.videos_count)
            .Done();
      });

  py::class_<services::TrendingVideo>(m, "TrendingVideo", "A video and its trending score.")
      .def_readonly("video", &services::TrendingVideo::video)
      .def_readonly("score", &services::TrendingVideo::score)
      .def("__repr__", [](const services::TrendingVideo& t) {
        return ReprBuilder("TrendingVideo").Add("video", t.video).Add("score", t.score).Done();
      });
  py::class_<services::TrendingHashtag>(m, "TrendingHashtag", "A hashtag, its uses in the window and its score.")
      .def_readonly("id", &services::TrendingHashtag::id)
      .def_readonly("tag", &services::TrendingHashtag::tag)
      .def_readonly("uses", &services::TrendingHashtag::uses)
      .def_readonly("score", &services::TrendingHashtag::score)
      .def("__repr__", [](const services::TrendingHashtag& t) {
        return ReprBuilder("TrendingHashtag").Add("tag", t.tag).Add("uses", t.uses).Add("score", t.score).Done();
      });
}

}  // namespace

void RegisterModels(py::module_& m) {
  BindUserModel(m);
  BindSocial(m);
  BindContent(m);
}

}  // namespace daira::python
