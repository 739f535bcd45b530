#!/usr/bin/python3
"""Per-call overhead of the Python binding against the direct C++ call, on one user lookup.

    PYTHONPATH=build/release/bindings/python:bindings/python /usr/bin/python3 bench/python_overhead.py \
        [--n 20000] [--rounds 7] [--url sqlite:/tmp/x.db | --pg]

--pg uses $DAIRA_TEST_PG with a scratch schema (created, migrated, dropped afterwards).

Both sides run in the same process on the same Platform and the same row:
  * C++:    daira._daira._bench_user_get(p, id, n) loops `platform.users().Get(RequestContext(), id)`
            n times in C++ with the GIL released (what a C++ caller pays);
  * Python: `get(id)` n times from Python, get = p.users.get (what a Python caller pays: argument
            parsing, GIL release/re-acquire, the platform's shared lock, building the User object).
  * no-op:  daira._daira._bench_noop(p, id) n times: the same path (arguments, GIL release and
            re-acquire, the close lock) around a daira call that does nothing: the fixed cost.
  * raw:    on SQLite only, Python's own sqlite3 module on the same file running daira's statement
            (`SELECT <user columns> FROM users WHERE id = ?`, prepared once by the module's statement
            cache) with fetchone() into a dict of the columns: the host's raw driver, what issue 10's goal
            "from Python every op <= 1.3x the host's raw SQLite driver on the same statement" compares with.
The median of `rounds` rounds is reported for each, the ratio Python / C++, and the difference in
microseconds per call (the binding's own cost, including the interpreter's loop and the cache misses
its work causes between two daira calls).
"""

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse

import daira
from daira import _daira


def timed(fn):
    """(wall ns, this thread's CPU ns) of fn()."""
    w, c = time.perf_counter_ns(), time.thread_time_ns()
    fn()
    return time.perf_counter_ns() - w, time.thread_time_ns() - c


# daira's user lookup statement (src/services: the user columns, by id), for the raw baseline.
USER_COLUMNS = ("id, username, email, phone, avatar_url, is_verified, is_private, status, role, last_login_at, "
                "created_at, updated_at, deleted_at")
USER_SQL = f"SELECT {USER_COLUMNS} FROM users WHERE id = ?"
USER_KEYS = tuple(c.strip() for c in USER_COLUMNS.split(","))


def raw_getter(path):
    """A user lookup through Python's sqlite3 module on `path`: daira's statement, one row as a dict."""
    con = sqlite3.connect(path, check_same_thread=False)
    execute = con.execute

    def get(uid):
        row = execute(USER_SQL, (uid,)).fetchone()
        return None if row is None else dict(zip(USER_KEYS, row))

    return con, get


def measure(p, uid, n, rounds, raw_get=None):
    """Medians over `rounds` of ns/call for (C++, Python, no-op[, raw]), each as (wall, thread CPU)."""
    get = p.users.get
    nop = _daira._bench_noop
    samples = {"cpp": [], "py": [], "noop": []}
    if raw_get is not None:
        samples["raw"] = []

    def raw_loop():
        for _ in range(n):
            raw_get(uid)

    def py_loop():
        for _ in range(n):
            get(uid)

    def noop_loop():
        for _ in range(n):
            nop(p, uid)

    _daira._bench_user_get(p, uid, n // 10)  # warm statement caches and the page cache
    for _ in range(n // 10):
        get(uid)
        if raw_get is not None:
            raw_get(uid)
    for _ in range(rounds):
        samples["cpp"].append(timed(lambda: _daira._bench_user_get(p, uid, n)))
        samples["py"].append(timed(py_loop))
        samples["noop"].append(timed(noop_loop))
        if raw_get is not None:
            samples["raw"].append(timed(raw_loop))
    return {k: (statistics.median(w for w, _ in v) / n, statistics.median(c for _, c in v) / n)
            for k, v in samples.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="calls per round (default 20000)")
    ap.add_argument("--rounds", type=int, default=7, help="rounds; the median is reported (default 7)")
    ap.add_argument("--url", default="", help="database URL (default: a fresh SQLite file in a temp dir)")
    ap.add_argument("--pg", action="store_true", help="PostgreSQL: $DAIRA_TEST_PG in a scratch schema")
    args = ap.parse_args()

    schema = ""
    with tempfile.TemporaryDirectory(prefix="daira-pybench-") as d:
        url = args.url or f"sqlite:{os.path.join(d, 'bench.db')}"
        if args.pg:
            admin = os.environ["DAIRA_TEST_PG"]
            schema = f"pybench_{os.getpid()}"
            _daira._admin_execute(admin, f"CREATE SCHEMA {schema}")
            opt = "options=" + urllib.parse.quote(f"-csearch_path={schema}", safe="")
            url = admin + ("&" if "?" in admin else "?") + opt + "&pool_min=1&pool_max=4"
        try:
            with daira.open(url, password_cost="test") as p:
                name = f"bench{os.getpid()}"
                try:
                    uid = p.users.find_by_username(name).id
                except daira.NotFound:
                    uid = p.accounts.register(username=name, email=f"{name}@example.com",
                                              password="bench password 1").id
                con, raw_get = None, None
                if url.startswith("sqlite:") and ":memory:" not in url:
                    con, raw_get = raw_getter(url[len("sqlite:"):].split("?", 1)[0])
                    row = raw_get(uid)
                    user = p.users.get(uid)
                    if row is None or row["username"] != user.username or row["email"] != user.email:
                        raise SystemExit(f"raw and daira disagree on user {uid}: {row} vs {user}")
                try:
                    r = measure(p, uid, args.n, args.rounds, raw_get)
                finally:
                    if con is not None:
                        con.close()
        finally:
            if schema:
                _daira._admin_execute(admin, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    print(f"backend: {url.split(':', 1)[0]}  calls/round: {args.n}  rounds: {args.rounds} (median)")
    print("                         wall us/call   thread-CPU us/call")
    for key, label in (("cpp", "users.get C++ direct"), ("py", "users.get via Python"), ("noop", "no-op call (fixed)"),
                       ("raw", "raw sqlite3 (Python)")):
        if key in r:
            print(f"{label:22}: {r[key][0] / 1000:10.2f}   {r[key][1] / 1000:14.2f}")
    (cw, cc), (pw, pc) = r["cpp"], r["py"]
    print(f"{'binding overhead':22}: {(pw - cw) / 1000:10.2f}   {(pc - cc) / 1000:14.2f}")
    print(f"{'ratio Python/C++':22}: {pw / cw:9.2f}x   {pc / cc:13.2f}x")
    if "raw" in r:
        rw, rc = r["raw"]
        print(f"{'ratio Python/raw':22}: {pw / rw:9.2f}x   {pc / rc:13.2f}x   (daira from Python / sqlite3 from Python)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
