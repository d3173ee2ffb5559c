"""Order state by order id, kept up to date as placements and updates are read.

Looking every order up again on each detection cycle (hashing the day's order ids three
times: updates, trades, placements) cost about 1 s a cycle at 1.5M orders; a dictionary
kept as rows arrive spreads that cost over the day, one lookup per row read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..columns import TIME_DTYPE

NAT = np.iinfo(np.int64).min  # NaT as int64 ms


def _ms(values: pd.Series) -> np.ndarray:
    return np.asarray(values.astype(TIME_DTYPE).array.asi8, dtype=np.int64)


@dataclass
class DayOrders:
    """The state of one day's orders, by their place in the day's placements."""

    filled: np.ndarray = field(default_factory=lambda: np.zeros(1024))
    cancelled: np.ndarray = field(default_factory=lambda: np.full(1024, NAT, dtype=np.int64))
    count: int = 0

    def grow(self, rows: int) -> None:
        need = self.count + rows
        if need > len(self.filled):
            size = max(need, 2 * len(self.filled))
            self.filled = np.concatenate([self.filled, np.zeros(size - len(self.filled))])
            extra = np.full(size - len(self.cancelled), NAT, dtype=np.int64)
            self.cancelled = np.concatenate([self.cancelled, extra])


@dataclass
class OrderBook:
    where: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> (day, place)
    days: dict[int, DayOrders] = field(default_factory=dict)
    # The last update of orders not read yet: id -> (filled_qty, cancelled ms, ts ms).
    pending: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    # (day, place) of the orders updated since the caller last took them (live/dirty.py).
    updated: list[tuple[int, int]] = field(default_factory=list)

    def place(self, day: int, placed: pd.DataFrame) -> None:
        """New placements of ``day``, in the order they are appended to the day's
        orders; a placement carries its own state (a compacted checkpoint's rows do)."""
        book = self.days.setdefault(day, DayOrders())
        book.grow(len(placed))
        start = book.count
        book.filled[start : start + len(placed)] = placed["filled_qty"].to_numpy(dtype="float64")
        book.cancelled[start : start + len(placed)] = _ms(placed["cancelled_at"])
        book.count += len(placed)
        for offset, order_id in enumerate(placed["order_id"].tolist()):
            self.where[order_id] = (day, start + offset)
            early = self.pending.pop(order_id, None)
            if early is not None:
                book.filled[start + offset], book.cancelled[start + offset] = early[:2]

    def update(self, updates: pd.DataFrame) -> None:
        """Updates in publication order: each is the order's whole state at its time."""
        filled = updates["filled_qty"].to_numpy(dtype="float64")
        cancelled, ts = _ms(updates["cancelled_at"]), _ms(updates["ts"])
        for row, order_id in enumerate(updates["order_id"].tolist()):
            found = self.where.get(order_id)
            if found is None:
                self.pending[order_id] = (float(filled[row]), int(cancelled[row]), int(ts[row]))
                continue
            book = self.days[found[0]]
            book.filled[found[1]], book.cancelled[found[1]] = filled[row], cancelled[row]
            self.updated.append(found)

    def known(self, day: int, trades: pd.DataFrame) -> np.ndarray:
        """Which trades name two orders already placed on their day."""
        where = self.where
        return np.fromiter(
            (
                where.get(buy, (None,))[0] == day and where.get(sell, (None,))[0] == day
                for buy, sell in zip(
                    trades["buy_order_id"].tolist(), trades["sell_order_id"].tolist(), strict=True
                )
            ),
            dtype=bool,
            count=len(trades),
        )

    def state(self, day: int, placed: pd.DataFrame) -> pd.DataFrame:
        """The day's placements as orders now stand."""
        book = self.days[day]
        orders = placed.copy()
        orders["filled_qty"] = book.filled[: len(placed)].copy()
        times = pd.Series(book.cancelled[: len(placed)].view("datetime64[ms]"), index=orders.index)
        orders["cancelled_at"] = times.dt.tz_localize("UTC")
        return orders

    def drop(self, day: int, order_ids: list[str]) -> None:
        for order_id in order_ids:
            self.where.pop(order_id, None)
        self.days.pop(day, None)

    def pending_updates(self) -> pd.DataFrame:
        """The updates still waiting for their order, as ``order_updates`` rows."""
        ids = list(self.pending)
        values = np.array([self.pending[i] for i in ids], dtype=object).reshape(-1, 3)

        def times(column: np.ndarray) -> pd.Series:
            ms = column.astype(np.int64).view("datetime64[ms]")
            return pd.Series(ms).dt.tz_localize("UTC")

        return pd.DataFrame(
            {
                "order_id": pd.Series(ids, dtype="str"),
                "ts": times(values[:, 2]),
                "cancelled_at": times(values[:, 1]),
                "filled_qty": values[:, 0].astype("float64"),
            }
        )
