"""Benchmark the detection layer on a scaled window.

    python bench/detection.py [--accounts 50000] [--hours 24] [--activity 1.2] [--repeat 1]

Generates (or reuses) a Parquet window under var/bench/ with >= 5M orders and >= 1M
trades, then measures in separate child processes, so each gets a clean peak RSS:
  1. the bare read: pd.read_parquet of every table, nothing else;
  2. the whole detection run, as `detect` runs it in one process: read_feed with strict
     validation (the id checks on a second thread), linking (on a third thread, beside
     the rules that do not read the links), every rule.
Peak memory is the child's ru_maxrss from os.wait4, not tracemalloc, which misses
Arrow and numpy buffers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.child import measured  # noqa: E402

MIN_ORDERS, MIN_TRADES = 5_000_000, 1_000_000


def ensure_window(args: argparse.Namespace) -> Path:
    """The window folder, generated in a child process when missing: the parent stays
    small, because on Linux a child's ru_maxrss starts from its parent's at fork."""
    name = f"a{args.accounts}-h{args.hours}-x{args.activity}-s{args.seed}"
    folder = ROOT / "var" / "bench" / name
    if not (folder / "labels.jsonl").exists():
        print(f"generating {folder.relative_to(ROOT)} ...", flush=True)
        began = time.perf_counter()
        command = [
            sys.executable,
            __file__,
            "--child",
            "generate",
            "--folder",
            str(folder),
            "--accounts",
            str(args.accounts),
            "--hours",
            str(args.hours),
            "--activity",
            str(args.activity),
            "--seed",
            str(args.seed),
        ]
        subprocess.run(command, check=True)
        print(f"  generated in {time.perf_counter() - began:.1f}s", flush=True)
    return folder


def child_generate(args: argparse.Namespace) -> dict[str, float]:
    from apps.detection.simulator import simulate

    simulate(args.folder, args.seed, args.accounts, args.hours, "parquet", activity=args.activity)
    return {}


def child_read(folder: Path) -> dict[str, float]:
    import pandas as pd

    began = time.perf_counter()
    for path in sorted(folder.glob("*.parquet")):
        pd.read_parquet(path)
    return {"seconds": time.perf_counter() - began}


def child_detect(folder: Path) -> dict[str, float]:
    import pyarrow.parquet as pq

    from apps.detection.engine import detect_window

    began = time.perf_counter()
    alerts, _ = detect_window(folder)
    end = time.perf_counter()
    return {
        "seconds": end - began,
        "alerts": len(alerts),
        "orders": pq.read_metadata(folder / "orders.parquet").num_rows,
        "trades": pq.read_metadata(folder / "trades.parquet").num_rows,
    }


def measure(mode: str, folder: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; return its figures and peak RSS."""
    return measured([sys.executable, __file__, "--child", mode, "--folder", str(folder)], mode)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--activity", type=float, default=1.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1, help="N runs of each, in turns")
    parser.add_argument("--child", choices=["generate", "read", "detect"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        print(json.dumps(child_generate(args)))
        return
    if args.child:
        run = child_read if args.child == "read" else child_detect
        print(json.dumps(run(args.folder)))
        return
    folder = ensure_window(args)
    # Taken in turns, so a burst of load from elsewhere falls on both sides alike.
    bares, wholes = [], []
    for _ in range(args.repeat):
        bares.append(measure("read", folder))
        wholes.append(measure("detect", folder))
    bare = min(bares, key=lambda r: r["seconds"])
    whole = min(wholes, key=lambda r: r["seconds"])
    if whole["orders"] < MIN_ORDERS or whole["trades"] < MIN_TRADES:
        sys.exit("window too small for the bench: raise --activity or --accounts")
    ratio = whole["seconds"] / bare["seconds"]
    load = os.getloadavg()[0]
    print()
    print(
        f"window: {folder.relative_to(ROOT)}  ({int(whole['orders']):,} orders, "
        f"{int(whole['trades']):,} trades)   load average {load:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'measurement':<42} {'seconds':>8} {'peak RSS':>10}")
    print(
        f"{'bare read (pd.read_parquet of each table)':<42} {bare['seconds']:>8.2f} "
        f"{bare['peak_rss_gib']:>8.2f} GiB"
    )
    print(
        f"{'detection run (read_feed+link+all rules)':<42} {whole['seconds']:>8.2f} "
        f"{whole['peak_rss_gib']:>8.2f} GiB"
    )
    print(f"alerts: {int(whole['alerts'])}")
    print(
        f"of {args.repeat} runs each: bare read min / median "
        f"{bare['seconds']:.2f} / {median(r['seconds'] for r in bares):.2f} s, detection "
        f"{whole['seconds']:.2f} / {median(r['seconds'] for r in wholes):.2f} s; ratio of "
        f"medians {median(r['seconds'] for r in wholes) / median(r['seconds'] for r in bares):.1f}x"
    )
    print(
        f"ratio detection / bare read: {ratio:.1f}x   "
        f"goals: < 60 s {'OK' if whole['seconds'] < 60 else 'MISSED'}, "
        f"< 4 GiB {'OK' if whole['peak_rss_gib'] < 4 else 'MISSED'}, "
        f"<= 10x {'OK' if ratio <= 10 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
