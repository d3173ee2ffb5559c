"""Partitioned live consumers as separate processes, for bench/live_detection.py.

The window is published once per partition count N onto a partitioned feed
(``replay_window(..., partitions=N)``: the trading tables on ``<prefix>p<i>:<table>`` by
symbol hash); then N symbol-partition consumers and the account-level consumer start
together, each ``python bench/live_partitions.py worker ...`` in its own process, and
follow the streams until idle. Events/s total: the events published over the wall clock
from the first consumer starting to read to the last one done (start-up not counted).
Each worker prints its own rows, seconds and detection seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def consumers(
    url: str, prefix: str, partitions: int, count: int, interval: float
) -> dict[str, Any]:
    """Run the N + 1 consumers of an N-partition feed at once; their figures and the wall."""
    names = [f"{i}/{partitions}" for i in range(partitions)] + [f"accounts/{partitions}"]
    env = {**os.environ, "DEBUG": "true"}
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "worker", url, prefix, name, str(count), str(interval)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    workers: dict[str, Any] = {}
    for name, child in zip(names, children, strict=True):
        output, _ = child.communicate()
        if child.returncode != 0:
            sys.exit(f"consumer {name} failed with status {child.returncode}")
        workers[name] = json.loads(output.strip().splitlines()[-1])
    # From the first consumer reading to the last one done: the interpreters' start-up
    # (Django, pandas: seconds under load) is not throughput.
    started = min(w["started"] for w in workers.values())
    return {
        "wall_s": max(w["ended"] for w in workers.values()) - started,
        "process_wall_s": time.perf_counter() - began,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "workers": workers,
    }


def worker(url: str, prefix: str, name: str, count: int, interval: float) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
    import django

    django.setup()
    import redis

    from apps.detection.live import LiveDetector
    from apps.detection.live.partition import Partition

    detector = LiveDetector(
        redis.Redis.from_url(url),
        prefix=prefix,
        count=count,
        sink=lambda _: None,
        partition=Partition.parse(name),
    )
    detector.interval_seconds = interval
    started, began = time.time(), time.perf_counter()
    detector.run(until_idle=True)
    seconds = time.perf_counter() - began
    stats = detector.stats
    print(
        json.dumps(
            {
                "rows": int(stats["rows"]),
                "entries": int(stats["entries"]),
                "seconds": round(seconds, 2),
                "detect_s": round(stats["detect_s"], 2),
                "cycles": int(stats["cycles"]),
                "findings": len(detector.current()),
                "cpu_s": round(time.process_time(), 1),
                "started": started,
                "ended": time.time(),
            }
        )
    )


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _, _, url, prefix, name, count, interval = sys.argv
    worker(url, prefix, name, int(count), float(interval))
