"""Benchmark the live detector against a bare XREAD of the same streams.

    REDIS_URL=redis://127.0.0.1:6379/8 python bench/live_detection.py \
        [--accounts 50000] [--activity 1.2] [--hours 24] [--runs 2] [--count 200] \
        [--interval 1] [--rate 20000] [--fresh-seconds 120] [--fresh-runs 2] \
        [--partitions 1,2,4] [--partition-runs 2] [--skip-freshness] [--skip-throughput]

Generates (or reuses) a Parquet window under var/bench/ (the defaults: 5.35M orders, 1.58M
trades, the window of bench/detection.py), publishes it
unpaced onto fresh streams (no trimming) once per run, and times, on the same streams:
  1. bare XREAD: every entry of every stream read with XREAD COUNT ``count`` from its
     own ids, nothing decoded: the limit;
  2. ingest: the detector's polls (XREAD, JSON, typed columns, the day's state), no rules;
  3. live: the detector as it runs (a detection of the day so far every ``interval``
     seconds, and the last one at idle), checkpoints off.
  4. the window path: the same rows as one window (read_feed + detect), for comparison.
With ``--partitions``: for each N, the window published onto an N-partition feed
(replay/partitions.py) and N symbol-partition consumers plus the account-level consumer
run as separate processes (bench/live_partitions.py): events/s in total, each worker's
seconds, and the load average.
Then freshness (bench/live_freshness.py): the window published at ``rate`` events/s for
``fresh-seconds`` while the detector follows it, and the same with a bare XREAD: p50 and
p95 of the time from the proving event's publication to the alert handed on.
Events are feed rows (placements, order updates, trades, logins ...). Prints min and
median over the runs, and the ratios to the bare XREAD.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
os.environ.setdefault("DEBUG", "true")


def bare_xread(client: Any, streams: list[str], count: int) -> int:
    ids: dict[Any, Any] = {stream: "0-0" for stream in streams}
    entries = 0
    while True:
        response: Any = client.xread(ids, count=count)
        if not response:
            return entries
        for stream, got in response:
            ids[stream.decode()] = got[-1][0]  # the reply names streams as bytes
            entries += len(got)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--activity", type=float, default=1.2)
    parser.add_argument("--rate", type=float, default=20_000, help="events/s for freshness")
    parser.add_argument("--fresh-seconds", type=float, default=120)
    parser.add_argument("--fresh-runs", type=int, default=2)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-freshness", action="store_true")
    parser.add_argument("--partitions", default="", help="e.g. 1,2,4: partitioned runs")
    parser.add_argument("--partition-runs", type=int, default=2)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--link-interval", type=float, default=1.0, help="s between linkings")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    if not args.redis_url:
        sys.exit("set REDIS_URL or pass --redis-url")

    import django

    django.setup()
    import redis

    from apps.detection.live import LiveDetector
    from apps.detection.replay import STREAMS, replay_window
    from apps.detection.simulator import simulate

    name = f"a{args.accounts}-h{args.hours}-x{args.activity}-s{args.seed}"
    folder = ROOT / "var" / "bench" / name
    if not (folder / "orders.parquet").exists():
        began = time.perf_counter()
        simulate(folder, args.seed, args.accounts, args.hours, "parquet", activity=args.activity)
        print(f"generated {folder.name} in {time.perf_counter() - began:.0f} s", flush=True)
    client = redis.Redis.from_url(args.redis_url)
    figures: dict[str, list[float]] = {"bare": [], "ingest": [], "live": []}
    print(f"window {folder.name}; load average {_load()}", flush=True)
    for run in range(0 if args.skip_throughput else args.runs):
        prefix = f"bench:live:{uuid.uuid4().hex}:"
        try:
            summary = replay_window(folder, client, prefix=prefix, maxlen=None)
            rows = summary.total_rows
            orders = summary.rows["orders"]  # an unpartitioned feed: one stream per table
            streams = [prefix + table for table in STREAMS]

            print(f"run {run + 1}: published {rows:,} events; load {_load()}", flush=True)
            cpu = time.process_time()  # this process's CPU (all threads): load-independent
            began = time.perf_counter()
            entries = bare_xread(client, streams, args.count)
            figures["bare"].append(rows / (time.perf_counter() - began))

            ingest = LiveDetector(client, prefix=prefix, count=args.count, sink=lambda _: None)
            began = time.perf_counter()
            cpu_bare = time.process_time() - cpu
            cpu = time.process_time()
            while ingest.poll():
                pass
            figures["ingest"].append(rows / (time.perf_counter() - began))
            cpu_ingest = time.process_time() - cpu
            state_rows = ingest.state.rows()
            del ingest

            live = LiveDetector(client, prefix=prefix, count=args.count, sink=lambda _: None)
            live.interval_seconds = args.interval
            began = time.perf_counter()
            cpu = time.process_time()
            live.run(until_idle=True)
            seconds = time.perf_counter() - began
            cpu_live = time.process_time() - cpu
            figures["live"].append(rows / seconds)
            print(
                f"run {run + 1}: {rows:,} events ({orders:,} orders) in {entries:,} entries; "
                f"bare {figures['bare'][-1]:,.0f}/s, ingest {figures['ingest'][-1]:,.0f}/s, "
                f"live {figures['live'][-1]:,.0f}/s ({seconds:.1f} s, "
                f"{int(live.stats['cycles'])} detections taking {live.stats['detect_s']:.1f} s, "
                f"{len(live.current())} findings); state {state_rows:,} rows; load {_load()}; "
                f"CPU s in this process: bare {cpu_bare:.1f}, ingest {cpu_ingest:.1f}, "
                f"live {cpu_live:.1f}",
                flush=True,
            )
            del live
        finally:
            for key in client.scan_iter(match=prefix + "*"):
                client.delete(key)
    if figures["bare"]:
        print(f"\n{'':8}{'min':>12}{'median':>12}{'/ bare':>9}   events/s over {args.runs} runs")
        bare = statistics.median(figures["bare"])
        for name, values in figures.items():
            middle = statistics.median(values)
            print(f"{name:8}{min(values):>12,.0f}{middle:>12,.0f}{middle / bare:>9.3f}")
        window_path(folder, rows)
    if args.partitions:
        partitioned(folder, client, args)
    if not args.skip_freshness:
        freshness(folder, client, args)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def partitioned(folder: Path, client: Any, args: Any) -> None:
    from live_partitions import consumers

    from apps.detection.replay import replay_window

    counts = [int(n) for n in args.partitions.split(",")]
    totals: dict[int, list[float]] = {n: [] for n in counts}
    for run in range(args.partition_runs):
        for n in counts:
            prefix = f"bench:parts:{uuid.uuid4().hex}:"
            try:
                summary = replay_window(folder, client, prefix=prefix, maxlen=None, partitions=n)
                rows = summary.total_rows
                got = consumers(args.redis_url, prefix, n, args.count, args.interval)
            finally:
                for key in client.scan_iter(match=prefix + "*"):
                    client.delete(key)
            totals[n].append(rows / got["wall_s"])
            print(
                f"run {run + 1}, {n} partition(s) + account level: {rows:,} events in "
                f"{got['wall_s']:.1f} s = {totals[n][-1]:,.0f} events/s (processes "
                f"{got['process_wall_s']:.1f} s with start-up); load "
                f"{got['load_before']:.1f} -> {got['load_after']:.1f}",
                flush=True,
            )
            for name, figures in got["workers"].items():
                shown = {k: v for k, v in figures.items() if k not in ("started", "ended")}
                print(f"    {name:12} {json.dumps(shown)}", flush=True)
    print(
        f"\n{'partitions':12}{'min':>12}{'median':>12}   events/s in total, "
        f"{args.partition_runs} runs"
    )
    for n, values in totals.items():
        print(f"{n:<12}{min(values):>12,.0f}{statistics.median(values):>12,.0f}")


def window_path(folder: Path, rows: int) -> None:
    from apps.detection.engine import detect
    from apps.detection.feed import read_feed

    began = time.perf_counter()
    alerts = detect(read_feed(folder))
    seconds = time.perf_counter() - began
    print(
        f"window  the same {rows:,} events as one window: {seconds:.1f} s "
        f"({rows / seconds:,.0f} events/s, {len(alerts)} alerts); an event waits for its "
        f"window to close first (an hourly window: 30 min on average, up to 60)",
        flush=True,
    )


def freshness(folder: Path, client: Any, args: Any) -> None:
    import pyarrow.parquet as pq
    from live_freshness import (
        live_freshness,
        publisher,
        quantile,
        wait_for_start,
        xread_freshness,
    )

    from apps.detection.replay import STREAMS

    # Events per second of event time: rows of the day's streams over its span.
    orders = pq.ParquetFile(folder / "orders.parquet").metadata.num_rows
    trades = pq.ParquetFile(folder / "trades.parquet").metadata.num_rows
    # Every order is placed, and updated once per fill side and once when it closes.
    events = 2 * orders + 3 * trades
    speed = args.rate / (events / (args.hours * 3600))
    print(
        f"\nfreshness at {args.rate:,.0f} events/s (replay speed {speed:.0f}x), "
        f"{args.fresh_seconds:.0f} s per run",
        flush=True,
    )
    results: dict[str, list[float]] = {
        "live p50": [],
        "live p95": [],
        "xread p50": [],
        "xread p95": [],
        "live events/s": [],
    }
    for run in range(args.fresh_runs):
        for mode in ("xread", "live"):
            prefix = f"bench:fresh:{uuid.uuid4().hex}:"
            child = publisher(folder, args.redis_url, prefix, speed, args.fresh_seconds)
            try:
                wait_for_start(client, prefix)
                if mode == "xread":
                    streams = [prefix + table for table in STREAMS]
                    got = xread_freshness(client, streams, args.fresh_seconds)
                else:
                    got = live_freshness(
                        client, prefix, args.fresh_seconds, args.interval, args.link_interval
                    )
                    results["live events/s"].append(got["events_per_s"])
                lags = got["lags"]
                results[f"{mode} p50"].append(quantile(lags, 0.5))
                results[f"{mode} p95"].append(quantile(lags, 0.95))
                extra = {k: v for k, v in got.items() if k != "lags"}
                print(
                    f"run {run + 1} {mode}: {len(lags)} measured, p50 "
                    f"{quantile(lags, 0.5):.2f} s, p95 {quantile(lags, 0.95):.2f} s {extra}",
                    flush=True,
                )
            finally:
                child.kill()
                child.wait()
                for key in client.scan_iter(match=prefix + "*"):
                    client.delete(key)
    print(f"\n{'':14}{'min':>10}{'median':>10}   over {args.fresh_runs} runs")
    for name, values in results.items():
        print(f"{name:14}{min(values):>10,.2f}{statistics.median(values):>10,.2f}")


if __name__ == "__main__":
    main()
