"""Cut a window's streams into the entries a live exchange would have sent, tick by tick.

Time is cut into ticks. A tick's rows go out together at the tick's end, stream by stream
in STREAMS order (so a trade's orders are on ``feed:orders`` before the trade is on
``feed:trades``), at most ``batch`` rows per entry. Rows before the pacing start are the
history a live feed would already hold (accounts registered years ago, the logins of past
weeks): they go out first, unpaced, a day of event time per tick.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from .events import StreamEvents
from .rows_json import RowsJson

MAX_ROWS_PER_ENTRY = 10_000  # feed-stream.md: an entry holds 1 to 10,000 rows
HISTORY_TICK_MS = 86_400_000
# Unpaced, a minute of event time per tick: at 5M orders a day that is some thousands of
# rows per stream, large entries, while a consumer still sees the day's streams interleave.
UNPACED_TICK_MS = 60_000
PACED_TICK_SECONDS = 0.2  # wall-clock length of a tick when paced: live-like, few entries


@dataclass(frozen=True)
class Batch:
    """One entry to publish: ``rows`` rows of ``table`` as a JSON array. ``due_seconds``:
    the event time (seconds after the pacing start) by which all of them had happened;
    zero or less for history."""

    table: str
    rows: int
    payload: bytes
    due_seconds: float
    first_ms: int
    last_ms: int
    # The stream after the prefix when it is not the table's own (``p3:orders``: a
    # partition of a partitioned feed, replay/partitions.py).
    stream: str | None = None

    @property
    def key(self) -> str:
        return self.stream or self.table


def pace_start_ms(events: Mapping[str, StreamEvents]) -> int:
    """Where pacing starts: the window's first order or trade (its trading), else its
    first event."""
    # By table, not by name: a partitioned feed names its streams ``p<i>:orders``.
    trading = [s for s in events.values() if s.table in ("orders", "trades") and len(s)]
    candidates = trading or [s for s in events.values() if len(s)]
    return min((int(s.event_ms[0]) for s in candidates), default=0)


def tick_ms_for(speed: float) -> int:
    """Event time per tick: ``PACED_TICK_SECONDS`` of wall clock at ``speed`` times real time."""
    if speed <= 0:
        return UNPACED_TICK_MS
    return max(1, round(PACED_TICK_SECONDS * speed * 1000))


def window_batches(
    events: Mapping[str, StreamEvents],
    *,
    batch: int = MAX_ROWS_PER_ENTRY,
    tick_ms: int = UNPACED_TICK_MS,
    start_ms: int | None = None,
    limit_seconds: float | None = None,
) -> Iterator[Batch]:
    """The entries of the window in publication order. ``start_ms``: where pacing (and
    ``limit_seconds``, a cut of event time after it) starts; default ``pace_start_ms``."""
    if not 1 <= batch <= MAX_ROWS_PER_ENTRY:
        raise ValueError(f"batch must be 1 to {MAX_ROWS_PER_ENTRY} rows, not {batch}")
    start = pace_start_ms(events) if start_ms is None else start_ms
    named = [(key, s) for key, s in events.items() if len(s)]
    streams = [s for _, s in named]
    ends = [_end(s, start, limit_seconds) for s in streams]
    keys = [
        _tick_keys(s.event_ms[:end], start, tick_ms) for s, end in zip(streams, ends, strict=True)
    ]
    ticks = np.unique(np.concatenate([np.unique(k) for k in keys] or [np.zeros(0, np.int64)]))
    lows = [np.searchsorted(k, ticks, side="left") for k in keys]
    highs = [np.searchsorted(k, ticks, side="right") for k in keys]
    encoders = [RowsJson(s.rows) for s in streams]
    keys_named = [key for key, _ in named]
    for index, tick in enumerate(ticks.tolist()):
        due = 0.0 if tick < 0 else (tick + 1) * tick_ms / 1000
        for key, stream, encoder, low, high in zip(
            keys_named, streams, encoders, lows, highs, strict=True
        ):
            for first in range(int(low[index]), int(high[index]), batch):
                last = min(first + batch, int(high[index]))
                yield Batch(
                    table=stream.table,
                    rows=last - first,
                    payload=encoder.array(first, last),
                    due_seconds=due,
                    first_ms=int(stream.event_ms[first]),
                    last_ms=int(stream.event_ms[last - 1]),
                    stream=None if key == stream.table else key,
                )


def _tick_keys(event_ms: np.ndarray, start: int, tick_ms: int) -> np.ndarray:
    """Tick number of each event: from 0 at the pacing start; history has negative ticks
    of a day each, counted back from the start."""
    after = event_ms - start
    history = -((-after + HISTORY_TICK_MS - 1) // HISTORY_TICK_MS)
    return np.where(after >= 0, after // tick_ms, np.minimum(history, -1))


def _end(stream: StreamEvents, start: int, limit_seconds: float | None) -> int:
    if limit_seconds is None:
        return len(stream)
    cut = start + round(limit_seconds * 1000)
    return int(np.searchsorted(stream.event_ms, cut, side="left"))
