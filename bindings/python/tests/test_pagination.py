"""Pages: iterating one page, following next_cursor through every page, and the graph lists."""

import pytest

import daira
from conftest import register


@pytest.fixture
def author_with_posts(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    platform.social.follow(bob.id, alice.id)
    ids = [platform.content.create_post(alice.id, f"post number {i}").id for i in range(25)]
    return alice, bob, ids


def test_page_is_iterable_and_indexable(platform, author_with_posts):
    _, bob, ids = author_with_posts
    page = platform.feed.home(bob.id, limit=10)
    assert len(page) == 10 and page.has_more and page.next_cursor
    assert [p.id for p in page] == list(reversed(ids))[:10]  # newest first
    assert page[0].id == ids[-1] and page[-1].id == page.items[-1].id
    assert "Page(items=10, has_more=True" in repr(page)


def test_iter_all_walks_every_page(platform, author_with_posts):
    _, bob, ids = author_with_posts
    seen = [p.id for p in platform.feed.home(bob.id, limit=10).iter_all()]
    assert seen == list(reversed(ids))
    sizes = [len(pg) for pg in platform.feed.home(bob.id, limit=10).pages()]
    assert sizes == [10, 10, 5]


def test_next_page_and_cursor_argument(platform, author_with_posts):
    alice, bob, ids = author_with_posts
    first = platform.feed.timeline(bob.id, alice.id, limit=20)
    second = first.next_page()
    assert [p.id for p in second] == list(reversed(ids))[20:]
    assert second.next_page() is None
    again = platform.feed.timeline(bob.id, alice.id, limit=20, cursor=first.next_cursor)
    assert [p.id for p in again] == [p.id for p in second]


def test_bad_limit_names_the_field(platform, author_with_posts):
    _, bob, _ = author_with_posts
    with pytest.raises(daira.InvalidArgument) as info:
        platform.feed.home(bob.id, limit=0)
    assert info.value.field == "limit"


def test_followers_pages(platform):
    star = register(platform, "star")
    fans = [register(platform, f"fan{i}") for i in range(7)]
    for f in fans:
        platform.social.follow(f.id, star.id)
    page = platform.social.followers(star.id, limit=3)
    entries = list(page.iter_all())
    assert [e.user.username for e in entries] == [f"fan{i}" for i in reversed(range(7))]
    assert all(isinstance(e, daira.FollowEntry) and e.edge.status == "ACTIVE" for e in entries)
    assert [len(pg) for pg in page.pages()] == [3, 3, 1]
    assert [e.user.username for e in platform.social.following(fans[0].id)] == ["star"]
