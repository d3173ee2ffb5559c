"""What the live feed has said so far, kept as columnar chunks, and the window-like view
of one UTC day that the rules read.

Reference tables (instruments, accounts, logins, transfers, promotions) are history the
rules need whatever the day (an account's age, its past devices and wallets), so they are
kept whole. Trading tables (orders, trades, positions, mark_prices) are kept per UTC day
of their event time, and a day is dropped once it is closed. Order updates go to the
order book (``orders.py``): the last update read for an order is its state, whichever
stream was read first. A trade whose orders have not been read yet waits for them.
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
from .codes import CODED, TIMES, AccountIndex, DayCodes
from .decode import EVENT_TIME, normalise
from .orders import NAT, OrderBook

# The account columns of the reference tables and positions: a row there moves its accounts.
MOVING = {
    "logins": ("account_id",),
    "transfers": ("account_id", "counterparty_account_id"),
    "promotions": ("account_id",),
}
REFERENCE = ("instruments", "accounts", "logins", "transfers", "promotions")
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
        if len(frame) or not self.frames:  # an empty first chunk keeps the columns
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
    book: OrderBook = field(default_factory=OrderBook)
    # Per day, trades naming an order not read yet (streams are not ordered together).
    waiting: dict[int, list[pd.DataFrame]] = field(default_factory=dict)
    # Account codes of the trading rows, computed as they arrive (codes.py).
    index: AccountIndex = field(default_factory=AccountIndex)
    codes: dict[int, dict[str, DayCodes]] = field(default_factory=dict)
    # Codes of the accounts with rows read since the last ``take_moved``: the keys a
    # narrow detection cycle runs the rules on again (live/dirty.py).
    moved: set[int] = field(default_factory=set)

    def add(self, table: str, frame: pd.DataFrame) -> None:
        """One decoded chunk. Trading rows go to the day of their event time."""
        if not len(frame):
            return
        times = event_ms(table, frame)
        if table != "instruments":
            self.max_event_ms = max(self.max_event_ms, int(times.max()))
        if table == "order_updates":
            self.book.update(frame)
            return
        if table not in TRADING:
            self.reference.setdefault(table, Chunks(table)).append(frame)
            if table == "accounts":
                known = len(self.index.ids)
                self.index.add(frame["account_id"])
                self.moved.update(range(known, len(self.index.ids)))
            for column in MOVING.get(table, ()):
                self._moves(self.index.codes(frame[column].dropna()))
            return
        days = times // MS_PER_DAY
        for day in np.unique(days).tolist():
            part = frame if len(np.unique(days)) == 1 else frame[days == day]
            if day in self.closed_days:
                self.late_rows += len(part)
                continue
            if "symbol" in part:
                self.touched[day].update(str(s) for s in pd.unique(part["symbol"].astype("str")))
            self._keep(table, day, part)

    def _keep(self, table: str, day: int, part: pd.DataFrame) -> None:
        tables = self.days.setdefault(day, {})
        if table == "trades":
            known = self.book.known(day, part)
            if not known.all():
                self.waiting.setdefault(day, []).append(part[~known])
                part = part[known]
        tables.setdefault(table, Chunks(table)).append(part)
        if table in CODED:
            coded = self.codes.setdefault(day, {}).setdefault(table, DayCodes())
            coded.append(table, part, self.index, event_ms(table, part))
            for column in CODED[table]:
                self._moves(coded.parts[column][-1])
        elif table == "positions":
            self._moves(self.index.codes(part["account_id"]))
        if table == "orders":
            self.book.place(day, part)
            if self.waiting.get(day):
                # Placements arrived: the trades that waited for them may go in now.
                waited = pd.concat(self.waiting.pop(day), ignore_index=True)
                self._keep("trades", day, waited)

    def _moves(self, codes: np.ndarray) -> None:
        self.moved.update(np.unique(codes[codes >= 0]).tolist())

    def take_moved(self) -> set[int]:
        """The codes of the accounts with rows read since the last call (orders updated
        included), and forget them. A trade naming an account not read yet is out of the
        view until it arrives: then both its sides moved."""
        for day in self.days:
            self._resolve(day)
        for day, place in self.book.updated:
            coded = self.codes.get(day, {}).get("orders")
            if coded is not None:
                code = int(coded.joined("account_id")[place])
                if code >= 0:
                    self.moved.add(code)
        self.book.updated.clear()
        moved, self.moved = self.moved, set()
        return moved

    def _resolve(self, day: int) -> None:
        """Code the day's rows whose accounts have arrived since; their accounts moved."""
        for table, columns in CODED.items():
            coded = self.codes.get(day, {}).get(table)
            chunks = self.days[day].get(table)
            if coded is None or chunks is None:
                continue
            joined = [coded.joined(column) for column in columns]
            waiting = np.flatnonzero(np.logical_or.reduce([codes < 0 for codes in joined]))
            frame = chunks.frame()
            if not len(waiting) or frame is None or len(frame) != len(joined[0]):
                continue
            for column in columns:
                coded.resolve(column, frame[column], self.index)
            arrived = waiting[np.logical_and.reduce([codes[waiting] >= 0 for codes in joined])]
            for codes in joined:
                self._moves(codes[arrived])

    def close(self, day: int) -> None:
        orders = self.days.get(day, {}).get("orders")
        placed = orders.frame() if orders is not None else None
        self.book.drop(day, [] if placed is None else placed["order_id"].tolist())
        self.waiting.pop(day, None)
        self.days.pop(day, None)
        self.codes.pop(day, None)
        self.touched.pop(day, None)
        self.closed_days.add(day)

    def rows(self) -> int:
        kept = sum(c.rows for c in self.reference.values())
        kept += sum(len(f) for frames in self.waiting.values() for f in frames)
        return kept + sum(c.rows for day in self.days.values() for c in day.values())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Everything kept, one frame per table (for a checkpoint)."""
        frames: dict[str, list[pd.DataFrame]] = defaultdict(list)
        for name, chunks in self.reference.items():
            if (frame := chunks.frame()) is not None:
                frames[name].append(frame)
        for day, tables in self.days.items():
            for name, chunks in tables.items():
                if (frame := chunks.frame()) is not None:
                    # Orders as they stand now: the updates they had are in them.
                    frames[name].append(self.book.state(day, frame) if name == "orders" else frame)
        for waited in self.waiting.values():
            frames["trades"].extend(waited)
        if self.book.pending:
            frames["order_updates"].append(self.book.pending_updates())
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
        placed = trading["orders"].frame() if "orders" in trading else None
        view.orders = None if placed is None else self.book.state(day, placed)
        view.trades = trading["trades"].frame() if "trades" in trading else None
        if view.accounts is not None and len(view.accounts) == len(self.index.ids):
            self._coded(day, view)  # every account read is in the view: codes hold
        return _known_accounts(view)

    def _coded(self, day: int, view: Feed) -> None:
        """Orders and trades cut to the rows whose accounts are known, with their codes."""
        for table, columns in CODED.items():
            frame, coded = view.table(table), self.codes.get(day, {}).get(table)
            if frame is None or coded is None:
                continue
            codes = [coded.resolve(c, frame[c], self.index) for c in columns]
            if any(len(c) != len(frame) for c in codes):
                continue  # not kept alike: let the rules code the rows themselves
            names = [*columns, TIMES[table]]
            codes.append(coded.joined(TIMES[table]))
            if table == "orders":  # the cancel times as the book holds them now
                cancelled = self.book.days[day].cancelled[: len(frame)]
                codes.append(np.where(cancelled == NAT, -1, cancelled))
                names.append("cancelled_at")
            known = np.logical_and.reduce([c >= 0 for c in codes[: len(columns)]])
            if not known.all():
                frame = frame[known].reset_index(drop=True)
                codes = [c[known] for c in codes]
                setattr(view, table, frame)
            for column, values in zip(names, codes, strict=True):
                view.codes[f"{table}.{column}"] = values


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
        if f"{name}.{columns[0]}" in view.codes:
            continue  # cut by its codes already
        if frame is None or not len(frame):
            continue
        mask = np.ones(len(frame), dtype=bool)
        for column in columns:
            found = pc.is_in(pa.array(frame[column]), value_set=known)
            mask &= np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
        if not mask.all():
            setattr(view, name, frame[mask].reset_index(drop=True))
    return view
