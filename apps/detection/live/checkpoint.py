"""The live detector's checkpoint: the stream ids read and the state they produced, saved
together so that a worker killed at any moment resumes from one consistent point.

A checkpoint is a folder of Parquet segments (each holding the rows read since the one
before) and ``checkpoint.json``, which names the segments that count and the last id read
on every stream. The JSON is written last, to a temporary file that is then renamed over
the old one (atomic on POSIX), so a crash while writing leaves the previous checkpoint
whole; segments it does not name are leftovers and are deleted on the next save. On
resume, the segments are read back into the state and reading goes on after the saved
ids: every row is in the state exactly once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .decode import normalise
from .state import LiveState

MANIFEST = "checkpoint.json"
# Past this many segments the next save writes the whole state as one segment per table
# (this also drops the rows of closed days from disk).
COMPACT_SEGMENTS = 200


@dataclass
class Checkpoint:
    ids: dict[str, str] = field(default_factory=dict)  # stream -> last id read
    entries: dict[str, int] = field(default_factory=dict)  # stream -> entries read
    segments: list[str] = field(default_factory=list)
    published: dict[str, list[Any]] = field(default_factory=dict)  # key -> [rank, print]
    gaps: list[dict[str, Any]] = field(default_factory=list)
    cluster_keys: dict[str, str] = field(default_factory=dict)  # account -> lasting key
    closed_days: list[int] = field(default_factory=list)
    late_rows: int = 0
    sequence: int = 0
    saved_at: str = ""


def load(folder: Path) -> tuple[Checkpoint, LiveState] | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    saved = Checkpoint(**json.loads(path.read_text()))
    state = LiveState(closed_days=set(saved.closed_days), late_rows=saved.late_rows)
    for name in saved.segments:
        table = name.split(".")[-2]
        frame = normalise(table, pd.read_parquet(folder / name))
        state.add(table, frame)
    state.late_rows = saved.late_rows  # rows of closed days on disk were counted then
    state.touched.clear()
    return saved, state


def save(
    folder: Path,
    saved: Checkpoint,
    unsaved: list[tuple[str, pd.DataFrame]],
    state: LiveState,
) -> None:
    """Write the rows read since the last save as new segments, then the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    saved.sequence += 1
    if len(saved.segments) + len(unsaved) > COMPACT_SEGMENTS:
        parts = list(state.tables().items())
        saved.segments = []
    else:
        parts = _by_table(unsaved)
    for index, (table, frame) in enumerate(parts):
        name = f"seg-{saved.sequence:08d}-{index:03d}.{table}.parquet"
        frame.to_parquet(folder / name, index=False)
        saved.segments.append(name)
    saved.closed_days = sorted(state.closed_days)
    saved.late_rows = state.late_rows
    saved.saved_at = pd.Timestamp.now(tz="UTC").isoformat()
    temporary = folder / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(saved.__dict__))
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, folder / MANIFEST)
    keep = set(saved.segments)
    for path in folder.glob("seg-*.parquet"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def _by_table(unsaved: list[tuple[str, pd.DataFrame]]) -> list[tuple[str, pd.DataFrame]]:
    grouped: dict[str, list[pd.DataFrame]] = {}
    for table, frame in unsaved:
        grouped.setdefault(table, []).append(frame)
    return [
        (table, normalise(table, pd.concat(frames, ignore_index=True)))
        for table, frames in grouped.items()
    ]
