"""Freshness of live alerts at a steady rate, for bench/live_detection.py.

A child process publishes the window at the speed that makes ``rate`` events/s
(``manage.py replay_feed --speed``), and in this process either the live detector or a
bare XREAD follows the streams for ``seconds``. Freshness of an alert: the wall-clock
moment it is handed to the alert pipeline (the sink) minus the publication time of the
oldest entry the detector had read since the previous cycle (since the previous full
cycle for the findings of a full cycle): the row that proved a finding first made in a
cycle is among those, so this is an upper bound of the true time from that row to the
alert. For the bare XREAD: the moment an entry is read minus its publication time (the floor).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def publisher(folder: Path, url: str, prefix: str, speed: float, seconds: float) -> Any:
    """``replay_feed`` in a child: ``seconds`` of wall clock at ``speed`` x real time."""
    command = [sys.executable, "manage.py", "replay_feed", str(folder), "--speed", str(speed)]
    command += ["--prefix", prefix, "--redis-url", url, "--maxlen", "0"]
    command += ["--limit-seconds", str(seconds * speed)]
    env = {**os.environ, "DEBUG": "true"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_for_start(client: Any, prefix: str, limit: float = 300) -> None:
    """The child reads the window before publishing: measure from its first entry."""
    deadline = time.monotonic() + limit
    while not client.exists(prefix + "accounts") and time.monotonic() < deadline:
        time.sleep(0.1)


def live_freshness(
    client: Any, prefix: str, seconds: float, interval: float, link_interval: float = 1.0
) -> dict[str, Any]:
    from apps.detection.live import LiveDetector

    lags: list[float] = []  # findings first sent
    waited: list[float] = []  # of those, the ones bounded from the linking before
    grown: list[float] = []  # a known finding sent again because it grew
    first_seen: set[str] = set()
    warm_up = 0

    def sink(alerts: list[dict[str, Any]]) -> None:
        nonlocal warm_up
        now_ms = time.time() * 1000
        for alert in alerts:
            key = alert["dedup_key"]
            if detector.stats["cycles"] <= 1:
                # The first cycle follows the catch-up on the history (accounts, weeks of
                # logins): not the steady rate, not counted.
                first_seen.add(key)
                warm_up += 1
                continue
            # A finding was proved by rows read since the cycle before, or, when linking
            # or a whole-day rule made it, since the linking before.
            relinked = key in detector.relinked
            since = detector.full_since_ms if relinked else detector.cycle_since_ms
            if since is None:
                continue
            lag = (now_ms - since) / 1000
            (grown if key in first_seen else lags).append(lag)
            if relinked and key not in first_seen:
                waited.append(lag)
            first_seen.add(key)

    detector = LiveDetector(client, prefix=prefix, count=200, sink=sink)
    detector.interval_seconds = interval
    detector.link_interval_seconds = link_interval
    began = time.monotonic()
    detector.run(seconds=seconds, block_ms=200)
    elapsed = time.monotonic() - began
    return {
        "lags": lags,
        "grown": len(grown),
        "grown p95": round(quantile(grown, 0.95), 2),
        "after linking": len(waited),
        "after linking p50": round(quantile(waited, 0.5), 2),
        "warm-up alerts": warm_up,
        "events_per_s": detector.stats["rows"] / elapsed,
        "cycles": int(detector.stats["cycles"]),
        "full_cycles": int(detector.stats.get("full_cycles", 0)),
        "relinks": int(detector.stats.get("relinks", 0)),
        "narrow_accounts": int(detector.stats.get("narrow_accounts", 0)),
        "detect_s": detector.stats["detect_s"],
        "orders": _orders_kept(detector),
    }


def xread_freshness(client: Any, streams: list[str], seconds: float) -> dict[str, Any]:
    ids: dict[Any, Any] = {stream: "0-0" for stream in streams}
    lags: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response: Any = client.xread(ids, count=200, block=200)
        now_ms = time.time() * 1000
        for stream, got in response or []:
            ids[stream.decode()] = got[-1][0]
            lags += [(now_ms - int(entry_id.decode().split("-")[0])) / 1000 for entry_id, _ in got]
    return {"lags": lags}


def _orders_kept(detector: Any) -> int:
    return sum(
        chunks.rows
        for day in detector.state.days.values()
        for name, chunks in day.items()
        if name == "orders"
    )


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
