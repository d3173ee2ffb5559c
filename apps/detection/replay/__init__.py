"""Replay a window of the trading feed onto the live feed's Redis Streams
(shared/contracts/feed-stream.md): ``manage.py replay_feed``, a benchmark, a demo."""

from .batches import Batch, pace_start_ms, tick_ms_for, window_batches
from .events import STREAMS, StreamEvents, order_events, window_events
from .publish import DEFAULT_MAXLEN, DEFAULT_PREFIX, ReplaySummary, publish_batches, replay_window

__all__ = [
    "DEFAULT_MAXLEN",
    "DEFAULT_PREFIX",
    "STREAMS",
    "Batch",
    "ReplaySummary",
    "StreamEvents",
    "order_events",
    "pace_start_ms",
    "publish_batches",
    "replay_window",
    "tick_ms_for",
    "window_batches",
    "window_events",
]
