"""Partitioned live feed: a proposed, compatible extension of feed-stream.md.

Asked for (``replay_feed --partitions N``), the trading tables go to ``feed:p<i>:<table>``
(i = 0..N-1) by a hash of the row's symbol, so a consumer of one partition decodes only
its share of the bulk of the feed (orders, their updates and trades are 95 % of the
events). An order update carries no symbol: it goes with its order. The reference tables
(instruments, accounts, logins, transfers, promotions) stay on the unpartitioned
``feed:<table>`` streams, one copy read by every consumer: every rule needs the accounts
and the linking needs the logins and transfers, and together they are a few per cent of
the events. Not asked for, nothing changes: the default is today's one stream per table.
See docs/detection.md, "Partitioned streams".
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .events import STREAMS, StreamEvents

# The tables a symbol partition carries; order_updates follow their order's symbol.
PARTITIONED = ("orders", "order_updates", "trades", "positions", "mark_prices")


def partition_prefix(prefix: str, index: int) -> str:
    """``feed:`` and 3 -> ``feed:p3:``."""
    return f"{prefix}p{index}:"


def symbol_partition(symbol: str, partitions: int) -> int:
    """The partition of one symbol: CRC-32 of its UTF-8 text modulo the count, a hash any
    publisher or consumer computes alike (Python's ``hash`` differs per process)."""
    return zlib.crc32(symbol.encode()) % partitions


def partition_of(symbols: pd.Series, partitions: int) -> np.ndarray:
    """The partition of each row's symbol (one hash per distinct symbol)."""
    codes, uniques = pd.factorize(symbols.astype("str"))
    per_symbol = np.array([symbol_partition(str(s), partitions) for s in uniques], np.int64)
    return per_symbol[codes] if len(per_symbol) else np.zeros(len(symbols), np.int64)


def partition_events(
    events: Mapping[str, StreamEvents], partitions: int, *, whole: bool = False
) -> dict[str, StreamEvents]:
    """The window's streams keyed by stream name after the prefix: reference tables as
    they are (``accounts``), trading tables cut into ``p<i>:<table>``; with ``whole``, the
    unpartitioned trading streams too (for consumers that read those)."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    of: dict[str, np.ndarray] = {}
    for table in PARTITIONED:
        stream = events.get(table)
        if stream is None:
            continue
        if table == "order_updates":
            of[table] = _updates_partition(stream, events.get("orders"), of.get("orders"))
        else:
            of[table] = partition_of(stream.rows["symbol"], partitions)
    out: dict[str, StreamEvents] = {}
    for table in STREAMS:
        stream = events.get(table)
        if stream is None:
            continue
        if table not in of:
            out[table] = stream
            continue
        if whole:
            out[table] = stream
        for index in range(partitions):
            keep = of[table] == index
            rows = stream.rows[keep].reset_index(drop=True)
            out[f"p{index}:{table}"] = StreamEvents(table, rows, stream.event_ms[keep])
    return out


def _updates_partition(
    updates: StreamEvents, orders: StreamEvents | None, order_partition: np.ndarray | None
) -> np.ndarray:
    if orders is None or order_partition is None:
        raise ValueError("order updates are partitioned with their orders: no orders")
    found = pc.index_in(_array(updates.rows["order_id"]), value_set=_array(orders.rows["order_id"]))
    if found.null_count:
        raise ValueError("an order update names an order that is not in the window")
    return order_partition[np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)]


def _array(values: pd.Series) -> pa.Array:
    array = pa.array(values)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
