"""Publish a window's entries onto the live feed's Redis Streams, optionally paced."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from ..feed import read_feed
from .batches import Batch, pace_start_ms, tick_ms_for, window_batches
from .events import window_events
from .partitions import partition_events

DEFAULT_PREFIX = "feed:"
# MAXLEN ~ per stream, in entries. Paced, each stream gets at most one entry per 0.2 s tick
# (more only in bursts over --batch rows), so 100,000 entries keep 5.5 hours of history at
# live speed: room for a detection worker's restart or a deploy, far beyond the 30 s of
# lateness, while Redis memory stays bounded. Unpaced, a 5M-order day is about 1,500
# minute-ticks per stream, so a whole replayed day stays readable.
DEFAULT_MAXLEN = 100_000
# One round trip per this many XADDs or bytes when unpaced: large enough to amortise the
# round trip, small enough that Redis never buffers a big reply at once.
FLUSH_ENTRIES = 200
FLUSH_BYTES = 8 * 1024 * 1024


@dataclass
class ReplaySummary:
    rows: Counter[str] = field(default_factory=Counter)
    entries: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0  # publishing, encoding included
    preparing_seconds: float = 0.0  # reading the window and deriving the order events

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    def lines(self, prefix: str = DEFAULT_PREFIX) -> list[str]:
        width = max((len(prefix + table) for table in self.rows), default=0)
        lines = [
            f"{prefix + table:<{width}}  {self.rows[table]:>11,} rows  "
            f"{self.entries[table]:>8,} entries"
            for table in self.rows
        ]
        lines.append(
            f"{self.total_rows:,} rows in {sum(self.entries.values()):,} entries, "
            f"{self.seconds:.2f} s, {self.rows_per_second:,.0f} rows/s "
            f"(after {self.preparing_seconds:.2f} s reading the window)"
        )
        return lines


def publish_batches(
    client: redis.Redis,
    batches: Iterable[Batch],
    *,
    prefix: str = DEFAULT_PREFIX,
    speed: float = 0.0,
    maxlen: int | None = DEFAULT_MAXLEN,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplaySummary:
    """XADD each batch to ``prefix + table``, ``MAXLEN ~ maxlen`` (None: no trimming).
    ``speed`` > 0 publishes a batch once ``due_seconds / speed`` of wall clock have passed
    since the start; 0 publishes as fast as Redis takes it."""
    summary = ReplaySummary()
    started = clock()
    pipe = client.pipeline(transaction=False)
    pending_bytes = 0
    for batch in batches:
        wait = started + batch.due_seconds / speed - clock() if speed > 0 else 0.0
        if wait > 0:
            # What is due goes out before the pause, not after it.
            pipe.execute()
            pending_bytes = 0
            sleep(wait)
        pipe.xadd(
            prefix + batch.key,
            {"rows": batch.payload},
            maxlen=maxlen or None,
            approximate=True,
        )
        summary.rows[batch.key] += batch.rows
        summary.entries[batch.key] += 1
        pending_bytes += len(batch.payload)
        if len(pipe) >= FLUSH_ENTRIES or pending_bytes >= FLUSH_BYTES:
            pipe.execute()
            pending_bytes = 0
    pipe.execute()
    summary.seconds = clock() - started
    return summary


def replay_window(
    folder: Path,
    client: redis.Redis,
    *,
    prefix: str = DEFAULT_PREFIX,
    speed: float = 0.0,
    batch: int = 10_000,
    maxlen: int | None = DEFAULT_MAXLEN,
    limit_seconds: float | None = None,
    partitions: int = 0,
    whole: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplaySummary:
    """Read the window (a FeedError before anything is published) and publish it.
    ``partitions`` N > 0: the trading tables on ``<prefix>p<i>:<table>`` by symbol hash
    (replay/partitions.py), with ``whole`` on the unpartitioned streams as well."""
    started = clock()
    events = window_events(read_feed(folder))
    if partitions:
        events = partition_events(events, partitions, whole=whole)
    prepared = clock() - started
    batches = window_batches(
        events,
        batch=batch,
        tick_ms=tick_ms_for(speed),
        start_ms=pace_start_ms(events),
        limit_seconds=limit_seconds,
    )
    summary = publish_batches(
        client, batches, prefix=prefix, speed=speed, maxlen=maxlen, clock=clock, sleep=sleep
    )
    summary.preparing_seconds = prepared
    return summary
