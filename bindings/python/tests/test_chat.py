"""p.chat and p.notifications on every SQL backend (memory hub): conversations, history pages, blocks,
leaving, read receipts, grouping, and the events pulled from p.realtime.subscribe("user:{id}")."""

from __future__ import annotations

import json

import pytest

import daira

from conftest import register


def event(sub, kind: str) -> dict:
    """The next event of type `kind` on `sub` (others skipped)."""
    while True:
        m = sub.next(timeout=5)
        assert m is not None, f"no {kind} event"
        e = json.loads(m.payload)
        if e["type"] == kind:
            return e


def test_direct_conversation_messages_and_history(platform):
    alice, bob = register(platform, "alice"), register(platform, "bob")
    conv = platform.chat.create_conversation(alice.id, [bob.id])
    assert platform.chat.create_conversation(bob.id, [alice.id]).id == conv.id
    assert conv.kind == "DIRECT"
    with platform.realtime.subscribe(platform.chat.user_channel(bob.id)) as inbox:
        sent = [platform.chat.send(conv.id, alice.id, f"m{i}") for i in range(7)]
        e = event(inbox, "chat.message")
        assert e["message"]["id"] == str(sent[0].id) and e["message"]["body"] == "m0"
    page = platform.chat.history(bob.id, conv.id, limit=3)
    assert [m.body for m in page] == ["m6", "m5", "m4"]
    assert [m.body for m in page.iter_all()] == [f"m{i}" for i in reversed(range(7))]
    assert [m.body for m in platform.chat.around(bob.id, conv.id, sent[3].id, before=1, after=1)] == ["m2", "m3", "m4"]
    assert platform.chat.unread_count(bob.id, conv.id) == 7
    platform.chat.mark_read(bob.id, conv.id, sent[4].id)
    assert platform.chat.unread_count(bob.id, conv.id) == 2
    assert [m.role for m in platform.chat.members(alice.id, conv.id)] == ["OWNER", "MEMBER"]
    edited = platform.chat.edit(alice.id, sent[6].id, "m6!")
    assert edited.body == "m6!" and edited.edited_at is not None
    platform.chat.delete(alice.id, sent[5].id)
    newest = list(platform.chat.history(bob.id, conv.id, limit=2))
    assert newest[0].body == "m6!" and newest[1].deleted and newest[1].body == ""
    with pytest.raises(daira.PermissionDenied):
        platform.chat.edit(bob.id, sent[0].id, "not mine")
    with pytest.raises(daira.InvalidArgument, match="body"):
        platform.chat.send(conv.id, alice.id, "")


def test_blocked_users_cannot_message_and_a_member_who_left_sees_nothing_new(platform):
    alice, bob, carol = (register(platform, n) for n in ("alice", "bob", "carol"))
    direct = platform.chat.create_conversation(alice.id, [bob.id])
    group = platform.chat.create_conversation(alice.id, [bob.id, carol.id], kind="GROUP", title="team")
    platform.social.block(bob.id, alice.id)
    with pytest.raises(daira.PermissionDenied, match="blocked"):
        platform.chat.send(direct.id, alice.id, "hi")
    platform.social.unblock(bob.id, alice.id)

    platform.chat.send(group.id, alice.id, "before")
    platform.chat.leave(carol.id, group.id)
    platform.chat.send(group.id, bob.id, "after")
    assert [m.body for m in platform.chat.history(carol.id, group.id)] == ["before"]
    with pytest.raises(daira.FailedPrecondition, match="sender_id"):
        platform.chat.send(group.id, carol.id, "x")
    with pytest.raises(daira.NotFound):
        platform.chat.members(carol.id, group.id)


def test_notifications_group_list_and_mark_read(platform):
    owner, a, b, c = (register(platform, n) for n in ("owner", "anna", "bert", "cleo"))
    with platform.realtime.subscribe(platform.notifications.channel(owner.id)) as inbox:
        first = platform.notifications.notify(owner.id, "LIKE", actor_id=a.id, target_type="POST", target_id=7)
        assert event(inbox, "notification")["notification"]["id"] == str(first.id)  # ids: strings
        platform.notifications.notify(owner.id, "LIKE", actor_id=b.id, target_type="POST", target_id=7)
        grouped = platform.notifications.notify(owner.id, "LIKE", actor_id=c.id, target_type="POST", target_id=7)
        assert grouped.id == first.id and grouped.actor_count == 3
        assert grouped.latest_actors == [c.id, b.id, a.id]
        platform.notifications.notify(owner.id, "FOLLOW", actor_id=a.id)
        assert platform.notifications.unread_count(owner.id) == 2
        items = list(platform.notifications.list(owner.id, limit=10))
        assert [n.kind for n in items] == ["FOLLOW", "LIKE"]
        platform.notifications.mark_read(owner.id, first.id)
        assert [n.kind for n in platform.notifications.list(owner.id, unread_only=True)] == ["FOLLOW"]
        assert platform.notifications.mark_all_read(owner.id) == 1
        assert platform.notifications.unread_count(owner.id) == 0
        assert event(inbox, "notification.read")["unread"] == 1  # mark_read of the group
        assert event(inbox, "notification.read")["all"] is True
    with pytest.raises(daira.InvalidArgument, match="kind"):
        platform.notifications.notify(owner.id, "POKE")
    with pytest.raises(daira.NotFound, match="notification_id"):
        platform.notifications.mark_read(a.id, first.id)


def test_nothing_is_published_for_a_rolled_back_transaction(platform):
    alice, bob = register(platform, "alice"), register(platform, "bob")
    conv = platform.chat.create_conversation(alice.id, [bob.id])
    with platform.realtime.subscribe(platform.chat.conversation_channel(conv.id)) as view:
        with pytest.raises(RuntimeError):
            with platform.transaction() as tx:
                platform.chat.send(conv.id, alice.id, "never", tx=tx)
                raise RuntimeError("roll back")
        assert view.try_next() is None
        assert list(platform.chat.history(bob.id, conv.id)) == []
        with platform.transaction() as tx:
            platform.chat.send(conv.id, alice.id, "committed", tx=tx)
            assert view.try_next() is None  # not before the commit
        assert event(view, "chat.message")["message"]["body"] == "committed"
