"""A short tour of the bus and real-time layers from Python, on the embedded defaults.

    PYTHONPATH=build/release/bindings/python:bindings/python /usr/bin/python3 examples/python/jobs_and_events.py

A producer enqueues a transcode job in the same transaction as its write; a worker loop claims it,
reports progress and completes it, publishing an event a subscriber picks up through select().
"""

import selectors
import tempfile

import daira

with tempfile.TemporaryDirectory() as d, daira.open(
    f"sqlite:{d}/app.db", password_cost="test", blobs=f"file:{d}/blobs"
) as p:
    with p.realtime.subscribe("topic:videos.*") as sub:
        with p.transaction() as tx:  # the job exists iff this commits
            job_id = p.bus.enqueue("video.transcode", "transcode", {"video_id": 42}, key="video:42", tx=tx)

        for job in p.bus.jobs("video.transcode", worker="w1", timeout=0.5):
            job.progress(50)
            p.realtime.publish("topic:videos.42", {"video_id": job.payload["video_id"], "state": "ready"})
            job.complete({"hls": "videos/42/index.m3u8"})

        sel = selectors.DefaultSelector()
        sel.register(sub, selectors.EVENT_READ)
        for key, _ in sel.select(timeout=1):
            while (m := key.fileobj.try_next()) is not None:
                print("event:", m.channel, m.json())
        print("job:", p.bus.get(job_id).state, p.bus.get(job_id).result)
        print("python bus/realtime example: ok")
