"""`with p.transaction() as tx:` on every backend: commit on a normal exit, rollback on an exception
(which propagates), FailedPrecondition once over, threads sharing one tx take turns, close() and a
dropped tx roll back."""

import gc
import threading

import pytest

import daira
from conftest import register


def test_commit_makes_writes_visible(platform):
    alice = register(platform, "alice")
    with platform.transaction() as tx:
        assert isinstance(tx, daira.Transaction) and tx.active and "active=True" in repr(tx)
        w = platform.wallets.create(user_id=alice.id, tx=tx)
        e = platform.audit_logs.create(action="wallet.open", resource_type="wallet", resource_id=w.id,
                                       actor_id=alice.id, tx=tx)
        # Inside, the transaction sees its own writes.
        assert platform.wallets.get(w.id, tx=tx).user_id == alice.id
        assert platform.audit_logs.count(resource_type="wallet", tx=tx) == 1
        assert platform.users.get(alice.id, fields=["username"], tx=tx).username == "alice"
    assert not tx.active
    assert platform.wallets.get(w.id).user_id == alice.id
    assert platform.audit_logs.get(e.id).resource_id == w.id


def test_explicit_rollback_discards_writes(platform):
    alice = register(platform, "alice")
    with platform.transaction() as tx:
        w = platform.wallets.create(user_id=alice.id, tx=tx)
        assert platform.wallets.exists(w.id, tx=tx)
        tx.rollback()
        assert not tx.active
    assert not platform.wallets.exists(w.id)
    assert platform.wallets.count() == 0


def test_exception_inside_rolls_back_and_propagates(platform):
    alice = register(platform, "alice")
    with pytest.raises(RuntimeError, match="boom"):
        with platform.transaction() as tx:
            w = platform.wallets.create(user_id=alice.id, tx=tx)
            platform.transactions.create(wallet_id=w.id, type="DEPOSIT", amount=5, tx=tx)
            raise RuntimeError("boom")
    assert not tx.active
    assert platform.wallets.count() == 0 and platform.transactions.count() == 0


def test_daira_error_inside_rolls_back_earlier_writes(platform):
    alice = register(platform, "alice")
    with pytest.raises(daira.AlreadyExists):
        with platform.transaction() as tx:
            platform.wallets.create(user_id=alice.id, tx=tx)
            platform.wallets.create(user_id=alice.id, tx=tx)  # one wallet per user
    assert platform.wallets.count() == 0
    # The connection went back to its pool in a usable state.
    with platform.transaction() as tx:
        platform.wallets.create(user_id=alice.id, tx=tx)
    assert platform.wallets.count() == 1


def test_use_after_end_is_failed_precondition(platform):
    alice = register(platform, "alice")
    with platform.transaction() as tx:
        w = platform.wallets.create(user_id=alice.id, tx=tx)
        for i in range(3):
            platform.transactions.create(wallet_id=w.id, type="TIP", amount=1 + i, tx=tx)
        page = platform.transactions.list_by_wallet(w.id, limit=2, tx=tx)
        assert [r.amount for r in page] == [3, 2]
    with pytest.raises(daira.FailedPrecondition):
        platform.wallets.get(w.id, tx=tx)
    with pytest.raises(daira.FailedPrecondition):
        platform.transactions.create(wallet_id=w.id, type="TIP", amount=9, tx=tx)
    with pytest.raises(daira.FailedPrecondition):
        page.next_page()  # the page's successors run in the (ended) transaction too
    with pytest.raises(daira.FailedPrecondition):
        tx.commit()
    with pytest.raises(daira.FailedPrecondition):
        tx.rollback()
    assert platform.transactions.count(wallet_id=w.id) == 3  # committed, and nothing more


def test_commit_inside_block_then_normal_exit(platform):
    alice = register(platform, "alice")
    with platform.transaction(isolation="serializable") as tx:
        w = platform.wallets.create(user_id=alice.id, tx=tx)
        tx.commit()
    assert platform.wallets.exists(w.id)


def test_bad_isolation_and_foreign_tx(platform, db_url):
    with pytest.raises(daira.InvalidArgument) as info:
        platform.transaction(isolation="chaos")
    assert info.value.field == "isolation"
    alice = register(platform, "alice")
    with daira.open(db_url, password_cost="test") as other:
        with other.transaction() as tx:
            with pytest.raises(daira.InvalidArgument) as info:
                platform.users.get(alice.id, tx=tx)
            assert info.value.field == "tx"


def test_threads_sharing_one_tx_take_turns(platform):
    alice = register(platform, "alice")
    threads_n, per_thread = 6, 5
    errors = []
    with platform.transaction() as tx:
        w = platform.wallets.create(user_id=alice.id, tx=tx)

        def work(i):
            try:
                for j in range(per_thread):
                    platform.transactions.create(wallet_id=w.id, type="TIP", amount=1 + i * per_thread + j, tx=tx)
                    assert platform.wallets.get(w.id, fields=["balance"], tx=tx).balance == 0
                    platform.audit_logs.count(tx=tx)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert platform.transactions.count(wallet_id=w.id, tx=tx) == threads_n * per_thread
    amounts = sorted(r.amount for r in platform.transactions.list_by_wallet(w.id, limit=100))
    assert amounts == list(range(1, threads_n * per_thread + 1))


def test_close_rolls_back_an_open_transaction(db_url):
    p = daira.open(db_url, password_cost="test")
    alice = register(p, "alice")
    with pytest.raises(daira.FailedPrecondition):
        with p.transaction() as tx:
            p.wallets.create(user_id=alice.id, tx=tx)
            p.close()
            assert not tx.active
            with pytest.raises(daira.FailedPrecondition):
                p.wallets.count(tx=tx)
            # leaving the block normally must not look like a commit: raises FailedPrecondition
    with daira.open(db_url, password_cost="test") as again:
        assert again.wallets.count() == 0


def test_dropped_tx_rolls_back_and_frees_its_connection(platform):
    alice = register(platform, "alice")
    tx = platform.transaction()
    platform.wallets.create(user_id=alice.id, tx=tx)
    del tx
    gc.collect()
    # The write connection is free again (SQLite has one writer) and the write is gone.
    with platform.transaction() as tx2:
        assert platform.wallets.count(tx=tx2) == 0
    assert platform.wallets.count() == 0


def test_close_while_threads_use_transactions(db_url):
    # Threads begin, use and end transactions while another thread closes the platform: every call
    # succeeds or raises FailedPrecondition (platform closed / transaction over); nothing crashes and
    # nothing half-committed is left behind.
    p = daira.open(db_url, password_cost="test")
    users = [register(p, f"closer{i}") for i in range(4)]
    started = threading.Barrier(len(users) + 1)
    errors = []
    committed = [0] * len(users)
    progress = threading.Semaphore(0)  # one release per commit: close() lands mid-stream

    def work(i):
        started.wait()
        try:
            for _ in range(200):
                try:
                    with p.transaction() as tx:
                        e = p.audit_logs.create(action="t.tx", resource_type="user", resource_id=users[i].id,
                                                actor_id=users[i].id, tx=tx)
                        assert p.audit_logs.get(e.id, fields=["action"], tx=tx).action == "t.tx"
                    committed[i] += 1  # the block exited normally: COMMIT succeeded
                    progress.release()
                except daira.FailedPrecondition:
                    return
                except daira.ResourceExhausted:
                    continue  # SQLite: waited too long for the single writer
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    started.wait()
    for _ in range(8):
        progress.acquire(timeout=60)  # a guard against a hang, not a timing assertion
    p.close()
    for t in threads:
        t.join()
    assert errors == []
    with daira.open(db_url, password_cost="test") as again:
        # Exactly the blocks that exited normally committed; the ones close() cut short left nothing.
        assert [again.audit_logs.count(actor_id=u.id) for u in users] == committed


def test_content_and_social_calls_join_the_transaction(platform):
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    with pytest.raises(RuntimeError, match="undo"):
        with platform.transaction() as tx:
            post = platform.content.create_post(alice.id, "hello #tx", tx=tx)
            platform.social.follow(bob.id, alice.id, tx=tx)
            platform.audit_logs.create(action="post.create", resource_type="post", resource_id=post.id, tx=tx)
            assert platform.content.get_post(post.id, tx=tx).content == "hello #tx"
            assert platform.posts.count(tx=tx) == 1
            raise RuntimeError("undo")
    # The post, its hashtag, the follow, the counters and the audit entry all rolled back together.
    assert platform.posts.count() == 0 and platform.audit_logs.count() == 0
    assert platform.profiles.stats(alice.id).followers == 0
    assert platform.profiles.stats(alice.id).posts == 0

    with platform.transaction() as tx:
        post = platform.content.create_post(alice.id, "kept", tx=tx)
        platform.content.create_comment(bob.id, "hi", post_id=post.id, tx=tx)
        platform.content.react(bob.id, "post", post.id, tx=tx)
        platform.social.follow(bob.id, alice.id, tx=tx)
    got = platform.posts.get(post.id, fields=["comments_count", "likes_count"])
    assert (got.comments_count, got.likes_count) == (1, 1)
    assert platform.profiles.stats(alice.id).followers == 1
    with pytest.raises(daira.FailedPrecondition):
        platform.content.create_post(alice.id, "late", tx=tx)


def test_a_caught_failure_undoes_only_that_call(platform):
    # Each call with tx= is a savepoint: on Postgres the duplicate would otherwise fail every later
    # statement of the block ("current transaction is aborted"), and on SQLite keep partial writes.
    alice = register(platform, "alice")
    bob = register(platform, "bob")
    with platform.transaction() as tx:
        w = platform.wallets.create(user_id=alice.id, tx=tx)
        with pytest.raises(daira.AlreadyExists):
            platform.wallets.create(user_id=alice.id, tx=tx)  # one wallet per user
        w2 = platform.wallets.create(user_id=bob.id, tx=tx)  # the block goes on
        platform.content.create_post(alice.id, "inside #tx", tx=tx)
    assert platform.wallets.count() == 2
    assert platform.wallets.exists(w.id) and platform.wallets.exists(w2.id)
    assert platform.posts.count() == 1
