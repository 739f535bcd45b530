"""The story of ARCHITECTURE.md §7 through the Python binding, on sqlite and postgres."""

import datetime

import daira
from conftest import PASSWORD, register


def test_register_follow_post_feed(platform):
    alice = register(platform, "alice", display_name="Alice")
    bob = register(platform, "bob")
    assert isinstance(alice, daira.User)
    assert alice.username == "alice" and alice.email == "alice@example.com"
    assert alice.status == "ACTIVE" and alice.role == "USER"
    assert isinstance(alice.created_at, datetime.datetime) and alice.created_at.tzinfo is not None
    assert repr(alice).startswith("User(id=%d, username='alice'" % alice.id)

    edge = platform.social.follow(bob.id, alice.id)
    assert (edge.follower_id, edge.followee_id, edge.status) == (bob.id, alice.id, "ACTIVE")
    post = platform.content.create_post(alice.id, "hello #daira from @bob")
    assert post.hashtags == ["daira"] and post.mentions == [bob.id]

    page = platform.feed.home(bob.id, limit=20)
    assert isinstance(page, daira.Page)
    posts = list(page)
    assert [p.id for p in posts] == [post.id]
    assert posts[0].author.username == "alice" and posts[0].author.display_name == "Alice"
    assert posts[0].content == "hello #daira from @bob"
    assert not page.has_more and page.next_cursor == ""

    assert platform.profiles.stats(alice.id).followers == 1
    assert platform.profiles.stats(bob.id).following == 1


def test_context_manager_closes(db_url):
    with daira.open(db_url, password_cost="test") as p:
        assert not p.closed
        p.ping()
        register(p, "carol")
        assert "closed=False" in repr(p)
    assert p.closed


def test_login_refresh_logout(platform):
    alice = register(platform, "alice")
    s = platform.accounts.login(identifier="alice", password=PASSWORD, device_type="web")
    assert s.user.id == alice.id
    assert s.access_token not in repr(s) and s.refresh_token not in repr(s)
    who = platform.accounts.check_access_token(s.access_token)
    assert who.user.id == alice.id and who.session.device_type == "web"
    s2 = platform.accounts.refresh(s.refresh_token)
    assert s2.session_id != s.session_id
    platform.accounts.logout(s2.access_token)
    try:
        platform.accounts.check_access_token(s2.access_token)
    except daira.Unauthenticated:
        pass
    else:
        raise AssertionError("a logged-out access token still authenticates")
    platform.accounts.change_password(alice.id, current_password=PASSWORD, new_password="another password 9")
    platform.accounts.login(identifier="alice@example.com", password="another password 9")
    assert platform.accounts.logout_everywhere(alice.id) == 1


def test_users_repository(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    assert platform.users.get(alice.id).username == "alice"
    assert platform.users.find_by_username("ALICE").id == alice.id
    assert platform.users.find_by_email("Bob@Example.com").id == bob.id
    assert platform.users.exists(alice.id) and not platform.users.exists(alice.id + 12345)
    batch = platform.users.get_many([bob.id, 424242, alice.id])
    assert [u.username for u in batch.users] == ["bob", "alice"] and batch.missing == [424242]
    assert platform.users.count() == 2
    assert platform.users.count(status="ACTIVE") == 2
    platform.users.delete(bob.id)
    assert platform.users.count(status="DELETED") == 1
