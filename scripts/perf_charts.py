#!/usr/bin/python3
"""Draws docs/performance.md's charts from Google Benchmark JSON (--benchmark_out=FILE.json).

    /usr/bin/python3 scripts/perf_charts.py docs/perf/*.json      # writes docs/perf/<name>.png

Each chart shows, per benchmark case of one JSON file, daira's time as a multiple of the raw baseline
measured in the same run (the `ratio_vs_raw` counter, or `ratio_vs_direct` for the C ABI, or
`p99_ratio_vs_raw` for latency), with the raw cost at 1.0 and the issue's goals drawn as lines
(1.15x SQLite, 1.3x PostgreSQL and bindings). Cases without such a counter are left out. The JSON's
context (date, host load average when given with --load) goes in the title, so a chart never loses
the conditions it was taken in.

Needs Debian's python3-matplotlib (apt-get install python3-matplotlib); scripts/test does not.
"""

import argparse
import json
import os
import sys

RATIO_KEYS = ("ratio_vs_raw", "ratio_vs_direct", "p99_ratio_vs_raw")


def cases(doc):
    """(name, ratio, raw_ns or None) for every case that carries a ratio counter (aggregates skipped)."""
    out = []
    for b in doc.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        for key in RATIO_KEYS:
            if key in b and b[key] > 0:
                name = b["name"].replace("/real_time", "").replace("/min_time:", " t")
                raw = b.get("raw_ns") or b.get("direct_ns")
                out.append((name, float(b[key]), raw))
                break
    return out


def draw(path, out_png, title_extra):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(path) as f:
        doc = json.load(f)
    rows = cases(doc)
    if not rows:
        print(f"{path}: no case with a ratio counter; skipped", file=sys.stderr)
        return False
    names = [r[0] for r in rows]
    ratios = [r[1] for r in rows]
    height = max(2.5, 0.32 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(9, height))
    colors = ["#2b8a3e" if r <= 1.15 else "#e67700" if r <= 1.3 else "#c92a2a" for r in ratios]
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=1)
    ax.axvline(1.15, color="#2b8a3e", linestyle="--", linewidth=0.8, label="goal SQLite 1.15x")
    ax.axvline(1.3, color="#e67700", linestyle="--", linewidth=0.8, label="goal Postgres / bindings 1.3x")
    for i, r in enumerate(ratios):
        ax.text(r, i, f" {r:.2f}x", va="center", fontsize=7)
    ax.set_xlabel("daira time / raw driver time, same run (1.0 = the raw driver's cost)")
    ctx = doc.get("context", {})
    title = f"{os.path.basename(path)} - {ctx.get('date', '')}"
    if title_extra:
        title += f" - {title_extra}"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    print(f"wrote {out_png} ({len(rows)} cases)")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", help="Google Benchmark JSON files")
    ap.add_argument("--load", default="", help="load average during the run, for the title")
    args = ap.parse_args()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("perf_charts: needs python3-matplotlib (apt-get install python3-matplotlib)", file=sys.stderr)
        return 2
    ok = True
    for path in args.json:
        out_png = os.path.splitext(path)[0] + ".png"
        extra = f"load {args.load}" if args.load else ""
        ok = draw(path, out_png, extra) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
