"""p.blobs on the embedded default (file:DIR) and on S3 (the moto server at $DAIRA_TEST_S3)."""

from __future__ import annotations

import os
import random
import urllib.parse

import pytest

import daira

from conftest import _in_ci


def _enc(s: str) -> str:
    return urllib.parse.quote(s, safe="")


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path):
    if request.param == "file":
        url = f"file:{tmp_path / 'blobs'}"
    else:
        endpoint = os.environ.get("DAIRA_TEST_S3", "")
        if not endpoint:
            if _in_ci():
                pytest.fail("DAIRA_TEST_S3 is not set but CI=true requires s3: blob coverage")
            pytest.skip("*** DAIRA_TEST_S3 is not set: the s3: blob store is NOT covered by this run ***")
        bucket = f"daira-pytest-{random.randrange(10**9)}"
        url = (
            f"s3://{bucket}?endpoint={_enc(endpoint)}&region=us-east-1"
            f"&access_key={_enc(os.environ.get('DAIRA_TEST_S3_ACCESS_KEY', ''))}"
            f"&secret_key={_enc(os.environ.get('DAIRA_TEST_S3_SECRET_KEY', ''))}&create_bucket=1"
        )
    with daira.open(f"sqlite:{tmp_path / 'd.db'}", password_cost="test", blobs=url) as p:
        assert p.blobs.backend == request.param
        yield p
        for o in p.blobs.list():
            p.blobs.delete(o["key"])


def test_put_get_range_exists_list_delete_url(store, tmp_path):
    info = store.blobs.put("avatars/7.png", b"\x89PNG-data", content_type="image/png")
    assert (info["key"], info["size"]) == ("avatars/7.png", 9)
    src = tmp_path / "clip.bin"
    src.write_bytes(b"0123456789")
    assert store.blobs.put("videos/1.bin", src)["size"] == 10
    assert store.blobs.get("avatars/7.png") == b"\x89PNG-data"
    assert store.blobs.get_range("videos/1.bin", 2, 3) == b"234"
    assert store.blobs.get_range("videos/1.bin", 8, 100) == b"89"
    assert store.blobs.exists("videos/1.bin") and not store.blobs.exists("videos/2.bin")
    assert store.blobs.stat("videos/1.bin")["size"] == 10
    assert [o["key"] for o in store.blobs.list("avatars/")] == ["avatars/7.png"]
    assert [o["key"] for o in store.blobs.list()] == ["avatars/7.png", "videos/1.bin"]
    assert store.blobs.url("avatars/7.png", expires=60).startswith(("file://", "http"))
    store.blobs.delete("avatars/7.png")
    store.blobs.delete("avatars/7.png")  # idempotent
    with pytest.raises(daira.NotFound):
        store.blobs.get("avatars/7.png")
    with pytest.raises(daira.OutOfRange):
        store.blobs.get_range("videos/1.bin", 10, 1)
    with pytest.raises(daira.NotFound):
        store.blobs.put("x", tmp_path / "missing.bin")
    with pytest.raises(TypeError):
        store.blobs.put("x", 5)
