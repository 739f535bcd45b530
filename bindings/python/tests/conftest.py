"""Fixtures: a fresh daira Platform per test on every SQL backend.

`backend` is parametrized over sqlite and postgres. Postgres uses $DAIRA_TEST_PG (./scripts/test and
the dev env set it) with a fresh schema per test, selected through libpq's `options` parameter like
tests/support/test_backends.cc does. Without DAIRA_TEST_PG the postgres cases are skipped loudly, but
with CI=true they FAIL: CI must cover PostgreSQL.
"""

from __future__ import annotations

import os
import random
import urllib.parse

import pytest

import daira
from daira import _daira

PASSWORD = "correct horse battery"


def _in_ci() -> bool:
    return os.environ.get("CI", "") in ("true", "1")


def _with_param(url: str, kv: str) -> str:
    return url + ("&" if "?" in url else "?") + kv


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, tmp_path):
    """A database URL of a fresh, empty database on `backend`."""
    if backend == "sqlite":
        yield f"sqlite:{tmp_path / 'daira.db'}"
        return
    pg = os.environ.get("DAIRA_TEST_PG", "")
    if not pg:
        if _in_ci():
            pytest.fail("DAIRA_TEST_PG is not set but CI=true requires PostgreSQL coverage (run ./scripts/test)")
        pytest.skip("*** DAIRA_TEST_PG is not set: PostgreSQL is NOT covered by this run ***")
    schema = f"py_{os.getpid()}_{random.randrange(10**9)}"
    _daira._admin_execute(pg, f"CREATE SCHEMA {schema}")
    url = _with_param(pg, "options=" + urllib.parse.quote("-csearch_path=" + schema, safe=""))
    # Many tests open platforms: keep each pool small (the thread test needs a few connections).
    url = _with_param(url, "pool_min=1&pool_max=8")
    try:
        yield url
    finally:
        _daira._admin_execute(pg, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def platform(db_url):
    """An open Platform (cheap password hashing) on a fresh database; closed after the test."""
    p = daira.open(db_url, password_cost="test")
    try:
        yield p
    finally:
        p.close()


def register(p, name: str, **kw) -> "daira.User":
    """Registers `name` with email name@example.com and the shared test password."""
    return p.accounts.register(username=name, email=f"{name}@example.com", password=PASSWORD, **kw)
