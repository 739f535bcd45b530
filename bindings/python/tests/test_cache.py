"""p.cache on the embedded default (memory:) and on the shared Redis ($DAIRA_TEST_REDIS)."""

from __future__ import annotations

import os
import random

import pytest

import daira

from conftest import _in_ci


@pytest.fixture(params=["memory", "redis"])
def cached(request, tmp_path):
    url = "memory:"
    if request.param == "redis":
        url = os.environ.get("DAIRA_TEST_REDIS", "")
        if not url:
            if _in_ci():
                pytest.fail("DAIRA_TEST_REDIS is not set but CI=true requires Redis coverage")
            pytest.skip("*** DAIRA_TEST_REDIS is not set: Redis is NOT covered by this run ***")
    prefix = f"pytest:{os.getpid()}:{random.randrange(10**9)}:"
    p = daira.open(f"sqlite:{tmp_path / 'd.db'}", password_cost="test", cache=url)
    try:
        yield p, prefix
    finally:
        p.cache.delete([prefix + k for k in ("a", "b", "c", "t")])
        p.close()


def test_get_set_delete_mget_ttl(cached):
    p, k = cached
    assert p.cache.get(k + "a") is None
    p.cache.set(k + "a", "hello")
    p.cache.set(k + "b", b"\x00bin", ttl=60)
    assert p.cache.get(k + "a") == b"hello"
    assert p.cache.mget([k + "a", k + "b", k + "c"]) == [b"hello", b"\x00bin", None]
    assert 0 < p.cache.ttl(k + "b") <= 60
    p.cache.mset({k + "c": "x", k + "t": "y"}, ttl=30)
    assert p.cache.get(k + "c") == b"x"
    assert p.cache.delete(k + "a") == 1
    assert p.cache.delete([k + "a", k + "b"]) == 1
    assert p.cache.get(k + "a") is None
    stats = p.cache.stats()
    assert stats["backend"] == p.cache.backend
    with pytest.raises(daira.InvalidArgument):
        p.cache.set(k + "a", "v", ttl=-1)
    with pytest.raises(TypeError):
        p.cache.set(k + "a", 5)


def test_rate_limits_from_open_options(tmp_path):
    p = daira.open(f"sqlite:{tmp_path / 'r.db'}", password_cost="test",
                   rate_limits={"api.search": (2, 60.0), "api.burst": (1, 60.0, "gcra"), "login": (0, 60.0)})
    try:
        assert p.rate_limits.backend == "memory"
        first = p.rate_limits.check("alice", "api.search")
        assert first["allowed"] and first["remaining"] == 1 and first["limit"] == 2
        assert p.rate_limits.check("alice", "api.search")["allowed"]
        refused = p.rate_limits.check("alice", "api.search")
        # A sliding window may refuse for up to two windows (the previous one still weighs).
        assert not refused["allowed"] and refused["remaining"] == 0 and 0 < refused["retry_after"] <= 120
        assert p.rate_limits.check("bob", "api.search", cost=2)["allowed"]
        assert p.rate_limits.check("carol", "api.burst")["allowed"]
        assert not p.rate_limits.check("carol", "api.burst")["allowed"]
        with pytest.raises(daira.InvalidArgument, match="nowhere"):
            p.rate_limits.check("alice", "nowhere")
        with pytest.raises(daira.InvalidArgument):
            p.rate_limits.check("", "api.search")
    finally:
        p.close()
    for bad in ({"api.x": (0, 60.0)}, {"api.x": (1, 0)}, {"api.x": (1, 1.0, "leaky")}, {"api.x": 5}, {"": (1, 1.0)}):
        with pytest.raises(daira.InvalidArgument, match=r"rate_limits"):
            daira.open(f"sqlite:{tmp_path / 'bad.db'}", password_cost="test", rate_limits=bad)
