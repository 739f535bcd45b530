"""Many instances, one database: each open() leases its own id node id (or takes node_id=), and
cursors handed out by one Platform are accepted by every other on the same database (the keys live in
the database), unless cursor_key= gives one."""

import pytest

import daira
from conftest import register


def node_of(row_id: int) -> int:
    return (row_id >> 12) & 1023  # the id layout: 41 bits ms | 10 bits node | 12 bits sequence


def test_two_platforms_on_one_database_lease_distinct_node_ids(db_url):
    with daira.open(db_url, password_cost="test") as a, daira.open(db_url, password_cost="test") as b:
        alice = register(a, "alice")
        bob = register(b, "bob")
        post_a = a.content.create_post(alice.id, "from a")
        post_b = b.content.create_post(bob.id, "from b")
        assert node_of(alice.id) == node_of(post_a.id)
        assert node_of(bob.id) == node_of(post_b.id)
        assert node_of(post_a.id) != node_of(post_b.id)


def test_node_id_option(db_url):
    with daira.open(db_url, password_cost="test", node_id=7) as p:
        assert node_of(register(p, "carol").id) == 7
        with pytest.raises(daira.FailedPrecondition, match="node_id 7 is in use"):
            daira.open(db_url, password_cost="test", node_id=7)
    with daira.open(db_url, password_cost="test", node_id=7) as again:  # released at close
        assert node_of(register(again, "dave").id) == 7
    for bad in (-1, 1024):
        with pytest.raises(daira.InvalidArgument) as info:
            daira.open(db_url, password_cost="test", node_id=bad)
        assert info.value.field == "node_id"


def test_page_two_from_another_platform(db_url):
    with daira.open(db_url, password_cost="test") as a:
        alice = register(a, "alice")
        ids = [a.content.create_post(alice.id, f"post {i}").id for i in range(5)]
        first = a.feed.timeline(alice.id, alice.id, limit=2)
    with daira.open(db_url, password_cost="test") as b:  # a later instance: same keys, from the database
        second = b.feed.timeline(alice.id, alice.id, limit=2, cursor=first.next_cursor)
        assert [p.id for p in second] == list(reversed(ids))[2:4]


def test_cursor_key_option(db_url):
    key = "5a" * 32
    with daira.open(db_url, password_cost="test", cursor_key=key) as a:
        alice = register(a, "alice")
        for i in range(3):
            a.content.create_post(alice.id, f"post {i}")
        first = a.feed.timeline(alice.id, alice.id, limit=1)
    with daira.open(db_url, password_cost="test", cursor_key=key.upper()) as b:
        assert len(b.feed.timeline(alice.id, alice.id, limit=1, cursor=first.next_cursor)) == 1
    with daira.open(db_url, password_cost="test") as c:  # the database's key: not the configured one
        with pytest.raises(daira.InvalidArgument) as info:
            c.feed.timeline(alice.id, alice.id, limit=1, cursor=first.next_cursor)
        assert info.value.field == "cursor"
    for bad in ("", "abc", "zz" * 32):
        with pytest.raises(daira.InvalidArgument) as info:
            daira.open(db_url, password_cost="test", cursor_key=bad)
        assert info.value.field == "cursor_key"
        assert bad == "" or bad not in str(info.value)  # a secret is never echoed
