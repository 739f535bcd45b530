"""p.vectors: users' embeddings (float32) on sqlite and postgres, with the embedded cache (memory:) and
the shared Redis ($DAIRA_TEST_REDIS): round trip, read-through of vector:{user}, invalidation after
commit (never after a rollback), and bad input refused naming the field."""

from __future__ import annotations

import os
import random
import struct

import pytest

import daira

from conftest import _in_ci, register

MAX_DIMS = 4096  # services::kMaxEmbeddingDims


@pytest.fixture(params=["memory", "redis"])
def vec(request, db_url):
    url = "memory:"
    if request.param == "redis":
        redis = os.environ.get("DAIRA_TEST_REDIS", "")
        if not redis:
            if _in_ci():
                pytest.fail("DAIRA_TEST_REDIS is not set but CI=true requires Redis coverage")
            pytest.skip("*** DAIRA_TEST_REDIS is not set: Redis is NOT covered by this run ***")
        # A prefix of its own: test databases on other schemas may reuse user ids.
        prefix = f"pytest:{os.getpid()}:{random.randrange(10**9)}:"
        url = redis + ("&" if "?" in redis else "?") + "prefix=" + prefix
    p = daira.open(db_url, password_cost="test", cache=url)
    try:
        yield p
    finally:
        p.close()


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def services_read_through(p) -> bool:
    # docs/cache.md, "Which caches the services use": a shared (Redis) cache, or memory: on SQLite.
    return p.cache.backend == "redis" or p.backend == "sqlite"


def test_an_embedding_round_trips_as_float32_and_is_replaced_then_deleted(vec):
    p = vec
    alice = register(p, "alice").id
    assert p.vectors.get(alice) is None
    values = [0.1, -2.5, 3e-05, 1, 0.0, 16777217, 1.0 / 3.0]
    p.vectors.put(alice, values)
    got = p.vectors.get(alice)
    # Each value reads back as the shortest decimal of its float32: exactly that float32, and 0.1 as 0.1.
    assert [f32(g) for g in got] == [f32(v) for v in values]
    assert got[:5] == [0.1, -2.5, 3e-05, 1.0, 0.0] and got[5] == 16777216.0
    assert p.vectors.get(alice) == got  # again (from the cache where the services use one)
    p.vectors.put(alice, (7.25,))  # any sequence of numbers; replaces
    assert p.vectors.get(alice) == [7.25]
    assert p.vectors.delete(alice) is True
    assert p.vectors.delete(alice) is False
    assert p.vectors.get(alice) is None
    many = [random.uniform(-1, 1) for _ in range(MAX_DIMS)]
    p.vectors.put(alice, many)
    assert [f32(g) for g in p.vectors.get(alice)] == [f32(v) for v in many]


def test_reads_fill_the_cache_and_writes_invalidate_it_after_commit_only(vec):
    p = vec
    bob = register(p, "bob").id
    key = f"vector:{bob}"
    p.vectors.put(bob, [1.5, 2.5])
    assert p.vectors.get(bob) == [1.5, 2.5]
    cached = p.cache.get(key)
    if not services_read_through(p):
        # Postgres with an in-process cache: the services read the database (no stale reads across
        # instances), and nothing is cached.
        assert cached is None
    else:
        assert cached is not None and cached.startswith(b"user_vector:v1:+")

    # Rolled back: the cached entry stays, and so does the value.
    with pytest.raises(RuntimeError):
        with p.transaction() as tx:
            p.vectors.put(bob, [9.0], tx=tx)
            assert p.vectors.get(bob, tx=tx) == [9.0]  # the transaction sees its own write
            raise RuntimeError("roll back")
    assert p.cache.get(key) == cached
    assert p.vectors.get(bob) == [1.5, 2.5]

    # Committed: invalidated once the commit is done (not before), and the next read sees the write.
    with p.transaction() as tx:
        p.vectors.put(bob, [-3.0], tx=tx)
        assert p.cache.get(key) == cached  # still there while the transaction is open
    assert p.cache.get(key) is None
    assert p.vectors.get(bob) == [-3.0]
    if services_read_through(p):
        assert p.cache.get(key) is not None
        assert p.vectors.delete(bob) is True
        assert p.cache.get(key) is None
        assert p.vectors.get(bob) is None
        assert p.cache.get(key) == b"user_vector:v1:-"  # "none stored" is cached too


def test_bad_embeddings_and_unknown_users_are_refused_and_write_nothing(vec):
    p = vec
    carol = register(p, "carol").id
    p.vectors.put(carol, [4.0])
    for bad in ([], [float("nan")], [1.0, float("inf")], [1e300], [1.0] * (MAX_DIMS + 1)):
        with pytest.raises(daira.InvalidArgument) as e:
            p.vectors.put(carol, bad)
        assert e.value.field == "embedding"
    for bad in ("1,2", b"\x00\x00\x80?", 3.0, [1.0, "2"], [True], None):
        with pytest.raises(TypeError):
            p.vectors.put(carol, bad)
    assert p.vectors.get(carol) == [4.0]
    with pytest.raises(daira.NotFound):
        p.vectors.get(987654321)
    with pytest.raises(daira.NotFound):
        p.vectors.put(987654321, [1.0])
    assert p.vectors.delete(987654321) is False
