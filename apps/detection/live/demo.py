"""The embedded desk's live feed: the demo day replayed in this process, moved to today.

Without Redis (``make run``) there is no exchange feed to follow, so the web process plays
one: the demo's live day (``load_demo`` simulates it beside the day it loads: the day after,
of the same population, with incidents of its own, so nothing the desk already holds is
raised again as new), its times moved by whole days so that it happens today, published
at ``speed`` x real time into a ``MemoryFeed`` that the ordinary ``LiveDetector`` reads.
Each ``step()`` publishes what is due by now and runs one poll-and-detect cycle; the desk
calls it on a timer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..context import MS_PER_DAY
from ..feed import Feed, read_feed
from ..replay import Batch, pace_start_ms, tick_ms_for, window_batches, window_events
from ..schema import TABLES
from .detector import LiveDetector
from .memory_feed import MemoryFeed

PREFIX = "demo:"
MAXLEN = 10_000  # entries kept per stream, as a publisher's MAXLEN ~ would
LIVE_DAY = "-live"  # the live day's folder: the loaded window's name and this


def live_day_of(window: Path) -> Path:
    """Where the live day of the demo window ``window`` goes (beside it, in the drop folder)."""
    return window.with_name(window.name + LIVE_DAY)


def live_days(drop: Path) -> list[Path]:
    """The demo live days in the drop folder, by name; never a loaded window."""
    return sorted(drop.glob(f"demo-*{LIVE_DAY}")) if drop.is_dir() else []


def moved_to(feed: Feed, day: int) -> Feed:
    """The window with every time moved by whole days so its trading starts on ``day``."""
    firsts = [
        frame[column].min()
        for frame, column in ((feed.orders, "created_at"), (feed.trades, "ts"))
        if frame is not None and len(frame)
    ]
    if not firsts:
        return feed
    shift = pd.Timedelta(days=day - min(firsts).value // 1_000_000 // MS_PER_DAY)
    for name, table in TABLES.items():
        frame = feed.table(name)
        if frame is None:
            continue
        for column in table.columns:
            if column.kind == "time":
                frame[column.name] = frame[column.name] + shift
    return feed


class DemoFeed:
    def __init__(self, folder: Path, speed: float, **detector: Any) -> None:
        feed = moved_to(read_feed(folder), int(time.time() * 1000) // MS_PER_DAY)
        events = window_events(feed)
        self.speed = speed
        self.batches: Iterator[Batch] = window_batches(
            events, tick_ms=tick_ms_for(speed), start_ms=pace_start_ms(events)
        )
        self.next: Batch | None = next(self.batches, None)
        self.started = time.monotonic()
        self.feed = MemoryFeed()
        self.detector = LiveDetector(self.feed, prefix=PREFIX, **detector)

    def publish_due(self) -> int:
        """Entries whose time has come (at ``speed``); returns how many went out."""
        due = (time.monotonic() - self.started) * self.speed
        sent = 0
        while self.next is not None and self.next.due_seconds <= due:
            batch = self.next
            self.feed.xadd(PREFIX + batch.table, {"rows": batch.payload}, maxlen=MAXLEN)
            sent += 1
            self.next = next(self.batches, None)
        return sent

    def step(self, max_polls: int = 50) -> int:
        """Publish what is due, read it (at most ``max_polls`` reads), detect, report."""
        self.publish_due()
        rows = 0
        for _ in range(max_polls):
            read = self.detector.poll()
            rows += read
            if not read:
                break
        self.detector.detect()
        if self.detector.report is not None:
            self.detector.report(self.detector.status())
            self.detector.new_gaps = []
        return rows
