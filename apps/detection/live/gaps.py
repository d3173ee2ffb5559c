"""A consumer that fell behind MAXLEN: entries it never read were trimmed away.

XREAD from an id that is no longer in the stream silently goes on from the first entry
still there, so the gap must be looked for. Redis (7.0+) keeps the largest id ever
trimmed or deleted (``max-deleted-entry-id``): if it is past the last id read, entries
after it are gone. ``entries-added`` tells how many.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import redis


def _id(value: Any) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else str(value)
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def find_gaps(
    client: redis.Redis, streams: list[str], last: dict[str, str], entries: dict[str, int]
) -> list[dict[str, Any]]:
    """One record per stream whose entries after ``last[stream]`` were trimmed; ``last``
    is then moved to the trimmed id so the same gap is reported once."""
    pipe = client.pipeline(transaction=False)
    for stream in streams:
        pipe.xinfo_stream(stream)
    found: list[dict[str, Any]] = []
    for stream, info in zip(streams, pipe.execute(raise_on_error=False), strict=True):
        if isinstance(info, Exception):  # no such stream yet
            continue
        deleted = info.get("max-deleted-entry-id", "0-0")
        read = last.get(stream, "0-0")
        if _id(deleted) <= _id(read):
            continue
        first = info.get("first-entry")
        added = int(info.get("entries-added", 0))
        missed = added - int(info.get("length", 0)) - entries.get(stream, 0)
        found.append(
            {
                "stream": stream,
                "last_read": read,
                "trimmed_up_to": deleted.decode() if isinstance(deleted, bytes) else deleted,
                "first_available": (first[0].decode() if first else None),
                "missed_entries": max(missed, 0),
                "seen_at": pd.Timestamp.now(tz="UTC").isoformat(),
            }
        )
        deleted_text = deleted.decode() if isinstance(deleted, bytes) else str(deleted)
        last[stream] = deleted_text
        entries[stream] = entries.get(stream, 0) + max(missed, 0)
    return found
