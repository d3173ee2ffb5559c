"""What the live feed has said so far, kept as columnar chunks, and the window-like view
of one UTC day that the rules read.

Reference tables (instruments, accounts, logins, transfers, promotions) are history the
rules need whatever the day (an account's age, its past devices and wallets), so they are
kept whole. Trading tables (orders, trades, positions, mark_prices) are kept per UTC day
of their event time, and a day is dropped once it is closed. Order updates are kept as
read and applied to the placements when a view is built: the last update read for an
order is its state, whichever stream was read first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import TIME_DTYPE
from ..context import MS_PER_DAY
from ..feed import Feed
from .decode import EVENT_TIME, normalise

REFERENCE = ("instruments", "accounts", "logins", "transfers", "promotions", "order_updates")
TRADING = ("orders", "trades", "positions", "mark_prices")


def event_ms(table: str, frame: pd.DataFrame) -> np.ndarray:
    column = EVENT_TIME.get(table)
    if column is None:
        return np.zeros(len(frame), dtype=np.int64)
    return np.asarray(frame[column].astype(TIME_DTYPE).array.asi8, dtype=np.int64)


@dataclass
class Chunks:
    """Frames of one table, concatenated lazily (and kept as one once concatenated)."""

    table: str
    frames: list[pd.DataFrame] = field(default_factory=list)

    def append(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.frames.append(frame)

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.frames)

    def frame(self) -> pd.DataFrame | None:
        if not self.frames:
            return None
        if len(self.frames) > 1:
            joined = pd.concat(self.frames, ignore_index=True)
            self.frames = [normalise(self.table, joined)]
        return self.frames[0]


@dataclass
class LiveState:
    reference: dict[str, Chunks] = field(default_factory=dict)
    days: dict[int, dict[str, Chunks]] = field(default_factory=dict)
    closed_days: set[int] = field(default_factory=set)
    late_rows: int = 0  # rows of a day already closed: counted, not used
    max_event_ms: int = 0
    # Touched since the last detection: per day, the symbols whose rows arrived.
    touched: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, table: str, frame: pd.DataFrame) -> None:
        """One decoded chunk. Trading rows go to the day of their event time."""
        if not len(frame):
            return
        times = event_ms(table, frame)
        if table != "instruments":
            self.max_event_ms = max(self.max_event_ms, int(times.max()))
        if table not in TRADING:
            self.reference.setdefault(table, Chunks(table)).append(frame)
            return
        days = times // MS_PER_DAY
        for day in np.unique(days).tolist():
            part = frame if len(np.unique(days)) == 1 else frame[days == day]
            if day in self.closed_days:
                self.late_rows += len(part)
                continue
            self.days.setdefault(day, {}).setdefault(table, Chunks(table)).append(part)
            if "symbol" in part:
                self.touched[day].update(str(s) for s in pd.unique(part["symbol"].astype("str")))

    def close(self, day: int) -> None:
        self.days.pop(day, None)
        self.touched.pop(day, None)
        self.closed_days.add(day)

    def rows(self) -> int:
        kept = sum(c.rows for c in self.reference.values())
        return kept + sum(c.rows for day in self.days.values() for c in day.values())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Everything kept, one frame per table (for a checkpoint)."""
        frames: dict[str, list[pd.DataFrame]] = defaultdict(list)
        for name, chunks in self.reference.items():
            if (frame := chunks.frame()) is not None:
                frames[name].append(frame)
        for day in self.days.values():
            for name, chunks in day.items():
                if (frame := chunks.frame()) is not None:
                    frames[name].append(frame)
        return {
            name: normalise(name, pd.concat(parts, ignore_index=True))
            for name, parts in frames.items()
        }

    def feed(self, day: int) -> Feed:
        """The day as a window: its trading rows, the history before its end, and every
        order in the state its last update gives it. A trade whose orders have not been
        read yet waits for them (streams are not ordered with each other)."""
        end = pd.Timestamp((day + 1) * MS_PER_DAY, unit="ms", tz="UTC")
        view = Feed(folder=Path(f"live:{day}"))
        for name in ("instruments", "accounts", "logins", "transfers", "promotions"):
            chunks = self.reference.get(name)
            frame = chunks.frame() if chunks is not None else None
            if frame is not None and name in EVENT_TIME:
                before = frame[EVENT_TIME[name]] < end
                frame = frame if bool(before.all()) else frame[before].reset_index(drop=True)
            setattr(view, name, frame)
        trading = self.days.get(day, {})
        for name in ("positions", "mark_prices"):
            chunks = trading.get(name)
            setattr(view, name, chunks.frame() if chunks is not None else None)
        view.orders = self._orders(trading.get("orders"))
        view.trades = _known_trades(trading.get("trades"), view.orders)
        return _known_accounts(view)

    def _orders(self, placed: Chunks | None) -> pd.DataFrame | None:
        orders = placed.frame() if placed is not None else None
        updates = self.reference.get("order_updates")
        latest = updates.frame() if updates is not None else None
        if orders is None or latest is None or not len(latest):
            return orders
        # Publication order within the stream: the last update read is the latest.
        latest = latest.drop_duplicates("order_id", keep="last", ignore_index=True)
        updates.frames = [latest]  # type: ignore[union-attr]
        where = pc.index_in(pa.array(orders["order_id"]), value_set=pa.array(latest["order_id"]))
        found = np.asarray(where.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        hit = found >= 0
        if not hit.any():
            return orders
        state = orders.copy()
        filled = state["filled_qty"].to_numpy(dtype="float64").copy()
        filled[hit] = latest["filled_qty"].to_numpy(dtype="float64")[found[hit]]
        state["filled_qty"] = filled
        cancelled = state["cancelled_at"].array.asi8.copy()
        cancelled[hit] = latest["cancelled_at"].astype(TIME_DTYPE).array.asi8[found[hit]]
        # iNaT (no cancel) views as NaT.
        times = pd.Series(cancelled.view("datetime64[ms]"), index=state.index)
        state["cancelled_at"] = times.dt.tz_localize("UTC")
        return state


def _known_trades(chunks: Chunks | None, orders: pd.DataFrame | None) -> pd.DataFrame | None:
    trades = chunks.frame() if chunks is not None else None
    if trades is None or orders is None:
        return trades
    known = pa.array(orders["order_id"])
    named = pc.and_(
        pc.is_in(pa.array(trades["buy_order_id"]), value_set=known),
        pc.is_in(pa.array(trades["sell_order_id"]), value_set=known),
    )
    mask = np.asarray(named.to_numpy(zero_copy_only=False), dtype=bool)
    return trades if mask.all() else trades[mask].reset_index(drop=True)


ACCOUNT_COLUMNS = {
    "logins": ("account_id",),
    "transfers": ("account_id",),
    "promotions": ("account_id",),
    "orders": ("account_id",),
    "positions": ("account_id",),
    "trades": ("buyer_id", "seller_id"),
}


def _known_accounts(view: Feed) -> Feed:
    """Rows naming an account whose row has not been read yet wait for it, as a trade
    waits for its orders: the rules index accounts by the accounts table."""
    if view.accounts is None:
        return view
    known = pa.array(view.accounts["account_id"])
    for name, columns in ACCOUNT_COLUMNS.items():
        frame = view.table(name)
        if frame is None or not len(frame):
            continue
        mask = np.ones(len(frame), dtype=bool)
        for column in columns:
            found = pc.is_in(pa.array(frame[column]), value_set=known)
            mask &= np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
        if not mask.all():
            setattr(view, name, frame[mask].reset_index(drop=True))
    return view
