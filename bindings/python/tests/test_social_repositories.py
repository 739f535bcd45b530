"""The read-only social, reaction and account repositories (follows, blocks, mutes, reactions,
sessions, user_profiles) on every backend: rows written through the services read back with field
masks, pair finders, counts and pages; session token hashes never reach Python."""

import pytest

import daira
from conftest import PASSWORD, register


def test_follows_blocks_mutes(platform):
    alice, bob, carol = (register(platform, n) for n in ("alice", "bob", "carol"))
    platform.social.follow(bob.id, alice.id)
    platform.social.follow(carol.id, alice.id)
    rec = platform.follows.find_by_pair(bob.id, alice.id)
    assert isinstance(rec, daira.FollowRecord)
    assert (rec.follower_id, rec.followee_id, rec.status) == (bob.id, alice.id, "ACTIVE")
    only = platform.follows.get(rec.id, fields=["status"])
    assert (only.status, only.follower_id) == ("ACTIVE", None)
    assert sorted(x.follower_id for x in platform.follows.list_by_followee(alice.id, limit=1).iter_all()) == sorted(
        [bob.id, carol.id])
    assert [x.followee_id for x in platform.follows.list_by_follower(bob.id)] == [alice.id]
    assert platform.follows.count(followee_id=alice.id, status="ACTIVE") == 2
    assert platform.follows.exists(rec.id)
    with pytest.raises(daira.NotFound):
        platform.follows.find_by_pair(alice.id, bob.id)

    platform.social.block(carol.id, bob.id, reason="spam")
    br = platform.blocks.find_by_pair(carol.id, bob.id)
    assert isinstance(br, daira.BlockRecord) and (br.reason, br.blocked_id) == ("spam", bob.id)
    assert [x.id for x in platform.blocks.list_by_blocker(carol.id)] == [br.id]
    assert platform.blocks.count(blocker_id=carol.id) == 1 and platform.blocks.get_many([br.id]).missing == []

    platform.social.mute(alice.id, carol.id, mute_type="HIDE_POSTS")
    mr = platform.mutes.find_by_pair(alice.id, carol.id, fields="mute_type,expires_at")
    assert isinstance(mr, daira.MuteRecord) and (mr.mute_type, mr.expires_at, mr.muter_id) == ("HIDE_POSTS", None, None)
    assert [x.muted_id for x in platform.mutes.list_by_muter(alice.id)] == [carol.id]
    assert platform.mutes.count(mute_type="HIDE_POSTS") == 1
    with pytest.raises(daira.InvalidArgument) as info:
        platform.mutes.count(mute_type="SHUSH")
    assert info.value.field == "mute_type"


def test_reactions(platform):
    alice, bob = register(platform, "alice"), register(platform, "bob")
    post = platform.content.create_post(alice.id, "react to me")
    platform.content.react(bob.id, "post", post.id, reaction="love")
    r = platform.reactions.find_by_user_and_target(bob.id, "post", post.id)
    assert isinstance(r, daira.ReactionRecord)
    assert (r.reaction, r.post_id, r.video_id, r.comment_id, r.user_id) == ("LOVE", post.id, None, None, bob.id)
    assert [x.id for x in platform.reactions.list_by_target("POST", post.id, fields=["reaction"])] == [r.id]
    assert platform.reactions.count(target_type="post", target_id=post.id) == 1
    assert platform.reactions.count(reaction="LOVE") == 1 and platform.reactions.count(reaction="SAD") == 0
    with pytest.raises(daira.InvalidArgument) as info:
        platform.reactions.count(target_type="post")
    assert info.value.field == "target_id"
    with pytest.raises(daira.InvalidArgument) as info:
        platform.reactions.list_by_target("story", post.id)
    assert info.value.field == "target_type"


def test_sessions_never_expose_token_hashes(platform):
    alice = register(platform, "alice")
    platform.accounts.login(identifier="alice", password=PASSWORD, device_type="ios")
    page = platform.sessions.list_by_user(alice.id)
    assert len(page) == 1
    s = page[0]
    assert isinstance(s, daira.SessionRecord)
    assert (s.user_id, s.device_type, s.revoked_at) == (alice.id, "ios", None)
    assert not hasattr(s, "refresh_token_hash") and "token" not in repr(s)
    assert platform.sessions.get(s.id, fields=["device_type"]).user_id is None
    assert [x.id for x in platform.sessions.list_by_family(s.family_id)] == [s.id]
    assert platform.sessions.count(user_id=alice.id) == 1 and platform.sessions.exists(s.id)
    assert platform.sessions.get_many([s.id, 1]).missing == [1]
    for secret in (["refresh_token_hash"], "device_type,access_token_hash"):
        with pytest.raises(daira.InvalidArgument) as info:
            platform.sessions.get(s.id, fields=secret)
        assert info.value.field == "fields"


def test_user_profiles(platform):
    alice, bob = register(platform, "alice", display_name="Alice A."), register(platform, "bob")
    platform.social.follow(bob.id, alice.id)
    prof = platform.user_profiles.get(alice.id, fields=["followers_count", "trust_score"])
    assert isinstance(prof, daira.UserProfileRecord)
    assert prof.followers_count == 1 and isinstance(prof.trust_score, float) and prof.display_name is None
    assert platform.user_profiles.get(alice.id).display_name == "Alice A."
    batch = platform.user_profiles.get_many([bob.id, 999, alice.id])
    assert [x.user_id for x in batch.items] == [bob.id, alice.id] and batch.missing == [999]
    assert platform.user_profiles.count(min_followers_count=1) == 1
    with pytest.raises(daira.NotFound):
        platform.user_profiles.get(999)


def test_social_writes_in_a_transaction_read_back_inside_only(platform):
    alice, bob = register(platform, "alice"), register(platform, "bob")
    with pytest.raises(RuntimeError):
        with platform.transaction() as tx:
            platform.social.follow(bob.id, alice.id, tx=tx)
            assert platform.follows.count(followee_id=alice.id, tx=tx) == 1
            assert platform.follows.count(followee_id=alice.id) == 0  # uncommitted: invisible outside
            assert platform.user_profiles.get(alice.id, fields=["followers_count"], tx=tx).followers_count == 1
            raise RuntimeError("undo")
    assert platform.follows.count() == 0
    assert platform.user_profiles.get(alice.id).followers_count == 0
