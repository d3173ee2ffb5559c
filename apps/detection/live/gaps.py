"""A consumer that fell behind MAXLEN: entries it never read were trimmed away.

XREAD from an id that is no longer in the stream silently goes on from the first entry
still there, so the gap must be looked for. Trimming does not move Redis's
``max-deleted-entry-id`` (only XDEL does), so the count is used: the stream has had
``entries-added`` entries and holds ``length``; when its first entry is past the last id
read, every entry up to that id is gone, and anything removed beyond the entries this
consumer read is what it missed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def _id(value: Any) -> tuple[int, int]:
    ms, _, seq = _text(value).partition("-")
    return int(ms), int(seq or 0)


def find_gaps(
    client: Any,
    streams: list[str],
    last: dict[str, str],
    entries: dict[str, int],
    seen: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One record per stream whose entries after ``last[stream]`` were trimmed unread;
    ``entries`` (entries accounted for per stream) then counts them, so a gap is
    reported once. ``seen`` receives each stream's head: its last id and entries added."""
    pipe = client.pipeline(transaction=False)
    for stream in streams:
        pipe.xinfo_stream(stream)
    found: list[dict[str, Any]] = []
    for stream, info in zip(streams, pipe.execute(raise_on_error=False), strict=True):
        if isinstance(info, Exception) or not info.get("first-entry"):
            continue  # no such stream yet, or nothing in it
        if seen is not None:
            seen[stream] = {
                "last": _text(info.get("last-generated-id", "0-0")),
                "added": int(info.get("entries-added", 0)),
            }
        read = last.get(stream, "0-0")
        first = _text(info["first-entry"][0])
        removed = int(info.get("entries-added", 0)) - int(info.get("length", 0))
        missed = removed - entries.get(stream, 0)
        if _id(first) <= _id(read) or missed <= 0:
            continue
        found.append(
            {
                "stream": stream,
                "last_read": read,
                "first_available": first,
                "missed_entries": missed,
                "seen_at": pd.Timestamp.now(tz="UTC").isoformat(),
            }
        )
        entries[stream] = entries.get(stream, 0) + missed  # reported once
    return found


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def stream_lag(
    heads: dict[str, dict[str, Any]], last: dict[str, str], entries: dict[str, int]
) -> dict[str, dict[str, Any]]:
    """Per stream: the last id read, entries published and not read yet, and how much
    older (publication time) the last entry read is than the stream's newest."""
    lag = {}
    for stream, head in heads.items():
        read = last.get(stream, "0-0")
        behind = max(0, int(head["added"]) - entries.get(stream, 0))
        seconds = max(0, _id(head["last"])[0] - _id(read)[0]) / 1000 if behind else 0.0
        lag[stream] = {"read": read, "behind_entries": behind, "behind_seconds": seconds}
    return lag
