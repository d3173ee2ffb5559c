"""The live feed without a server: streams held in this process, for the embedded desk.

``MemoryFeed`` answers the few Redis calls the publisher (``replay.publish_batches``) and
the detector make — XADD with MAXLEN through a pipeline, XREAD from ids, XINFO STREAM for
the gap check — with Redis's semantics (ids ``<ms>-<seq>``, increasing; ``MAXLEN``
trimming the oldest entries; ``entries-added`` counting every entry ever added), so the
same ``LiveDetector`` follows it as it follows Redis, gaps included. It lives as long as
the process: the embedded demo replays the demo day into it (``demo.py``).
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any


def _id(value: Any) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else str(value)
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class _Stream:
    ids: list[tuple[int, int]] = field(default_factory=list)
    payloads: list[dict[bytes, bytes]] = field(default_factory=list)
    added: int = 0


class MemoryFeed:
    def __init__(self) -> None:
        self.streams: dict[str, _Stream] = {}
        self.lock = threading.Lock()

    def xadd(
        self,
        name: str,
        fields: dict[str, Any],
        maxlen: int | None = None,
        approximate: bool = True,
    ) -> bytes:
        with self.lock:
            stream = self.streams.setdefault(name, _Stream())
            ms = int(time.time() * 1000)
            last = stream.ids[-1] if stream.ids else (0, -1)
            new = (ms, 0) if ms > last[0] else (last[0], last[1] + 1)
            stream.ids.append(new)
            stream.payloads.append({_bytes(k): _bytes(v) for k, v in fields.items()})
            stream.added += 1
            if maxlen and len(stream.ids) > maxlen:
                cut = len(stream.ids) - maxlen
                del stream.ids[:cut], stream.payloads[:cut]
            return f"{new[0]}-{new[1]}".encode()

    def xread(
        self, streams: dict[Any, Any], count: int | None = None, block: int | None = None
    ) -> list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]:
        """Entries after each given id, at most ``count`` per stream; never blocks (the
        embedded desk polls on a timer)."""
        found = []
        with self.lock:
            for name, after in streams.items():
                stream = self.streams.get(_text(name))
                if stream is None:
                    continue
                start = bisect_right(stream.ids, _id(after))
                end = len(stream.ids) if count is None else start + count
                entries = [
                    (f"{i[0]}-{i[1]}".encode(), payload)
                    for i, payload in zip(
                        stream.ids[start:end], stream.payloads[start:end], strict=True
                    )
                ]
                if entries:
                    found.append((_text(name).encode(), entries))
        return found

    def xinfo_stream(self, name: str) -> dict[str, Any]:
        with self.lock:
            stream = self.streams.get(_text(name))
            if stream is None:
                raise KeyError(f"no such stream {name}")
            first = stream.ids[0] if stream.ids else None
            last = stream.ids[-1] if stream.ids else (0, 0)
            return {
                "length": len(stream.ids),
                "entries-added": stream.added,
                "first-entry": None if first is None else (f"{first[0]}-{first[1]}".encode(), {}),
                "last-generated-id": f"{last[0]}-{last[1]}".encode(),
            }

    def pipeline(self, transaction: bool = False) -> _Pipeline:
        return _Pipeline(self)


class _Pipeline:
    """Calls queued and run on ``execute``, errors returned in place when asked (as the
    redis client's pipeline)."""

    def __init__(self, feed: MemoryFeed) -> None:
        self.feed = feed
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __len__(self) -> int:
        return len(self.calls)

    def xadd(self, *args: Any, **kwargs: Any) -> _Pipeline:
        self.calls.append(("xadd", args, kwargs))
        return self

    def xinfo_stream(self, *args: Any, **kwargs: Any) -> _Pipeline:
        self.calls.append(("xinfo_stream", args, kwargs))
        return self

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        results: list[Any] = []
        for name, args, kwargs in self.calls:
            try:
                results.append(getattr(self.feed, name)(*args, **kwargs))
            except Exception as error:  # as redis-py: the error in its place
                if raise_on_error:
                    self.calls = []
                    raise
                results.append(error)
        self.calls = []
        return results


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
