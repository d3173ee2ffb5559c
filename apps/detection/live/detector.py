"""Run the window rules on the live feed: read, keep state, detect, publish, checkpoint.
This module reads the feed, keeps the state and checkpoints it, and runs the loop; one
detection cycle (full, narrow, or a symbol partition's) is in cycle.py, and what a cycle
publishes (new or grown findings, severity never falling) in publishing.py.

Reading is plain XREAD from the detector's own ids, not a consumer group: the ids are
part of the checkpoint, saved atomically with the state they produced, so the state and
the position can never disagree (a group's acknowledgement lives in Redis and would be a
second commit, out of step with the state on disk). One detector reads all streams of
one feed; scaling out is per partition of the feed (see docs/detection.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import redis

from ..linking import Linkage
from ..replay.events import STREAMS
from ..rules import RULES
from ..rules.base import Finding
from . import checkpoint
from .checkpoint import Checkpoint
from .cycle import detect_cycle
from .decode import decode_rows
from .gaps import find_gaps, stream_lag
from .memory_feed import MemoryFeed
from .partition import Partition
from .state import LiveState

log = logging.getLogger(__name__)

Sink = Callable[[list[dict[str, Any]]], None]
Report = Callable[[dict[str, Any]], None]
FEED_MAX_LATENESS_MS = 30_000


def _publish_to_pipeline(alerts: list[dict[str, Any]]) -> None:
    # The window path's own hand-over (chunked), so both paths store alike.
    from apps.detection.services.runs import alerts_publish

    alerts_publish(alerts)


class LiveDetector:
    def __init__(
        self,
        client: redis.Redis | MemoryFeed,
        *,
        prefix: str = "feed:",
        folder: Path | None = None,
        sink: Sink = _publish_to_pipeline,
        params: dict[str, dict[str, Any]] | None = None,
        enabled: set[str] | None = None,
        count: int = 50,
        interval_seconds: float = 1.0,
        lateness_ms: int = FEED_MAX_LATENESS_MS,
        link_interval_seconds: float = 1.0,
        report: Report | None = None,
        partition: Partition | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        # A consumer of a partitioned feed: its streams and its rules (live/partition.py).
        self.partition = partition
        self.sources = (
            partition.sources(prefix)
            if partition is not None
            else {prefix + table: table for table in STREAMS}
        )
        self.folder = folder
        self.sink = sink
        self.params = params
        self.enabled = enabled
        if partition is not None:  # the enabled rules of this consumer's share
            self.enabled = (set(RULES) if enabled is None else set(enabled)) & partition.rules
        self.count = count
        self.interval_seconds = interval_seconds
        self.lateness_ms = lateness_ms
        self.link_interval_seconds = link_interval_seconds
        self.report = report  # told the status() after every cycle
        self.heads: dict[str, dict[str, Any]] = {}  # stream -> its newest id, entries added
        self._rate = (time.monotonic(), 0.0)  # for events/s between two reports
        self.new_gaps: list[dict[str, Any]] = []  # found since the last report
        # Per day, the linkage of the last full cycle and when it was made (monotonic s).
        self.linkages: dict[int, tuple[float, Linkage]] = {}
        # Per day, from its last full cycle: the per-symbol references the rules cached
        # and the findings of the whole-day rules (dirty.py), for the narrow cycles.
        self.references: dict[int, dict[str, Any]] = {}
        # Per day, every rule's findings as they stand (the engine's Finding objects).
        self.by_rule: dict[int, dict[str, list[Finding]]] = {}
        self.moved_since_link: dict[int, set[str]] = {}
        # Keys sent by the last detection that linking or a whole-day rule made (not
        # only the rows read since the cycle before): bench/live_freshness.py bounds
        # their freshness from the previous linking.
        self.relinked: set[str] = set()
        self.saved = Checkpoint()
        self.state = LiveState()
        self.unsaved: list[tuple[str, pd.DataFrame]] = []
        self.dirty: set[int] = set()  # days with rows not yet detected on
        self.caught_up = True  # the last poll read less than ``count`` from every stream
        # Per day, what the rules find on the rows so far: dedup_key -> alert.
        self.findings: dict[int, dict[str, dict[str, Any]]] = {}
        self.stats: dict[str, float] = {"rows": 0, "entries": 0, "cycles": 0, "detect_s": 0.0}
        # Publication time (the stream id's ms) of the oldest entry read since the last
        # detection: a finding first made by a cycle was proved by a row no older than
        # that, so "sent - this" bounds its freshness from above. ``cycle_since_ms``: the
        # value the running (or last) cycle started from.
        self.unseen_since_ms: int | None = None
        self.cycle_since_ms: int | None = None
        # The same since the last full cycle (linking and account-level rules): the bound
        # for the account-level findings, which only full cycles make.
        self.full_unseen_since_ms: int | None = None
        self.full_since_ms: int | None = None
        if folder is not None and (loaded := checkpoint.load(folder)) is not None:
            self.saved, self.state = loaded
            self.dirty = set(self.state.days)
            log.info("resumed from checkpoint %s at %s", self.saved.sequence, self.saved.ids)

    @property
    def streams(self) -> list[str]:
        return list(self.sources)

    def poll(self, block_ms: int | None = None) -> int:
        """Read once from every stream (up to ``count`` entries each); rows read."""
        found = find_gaps(self.client, self.streams, self.saved.ids, self.saved.entries, self.heads)
        for gap in found:
            log.warning("feed gap on %s: %s", gap["stream"], gap)
            self.saved.gaps.append(gap)
            self.new_gaps.append(gap)
        ids: dict[Any, Any] = {s: self.saved.ids.get(s, "0-0") for s in self.streams}
        response: Any = self.client.xread(ids, count=self.count, block=block_ms)
        read: dict[str, list[tuple[bytes, dict[bytes, bytes]]]] = {
            _text(stream): entries for stream, entries in response or []
        }
        # Caught up: no stream gave a full read, so little is left unread.
        self.caught_up = all(len(entries) < self.count for entries in read.values())
        rows = 0
        for stream in self.streams:  # the tables an entry names go in first
            entries = read.get(stream, [])
            if not entries:
                continue
            table = self.sources[stream]
            first, last = _text(entries[0][0]), _text(entries[-1][0])
            published = int(first.partition("-")[0])
            if self.unseen_since_ms is None or published < self.unseen_since_ms:
                self.unseen_since_ms = published
            if self.full_unseen_since_ms is None or published < self.full_unseen_since_ms:
                self.full_unseen_since_ms = published
            where = f"{stream} entries {first}..{last}"
            frame = decode_rows(table, [fields[b"rows"] for _, fields in entries], where)
            self.state.add(table, frame)
            self.unsaved.append((table, frame))
            rows += len(frame)
            self.saved.ids[stream] = last
            self.saved.entries[stream] = self.saved.entries.get(stream, 0) + len(entries)
            self.stats["entries"] += len(entries)
        self.stats["rows"] += rows
        self.dirty.update(self.state.touched)
        return rows

    def detect(self, *, everything: bool = False) -> list[dict[str, Any]]:
        """Run the rules on the days with new rows, close the days past lateness, and
        publish the alerts that are new or changed; returns them (cycle.py)."""
        return detect_cycle(self, everything=everything)

    def current(self) -> dict[str, dict[str, Any]]:
        """What the rules find on the open days now, by dedup_key."""
        return {key: alert for day in self.findings.values() for key, alert in day.items()}

    def status(self) -> dict[str, Any]:
        """What the detection page shows: lag per stream, events/s since the last
        status, rows held, findings open, the last save, and the gaps."""
        now, rows = time.monotonic(), self.stats["rows"]
        before, self._rate = self._rate, (now, rows)
        elapsed = now - before[0]
        return {
            "streams": stream_lag(self.heads, self.saved.ids, self.saved.entries),
            "events_per_second": (rows - before[1]) / elapsed if elapsed > 0 else 0.0,
            "state_rows": self.state.rows(),
            "findings_open": sum(len(found) for found in self.findings.values()),
            "checkpoint_at": self.saved.saved_at or None,
            "gaps": self.saved.gaps[-20:],
            "new_gaps": self.new_gaps,
        }

    def checkpoint(self) -> None:
        if self.folder is None:
            return
        checkpoint.save(self.folder, self.saved, self.unsaved, self.state)
        self.unsaved = []

    def run(
        self,
        *,
        once: bool = False,
        until_idle: bool = False,
        block_ms: int = 1000,
        seconds: float | None = None,
        max_cycles: int | None = None,
    ) -> None:
        """Poll, and every ``interval_seconds`` detect and checkpoint. ``once``: one
        poll and one detection; ``until_idle``: stop when a poll reads nothing.

        The interval runs from one detection's start to the next's, not from its end:
        a row waits for at most the interval and the detection that reads it, not a
        whole detection more. A detection that is due waits until the polls have caught
        up with the streams (a read shorter than ``count``), for at most the interval
        again, so it does not start on half of what has arrived."""
        deadline = None if seconds is None else time.monotonic() + seconds
        last_detect = time.monotonic()
        cycles = 0
        while True:
            rows = self.poll(block_ms=None if (once or until_idle) else block_ms)
            idle = rows == 0
            waited = time.monotonic() - last_detect
            due = waited >= self.interval_seconds and (
                self.caught_up or waited >= 2 * self.interval_seconds
            )
            if once or idle or due:
                last_detect = time.monotonic()
                self.detect(everything=idle and until_idle)
                self.checkpoint()
                if self.report is not None:
                    self.report(self.status())
                    self.new_gaps = []
                cycles += 1
            if once or (idle and until_idle) or (max_cycles is not None and cycles >= max_cycles):
                return
            if deadline is not None and time.monotonic() >= deadline:
                return


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
