"""Threads calling one Platform in parallel: the GIL is released around every daira call, results stay
right, and close() while other threads are calling is safe."""

import threading

import pytest

import daira
from conftest import register

THREADS = 8
PER_THREAD = 5


def run_threads(target, n=THREADS):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_parallel_register_and_read(platform):
    results = {}

    def work(i):
        mine = []
        for j in range(PER_THREAD):
            u = register(platform, f"t{i}_{j}")
            got = platform.users.get(u.id)
            assert got.username == f"t{i}_{j}"
            mine.append(u.id)
        assert [u.username for u in platform.users.get_many(mine).users] == [f"t{i}_{j}" for j in range(PER_THREAD)]
        results[i] = mine

    assert run_threads(work) == []
    all_ids = [uid for ids in results.values() for uid in ids]
    assert len(all_ids) == len(set(all_ids)) == THREADS * PER_THREAD
    assert platform.users.count() == THREADS * PER_THREAD


def test_parallel_follow_and_feed(platform):
    star = register(platform, "star")
    platform.content.create_post(star.id, "hello fans")
    fans = [register(platform, f"fan{i}") for i in range(THREADS)]

    def work(i):
        platform.social.follow(fans[i].id, star.id)
        feed = platform.feed.home(fans[i].id, limit=5)
        assert [p.content for p in feed] == ["hello fans"]

    assert run_threads(work) == []
    assert platform.profiles.stats(star.id).followers == THREADS


def test_close_while_threads_call(db_url):
    p = daira.open(db_url, password_cost="test")
    alice = register(p, "alice")
    started = threading.Barrier(THREADS + 1)  # the workers and the closer start together
    outcomes = []
    lock = threading.Lock()

    def work(i):
        started.wait()
        for _ in range(50):
            try:
                assert p.users.get(alice.id).id == alice.id
                outcome = "ok"
            except daira.FailedPrecondition as e:
                assert str(e) == "platform is closed"
                outcome = "closed"
            with lock:
                outcomes.append(outcome)
            if outcome == "closed":
                return

    closer = threading.Thread(target=lambda: (started.wait(), p.close()))
    closer.start()
    errors = run_threads(work)
    closer.join()
    assert errors == []
    assert set(outcomes) <= {"ok", "closed"} and outcomes
    with pytest.raises(daira.FailedPrecondition):
        p.users.get(alice.id)


def test_parallel_repository_calls(platform):
    # Every thread owns a user and wallet and drives the new repositories at once; each thread also
    # runs its own transaction. Results must stay per-thread exact.
    users = [register(platform, f"repo{i}") for i in range(THREADS)]
    wallets = [platform.wallets.create(user_id=u.id) for u in users]

    def work(i):
        uid, wid = users[i].id, wallets[i].id
        for j in range(PER_THREAD):
            platform.transactions.create(wallet_id=wid, type="TIP", amount=100 * i + j + 1)
            platform.audit_logs.create(actor_id=uid, action="t.work", resource_type="wallet", resource_id=wid)
            post = platform.content.create_post(uid, f"post {i}.{j}")
            assert platform.posts.get(post.id, fields=["author_id"]).author_id == uid
            assert platform.wallets.get(wid, fields=["user_id"]).user_id == uid
        with platform.transaction() as tx:
            platform.payments.create(user_id=uid, amount=i + 1, wallet_id=wid, tx=tx)
            assert platform.payments.count(user_id=uid, tx=tx) == 1
        amounts = [t.amount for t in platform.transactions.list_by_wallet(wid, limit=2).iter_all()]
        assert amounts == [100 * i + j + 1 for j in reversed(range(PER_THREAD))]
        assert platform.audit_logs.count(actor_id=uid) == PER_THREAD
        assert [p.amount for p in platform.payments.list_by_user(uid)] == [i + 1]
        batch = platform.posts.get_many([p.id for p in platform.posts.list_by_author(uid, limit=100)])
        assert len(batch.items) == PER_THREAD and batch.missing == []

    assert run_threads(work) == []
    assert platform.transactions.count() == THREADS * PER_THREAD
    assert platform.payments.count() == THREADS
