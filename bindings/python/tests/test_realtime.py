"""p.realtime / p.presence / p.typing on the embedded default (memory:) and on the shared Redis."""

from __future__ import annotations

import os
import random
import select
import selectors

import pytest

import daira

from conftest import _in_ci, _with_param


@pytest.fixture(params=["memory", "redis"])
def rt_url(request):
    if request.param == "memory":
        return "memory:"
    url = os.environ.get("DAIRA_TEST_REDIS", "")
    if not url:
        if _in_ci():
            pytest.fail("DAIRA_TEST_REDIS is not set but CI=true requires Redis coverage")
        pytest.skip("*** DAIRA_TEST_REDIS is not set: Redis is NOT covered by this run ***")
    # The channels' history keys expire soon after the test (each test uses its own channels).
    return _with_param(url, "history_ttl_ms=60000")


@pytest.fixture
def rt(rt_url, tmp_path):
    with daira.open(f"sqlite:{tmp_path / 'd.db'}", password_cost="test", realtime=rt_url) as p:
        yield p


def unique(name: str) -> str:
    return f"topic:pytest.{os.getpid()}.{random.randrange(10**9)}.{name}"


def test_publish_subscribe_try_next_and_recover(rt):
    ch = unique("room")
    with rt.realtime.subscribe(ch) as sub:
        assert sub.try_next() is None
        assert sub.next(timeout=0) is None
        pos = rt.realtime.publish(ch, {"text": "hi"})
        rt.realtime.publish(ch, b"raw")
        m = sub.next(timeout=5)
        assert (m.channel, m.json(), m.position) == (ch, {"text": "hi"}, pos)
        m2 = sub.next(timeout=5)
        assert m2.payload == b"raw" and m2.sequence == m.sequence + 1
        assert sub.last_position == m2.position
    assert sub.closed
    with pytest.raises(daira.FailedPrecondition):
        sub.next(timeout=0)
    assert [x.payload for x in rt.realtime.recover(ch, since=pos)] == [b"raw"]
    assert len(rt.realtime.recover(ch)) == 2


def test_pattern_subscription_and_iteration(rt):
    base = unique("conv")
    with rt.realtime.subscribe(base + ".*") as sub:
        rt.realtime.publish(base + ".1", "a")
        rt.realtime.publish(base + ".2", "b")
        got = []
        for m in sub:
            got.append((m.channel, m.payload))
            if len(got) == 2:
                break
    assert got == [(base + ".1", b"a"), (base + ".2", b"b")]


def test_fileno_works_with_select_and_selectors(rt):
    ch = unique("sel")
    with rt.realtime.subscribe(ch) as sub:
        assert select.select([sub], [], [], 0)[0] == []
        rt.realtime.publish(ch, "x")
        assert select.select([sub], [], [], 5)[0] == [sub]
        with selectors.DefaultSelector() as s:
            s.register(sub, selectors.EVENT_READ)
            assert [k.fileobj for k, _ in s.select(timeout=5)] == [sub]
        assert sub.try_next().payload == b"x"
        assert select.select([sub], [], [], 0)[0] == []


def test_presence_and_typing(rt):
    user = random.randrange(10**12, 10**13)
    rt.presence.heartbeat(user, "phone")
    assert rt.presence.get(user)["status"] == "online"
    rt.presence.heartbeat(user, "laptop", status="away")
    many = rt.presence.get_many([user, user + 1])
    assert [(x["user_id"], x["devices"]) for x in many] == [(user, 2), (user + 1, 0)]
    rt.presence.disconnect(user, "phone")
    rt.presence.disconnect(user, "laptop")
    assert rt.presence.get(user)["status"] == "offline"
    with pytest.raises(daira.InvalidArgument):
        rt.presence.heartbeat(user, "phone", status="offline")
    conv = random.randrange(10**12, 10**13)
    assert rt.typing.start(conv, user) is True
    assert rt.typing.typists(conv) == [user]
    rt.typing.stop(conv, user)
    assert rt.typing.typists(conv) == []


def test_publish_on_one_platform_is_received_on_another(tmp_path):
    url = os.environ.get("DAIRA_TEST_REDIS", "")
    if not url:
        if _in_ci():
            pytest.fail("DAIRA_TEST_REDIS is not set but CI=true requires Redis coverage")
        pytest.skip("*** DAIRA_TEST_REDIS is not set: Redis is NOT covered by this run ***")
    url = _with_param(url, "history_ttl_ms=60000")
    ch = unique("cross")
    with daira.open(f"sqlite:{tmp_path / 'a.db'}", password_cost="test", realtime=url) as a, daira.open(
        f"sqlite:{tmp_path / 'b.db'}", password_cost="test", realtime=url
    ) as b:
        assert a.realtime.backend == "redis"
        with b.realtime.subscribe(ch) as sub:
            pos = a.realtime.publish(ch, {"from": "a"})
            m = sub.next(timeout=5)
            assert (m.json(), m.position) == ({"from": "a"}, pos)
