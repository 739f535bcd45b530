"""p.bus on the platform's own database (sqlite: and postgres: buses) and on memory:."""

from __future__ import annotations

import pytest

import daira

from conftest import _with_param

QUEUE = "webhooks.deliver"


def bus_url(backend: str, *params: str) -> str:
    url = "sqlite:" if backend == "sqlite" else "postgres:"
    for kv in params:
        url = _with_param(url, kv)
    return url


def test_enqueue_then_a_worker_completes_it(platform):
    job_id = platform.bus.enqueue(QUEUE, "deliver", {"url": "https://example.com", "n": 1}, priority=3)
    assert platform.bus.counts(QUEUE)["waiting"] == 1
    seen = []
    for job in platform.bus.jobs(QUEUE, worker="w1", timeout=0.5):
        assert job.id == job_id
        assert job.payload == {"url": "https://example.com", "n": 1}
        assert (job.name, job.priority, job.attempt, job.worker, job.state) == ("deliver", 3, 1, "w1", "active")
        job.progress(50)
        job.complete({"status": 200})
        seen.append(job.id)
    assert seen == [job_id]
    done = platform.bus.get(job_id)
    assert (done.state, done.result, done.progress_value) == ("completed", {"status": 200}, 50)
    counts = platform.bus.counts(QUEUE)
    assert (counts["waiting"], counts["active"], counts["completed"]) == (0, 0, 1)
    assert QUEUE in [c["queue"] for c in platform.bus.stats()]


def test_enqueue_joins_the_transaction(platform):
    with pytest.raises(RuntimeError):
        with platform.transaction() as tx:
            platform.bus.enqueue(QUEUE, "deliver", [1, 2], tx=tx)
            raise RuntimeError("roll back")
    assert platform.bus.counts(QUEUE)["waiting"] == 0
    assert platform.bus.next(QUEUE, worker="w1") is None
    with platform.transaction() as tx:
        kept = platform.bus.enqueue(QUEUE, "deliver", "text", tx=tx)
    assert platform.bus.next(QUEUE, worker="w1").id == kept


def test_enqueue_many_dedup_pause_and_resume(platform):
    ids = platform.bus.enqueue_many(
        [{"queue": QUEUE, "name": "a", "payload": {"i": 1}}, {"queue": QUEUE, "name": "b", "key": "k1"}]
    )
    assert len(ids) == 2
    assert platform.bus.enqueue(QUEUE, "b", key="k1") == ids[1]  # deduplicated
    platform.bus.pause(QUEUE)
    assert platform.bus.counts(QUEUE)["paused"] is True
    assert platform.bus.next(QUEUE, worker="w1") is None
    platform.bus.resume(QUEUE)
    assert platform.bus.next(QUEUE, worker="w1") is not None


def test_failed_attempts_retry_then_dead_letter_then_replay(backend, db_url):
    url = bus_url(backend, f"{QUEUE}.backoff=fixed", f"{QUEUE}.backoff_base_ms=0", f"{QUEUE}.jitter=0")
    with daira.open(db_url, password_cost="test", bus=url) as p:
        job_id = p.bus.enqueue(QUEUE, "deliver", {}, max_attempts=2)
        first = p.bus.next(QUEUE, worker="w1", timeout=5)
        first.fail("boom 1")
        second = p.bus.next(QUEUE, worker="w1", timeout=5)
        assert (second.id, second.attempt) == (job_id, 2)
        second.fail("boom 2")
        assert p.bus.next(QUEUE, worker="w1") is None
        dead = p.bus.dead(QUEUE)
        assert [j.id for j in dead] == [job_id]
        assert [(e["attempt"], e["worker"], e["message"]) for e in dead[0].errors] == [
            (1, "w1", "boom 1"),
            (2, "w1", "boom 2"),
        ]
        assert p.bus.counts(QUEUE)["dead"] == 1
        assert p.bus.replay(QUEUE) == 1
        again = p.bus.next(QUEUE, worker="w1", timeout=5)
        assert again.id == job_id
        again.complete()


def test_a_late_completion_after_takeover_is_fenced(backend, db_url):
    url = bus_url(backend, f"{QUEUE}.timeout_ms=50")
    with daira.open(db_url, password_cost="test", bus=url) as p:
        p.bus.enqueue(QUEUE, "deliver", {})
        slow = p.bus.next(QUEUE, worker="w1", timeout=5)
        # w2 waits until w1's lease expires, then takes the job over.
        taken = p.bus.next(QUEUE, worker="w2", timeout=10)
        assert taken is not None and taken.id == slow.id and taken.worker == "w2"
        with pytest.raises(daira.FailedPrecondition):
            slow.complete()
        with pytest.raises(daira.FailedPrecondition):
            slow.fail("late")
        taken.complete()
        assert p.bus.get(slow.id).state == "completed"


def test_memory_bus_and_errors(tmp_path):
    with daira.open(f"sqlite:{tmp_path / 'd.db'}", password_cost="test", bus="memory:") as p:
        assert p.bus.backend == "memory"
        job_id = p.bus.enqueue(QUEUE, "x", {"a": 1})
        job = next(iter(p.bus.jobs(QUEUE, worker="w", timeout=0.5)))
        assert job.id == job_id
        job.complete()
        with pytest.raises(daira.InvalidArgument):
            p.bus.enqueue("no.such.queue", "x")
        with pytest.raises(daira.InvalidArgument):
            p.bus.enqueue(QUEUE, "x", delay=-1)
        with pytest.raises(daira.NotFound):
            p.bus.get(987654321)
    with pytest.raises(daira.FailedPrecondition):
        p.bus.counts(QUEUE)


def test_open_fails_on_a_bus_it_cannot_reach(tmp_path):
    # redis:// is a bus backend; nothing listens on port 1, so the open fails naming the concern.
    with pytest.raises(daira.Unavailable, match="bus"):
        daira.open(f"sqlite:{tmp_path / 'd.db'}", password_cost="test", bus="redis://127.0.0.1:1/0")


def test_repeatables_add_list_replace_remove_and_errors(platform):
    nightly = platform.bus.add_repeatable(
        "trending.refresh", "nightly", cron="30 2 * * *", name="refresh", payload={"scope": "all"}
    )
    assert (nightly["key"], nightly["cron"], nightly["every"], nightly["payload"]) == (
        "nightly", "30 2 * * *", None, {"scope": "all"})
    assert nightly["last_run_at"] is None
    assert (nightly["next_run_at"].hour, nightly["next_run_at"].minute) == (2, 30)
    tick = platform.bus.add_repeatable("analytics.ingest", "tick", every=30)
    assert (tick["every"], tick["cron"]) == (30.0, None)
    assert [(r["queue"], r["key"]) for r in platform.bus.repeatables()] == [
        ("analytics.ingest", "tick"), ("trending.refresh", "nightly")]
    # Replacing the definition by its key.
    platform.bus.add_repeatable("analytics.ingest", "tick", every=60, name="renamed")
    [only] = platform.bus.repeatables("analytics.ingest")
    assert (only["every"], only["name"]) == (60.0, "renamed")
    platform.bus.remove_repeatable("analytics.ingest", "tick")
    assert platform.bus.repeatables("analytics.ingest") == []
    with pytest.raises(daira.NotFound):
        platform.bus.remove_repeatable("analytics.ingest", "tick")
    with pytest.raises(daira.InvalidArgument, match="cron.hour"):
        platform.bus.add_repeatable("trending.refresh", "bad", cron="0 24 * * *")
    with pytest.raises(daira.InvalidArgument, match="every"):
        platform.bus.add_repeatable("trending.refresh", "bad")
    with pytest.raises(daira.InvalidArgument, match="queue"):
        platform.bus.add_repeatable("no.such.queue", "bad", every=10)
    assert [r["key"] for r in platform.bus.repeatables()] == ["nightly"]


def test_cancel_of_a_running_job_is_a_signal_and_ends_it_cancelled(platform):
    job_id = platform.bus.enqueue("media.cleanup", "c")
    job = platform.bus.next("media.cleanup", worker="w1")
    assert job.id == job_id
    assert job.cancel_requested() is False
    platform.bus.cancel(job_id)
    assert job.cancel_requested() is True
    job.fail("stopped on request")
    assert platform.bus.get(job_id).state == "cancelled"
    assert platform.bus.next("media.cleanup", worker="w1") is None
    with pytest.raises(daira.FailedPrecondition):
        platform.bus.cancel(job_id)


def test_next_batch_claims_in_order_and_finish_many_fences_each_job(platform):
    low = platform.bus.enqueue(QUEUE, "deliver", {"n": 1})
    high = platform.bus.enqueue(QUEUE, "deliver", {"n": 2}, priority=5)
    other = platform.bus.enqueue(QUEUE, "deliver", {"n": 3})
    batch = platform.bus.next_batch(QUEUE, max_jobs=2, worker="wb", timeout=5)
    assert [j.id for j in batch] == [high, low]
    assert all(j.state == "active" and j.worker == "wb" for j in batch)
    rest = platform.bus.next_batch(QUEUE, max_jobs=10, worker="wb", timeout=0)
    assert [j.id for j in rest] == [other]
    assert platform.bus.next_batch(QUEUE, max_jobs=10, worker="wb", timeout=0) == []
    # `other` is finished on its own first: its lease is over, so the batch refuses it alone.
    rest[0].complete()
    done = platform.bus.finish_many(
        [
            {"job": batch[0], "result": {"ok": True}},
            {"job": rest[0], "result": {"again": True}},
            {"job": batch[1], "error": "boom"},
        ]
    )
    assert done == [True, False, True]
    assert platform.bus.get(high).state == "completed"
    assert platform.bus.get(high).result == {"ok": True}
    assert platform.bus.get(low).errors[-1]["message"] == "boom"
    assert platform.bus.get(other).result is None
    with pytest.raises(daira.InvalidArgument, match="max_jobs"):
        platform.bus.next_batch(QUEUE, max_jobs=0)


def test_finish_many_and_next_batch_acks_then_claims_in_one_call(platform):
    first = platform.bus.enqueue(QUEUE, "deliver", {"n": 1})
    second = platform.bus.enqueue(QUEUE, "deliver", {"n": 2})
    batch = platform.bus.next_batch(QUEUE, max_jobs=2, worker="wf", timeout=5)
    assert [j.id for j in batch] == [first, second]
    later = platform.bus.enqueue(QUEUE, "deliver", {"n": 3})
    # A bad argument finishes nothing.
    with pytest.raises(daira.InvalidArgument, match="max_jobs"):
        platform.bus.finish_many_and_next_batch([{"job": batch[0]}], QUEUE, max_jobs=0, worker="wf")
    assert platform.bus.get(first).state == "active"
    # `second` was finished on its own first: refused alone, the other outcome applied.
    batch[1].complete()
    done, jobs = platform.bus.finish_many_and_next_batch(
        [{"job": batch[0], "result": {"ok": True}}, {"job": batch[1], "result": {"again": True}}],
        QUEUE,
        max_jobs=5,
        worker="wf",
        timeout=5,
    )
    assert done == [True, False]
    assert platform.bus.get(first).result == {"ok": True}
    assert platform.bus.get(second).result is None
    assert [j.id for j in jobs] == [later]
    assert jobs[0].state == "active" and jobs[0].worker == "wf"
    done, jobs = platform.bus.finish_many_and_next_batch([{"job": jobs[0], "error": "boom"}], QUEUE, worker="wf")
    assert done == [True] and platform.bus.get(later).errors[-1]["message"] == "boom"
    # The failed job waits out its backoff (webhooks.deliver: 10 s, exponential): nothing due to claim.
    assert jobs == [] and platform.bus.get(later).state == "waiting"


def test_metrics_count_finished_attempts_with_their_latencies(platform):
    platform.bus.enqueue(QUEUE, "ok")
    platform.bus.enqueue(QUEUE, "bad")
    for job in platform.bus.jobs(QUEUE, worker="w1", timeout=0.2):
        if job.name == "ok":
            job.complete()
        else:
            job.fail("HTTP 500")
    m = platform.bus.metrics(QUEUE)
    assert (m["queue"], m["completed"], m["failed"]) == (QUEUE, 1, 1)
    assert m["span_s"] >= 60 and m["throughput"] == pytest.approx(2 / m["span_s"])
    assert m["wait"]["samples"] == 2 and m["run"]["samples"] == 2
    assert 100 <= m["run"]["p50_us"] <= m["run"]["p99_us"]
    assert platform.bus.metrics(QUEUE, window_minutes=5)["completed"] == 1
    entry = next(c for c in platform.bus.stats() if c["queue"] == QUEUE)
    assert entry["last_1m"]["failed"] == 1 and entry["last_5m"]["completed"] == 1
    with pytest.raises(daira.InvalidArgument, match="window"):
        platform.bus.metrics(QUEUE, window_minutes=0)
