"""64-bit hashes of id strings, computed eight bytes at a time in numpy.

The window's id checks (feed.py) ask of five million order ids whether they are unique
and whether every trade's orders are among them. A hash table of the strings themselves
(pyarrow's dictionary_encode) spent 2-4 s of the run on that; integer hashes go through
pandas' uint64 table in a fraction of it. A hash only ever short-lists: equal hashes are
confirmed on the strings, so a collision can neither invent a duplicate nor hide an
unknown order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_MIX = np.uint64(0x9E3779B97F4A7C15)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def string_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """One uint64 per string (nulls hash as empty strings)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    hashed = [_chunk_hashes(chunk.cast(pa.large_string())) for chunk in chunks]
    return np.concatenate(hashed) if hashed else np.zeros(0, np.uint64)


def _chunk_hashes(chunk: pa.Array) -> np.ndarray:
    _, offsets_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.zeros(0, np.uint8) if data_buffer is None else np.frombuffer(data_buffer, np.uint8)
    # Eight zero bytes on the end, so the last string's last word can be read whole.
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    # Every byte position as the start of a little-endian uint64 (a view, unaligned).
    words = np.ndarray((len(padded) - 7,), np.uint64, padded, strides=(1,))
    starts, lengths = offsets[:-1], np.diff(offsets)
    hashes = lengths.astype(np.uint64) * _MIX
    for at in range(0, int(lengths.max(initial=0)), 8):
        # Only strings still running take the next word in: a hash never depends on how
        # long the other ids in the chunk are.
        live = lengths > at
        rows = slice(None) if live.all() else np.flatnonzero(live)
        word = words[starts[rows] + at]
        left = np.minimum(lengths[rows] - at, 8).astype(np.uint64)
        word &= np.where(left == 8, _ALL, (np.uint64(1) << (left * np.uint64(8))) - np.uint64(1))
        mixed = hashes[rows] ^ word
        mixed *= _MIX
        mixed ^= mixed >> np.uint64(29)
        hashes[rows] = mixed
    return hashes
