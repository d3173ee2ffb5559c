"""A window as the events of the live feed (shared/contracts/feed-stream.md).

Every table becomes one stream whose rows are sorted by event time. Orders are split into
what the exchange would have said as it happened: the order when placed (not cancelled,
nothing filled), then its fills (one update per trade, cumulative) and its cancel.
All of it is column work on the window's frames: no Python object per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import TIME_DTYPE
from ..feed import Feed

# The order in which a tick's streams are published: the orders a trade names, and the
# accounts an order names, go out before it.
STREAMS = (
    "instruments",
    "accounts",
    "logins",
    "transfers",
    "promotions",
    "orders",
    "order_updates",
    "trades",
    "positions",
    "mark_prices",
)
EVENT_TIME = {
    "accounts": "registered_at",
    "logins": "ts",
    "transfers": "ts",
    "promotions": "joined_at",
    "trades": "ts",
    "positions": "ts",
    "mark_prices": "ts",
}
UPDATE_COLUMNS = ["order_id", "ts", "cancelled_at", "filled_qty"]


@dataclass(frozen=True)
class StreamEvents:
    """One stream's rows (the contract's columns) in publication order, with the event
    time of each row in ms since the epoch (non-decreasing)."""

    table: str
    rows: pd.DataFrame
    event_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def window_events(feed: Feed) -> dict[str, StreamEvents]:
    """The streams of one window (absent optional tables have none), in STREAMS order."""
    events: dict[str, StreamEvents] = {}
    for table, column in EVENT_TIME.items():
        frame = feed.table(table)
        if frame is not None and table != "trades":
            events[table] = _by_time(table, frame, _ms(frame[column]))
    if feed.trades is not None:
        events["trades"] = _by_time("trades", feed.trades, _ms(feed.trades["ts"]))
    if feed.orders is not None:
        trades = feed.trades if feed.trades is not None else _no_trades()
        events["orders"], events["order_updates"] = order_events(feed.orders, trades)
    if feed.instruments is not None:
        # Instruments come first: they are published at the window's first event.
        first = min((int(e.event_ms[0]) for e in events.values() if len(e)), default=0)
        at_first = np.full(len(feed.instruments), first, dtype=np.int64)
        events["instruments"] = StreamEvents("instruments", feed.instruments, at_first)
    return {name: events[name] for name in STREAMS if name in events}


def order_events(orders: pd.DataFrame, trades: pd.DataFrame) -> tuple[StreamEvents, StreamEvents]:
    """``feed:orders`` (placements) and ``feed:order_updates`` (fills, then the closing
    update that makes each order's last state its window row)."""
    created = _ms(orders["created_at"])
    fills = _fills(orders, trades)
    # An order is placed at its created_at, or at its first fill if a (malformed) window
    # has the trade earlier: a trade must never name an order not yet published.
    placed = created.copy()
    np.minimum.at(placed, fills.order, fills.ts)
    placements = orders.assign(
        cancelled_at=pd.Series(pd.NaT, index=orders.index, dtype=TIME_DTYPE), filled_qty=0.0
    )
    updates = pd.concat([_fill_updates(orders, fills), _closing_updates(orders, fills)])
    phase = np.repeat([0, 1], [len(fills.order), len(updates) - len(fills.order)])
    update_ms = _ms(updates["ts"])
    # At one instant an order's fills come before its cancel (the cancel carries the
    # final filled quantity); lexsort is stable, so fills keep their trade order.
    order = np.lexsort((phase, update_ms))
    return (
        _by_time("orders", placements, placed),
        StreamEvents("order_updates", _take(updates, order), update_ms[order]),
    )


@dataclass(frozen=True)
class _Fills:
    """Two fills per trade (buy order, then sell order), in trade order by time."""

    order: np.ndarray  # row of the filled order in the orders frame
    ts: np.ndarray  # ms
    filled_qty: np.ndarray  # the order's cumulative filled quantity after this fill


def _fills(orders: pd.DataFrame, trades: pd.DataFrame) -> _Fills:
    trades = _by_time("trades", trades, _ms(trades["ts"])).rows
    ids = pa.array(orders["order_id"])
    # Both sides in one lookup: hashing the window's order ids is the expensive part.
    named = pa.chunked_array(
        [chunk for c in ("buy_order_id", "sell_order_id") for chunk in _chunks(trades[c])]
    )
    order = _positions(named, ids).reshape(2, -1).T.ravel()  # buy, sell, buy, sell, ...
    ts = np.repeat(_ms(trades["ts"]), 2)
    qty = np.repeat(trades["qty"].to_numpy(dtype="float64"), 2)
    cumulative = pd.Series(qty).groupby(order, sort=False).cumsum().to_numpy().copy()
    # The window's filled_qty is the truth; a last fill that sums to it up to float noise
    # says exactly it, so the reconstructed order equals its row.
    last = _last_of_each(order, len(orders))
    final = orders["filled_qty"].to_numpy(dtype="float64")[order[last]]
    exact = np.isclose(cumulative[last], final, rtol=1e-12, atol=0.0)
    cumulative[last[exact]] = final[exact]
    return _Fills(order=order, ts=ts, filled_qty=cumulative)


def _fill_updates(orders: pd.DataFrame, fills: _Fills) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": _take(orders["order_id"], fills.order),
            "ts": pd.Series(fills.ts.astype("datetime64[ms]")).dt.tz_localize("UTC"),
            "cancelled_at": pd.Series(pd.NaT, index=range(len(fills.order)), dtype=TIME_DTYPE),
            "filled_qty": fills.filled_qty,
        }
    )


def _closing_updates(orders: pd.DataFrame, fills: _Fills) -> pd.DataFrame:
    """Cancelled orders at their cancel; and any order whose fills in the window do not add
    up to its filled_qty, at its last event, so that every order ends as its row."""
    n = len(orders)
    final = orders["filled_qty"].to_numpy(dtype="float64")
    last_fill = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_fill, fills.order, fills.ts)
    reached = np.zeros(n)
    last = _last_of_each(fills.order, n)
    reached[fills.order[last]] = fills.filled_qty[last]
    cancelled = orders["cancelled_at"].notna().to_numpy()
    closing = np.flatnonzero(cancelled | (reached != final))
    cancelled_ms = _ms(orders["cancelled_at"].fillna(orders["created_at"]))
    ts = np.maximum.reduce([cancelled_ms, last_fill, _ms(orders["created_at"])])[closing]
    return pd.DataFrame(
        {
            "order_id": _take(orders["order_id"], closing),
            "ts": pd.Series(ts.astype("datetime64[ms]")).dt.tz_localize("UTC"),
            "cancelled_at": _take(orders["cancelled_at"], closing),
            "filled_qty": final[closing],
        }
    )


def _by_time(table: str, frame: pd.DataFrame, event_ms: np.ndarray) -> StreamEvents:
    """Rows sorted by event time; rows at one instant keep the window's order."""
    if len(event_ms) < 2 or bool((np.diff(event_ms) >= 0).all()):
        return StreamEvents(table, frame.reset_index(drop=True), event_ms)
    order = np.argsort(event_ms, kind="stable")
    return StreamEvents(table, _take(frame, order), event_ms[order])


def _take(values: pd.DataFrame | pd.Series, rows: np.ndarray) -> pd.DataFrame | pd.Series:
    return values.take(rows).reset_index(drop=True)


def _ms(times: pd.Series) -> np.ndarray:
    """Event times as int64 ms since the epoch (the feed's times are ms, UTC)."""
    return times.astype(TIME_DTYPE).array.asi8.copy()


def _positions(order_ids: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    found = pc.index_in(order_ids, value_set=ids)
    if found.null_count:  # read_feed refuses such a window; a hand-made Feed may not
        raise ValueError("a trade names an order that is not in the window's orders")
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def _chunks(values: pd.Series) -> list[pa.Array]:
    """The Arrow chunks of a column, without copying (``chunked_array`` of ChunkedArrays
    would convert them through Python objects)."""
    array = pa.array(values)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return [chunk.cast(pa.large_string()) for chunk in chunks]


def _last_of_each(order: np.ndarray, orders: int) -> np.ndarray:
    """Index of the last fill of each filled order (fills of one order are in time order);
    ufunc.at, not np.unique, because sorting 3M fills costs a second at 5M orders."""
    last = np.full(orders, -1, dtype=np.int64)
    np.maximum.at(last, order, np.arange(len(order), dtype=np.int64))
    return last[last >= 0]


def _no_trades() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts": pd.Series([], dtype=TIME_DTYPE),
            "qty": pd.Series([], dtype="float64"),
            "buy_order_id": pd.Series([], dtype="str"),
            "sell_order_id": pd.Series([], dtype="str"),
        }
    )
