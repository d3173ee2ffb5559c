"""Benchmark the live detector against a bare XREAD of the same streams.

    REDIS_URL=redis://127.0.0.1:6379/8 python bench/live_detection.py \
        [--accounts 10000] [--hours 24] [--runs 3] [--count 200] [--interval 2]

Generates (or reuses) a Parquet window under var/bench/ with >= 1M orders, publishes it
unpaced onto fresh streams (no trimming) once per run, and times, on the same streams:
  1. bare XREAD: every entry of every stream read with XREAD COUNT ``count`` from its
     own ids, nothing decoded: the limit;
  2. ingest: the detector's polls (XREAD, JSON, typed columns, the day's state), no rules;
  3. live: the detector as it runs (a detection of the day so far every ``interval``
     seconds, and the last one at idle), checkpoints off.
Events are feed rows (placements, order updates, trades, logins ...). Prints min and
median over the runs, and the ratios to the bare XREAD.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
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
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--interval", type=float, default=2.0)
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

    folder = ROOT / "var" / "bench" / f"live-a{args.accounts}-h{args.hours}-s{args.seed}"
    if not (folder / "orders.parquet").exists():
        began = time.perf_counter()
        simulate(folder, args.seed, args.accounts, args.hours, "parquet")
        print(f"generated {folder.name} in {time.perf_counter() - began:.0f} s", flush=True)
    client = redis.Redis.from_url(args.redis_url)
    figures: dict[str, list[float]] = {"bare": [], "ingest": [], "live": []}
    for run in range(args.runs):
        prefix = f"bench:live:{uuid.uuid4().hex}:"
        try:
            summary = replay_window(folder, client, prefix=prefix, maxlen=None)
            rows = summary.total_rows
            orders = summary.rows["orders"]
            streams = [prefix + table for table in STREAMS]

            print(f"run {run + 1}: published {rows:,} events", flush=True)
            began = time.perf_counter()
            entries = bare_xread(client, streams, args.count)
            figures["bare"].append(rows / (time.perf_counter() - began))

            ingest = LiveDetector(client, prefix=prefix, count=args.count, sink=lambda _: None)
            began = time.perf_counter()
            while ingest.poll():
                pass
            figures["ingest"].append(rows / (time.perf_counter() - began))
            state_rows = ingest.state.rows()
            del ingest

            live = LiveDetector(client, prefix=prefix, count=args.count, sink=lambda _: None)
            live.interval_seconds = args.interval
            began = time.perf_counter()
            live.run(until_idle=True)
            seconds = time.perf_counter() - began
            figures["live"].append(rows / seconds)
            print(
                f"run {run + 1}: {rows:,} events ({orders:,} orders) in {entries:,} entries; "
                f"bare {figures['bare'][-1]:,.0f}/s, ingest {figures['ingest'][-1]:,.0f}/s, "
                f"live {figures['live'][-1]:,.0f}/s ({seconds:.1f} s, "
                f"{int(live.stats['cycles'])} detections taking {live.stats['detect_s']:.1f} s, "
                f"{len(live.current())} findings); state {state_rows:,} rows",
                flush=True,
            )
            del live
        finally:
            for key in client.scan_iter(match=prefix + "*"):
                client.delete(key)
    print(f"\n{'':8}{'min':>12}{'median':>12}{'/ bare':>9}   events/s over {args.runs} runs")
    bare = statistics.median(figures["bare"])
    for name, values in figures.items():
        middle = statistics.median(values)
        print(f"{name:8}{min(values):>12,.0f}{middle:>12,.0f}{middle / bare:>9.3f}")


if __name__ == "__main__":
    main()
