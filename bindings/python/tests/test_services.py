"""Every wrapped service method once, with its typed result."""

import datetime

import pytest

import daira
from conftest import register


def test_profiles(platform):
    alice = register(platform, "alice")
    view = platform.profiles.update(alice.id, display_name="Alice A.", bio="hi\nthere", is_private=True)
    assert isinstance(view, daira.ProfileView)
    assert view.profile.display_name == "Alice A." and view.profile.bio == "hi\nthere"
    assert view.user.is_private is True
    platform.profiles.set_verified(alice.id, True)
    assert platform.profiles.get(alice.id).user.is_verified is True
    assert platform.profiles.adjust_trust_score(alice.id, 0.25) == pytest.approx(0.75)
    platform.profiles.add_badge(alice.id, "early_adopter")
    assert platform.profiles.get(alice.id).profile.badges == ["early_adopter"]
    platform.profiles.remove_badge(alice.id, "early_adopter")
    assert platform.profiles.get(alice.id).profile.badges == []
    stats = platform.profiles.stats(alice.id)
    assert isinstance(stats, daira.UserStats) and stats.followers == 0
    with pytest.raises(daira.InvalidArgument) as info:
        platform.profiles.update(alice.id, display_name="")
    assert info.value.field == "display_name"


def test_social_graph(platform):
    alice, bob, carol = (register(platform, n) for n in ("alice", "bob", "carol"))
    platform.profiles.update(carol.id, is_private=True)
    assert platform.social.follow(alice.id, carol.id).status == "PENDING"
    assert [e.user.username for e in platform.social.pending_requests(carol.id)] == ["alice"]
    assert platform.social.accept_follow(carol.id, alice.id).status == "ACTIVE"
    platform.social.follow(bob.id, carol.id)
    platform.social.reject_follow(carol.id, bob.id)
    platform.social.follow(carol.id, alice.id)
    assert [e.user.username for e in platform.social.mutual_follows(alice.id)] == ["carol"]
    assert platform.social.follows_each(alice.id, [carol.id, bob.id]) == [True, False]
    with pytest.raises(daira.AlreadyExists):
        platform.social.follow(alice.id, carol.id)
    platform.social.unfollow(alice.id, carol.id)

    block = platform.social.block(alice.id, bob.id, reason="spam")
    assert isinstance(block, daira.Block) and block.reason == "spam"
    assert platform.social.is_blocked(bob.id, alice.id)
    with pytest.raises(daira.FailedPrecondition):
        platform.social.follow(bob.id, alice.id)
    platform.social.unblock(alice.id, bob.id)
    assert not platform.social.is_blocked(alice.id, bob.id)

    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    mute = platform.social.mute(alice.id, carol.id, mute_type="HIDE_POSTS", expires_at=until)
    assert mute.mute_type == "HIDE_POSTS" and abs((mute.expires_at - until).total_seconds()) < 1
    assert platform.social.hidden_authors_for(alice.id) == [carol.id]
    platform.social.unmute(alice.id, carol.id)
    assert platform.social.hidden_authors_for(alice.id) == []
    with pytest.raises(daira.InvalidArgument) as info:
        platform.social.mute(alice.id, carol.id, mute_type="LOUD")
    assert info.value.field == "mute_type"
    with pytest.raises(daira.NotFound):
        platform.social.unfollow(alice.id, bob.id)


def test_posts_comments_reactions(platform):
    alice, bob = register(platform, "alice"), register(platform, "bob")
    post = platform.content.create_post(alice.id, "first #news", media_urls=["https://cdn.example.com/a.png"])
    assert post.media_urls == ["https://cdn.example.com/a.png"] and post.visibility == "PUBLIC"
    edited = platform.content.edit_post(post.id, editor_id=alice.id, content="edited #news #more")
    assert edited.hashtags == ["news", "more"]
    with pytest.raises(daira.PermissionDenied):
        platform.content.edit_post(post.id, editor_id=bob.id, content="mine now")

    top = platform.content.create_comment(bob.id, "nice", post_id=post.id)
    reply = platform.content.create_comment(alice.id, "thanks @bob", post_id=post.id, parent_id=top.id)
    assert reply.parent_id == top.id and reply.mentions == [bob.id]
    thread = platform.content.list_thread(post_id=post.id)
    assert [c.content for c in thread] == ["nice"] and thread[0].author.username == "bob"
    assert [c.id for c in platform.content.list_thread(post_id=post.id, parent_id=top.id)] == [reply.id]
    assert platform.content.get_comment(top.id).replies_count == 1
    with pytest.raises(daira.InvalidArgument):
        platform.content.list_thread()

    outcome = platform.content.react(bob.id, "post", post.id, reaction="love")
    assert (outcome.created, outcome.changed, outcome.reaction) == (True, False, "LOVE")
    assert platform.content.react(bob.id, "POST", post.id, reaction="LAUGH").changed
    summary = platform.content.reactions_summary("POST", post.id)
    assert summary.total == 1 and summary.counts["LAUGH"] == 1
    assert platform.content.get_post(post.id).likes_count == 1
    assert platform.content.unreact(bob.id, "POST", post.id) is True
    assert platform.content.unreact(bob.id, "POST", post.id) is False
    with pytest.raises(daira.InvalidArgument) as info:
        platform.content.unreact(bob.id, "STORY", post.id)
    assert info.value.field == "target_type"

    platform.content.delete_comment(bob.id, top.id)
    platform.content.delete_post(alice.id, post.id)
    assert platform.content.get_post(post.id).status == "DELETED"


def test_videos_and_trending(platform):
    alice = register(platform, "alice")
    video = platform.content.create_video(alice.id, title="Cats #cute", duration_ms=61_000)
    assert video.status == "UPLOADING" and video.hashtags == ["cute"]
    platform.content.transition_video(video.id, "PROCESSING")
    done = platform.content.transition_video(video.id, "PUBLISHED", hls_url="https://cdn.example.com/v.m3u8")
    assert done.status == "PUBLISHED" and done.published_at is not None
    with pytest.raises(daira.FailedPrecondition):
        platform.content.transition_video(video.id, "PROCESSING")
    assert platform.content.get_video(video.id).hls_url == "https://cdn.example.com/v.m3u8"
    platform.content.create_comment(alice.id, "my video", video_id=video.id)

    trending = platform.trending.videos(window=datetime.timedelta(days=1), limit=10)
    assert [t.video.id for t in trending] == [video.id]
    platform.content.create_post(alice.id, "#cute again")
    tags = platform.trending.hashtags(limit=5)
    assert [t.tag for t in tags] == ["cute"] and tags[0].uses == 1
    with pytest.raises(daira.InvalidArgument) as info:
        platform.trending.videos(window=datetime.timedelta(minutes=1))
    assert info.value.field == "window"


def test_search_and_hashtag_feed(platform):
    alice = register(platform, "alice")
    register(platform, "alicia")
    register(platform, "bob")
    hits = list(platform.search.users("ali"))
    assert [h.username for h in hits] == ["alice", "alicia"] or [h.username for h in hits] == ["alicia", "alice"]
    assert all(isinstance(h, daira.UserHit) for h in hits)
    exact = platform.search.users("alice", limit=1)
    assert exact[0].username == "alice" and exact[0].rank_bucket == 0
    platform.content.create_post(alice.id, "sunny #Cairo")
    assert [p.content for p in platform.feed.hashtag(alice.id, "#cairo")] == ["sunny #Cairo"]


def test_search_posts_and_hashtags(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    platform.content.create_post(alice.id, "cairo nights are long #cairo")
    platform.content.create_post(alice.id, "breakfast in #cairo")
    platform.content.create_post(alice.id, "nothing to see")
    hits = list(platform.search.posts("cairo nights", viewer_id=bob.id))
    assert [h.post.content for h in hits] == ["cairo nights are long #cairo"]
    assert isinstance(hits[0], daira.PostHit) and hits[0].relevance == 2
    tagged = platform.search.posts("#cairo", limit=1)  # anonymous viewer: PUBLIC posts
    assert [h.post.content for h in tagged.iter_all()] == ["breakfast in #cairo", "cairo nights are long #cairo"]
    tags = list(platform.search.hashtags("#CAI"))
    assert [(t.tag, t.posts_count) for t in tags] == [("cairo", 2)]
    assert isinstance(tags[0], daira.HashtagHit)
