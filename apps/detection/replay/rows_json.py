"""Rows of a stream as the JSON of feed-stream.md, built column-wise in Arrow.

``json.dumps`` over dicts, or ``DataFrame.to_json``, manage about 70,000 rows/s on a
window's frames (every Arrow string becomes a Python object); at 5M orders that alone
would be minutes. Here each column is formatted once per chunk by Arrow kernels and the
row objects are concatenated into one buffer, so an entry is a slice of bytes.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_ROWS = 65_536
# JSON needs these escaped inside a string; anything else (UTF-8 included) goes as is.
CONTROL_CHARACTERS = r"[\x00-\x1f]"
NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
TWO_DIGITS = pa.array([f"{n:02d}" for n in range(100)])
THREE_DIGITS = pa.array([f"{n:03d}" for n in range(1000)])


class RowsJson:
    """The rows of one frame as JSON objects, encoded a chunk at a time as they are asked
    for (a stream is read front to back), so a 5M-row stream never exists as text whole."""

    def __init__(self, rows: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> None:
        self.rows = rows
        self.chunk_rows = chunk_rows
        self._chunk = -1
        self._offsets: np.ndarray = np.zeros(1, dtype=np.int64)
        self._text = b""

    def array(self, start: int, stop: int) -> bytes:
        """Rows ``start:stop`` as one JSON array."""
        pieces = []
        row = start
        while row < stop:
            chunk, first = divmod(row, self.chunk_rows)
            last = min(stop - chunk * self.chunk_rows, self.chunk_rows)
            self._load(chunk)
            pieces.append(self._text[self._offsets[first] : self._offsets[last]])
            row = (chunk + 1) * self.chunk_rows
        # Every object was encoded with a trailing comma; the array drops the last one.
        return b"[" + b"".join(pieces)[:-1] + b"]"

    def _load(self, chunk: int) -> None:
        if chunk == self._chunk:
            return
        start = chunk * self.chunk_rows
        part = self.rows.iloc[start : start + self.chunk_rows]
        objects = encode_objects(pa.Table.from_pandas(part, preserve_index=False))
        offsets_buffer, text_buffer = objects.buffers()[1:3]
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)  # large_string: int64
        self._offsets = offsets[objects.offset : objects.offset + len(objects) + 1]
        self._text = text_buffer.to_pybytes() if text_buffer is not None else b""
        self._chunk = chunk


def encode_objects(table: pa.Table) -> pa.Array:
    """One JSON object per row, each followed by a comma."""
    if table.num_rows == 0:
        return pa.array([], pa.large_string())
    parts: list[str | pa.Array] = []
    for index, name in enumerate(table.column_names):
        parts.append(("{" if index == 0 else ",") + json.dumps(name) + ":")
        parts.append(encode_values(table.column(name).combine_chunks()))
    parts.append("},")
    return _join(*parts)


def encode_values(values: pa.Array) -> pa.Array:
    """Each value as JSON text; a null as ``null``."""
    kind = values.type
    if values.null_count == len(values):  # e.g. cancelled_at of every placement
        text = pa.nulls(len(values), pa.large_string())
    elif pa.types.is_dictionary(kind):
        # Symbols and enums: encode the few distinct values, then pick per row.
        text = pc.take(encode_values(values.dictionary), values.indices)
    elif pa.types.is_timestamp(kind):
        text = _iso_times(values)
    elif pa.types.is_floating(kind):
        # Arrow prints the shortest text that reads back as the same double.
        text = _finite(values).cast(pa.string())
    elif pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        text = values.cast(pa.string())
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = _quoted(values)
    elif pa.types.is_null(kind):
        text = pa.nulls(len(values), pa.string())
    else:
        raise TypeError(f"no JSON encoding for Arrow type {kind}")
    return pc.fill_null(text.cast(pa.large_string()), "null")


def _iso_times(values: pa.Array) -> pa.Array:
    """ISO-8601 UTC with milliseconds, as in the window's CSV: "2026-11-20T13:45:01.123Z".

    Assembled from lookup tables of the few distinct days and of 2- and 3-digit numbers:
    Arrow's strftime costs about 1 µs a value, which at 5M orders is most of a replay."""
    ms = values.cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64())
    ms_np = np.asarray(ms.to_numpy(zero_copy_only=False))
    valid = ~np.asarray(ms.is_null().to_numpy(zero_copy_only=False))
    ms_np = np.where(valid, ms_np, 0).astype(np.int64)
    day, in_day = np.divmod(ms_np, 86_400_000)
    # Days as offsets from the first: the span is years at most (np.unique would sort).
    first_day = int(day.min()) if len(day) else 0
    day_index = day - first_day
    days = np.arange(first_day, first_day + int(day_index.max(initial=0)) + 1)
    day_text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D")
    hours, rest = np.divmod(in_day, 3_600_000)
    minutes, rest = np.divmod(rest, 60_000)
    seconds, millis = np.divmod(rest, 1000)
    mask = pa.array(~valid)
    text = _join(
        pc.take(pa.array([f'"{d}T' for d in day_text]), pa.array(day_index)),
        pc.take(TWO_DIGITS, pa.array(hours)),
        ":",
        pc.take(TWO_DIGITS, pa.array(minutes)),
        ":",
        pc.take(TWO_DIGITS, pa.array(seconds)),
        ".",
        pc.take(THREE_DIGITS, pa.array(millis)),
        'Z"',
    )
    return pc.if_else(mask, pa.scalar(None, pa.large_string()), text)


def _quoted(values: pa.Array) -> pa.Array:
    if not pc.any(pc.match_substring_regex(values, NEEDS_ESCAPE)).as_py():
        return _join('"', values, '"')  # ids, symbols, addresses: the common case
    if pc.any(pc.match_substring_regex(values, CONTROL_CHARACTERS)).as_py():
        # Rare: let the json module escape these.
        return pa.array([None if v is None else json.dumps(v) for v in values.to_pylist()])
    escaped = pc.replace_substring(values, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    return _join('"', escaped, '"')


def _join(*parts: str | pa.Array) -> pa.Array:
    """Concatenate text element-wise; a str is the same literal on every row."""
    text = [
        pa.scalar(part, pa.large_string())
        if isinstance(part, str)
        else part.cast(pa.large_string())
        for part in parts
    ]
    joined = pc.binary_join_element_wise(*text, pa.scalar("", pa.large_string()))
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _finite(values: pa.Array) -> pa.Array:
    # The feed reader refuses NaN and infinities; pandas' NaN for an empty nullable number
    # is already a null here (from_pandas), so anything non-finite left is a bug upstream.
    if pc.any(pc.invert(pc.is_finite(values))).as_py():
        raise ValueError("a non-finite number cannot be published as JSON")
    return values
