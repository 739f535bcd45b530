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
The median of `rounds` rounds is reported for each, the ratio Python / C++, and the difference in
microseconds per call (the binding's own cost, including the interpreter's loop and the cache misses
its work causes between two daira calls).
"""

import argparse
import os
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


def measure(p, uid, n, rounds):
    """Medians over `rounds` of ns/call for (C++, Python, no-op), each as (wall, thread CPU)."""
    get = p.users.get
    nop = _daira._bench_noop
    samples = {"cpp": [], "py": [], "noop": []}

    def py_loop():
        for _ in range(n):
            get(uid)

    def noop_loop():
        for _ in range(n):
            nop(p, uid)

    _daira._bench_user_get(p, uid, n // 10)  # warm statement caches and the page cache
    for _ in range(n // 10):
        get(uid)
    for _ in range(rounds):
        samples["cpp"].append(timed(lambda: _daira._bench_user_get(p, uid, n)))
        samples["py"].append(timed(py_loop))
        samples["noop"].append(timed(noop_loop))
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
                r = measure(p, uid, args.n, args.rounds)
        finally:
            if schema:
                _daira._admin_execute(admin, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    print(f"backend: {url.split(':', 1)[0]}  calls/round: {args.n}  rounds: {args.rounds} (median)")
    print("                         wall us/call   thread-CPU us/call")
    for key, label in (("cpp", "users.get C++ direct"), ("py", "users.get via Python"), ("noop", "no-op call (fixed)")):
        print(f"{label:22}: {r[key][0] / 1000:10.2f}   {r[key][1] / 1000:14.2f}")
    (cw, cc), (pw, pc) = r["cpp"], r["py"]
    print(f"{'binding overhead':22}: {(pw - cw) / 1000:10.2f}   {(pc - cc) / 1000:14.2f}")
    print(f"{'ratio Python/C++':22}: {pw / cw:9.2f}x   {pc / cc:13.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
